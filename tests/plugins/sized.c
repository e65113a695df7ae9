/*
 * ABI 2 plugins of other sizes than this build's, for the loader: built as "smaller", whose
 * vtable ends at check_size and whose check table has ABI 1's stride (what an ABI 2 plugin
 * built before `flags` would look like), which must load and run; and as "larger", whose
 * vtable claims more fields than this core knows, which must be refused.
 */
#include <stddef.h>

#include <infraprobe/plugin.h>

/* A check table with a stride shorter than this build's: no flags. */
struct short_decl {
    const char *name;
    const char *help;
    enum ip_check_kind kind;
    double warn;
    double crit;
    const char *unit;
};

static const struct short_decl sized_checks[] = {
    {.name = "first", .kind = IP_LATENCY},
    {.name = "second", .kind = IP_LATENCY},
    {0},
};

static int sized_setup(struct ip_probe *probe, void **state)
{
    (void)probe;
    *state = NULL;
    return 0;
}

static int sized_run(void *state, struct ip_report *report)
{
    (void)state;
    ip_check(report, "first", NULL, IP_OK, 0, "first of a smaller plugin");
    ip_check(report, "second", NULL, IP_OK, 0, "second, read at its stride");
    return 0;
}

static void sized_teardown(void *state)
{
    (void)state;
}

#ifdef SIZED_LARGER
#define SIZED_NAME "larger"
#define SIZED_SIZE (sizeof(struct ip_plugin) + 8)
#else
#define SIZED_NAME "smaller"
#define SIZED_SIZE (offsetof(struct ip_plugin, check_size) + sizeof(size_t))
#endif

IP_EXPORT const struct ip_plugin infraprobe_plugin = {
    .abi = 2,
    .size = SIZED_SIZE,
    .check_size = sizeof(struct short_decl),
    .name = SIZED_NAME,
    .checks = (const struct ip_check_decl *)(const void *)sized_checks,
    .setup = sized_setup,
    .run = sized_run,
    .teardown = sized_teardown,
};
