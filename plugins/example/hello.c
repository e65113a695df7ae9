/*
 * hello: the smallest complete infraprobe plugin, built out of tree against the installed
 * SDK (`make`, see README). One setting, `greeting`; one check, `greet`; one metric, the
 * number of runs. A real plugin does its I/O in hello_run(), where the comment says so.
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
    return ip_check(report, "greet", NULL, IP_OK, ip_clock() - started, "%s, world", st->greeting);
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
    .description = "example: greet, and count the runs",
    .checks = hello_checks,
    .setup = hello_setup,
    .run = hello_run,
    .teardown = hello_teardown,
    .metrics = hello_metrics,
};
