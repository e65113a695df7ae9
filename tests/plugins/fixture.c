/*
 * A test plugin whose results come from its settings, so that the core's handling of
 * statuses, thresholds, deadlines and failures is tested without any backend:
 *
 *   results = ("alpha:ok", "beta:critical:the message", "gamma:ok::42");
 *                      # name:status[:msg[:value]]
 *   sleep = 2.0;       # seconds run() sleeps first, ignoring the deadline (an overrunning plugin)
 *   duration = 0.05;   # seconds recorded as every check's duration
 *   fail = true;       # run() returns IP_EINVAL after recording (a broken plugin)
 *   member = "x";      # under --drill: the %{member} of the fault actions "stop" and "start"
 *
 * A result whose check the probe disabled (read_only, checks, skip) is not recorded: the core
 * records it skipped.
 * Under --drill it runs the SDK's drill framework (ip_drill_execute()) with the fault actions
 * "stop" and "start" and an operation that needs no backend, shaped by
 *   drill_before = 3;     # operations acknowledged before the fault
 *   drill_fail = 2;       # operations after the fault that fail before one succeeds
 *   drill_lose = 1;       # acknowledged operations the read-back does not find
 *   drill_duplicate = 1;  # acknowledged operations it finds twice
 *   drill_flaw = "...";   # what the read-back finds wrong besides (ip_drill_fail(), critical)
 *   drill_detect = 2;     # ask "detected?" (the answer yes on this ask); 0: no detected()
 * and records the check failover (its value the recovery time, in seconds).
 *
 * And the ways a plugin breaks the process it runs in, for the core's isolation:
 *   crash = "run";     # dereference NULL at the start of run() ("drill": right after stop)
 *   exit = 0;          # call exit(0) in run()
 *   spin = 3600.0;     # loop on the CPU this long, ignoring the deadline
 *
 * And the ways it breaks the contract, or uses it:
 *   rc = -1;           # what run() returns (after recording its results)
 *   log = "text";      # ip_report_log() it at info level, and at debug level "debug: text"
 *
 * Its init() and shutdown() hooks append "init PID" and "shutdown PID" to the file named by
 * $FIXTURE_HOOKS, when set, and setup() and teardown() "setup PROBE PID" and "teardown PROBE
 * PID" (a reload's test tells by them which probes kept their state and their child). Built with
 * FIXTURE_OWN_PROCESS, it is the plugin "fixture_own", which asks for a process of its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <infraprobe/plugin.h>

static const struct ip_check_decl fixture_checks[] = {
    {.name = "alpha",
     .help = "latency, warn 100 ms, crit 1000 ms",
     .kind = IP_LATENCY,
     .warn = 100,
     .crit = 1000},
    {.name = "beta", .help = "latency, no thresholds", .kind = IP_LATENCY},
    {.name = "gamma",
     .help = "a rate, lower is worse",
     .kind = IP_VALUE_MIN,
     .warn = 20,
     .crit = 10,
     .unit = "msg/s"},
    {.name = "delta",
     .help = "a lag, higher is worse",
     .kind = IP_VALUE_MAX,
     .warn = 1000,
     .crit = 10000,
     .unit = "bytes"},
    {.name = "write",
     .help = "a check that writes to the backend",
     .kind = IP_LATENCY,
     .flags = IP_CHECK_WRITES},
    {.name = "load",
     .help = "a check that loads the backend",
     .kind = IP_LATENCY,
     .flags = IP_CHECK_LOADS},
    {.name = "failover",
     .help = "drill: recovery time, warn 10 s, crit 30 s",
     .kind = IP_VALUE_MAX,
     .warn = 10,
     .crit = 30,
     .unit = "s",
     .flags = IP_CHECK_DRILL},
    {0},
};

struct fixture {
    const char *name;
    const char *const *results;
    size_t nresults;
    double sleep;
    double hang;
    double duration;
    int fail;
    const char *member;
    const char *crash;
    long long exit_code;
    double spin;
    long long rc;
    const char *log;
    long long drill_before, drill_fail, drill_lose, drill_duplicate;
    const char *drill_flaw;
    long long drill_detect, asked;
    long long runs;
};

/* What a broken plugin does; volatile, so that the compiler keeps the crash, and out of
 * UBSan's reach, so that a sanitizer build crashes too instead of reporting the store. */
