/*
 * Signals: see signals.h.
 */
#include "config.h"

#include "signals.h"

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static sigset_t stop_set;
/* What the waiter calls; cleared by signals_stop() before what ctx points to is freed. */
static pthread_mutex_t fn_lock = PTHREAD_MUTEX_INITIALIZER;
static void (*stop_fn)(void *ctx, int sig);
static void (*hup_fn)(void *ctx);
static void *stop_ctx;
static atomic_int exiting;
static __thread const char *current_probe, *current_plugin;

void signals_init(void)
{
    struct sigaction ign = {.sa_handler = SIG_IGN};

    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, NULL);
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGINT);
    sigaddset(&stop_set, SIGTERM);
    sigaddset(&stop_set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop_set, NULL);
}

/* One line on stderr from its parts (NULL-terminated); async-signal-safe: no stdio. An error
 * for the journal (whose "<3>" it writes itself) and for syslog's stderr alike. */
static void say(const char *first, ...)
{
    char line[512];
    size_t n = 0;
    va_list ap;

    if (log_destination() == LOG_DEST_JOURNAL) {
        memcpy(line, "<3>", 3);
        n = 3;
    }

    va_start(ap, first);
    for (const char *p = first; p; p = va_arg(ap, const char *))
        for (; *p && n < sizeof(line) - 2; p++)
            line[n++] = *p;
    va_end(ap);
    line[n++] = '\n';
    (void)!write(STDERR_FILENO, line, n);
}

static const char *signame(int sig)
{
    const char *s = sigabbrev_np(sig);

    return s ? s : "?";
}

static void *waiter(void *arg)
{
    int sig, stops = 0;

    (void)arg;
    for (;;) {
        if (sigwait(&stop_set, &sig) != 0)
            continue;
        pthread_mutex_lock(&fn_lock);
        if (sig == SIGHUP && hup_fn) {
            hup_fn(stop_ctx);
        } else if (stops++ == 0) {
            if (stop_fn)
                stop_fn(stop_ctx, sig);
        } else {
            say("infraprobe: second SIG", signame(sig), ": exiting at once", (char *)NULL);
            atomic_store(&exiting, 1);
            _exit(3);
        }
        pthread_mutex_unlock(&fn_lock);
    }
    return NULL;
}

int signals_start(void (*on_stop)(void *ctx, int sig), void (*hup)(void *ctx), void *ctx)
{
    pthread_t t;

    pthread_mutex_lock(&fn_lock);
    stop_fn = on_stop;
    hup_fn = hup;
    stop_ctx = ctx;
    pthread_mutex_unlock(&fn_lock);
    if (pthread_create(&t, NULL, waiter, NULL) != 0)
        return -1;
    pthread_detach(t);
    return 0;
}

void signals_stop(void)
{
    pthread_mutex_lock(&fn_lock);
    stop_fn = NULL;
    hup_fn = NULL;
    stop_ctx = NULL;
    pthread_mutex_unlock(&fn_lock);
}

void signals_current_probe(const char *name, const char *plugin)
{
    current_probe = name;
    current_plugin = plugin;
}

static void on_fatal(int sig)
{
    if (current_probe)
        say("infraprobe: plugin ", current_plugin, " crashed (SIG", signame(sig),
            ") during a run of probe \"", current_probe, "\"; exiting with status 3", (char *)NULL);
    else
        say("infraprobe: fatal signal SIG", signame(sig), "; exiting with status 3", (char *)NULL);
    _exit(3);
}

static void on_exit_call(void)
{
    if (atomic_load(&exiting))
        return;
    if (current_probe)
        say("infraprobe: plugin ", current_plugin, " called exit() during a run of probe \"",
            current_probe, "\"; exiting with status 3", (char *)NULL);
    else
        say("infraprobe: exit() called from outside the core; exiting with status 3", (char *)NULL);
    _exit(3);
}

void signals_trap_plugins(void)
{
    static const int fatal[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
    struct sigaction sa = {.sa_handler = on_fatal, .sa_flags = SA_RESETHAND};

    sigfillset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
        sigaction(fatal[i], &sa, NULL);
    atexit(on_exit_call);
}

void signals_exiting(void)
{
    atomic_store(&exiting, 1);
}
