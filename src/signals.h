/*
 * Signal hygiene for the infraprobe program. SIGPIPE is ignored (a client library that writes
 * to a closed socket gets EPIPE, not death). SIGINT, SIGTERM and SIGHUP are blocked in every
 * thread and taken by one thread that waits for them, so that a worker never runs a handler and
 * the runner is told from a normal thread. In-process plugins (isolation "thread") are
 * watched too: a fatal signal or an exit() during a run ends the process with status 3 and
 * one line on stderr, never with a status a CI job could read as healthy.
 */
#ifndef IP_CORE_SIGNALS_H
#define IP_CORE_SIGNALS_H

/* Ignore SIGPIPE and block the stop signals; call before any thread starts. */
void signals_init(void);
/* Start the thread that takes the stop signals: the first calls on_stop(ctx, sig) (once;
 * SIGHUP too unless `hup` is NULL, which then gets it); a second stop signal exits at once
 * with status 3. */
int signals_start(void (*on_stop)(void *ctx, int sig), void (*hup)(void *ctx), void *ctx);
/* Forget what signals_start() was given, before it is freed: a stop signal from now on only
 * counts (a second one still exits at once). */
void signals_stop(void);
/* Make a fatal signal or an exit() from a plugin running in this process an exit with
 * status 3 and a one-line message. */
void signals_trap_plugins(void);
/* The program itself exits now: exit() is no plugin's. */
void signals_exiting(void);
/* The probe this thread runs now, for the message (NULL: none). */
void signals_current_probe(const char *name, const char *plugin);

#endif