#if defined(__GNUC__)
__attribute__((no_sanitize("undefined")))
#endif
static void
fixture_crash(void)
{
    volatile int *volatile p = NULL;

    *p = 1;
}

/* One line into $FIXTURE_HOOKS: the test counts them per process. */
static void fixture_hook(const char *what, const char *probe)
{
    const char *file = getenv("FIXTURE_HOOKS");
    FILE *f = file ? fopen(file, "a") : NULL;

    if (!f)
        return;
    fprintf(f, "%s%s%s %ld\n", what, probe ? " " : "", probe ? probe : "", (long)getpid());
    fclose(f);
}

static int fixture_setup(struct ip_probe *probe, void **statep)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (!f)
        return IP_ENOMEM;
    f->results = ip_probe_strings(probe, "results", &f->nresults);
    f->sleep = ip_probe_duration(probe, "sleep", 0);
    f->hang = ip_probe_duration(probe, "hang", 0);
    f->duration = ip_probe_duration(probe, "duration", 0.001);
    f->fail = ip_probe_bool(probe, "fail", 0);
    f->member = ip_probe_string(probe, "member", "m1");
    f->crash = ip_probe_string(probe, "crash", "");
    f->exit_code = ip_probe_int(probe, "exit", -1, -1, 255);
    f->spin = ip_probe_duration(probe, "spin", 0);
    f->rc = ip_probe_int(probe, "rc", 0, -1000, 1000);
    f->log = ip_probe_string(probe, "log", NULL);
    f->drill_before = ip_probe_int(probe, "drill_before", 0, 0, 1000);
    f->drill_fail = ip_probe_int(probe, "drill_fail", 0, 0, 1000);
    f->drill_lose = ip_probe_int(probe, "drill_lose", 0, 0, 1000);
    f->drill_duplicate = ip_probe_int(probe, "drill_duplicate", 0, 0, 1000);
    f->drill_flaw = ip_probe_string(probe, "drill_flaw", "");
    f->drill_detect = ip_probe_int(probe, "drill_detect", 0, 0, 1000);
    if (ip_probe_err(probe)) {
        free(f);
        return IP_ECONFIG;
    }
    f->name = ip_probe_name(probe);
    fixture_hook("setup", f->name);
    *statep = f;
    return 0;
}

static enum ip_status fixture_status(const char *s)
{
    static const char *const names[] = {"ok", "warning", "critical", "unknown", "skipped"};

    for (int i = 0; i < 5; i++)
        if (strcmp(s, names[i]) == 0)
            return (enum ip_status)i;
    return IP_UNKNOWN;
}

static void fixture_sleep(double seconds)
{
    struct timespec ts = {(time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9)};

    while (seconds > 0 && nanosleep(&ts, &ts) != 0)
        ;
}

/* The drill, on the SDK's framework, as the simplest user: the fault actions "stop" and
 * "start" (the defaults), operations that succeed but for the first drill_fail after the
 * fault, and a read-back that loses the first drill_lose and sees the next drill_duplicate
 * twice, so that the framework's counting is tested without a backend. */
static int fixture_operate(void *ctx, struct ip_drill *d, long long id, double deadline, char *err,
                           size_t errlen)
{
    struct fixture *f = ctx;

    (void)d;
    (void)deadline;
    if (id < f->drill_before)
        return 0;
    if (!strcmp(f->crash, "drill"))
        fixture_crash();
    if (id < f->drill_before + f->drill_fail) {
        snprintf(err, errlen, "operation %lld refused", id);
        return -1;
    }
    return 0;
}

