/*
 * systemd's readiness protocol (sd_notify(3)), spoken without libsystemd: a datagram to the
 * AF_UNIX socket named by $NOTIFY_SOCKET, "READY=1", "RELOADING=1", "STOPPING=1",
 * "STATUS=...", and "WATCHDOG=1" at half the interval $WATCHDOG_USEC asks for. Outside
 * systemd (no NOTIFY_SOCKET) every call does nothing.
 */
#ifndef IP_CORE_NOTIFY_H
#define IP_CORE_NOTIFY_H

#include <infraprobe/plugin.h>

/* Read and unset NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID (a fault action or a child
 * must not speak for the daemon). Before any thread starts. */
void notify_init(void);
/* Send one message, e.g. notify_send("READY=1\nSTATUS=%s", summary). */
void notify_send(const char *fmt, ...) IP_PRINTF(1, 2);
/* Seconds between two WATCHDOG=1 (half of WATCHDOG_USEC); 0 when no watchdog is set. */
double notify_watchdog_interval(void);

#endif
