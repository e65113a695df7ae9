/*
 * The no-op plugin of the benchmarks: each run records one ok check, `noop`, and nothing
 * else, so that what a run costs under callgrind is the core's cost, not a backend's.
 * With `stamp = true` (bench/lateness), a run also records the wall-clock time it started, as
 * infraprobe_noop_started_seconds, modulo 1000 s so that the JSON writer's 15 significant
 * digits keep it to the picosecond: from a probe's phase, that tells how late the run started.
 */
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include <infraprobe/plugin.h>

static const struct ip_check_decl noop_checks[] = {
    {.name = "noop", .help = "nothing was done", .kind = IP_LATENCY},
    {0},
};

static int noop_setup(struct ip_probe *probe, void **statep)
{
    int *stamp = NULL;

    /* No state without a stamp: teardown has nothing to free. */
    if (ip_probe_bool(probe, "stamp", 0) && !(stamp = calloc(1, sizeof(*stamp))))
        return IP_ENOMEM;
    if (ip_probe_err(probe)) {
        free(stamp);
        return IP_ECONFIG;
    }
    *statep = stamp;
    return 0;
}

static int noop_run(void *state, struct ip_report *report)
{
    if (state) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        ip_metric(report, IP_GAUGE, "started", "seconds",
                  "wall clock at the run's start, mod 1000 s", NULL, NULL,
                  fmod((double)ts.tv_sec, 1000.0) + (double)ts.tv_nsec / 1e9);
    }
    return ip_check(report, "noop", NULL, IP_OK, 0, "noop");
}

static void noop_teardown(void *state)
{
    free(state);
}

IP_EXPORT const struct ip_plugin infraprobe_plugin = {
    IP_PLUGIN_HEADER,
    .name = "noop",
    .description = "benchmark plugin: one ok check, nothing done",
    .checks = noop_checks,
    .setup = noop_setup,
    .run = noop_run,
    .teardown = noop_teardown,
};
