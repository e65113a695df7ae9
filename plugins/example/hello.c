/*
 * hello: the smallest complete infraprobe plugin, built out of tree against the installed
 * SDK (`make`, see README). One setting, `greeting`; one check, `greet`; one metric, the
 * number of runs; and under `infraprobe --drill` a drill, `failover`, on the SDK's drill
 * framework. A real plugin does its I/O where the comments say so.
 *
 * Its one include is <infraprobe/plugin.h>: a plugin never sees the core's own headers.
 */
#include <stdlib.h>

#include <infraprobe/plugin.h>

/* Every check the plugin records, declared up front so that the core knows the names (a
 * `thresholds` key naming another check is a configuration error). Default thresholds of
 * a latency check are in milliseconds; a probe's `thresholds` setting overrides them. */
static const struct ip_check_decl hello_checks[] = {
    {.name = "greet",
     .help = "the greeting was made",
     .kind = IP_LATENCY,
     .warn = 100.0,
     .crit = 1000.0},
    /* A drill's check, declared as one: its value is the recovery time, so its thresholds are
     * in seconds. */
    {.name = "failover",
     .help = "drill: the service recovers from the fault",
     .kind = IP_VALUE_MAX,
     .warn = 10.0,
     .crit = 30.0,
     .unit = "s",
     .flags = IP_CHECK_DRILL},
    {0},
};

/* All of a probe's state: probes of one plugin run concurrently, so no mutable globals. */
struct hello_state {
    const char *greeting; /* borrowed from the probe until teardown */
    long long runs;       /* for metrics(): cumulative since setup */
};

static void hello_teardown(void *state)
{
    free(state);
}

/* Read and validate the settings through the SDK's getters; no network I/O here, since
 * `infraprobe -t` calls it. The getters print FILE:LINE for every mistake. */
static int hello_setup(struct ip_probe *probe, void **statep)
{
    struct hello_state *st = calloc(1, sizeof(*st));

    if (!st)
        return IP_ENOMEM;
    /* The default is expanded too: HELLO_GREETING from the environment, else "hello". */
    st->greeting = ip_probe_string(probe, "greeting", "${HELLO_GREETING:-hello}");
    if (st->greeting && !*st->greeting)
        ip_probe_fail(probe, "greeting", "is empty");
    if (ip_probe_err(probe)) {
        hello_teardown(st);
        return IP_ECONFIG;
    }
    *statep = st;
    return 0;
}

/* The drill's operation: here a real plugin writes to its backend, tagged with `id`, by
 * `deadline`, and returns 0 once the backend acknowledged the write (else non-zero, with
 * why in err). The framework times it, puts it in the timeline and acknowledged ones in
 * its ledger. */
static int hello_operate(void *ctx, struct ip_drill *d, long long id, double deadline, char *err,
                         size_t errlen)
{
    (void)ctx, (void)d, (void)id, (void)deadline, (void)err, (void)errlen;
    return 0;
}

/* After the recovery: read each acknowledged write back, and say which were found. The
 * framework counts the lost and the duplicated. */
static int hello_verify(void *ctx, struct ip_drill *d, double deadline, char *err, size_t errlen)
{
    size_t n;
    const long long *ids = ip_drill_acked(d, &n);

    (void)ctx, (void)deadline, (void)err, (void)errlen;
    for (size_t i = 0; i < n; i++)
        ip_drill_seen(d, ids[i]);
    return 0;
}

/* Under --drill (else it returns at once): 3 writes, the probe's fault action "stop",
 * writes until one succeeds, the read-back, "start"; the check `failover`, the metrics
 * infraprobe_hello_drill_*_seconds and _operations, and the timeline. */
static void hello_drill(struct hello_state *st, struct ip_report *report)
{
    const struct ip_drill_ops ops = {
        .check = "failover", .before = 3, .operate = hello_operate, .verify = hello_verify};

    ip_drill_execute(report, &ops, st, NULL);
}

/* One run. A sick backend is a check status (IP_CRITICAL with the reason), not an error:
 * return non-zero only when the plugin itself failed; the probe is then `unknown`. */
static int hello_run(void *state, struct ip_report *report)
{
    struct hello_state *st = state;
    double started = ip_clock();

    st->runs++;
    /* Here a real plugin talks to its backend, giving ip_report_deadline(report) to every
     * blocking call, and records what it found. The core applies the thresholds to the
     * duration recorded. */
    ip_check(report, "greet", NULL, IP_OK, ip_clock() - started, "%s, world", st->greeting);
    hello_drill(st, report);
    return 0;
}

/* Optional: cumulative metrics, reported as infraprobe_hello_runs_total{probe="..."}. */
static int hello_metrics(void *state, struct ip_report *report)
{
    const struct hello_state *st = state;

    return ip_metric(report, IP_COUNTER, "runs", NULL, "Runs of this probe.", NULL, NULL,
                     (double)st->runs);
}

/* The plugin's one exported symbol. Its name must be the module's file name (hello.so). */
IP_EXPORT const struct ip_plugin infraprobe_plugin = {
    IP_PLUGIN_HEADER,
    .name = "hello",
    .description = "example: greet, count the runs, and drill",
    .checks = hello_checks,
    .setup = hello_setup,
    .run = hello_run,
    .teardown = hello_teardown,
    .metrics = hello_metrics,
};
