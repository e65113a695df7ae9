/*
 * Reloads (src/reload.c): which probes of a new file are unchanged (their settings as parsed,
 * and what they inherit), and what a commit keeps, takes from the new file and tears down.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <infraprobe/plugin.h>

#include "conf.h"
#include "reload.h"
#include "testutil.h"

static const struct ip_check_decl one_check[] = {{.name = "c"}, {0}};
static int torn_down;

static void count_teardown(void *state)
{
    (void)state;
    torn_down++;
}

static const struct ip_plugin plugin_a = {IP_PLUGIN_HEADER, .name = "a", .checks = one_check,
                                          .teardown = count_teardown};
static const struct ip_plugin plugin_b = {IP_PLUGIN_HEADER, .name = "b", .checks = one_check,
                                          .teardown = count_teardown};

/* A configuration from `text`, each probe "bound" to plugin a or b (its `plugin`) with a state
 * of its own, as conf_bind() would leave it. */
static struct conf *load(const char *text)
{
    static int states[64], next_state;
    struct conf *c = calloc(1, sizeof(*c));
    char *path = write_temp(text);
    struct capture cap;
    char *err;

    capture_start(&cap);
    ck_assert_int_eq(conf_load(c, path), 0);
    err = capture_end(&cap);
    free(err);
    unlink(path);
    free(path);
    for (size_t i = 0; i < c->nprobes; i++) {
        struct probe_conf *pc = &c->probes[i];
        config_setting_t *p = config_setting_get_member(pc->setting, "plugin");

        pc->plugin = !strcmp(config_setting_get_string(p), "a") ? &plugin_a : &plugin_b;
        pc->state = &states[next_state++ % 64];
        pc->ready = 1;
    }
    return c;
}

static const char *base = "infraprobe: { timeout = 2.0; };\n"
                          "probes = (\n"
                          "  { name = \"x\"; plugin = \"a\"; n = 5; list = (\"p\", \"q\");\n"
                          "    g = { k = 1; l = \"s\"; }; },\n"
                          "  { name = \"y\"; plugin = \"a\"; n = 1; },\n"
                          "  { name = \"z\"; plugin = \"b\"; }\n"
                          ");\n";

START_TEST(same_settings_any_layout)
{
    struct conf *first = load(base);
    struct conf *next = load("# moved, reordered, reformatted: the same probes\n"
                             "infraprobe: { timeout = 2.0; };\n"
                             "probes = ( { plugin = \"b\"; name = \"z\"; },\n"
                             "  { g = { l = \"s\"; k = 1; }; list = [\"p\", \"q\"]; n = 5L;\n"
                             "    plugin = \"a\"; name = \"x\"; } );\n");
    struct reload rl;
    size_t map[2];

    ck_assert_int_eq(reload_init(&rl, first), 0);
    ck_assert_int_eq(reload_match(&rl, next, map), 0);
    ck_assert_uint_eq(map[0], 2); /* z */
    ck_assert_uint_eq(map[1], 0); /* x */
    reload_free(&rl);
    conf_release(next);
    free(next);
    conf_release(first);
    free(first);
}
END_TEST

START_TEST(changes_are_new)
{
    struct conf *first = load(base);
    struct conf *next = load("infraprobe: { timeout = 3.0; };\n" /* x inherits it */
                             "probes = (\n"
                             "  { name = \"x\"; plugin = \"a\"; n = 5; list = (\"p\", \"q\");\n"
                             "    g = { k = 1; l = \"s\"; }; },\n"
                             "  { name = \"y\"; plugin = \"a\"; n = 2; },\n"
                             "  { name = \"z\"; plugin = \"a\"; },\n"
                             "  { name = \"w\"; plugin = \"b\"; }\n"
                             ");\n");
    struct reload rl;
    size_t map[4];

    ck_assert_int_eq(reload_init(&rl, first), 0);
    ck_assert_int_eq(reload_match(&rl, next, map), 0);
    for (int i = 0; i < 4; i++)
        ck_assert_msg(map[i] == RELOAD_NEW, "probe %d kept as %zu", i, map[i]);
    reload_free(&rl);
    conf_release(next);
    free(next);
    conf_release(first);
    free(first);
}
END_TEST

START_TEST(commit_keeps_adds_and_tears_down)
{
    struct conf *first = load(base);
    struct conf *next = load("infraprobe: { timeout = 2.0; };\n"
                             "probes = ( { name = \"y\"; plugin = \"a\"; n = 1; },\n"
                             "  { name = \"new\"; plugin = \"b\"; } );\n");
    void *y_state = first->probes[1].state, *new_state = next->probes[1].state;
    struct reload rl;
    size_t map[2];

    torn_down = 0;
    ck_assert_int_eq(reload_init(&rl, first), 0);
    ck_assert_int_eq(reload_match(&rl, next, map), 0);
    ck_assert_uint_eq(map[0], 1);
    ck_assert_uint_eq(map[1], RELOAD_NEW);
    ck_assert_int_eq(reload_commit(&rl, next, map), 0);
    /* next's own setup of y, and x and z that left */
    ck_assert_int_eq(torn_down, 3);
    ck_assert_uint_eq(rl.view.nprobes, 2);
    ck_assert_str_eq(rl.view.probes[0].name, "y");
    ck_assert_ptr_eq(rl.view.probes[0].state, y_state);
    ck_assert_ptr_eq(rl.view.probes[1].state, new_state);
    ck_assert(!first->probes[0].ready && first->probes[1].ready && !first->probes[2].ready);

    /* Then a reload that keeps nothing: y and new are torn down, once each. */
    struct conf *third = load("probes = ( { name = \"y\"; plugin = \"b\"; } );\n");
    size_t map3[1];

    torn_down = 0;
    ck_assert_int_eq(reload_match(&rl, third, map3), 0);
    ck_assert_uint_eq(map3[0], RELOAD_NEW);
    ck_assert_int_eq(reload_commit(&rl, third, map3), 0);
    ck_assert_int_eq(torn_down, 2);
    torn_down = 0;
    reload_free(&rl); /* third's y */
    ck_assert_int_eq(torn_down, 1);
    conf_release(first); /* nothing of it is set up any more */
    ck_assert_int_eq(torn_down, 1);
    free(first);
}
END_TEST

int main(void)
{
    const TTest *const tests[] = {same_settings_any_layout, changes_are_new,
                                  commit_keeps_adds_and_tears_down};

    return run_tests("reload", tests, sizeof(tests) / sizeof(tests[0]));
}
