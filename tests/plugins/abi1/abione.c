/*
 * A plugin of ABI 1, built against that ABI's header (tests/plugins/abi1/infraprobe/plugin.h,
 * plugin.h as it was at 0e4bf72): the core must load and run it as it did. Its check table
 * has ABI 1's stride, a drill known only by its name "failover", and a pool made and read
 * through ABI 1's ip_pool_new() and ip_pool_stats(). Each run records "alpha" and "beta" ok,
 * "pool" with the pool's max_open in its message, and under --drill "failover" ok.
 */
#include <stddef.h>

#include <infraprobe/plugin.h>

#if IP_PLUGIN_ABI != 1
#error "abione must be built against ABI 1's header"
#endif

static const struct ip_check_decl abione_checks[] = {
    {.name = "alpha", .help = "always ok", .kind = IP_LATENCY},
    {.name = "beta", .help = "always ok, after alpha in the table", .kind = IP_LATENCY},
    {.name = "pool", .help = "a pool of ABI 1", .kind = IP_LATENCY},
    {.name = "failover", .help = "a drill, by its name", .kind = IP_LATENCY},
    {0},
};

static int abione_open(void *ctx, double deadline, void **conn, char *err, size_t errlen)
{
    (void)ctx;
    (void)deadline;
    (void)err;
    (void)errlen;
    *conn = conn;
    return 0;
}

static void abione_close(void *ctx, void *conn)
{
    (void)ctx;
    (void)conn;
}

static int abione_setup(struct ip_probe *probe, void **state)
{
    (void)probe;
    *state = NULL;
    return 0;
}

static void abione_pool(struct ip_report *report)
{
    static const struct ip_pool_ops ops = {.open = abione_open, .close = abione_close};
    struct ip_pool_config config = {.max_open = 7, .max_idle = 1};
    struct ip_pool_stats stats;
    struct ip_pool *pool = ip_pool_new(&ops, NULL, &config);

    ip_pool_stats(pool, &stats);
    ip_check(report, "pool", NULL, pool && stats.max_open == 7 ? IP_OK : IP_CRITICAL, 0,
             "max_open %d", stats.max_open);
    ip_pool_free(pool);
}

static int abione_run(void *state, struct ip_report *report)
{
    double deadline;

    (void)state;
    ip_check(report, "alpha", NULL, IP_OK, 0.001, "alpha of ABI 1");
    ip_check(report, "beta", NULL, IP_OK, 0.001, "beta of ABI 1");
    abione_pool(report);
    if (ip_drill(report, &deadline))
        ip_check(report, "failover", NULL, IP_OK, 0.001, "drill of ABI 1");
    return 0;
}

static void abione_teardown(void *state)
{
    (void)state;
}

IP_EXPORT const struct ip_plugin infraprobe_plugin = {
    .abi = IP_PLUGIN_ABI,
    .name = "abione",
    .description = "test plugin built against ABI 1",
    .checks = abione_checks,
    .setup = abione_setup,
    .run = abione_run,
    .teardown = abione_teardown,
};
