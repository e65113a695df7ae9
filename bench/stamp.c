/*
 * The plugin of bench/lateness: each run records one ok check, `stamp`, and the wall-clock
 * time it started as the metric infraprobe_stamp_started_seconds, modulo 1000 s so that the
 * 15 significant digits of the JSON writer keep it to the picosecond. From a probe's phase
 * (bench/lateness computes it from the name, as src/schedule.c does), that time tells how
 * late the run started: lateness is what a plugin sees, queueing and wake-ups included.
 */
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include <infraprobe/plugin.h>

static const struct ip_check_decl stamp_checks[] = {
    {.name = "stamp", .help = "the run's start was recorded", .kind = IP_LATENCY},
    {0},
};

static int stamp_setup(struct ip_probe *probe, void **statep)
{
    (void)probe;
    *statep = NULL;
    return 0;
}

static int stamp_run(void *state, struct ip_report *report)
{
    struct timespec ts;
    double started;

    (void)state;
    clock_gettime(CLOCK_REALTIME, &ts);
    started = fmod((double)ts.tv_sec, 1000.0) + (double)ts.tv_nsec / 1e9;
    ip_metric(report, IP_GAUGE, "started", "seconds", "wall clock at the run's start, mod 1000 s",
              NULL, NULL, started);
    return ip_check(report, "stamp", NULL, IP_OK, 0, "stamped");
}

static void stamp_teardown(void *state)
{
    free(state);
}

IP_EXPORT const struct ip_plugin infraprobe_plugin = {
    IP_PLUGIN_HEADER,
    .name = "stamp",
    .description = "benchmark plugin: records when each run started",
    .checks = stamp_checks,
    .setup = stamp_setup,
    .run = stamp_run,
    .teardown = stamp_teardown,
};
