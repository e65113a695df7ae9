/*
 * sd_notify(3)'s protocol: see notify.h. The socket protocol is systemd's documented,
 * stable interface; speaking it directly spares the program a library for six lines.
 */
#include "config.h"

#include "notify.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static struct sockaddr_un addr;
static socklen_t addr_len; /* 0: no NOTIFY_SOCKET */
static double watchdog;

void notify_init(void)
{
    const char *path = getenv("NOTIFY_SOCKET");
    const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
    size_t n = path ? strlen(path) : 0;

    /* A path, or an abstract name written with a leading '@'. */
    if (n > 1 && n < sizeof(addr.sun_path) && (path[0] == '/' || path[0] == '@')) {
        addr.sun_family = AF_UNIX;
        memcpy(addr.sun_path, path, n);
        if (path[0] == '@')
            addr.sun_path[0] = '\0';
        addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (path[0] == '/'));
    }
    /* The watchdog is ours only when WATCHDOG_PID is unset or names us. */
    if (addr_len && usec && (!pid || strtol(pid, NULL, 10) == (long)getpid())) {
        double us = strtod(usec, NULL);

        if (us > 0)
            watchdog = us / 2e6;
    }
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
}

void notify_send(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    int fd;

    if (!addr_len)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    /* systemd reads what it can; a message lost is told by the service's state, not here. */
    (void)!sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&addr, addr_len);
    close(fd);
}

double notify_watchdog_interval(void)
{
    return watchdog;
}
