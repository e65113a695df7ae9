/*
 * netpart's partition drill between cluster members, through the infraprobe program, against
 * the sandbox's netns mode: a real etcd cluster whose members each have a network namespace of
 * their own, inside a namespace this test makes (unshare -n, -rn as non-root), so that nothing
 * touches the host's network. A follower, then the leader, is cut from its peers: the majority
 * keeps (or elects) a leader and acknowledges writes, the cut member refuses a linearizable read
 * and a write, and after the heal it rejoins with the others' revision; no acknowledged write is
 * lost; the cluster is healthy after; nothing is left once the sandbox is down (no link, no
 * process, no directory).
 */
#include "config.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"

static const char *workdir;

static json_t *load(const char *name)
{
    char path[700];
    json_error_t e;
    json_t *doc;

    snprintf(path, sizeof(path), "%s/%s", workdir, name);
    doc = json_load_file(path, 0, &e);
    ck_assert_msg(doc != NULL, "%s: not JSON: %s (line %d)", path, e.text, e.line);
    return doc;
}

/* The partition checks of the report into c[0..2), the follower's first, or fail. */
static void partition_checks(json_t *doc, json_t **c)
{
    json_t *checks = json_object_get(testlib_probe0(doc), "checks"), *x;
    size_t i, n = 0;

    json_array_foreach(checks, i, x)
    {
        if (strcmp(json_string_value(json_object_get(x, "name")), "partition") == 0 && n < 2)
            c[n++] = x;
    }
    ck_assert_msg(n == 2, "%zu partition checks, expected 2 (a follower and the leader)", n);
}

/* A scenario's check: ok, the cut member refused what it must, rejoined, and no acknowledged
 * write lost. */
static void assert_scenario(json_t *doc, json_t *c, const char *detected)
{
    const char *m = testlib_message(c), *t = testlib_target(c);

    ck_assert_msg(strcmp(testlib_status(c), "ok") == 0, "partition %s: %s: %s", t,
                  testlib_status(c), m);
    assert_has(m, detected);
    assert_has(m, "refused a read (");
    assert_has(m, ") and a write (");
    assert_has(m, "it rejoined: one leader");
    assert_has(m, " lost, 0 duplicated");
    ck_assert_msg(testlib_metric(doc, "infraprobe_netpart_drill_lost_operations", "target", t) == 0,
                  "%s: acknowledged writes lost: %s", t, m);
    ck_assert(testlib_metric(doc, "infraprobe_netpart_drill_detect_seconds", "target", t) > 0);
    ck_assert(testlib_metric(doc, "infraprobe_netpart_drill_recover_seconds", "target", t) > 0);
    ck_assert(testlib_metric(doc, "infraprobe_netpart_drill_rejoin_seconds", "target", t) > 0);
}

