/* A test plugin built for another ABI: the loader must refuse it, naming the file. */
#include <stddef.h>

#include <infraprobe/plugin.h>

static const struct ip_check_decl badabi_checks[] = {{.name = "alpha"}, {0}};

static int badabi_setup(struct ip_probe *probe, void **state)
{
    (void)probe;
    *state = NULL;
    return 0;
}

static int badabi_run(void *state, struct ip_report *report)
{
    (void)state;
    (void)report;
    return 0;
}

static void badabi_teardown(void *state)
{
    (void)state;
}

IP_EXPORT const struct ip_plugin infraprobe_plugin = {
    .abi = IP_PLUGIN_ABI + 1,
    .name = "badabi",
    .checks = badabi_checks,
    .setup = badabi_setup,
    .run = badabi_run,
    .teardown = badabi_teardown,
};
