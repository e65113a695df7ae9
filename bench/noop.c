/*
 * The no-op plugin of the benchmark: each run records one ok check, `noop`, and nothing
 * else, so that what a run costs under callgrind is the core's cost, not a backend's.
 */
#include <stdlib.h>

#include <infraprobe/plugin.h>

static const struct ip_check_decl noop_checks[] = {
    {.name = "noop", .help = "nothing was done", .kind = IP_LATENCY},
    {0},
};

static int noop_setup(struct ip_probe *probe, void **statep)
{
    (void)probe;
    *statep = NULL; /* no state: teardown has nothing to free */
    return 0;
}

static int noop_run(void *state, struct ip_report *report)
{
    (void)state;
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