START_TEST(partition_drill_between_etcd_members)
{
    const char *path = getenv("INFRAPROBE_PLUGIN_PATH"), *exe = getenv("INFRAPROBE");
    const char *tool = testlib_sandbox_tool();
    char script[600], drill[600], after[600], sbdir[600];
    json_t *doc, *doc2, *c[2];

    snprintf(script, sizeof(script), "%s/drill.sh", workdir);
    snprintf(drill, sizeof(drill), "%s/drill.conf", workdir);
    snprintf(after, sizeof(after), "%s/after.conf", workdir);
    snprintf(sbdir, sizeof(sbdir), "%s/nsbox", workdir);
    /* The members' addresses come from the sandbox, inside the namespace, as ${E1}..${E3}. */
    testlib_write(drill,
                  "probes = ( { name = \"members\"; plugin = \"netpart\"; timeout = 30.0;\n"
                  "  method = \"actions\"; checks = [\"baseline\", \"partition\"];\n"
                  "  targets = [\"etcd://${E1}\", \"etcd://${E2}\", \"etcd://${E3}\"];\n"
                  "  failover = { partition = \"'%s' --dir '%s' cut %%{member}\";\n"
                  "               heal = \"'%s' --dir '%s' heal %%{member}\"; timeout = 90.0; };\n"
                  "} );\n",
                  tool, sbdir, tool, sbdir);
    testlib_write(after,
                  "probes = ( { name = \"after\"; plugin = \"etcd\"; timeout = 10.0;\n"
                  "  endpoints = \"${ETCD_ADDR}\"; checks = [\"leader\", \"members\"]; } );\n");
    testlib_write(script,
                  "set -e\n"
                  "ip link set lo up\n"
                  "env=$('%s' up --netns --dir '%s' --owner $$ etcd)\n"
                  "eval \"$env\"\n"
                  "IFS=, read -r E1 E2 E3 <<<\"$ETCD_ADDR\"; export E1 E2 E3\n"
                  "cat '%s'/*/pid > '%s/pids'\n"
                  "set +e\n"
                  "'%s' --plugin-dir '%s' --drill --format json -c '%s' > '%s/drill.json'\n"
                  "echo $? > '%s/drill.code'\n"
                  "'%s' --plugin-dir '%s' --once --format json -c '%s' > '%s/after.json'\n"
                  "'%s' --dir '%s' down\n"
                  "ip -o link show > '%s/links'\n",
                  tool, sbdir, sbdir, workdir, exe, path, drill, workdir, workdir, exe, path, after,
                  workdir, tool, sbdir, workdir);
    ck_assert_int_eq(
        testlib_sh("%s bash '%s'", getuid() == 0 ? "unshare -n" : "unshare -rn", script), 0);

    doc = load("drill.json");
    partition_checks(doc, c);
    assert_scenario(doc, c[0], "lost its leader");
    assert_scenario(doc, c[1], "the majority elected ");
    ck_assert_msg(strcmp(testlib_target(c[0]), testlib_target(c[1])) != 0,
                  "the same member was cut twice: %s", testlib_target(c[0]));
    ck_assert_msg(testlib_sh("grep -qx 0 '%s/drill.code'", workdir) == 0,
                  "infraprobe --drill did not exit 0: %s", json_dumps(doc, JSON_COMPACT));
    /* Healthy after: one leader that every member follows, every member started. */
    doc2 = load("after.json");
    ck_assert_str_eq(testlib_status(testlib_find_check(doc2, "leader", NULL)), "ok");
    ck_assert_str_eq(testlib_status(testlib_find_check(doc2, "members", NULL)), "ok");
    /* Nothing left: the namespace that ran it has only lo, no member runs, no directory. */
    ck_assert_msg(testlib_sh("grep -qv ': lo:' '%s/links'", workdir) != 0,
                  "links left: see %s/links", workdir);
    ck_assert_msg(testlib_sh("for p in $(cat '%s/pids'); do grep -qs '^State:[^Z]*$' "
                             "/proc/$p/status && exit 1; done; exit 0",
                             workdir) == 0,
                  "a member still runs");
    ck_assert_msg(access(sbdir, F_OK) != 0, "%s is left", sbdir);
    json_decref(doc);
    json_decref(doc2);
}
END_TEST

/* In the namespace this test runs in (which has links: the host's, a container's), --netns
 * refuses before it makes anything, and leaves nothing. */
START_TEST(netns_mode_refuses_the_host_namespace)
{
    char sbdir[600];

    snprintf(sbdir, sizeof(sbdir), "%s/hostns", workdir);
    ck_assert_int_eq(testlib_sh("'%s' up --netns --dir '%s' etcd 2>'%s.err'",
                                testlib_sandbox_tool(), sbdir, sbdir),
                     1);
    ck_assert_msg(testlib_sh("grep -q 'fresh one of your own (unshare -n)' '%s.err'", sbdir) == 0,
                  "no reason given: see %s.err", sbdir);
    ck_assert_msg(access(sbdir, F_OK) != 0 || testlib_sh("[ -z \"$(ls -A '%s')\" ]", sbdir) == 0,
                  "%s is left with files", sbdir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("netpart_drill");
    TCase *tc = tcase_create("netpart_drill");
    SRunner *sr;
    int failed;

    workdir = testlib_init("netpart_drill", 1);
    if (!workdir)
        return EXIT_FAILURE;
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, netns_mode_refuses_the_host_namespace);
    tcase_add_test(tc, partition_drill_between_etcd_members);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    if (testlib_cleanup() != 0)
        failed++;
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