static int fixture_verify(void *ctx, struct ip_drill *d, double deadline, char *err, size_t errlen)
{
    struct fixture *f = ctx;
    size_t n;
    const long long *ids = ip_drill_acked(d, &n);

    (void)deadline;
    (void)err;
    (void)errlen;
    if (*f->drill_flaw)
        ip_drill_fail(d, IP_CRITICAL, "%s", f->drill_flaw);
    for (size_t i = (size_t)f->drill_lose; i < n; i++) {
        ip_drill_seen(d, ids[i]);
        if (i < (size_t)(f->drill_lose + f->drill_duplicate))
            ip_drill_seen(d, ids[i]);
    }
    return 0;
}

static int fixture_detected(void *ctx, struct ip_drill *d, double deadline, char *err,
                            size_t errlen)
{
    struct fixture *f = ctx;

    (void)d;
    (void)deadline;
    snprintf(err, errlen, "asked %lld times", f->asked + 1);
    return ++f->asked >= f->drill_detect;
}

static void fixture_drill(struct fixture *f, struct ip_report *report)
{
    const char *vars[] = {"member", f->member, NULL};
    const struct ip_drill_ops ops = {.check = "failover",
                                     .vars = vars,
                                     .before = (int)f->drill_before,
                                     .interval = 0.001,
                                     .operate = fixture_operate,
                                     .detected = f->drill_detect ? fixture_detected : NULL,
                                     .verify = fixture_verify};

    f->asked = 0;
    ip_drill_execute(report, &ops, f, NULL);
}

static int fixture_run(void *state, struct ip_report *report)
{
    struct fixture *f = state;

    f->runs++;
    if (!strcmp(f->crash, "run"))
        fixture_crash();
    if (f->exit_code >= 0)
        exit((int)f->exit_code);
    for (double end = ip_clock() + f->spin; ip_clock() < end;)
        ;
    fixture_sleep(f->sleep);
    for (size_t i = 0; i < f->nresults; i++) {
        char buf[512], *save = NULL, *name, *status, *msg, *value;

        snprintf(buf, sizeof(buf), "%s", f->results[i]);
        name = strtok_r(buf, ":", &save);
        status = strtok_r(NULL, ":", &save);
        msg = strtok_r(NULL, ":", &save);
        value = strtok_r(NULL, ":", &save);
        if (!name || !status || !ip_check_enabled(report, name))
            continue;
        if (value)
            ip_check_value(report, name, NULL, fixture_status(status), f->duration,
                           strtod(value, NULL), "%s", msg ? msg : "");
        else
            ip_check(report, name, NULL, fixture_status(status), f->duration, "%s", msg ? msg : "");
    }
    if (f->log) {
        ip_report_log(report, IP_LOG_INFO, "%s", f->log);
        ip_report_log(report, IP_LOG_DEBUG, "debug: %s", f->log);
    }
    fixture_drill(f, report);
    fixture_sleep(f->hang);
    return f->fail ? IP_EINVAL : (int)f->rc;
}

static void fixture_teardown(void *state)
{
    struct fixture *f = state;

    fixture_hook("teardown", f->name);
    free(state);
}

static int fixture_metrics(void *state, struct ip_report *report)
{
    struct fixture *f = state;

    ip_metric(report, IP_COUNTER, "runs", NULL, "runs since start", NULL, NULL, (double)f->runs);
    return 0;
}

static int fixture_init(void)
{
    fixture_hook("init", NULL);
    return 0;
}

static void fixture_shutdown(void)
{
    fixture_hook("shutdown", NULL);
}

#ifdef FIXTURE_OWN_PROCESS
#define FIXTURE_NAME  "fixture_own"
#define FIXTURE_FLAGS IP_PLUGIN_OWN_PROCESS
#else
#define FIXTURE_NAME  "fixture"
#define FIXTURE_FLAGS 0
#endif

IP_EXPORT const struct ip_plugin infraprobe_plugin = {
    IP_PLUGIN_HEADER,
    .name = FIXTURE_NAME,
    .description = "test plugin: results from its settings",
    .checks = fixture_checks,
    .setup = fixture_setup,
    .run = fixture_run,
    .teardown = fixture_teardown,
    .metrics = fixture_metrics,
    .flags = FIXTURE_FLAGS,
    .init = fixture_init,
    .shutdown = fixture_shutdown,
};
