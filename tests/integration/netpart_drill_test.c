/*
 * netpart's partition drill between cluster members, through the infraprobe program, against
 * the sandbox's netns mode: a real etcd cluster whose members each have a network namespace of
 * their own, inside a namespace this test makes (unshare -n, -rn as non-root), so that nothing
 * touches the host's network. A follower, then the leader, is cut from its peers: the majority
 * keeps (or elects) a leader and acknowledges writes, the cut member refuses a linearizable read
 * and a write, and after the heal it rejoins with the others' revision; no acknowledged write is
 * lost; the cluster is healthy after; a drill interrupted (SIGINT) or whose probe's process is
 * killed (SIGKILL) while a member is cut still heals it (the core's restore guarantee); nothing
 * is left once the sandbox is down (no link, no process, no directory). And the Redis master cut
 * from its replica and Sentinels: a new master elected, the writes the old one acknowledged alone
 * reported at risk, the old one a replica after the heal.
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

/* The JSON report WORK/NAME. */
static json_t *load(const char *name)
{
    char path[1024];

    snprintf(path, sizeof(path), "%s/%s", workdir, name);
    return testlib_load_json(path);
}

/* The check `name` of the report is ok, or fail showing it. */
static void assert_ok(json_t *doc, const char *name)
{
    json_t *c = testlib_find_check(doc, name, NULL);

    ck_assert_msg(strcmp(testlib_status(c), "ok") == 0, "%s: %s: %s", name, testlib_status(c),
                  testlib_message(c));
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
    ck_assert_msg(n == 2, "%zu partition checks, expected 2 (a follower and the leader): %s", n,
                  json_dumps(checks, JSON_COMPACT));
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

/*
 * In a network namespace of its own: `sandbox up --netns PARTS`, `setvars` (shell) to export
 * what the configs name, infraprobe --drill on WORK/NAME.conf into NAME.json (exit status in
 * NAME.code); then for each SIG:WHOM of `signals` ("INT:self KILL:child", or ""), the drill
 * again, with SIGSIG sent once a member is cut to infraprobe (self) or to its probe's process
 * (child): its report in NAME-SIG.json, the cut files seen before (NAME-SIG.cut) and left
 * after (NAME-SIG.left), and --once on NAME-after.conf into NAME-after.json (retried for a few
 * seconds until it exits 0: an interrupted drill leaves a cluster that is still electing);
 * `sandbox down`; the members' PIDs in NAME.pids and the links left in NAME.links. Fails when
 * the script does.
 */
static void run_in_namespace(const char *name, const char *parts, const char *setvars,
                             const char *signals)
{
    char script[700], w[600];

    snprintf(w, sizeof(w), "%s/%s", workdir, name);
    snprintf(script, sizeof(script), "%s.sh", w);
    testlib_write(
        script,
        "W='%s' TOOL='%s' EXE='%s' P='%s' SIGNALS='%s'\n"
        "set -e\n"
        "ip link set lo up\n"
        "env=$(\"$TOOL\" up --netns --dir \"$W.box\" --owner $$ %s)\n"
        "eval \"$env\"\n"
        "%s\n"
        "cat \"$W.box\"/*/pid > \"$W.pids\"\n"
        "set +e\n"
        "\"$EXE\" --plugin-dir \"$P\" --drill --format json -c \"$W.conf\" > \"$W.json\"\n"
        "echo $? > \"$W.code\"\n"
        "healthy() {\n"
        "    for i in $(seq 40); do\n"
        "        \"$EXE\" --plugin-dir \"$P\" --once --format json -c \"$W-after.conf\" "
        "> \"$W-after.json\" && break\n"
        "        sleep 0.25\n"
        "    done\n"
        "}\n"
        "for c in $SIGNALS; do\n"
        "    sig=${c%%:*} whom=${c#*:}\n"
        "    healthy\n"
        "    \"$EXE\" --plugin-dir \"$P\" --drill --format json -c \"$W.conf\" "
        "> \"$W-$sig.json\" &\n"
        "    pid=$!\n"
        "    for i in $(seq 600); do ls \"$W.box\"/*/cut 2>/dev/null && break; "
        "sleep 0.05; done > \"$W-$sig.cut\"\n"
        "    if [ $whom = self ]; then kill -$sig $pid; else kill -$sig $(pgrep -P $pid); fi\n"
        "    wait $pid\n"
        "    ls \"$W.box\"/*/cut > \"$W-$sig.left\" 2>/dev/null\n"
        "done\n"
        "healthy\n"
        "\"$TOOL\" --dir \"$W.box\" down\n"
        "ip -o link show > \"$W.links\"\n",
        w, testlib_sandbox_tool(), getenv("INFRAPROBE"), getenv("INFRAPROBE_PLUGIN_PATH"), signals,
        parts, setvars);
    ck_assert_int_eq(
        testlib_sh("%s bash '%s'", getuid() == 0 ? "unshare -n" : "unshare -rn", script), 0);
}

/* The drill's exit status was `code`; nothing left: the namespace that ran the sandbox has
 * only lo, no member runs, no directory. */
static void assert_after(const char *name, int code)
{
    char box[600];

    ck_assert_msg(testlib_sh("grep -qx %d '%s/%s.code'", code, workdir, name) == 0,
                  "infraprobe --drill did not exit %d", code);
    ck_assert_msg(testlib_sh("grep -qv ': lo:' '%s/%s.links'", workdir, name) != 0,
                  "links left: see %s/%s.links", workdir, name);
    ck_assert_msg(testlib_sh("for p in $(cat '%s/%s.pids'); do grep -qs '^State:[^Z]*$' "
                             "/proc/$p/status && exit 1; done; exit 0",
                             workdir, name) == 0,
                  "a member still runs");
    snprintf(box, sizeof(box), "%s/%s.box", workdir, name);
    ck_assert_msg(access(box, F_OK) != 0, "%s is left", box);
}

/* The drill of NAME, sent SIG while a member was cut (see run_in_namespace()), ended saying
 * `why`, and the core healed the member (its restore guarantee): no member is left cut. */
static void assert_healed_after(const char *name, const char *sig, const char *why)
{
    char path[700];
    json_t *doc, *c;

    ck_assert_msg(testlib_sh("grep -q /cut '%s/%s-%s.cut'", workdir, name, sig) == 0,
                  "%s: the drill cut no member before the signal", sig);
    ck_assert_msg(testlib_sh("[ -s '%s/%s-%s.left' ]", workdir, name, sig) != 0,
                  "%s: a member is still cut: see %s/%s-%s.left", sig, workdir, name, sig);
    snprintf(path, sizeof(path), "%s-%s.json", name, sig);
    doc = load(path);
    assert_has(testlib_message(testlib_find_check(doc, "run", NULL)), why);
    c = testlib_find_check(doc, "restore", NULL);
    ck_assert_msg(strcmp(testlib_status(c), "ok") == 0, "%s: restore: %s: %s", sig,
                  testlib_status(c), testlib_message(c));
    assert_has(testlib_message(c), "heal ran");
    json_decref(doc);
}

/* A probe of `plugin` netpart with the sandbox as its fault actions, for WORK/NAME.conf. */
static void write_drill_conf(const char *name, const char *settings)
{
    const char *tool = testlib_sandbox_tool();
    char conf[600];

    snprintf(conf, sizeof(conf), "%s/%s.conf", workdir, name);
    testlib_write(conf,
                  "probes = ( { name = \"%s\"; plugin = \"netpart\"; timeout = 30.0;\n"
                  "  method = \"actions\"; checks = [\"baseline\", \"partition\"];\n"
                  "  %s\n"
                  "  failover = { partition = \"'%s' --dir '%s/%s.box' cut %%{member}\";\n"
                  "               heal = \"'%s' --dir '%s/%s.box' heal %%{member}\";\n"
                  "               timeout = 90.0; };\n"
                  "} );\n",
                  name, settings, tool, workdir, name, tool, workdir, name);
}

START_TEST(partition_drill_between_etcd_members)
{
    char after[600];
    json_t *doc, *doc2, *c[2];

    /* The members' addresses come from the sandbox, inside the namespace, as ${E1}..${E3}. */
    write_drill_conf("etcd", "targets = [\"etcd://${E1}\", \"etcd://${E2}\", \"etcd://${E3}\"];");
    snprintf(after, sizeof(after), "%s/etcd-after.conf", workdir);
    testlib_write(after,
                  "probes = ( { name = \"after\"; plugin = \"etcd\"; timeout = 10.0;\n"
                  "  endpoints = \"${ETCD_ADDR}\"; checks = [\"leader\", \"members\"];\n"
                  "  thresholds = { leader = { warn_ms = 10000.0; crit_ms = 20000.0; };\n"
                  "                 members = { warn_ms = 10000.0; crit_ms = 20000.0; }; };\n"
                  "} );\n");
    run_in_namespace("etcd", "etcd", "IFS=, read -r E1 E2 E3 <<<\"$ETCD_ADDR\"; export E1 E2 E3",
                     "INT:self KILL:child");

    doc = load("etcd.json");
    partition_checks(doc, c);
    assert_scenario(doc, c[0], "lost its leader");
    assert_scenario(doc, c[1], "the majority elected ");
    ck_assert_msg(strcmp(testlib_target(c[0]), testlib_target(c[1])) != 0,
                  "the same member was cut twice: %s", testlib_target(c[0]));
    /* Healthy after (the signalled drills too): one leader that every member follows, every
     * member started. */
    doc2 = load("etcd-after.json");
    assert_ok(doc2, "leader");
    assert_ok(doc2, "members");
    assert_healed_after("etcd", "INT", "interrupted by SIGINT");
    assert_healed_after("etcd", "KILL", "plugin netpart crashed (SIGKILL)");
    assert_after("etcd", 0);
    json_decref(doc);
    json_decref(doc2);
}
END_TEST

/* The Redis master cut from its replica and the Sentinels: Sentinel elects the replica; the
 * writes the old master acknowledged without a replica are reported at risk (a warning, and
 * the drill's exit 1); after the heal the old master is a replica of the new one. */
START_TEST(partition_drill_of_the_redis_master)
{
    char after[600];
    json_t *doc, *doc2, *c;
    const char *m;

    write_drill_conf("redis",
                     "targets = [\"redis://${REDIS_ADDR}\", \"redis://${REPLICA}\"];\n"
                     "  sentinels = \"${REDIS_SENTINELS}\"; master_name = \"infraprobe\";");
    snprintf(after, sizeof(after), "%s/redis-after.conf", workdir);
    testlib_write(after,
                  "probes = ( { name = \"after\"; plugin = \"redis\"; timeout = 10.0;\n"
                  "  sentinels = \"${REDIS_SENTINELS}\"; master_name = \"infraprobe\";\n"
                  "  replicas = 1; checks = [\"connect\", \"replication\"];\n"
                  "  thresholds = { connect = { warn_ms = 10000.0; crit_ms = 20000.0; }; };\n"
                  "} );\n");
    run_in_namespace("redis", "redis",
                     "export REPLICA=$(awk '$1 == \"redis-replica\" { print $2 }' "
                     "\"$INFRAPROBE_SANDBOX/members\")",
                     "INT:self");

    doc = load("redis.json");
    c = testlib_find_check(doc, "partition", NULL);
    m = testlib_message(c);
    ck_assert_msg(strcmp(testlib_status(c), "warning") == 0, "partition: %s: %s", testlib_status(c),
                  m);
    assert_has(m, "without a replica (WAIT 1 failed) were at risk");
    assert_has(m, "Sentinel named ");
    assert_has(m, "the cut master still acknowledged a write after that");
    assert_has(m, "healed, it is a replica of ");
    ck_assert_msg(testlib_metric(doc, "infraprobe_netpart_drill_at_risk_operations", "target",
                                 testlib_target(c)) >= 1,
                  "no write at risk: %s", m);
    ck_assert_msg(testlib_metric(doc, "infraprobe_netpart_drill_lost_operations", "target",
                                 testlib_target(c)) == 0,
                  "acknowledged writes lost: %s", m);
    ck_assert(testlib_metric(doc, "infraprobe_netpart_drill_detect_seconds", "target",
                             testlib_target(c)) > 0);
    doc2 = load("redis-after.json");
    assert_ok(doc2, "replication");
    assert_healed_after("redis", "INT", "interrupted by SIGINT");
    assert_after("redis", 1);
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

/* infraprobe -t refuses a netpart probe with `settings` (exit 3), naming the file and `words`. */
static void assert_refused(const char *settings, const char *words)
{
    char conf[600], *out = NULL, *err = NULL;
    int code;

    snprintf(conf, sizeof(conf), "%s/bad.conf", workdir);
    testlib_write(conf,
                  "probes = ( { name = \"np\"; plugin = \"netpart\"; method = \"actions\";\n"
                  "  targets = [\"redis://127.0.0.1:1\"]; %s\n"
                  "  failover = { partition = \"true\"; heal = \"true\"; }; } );\n",
                  settings);
    code = testlib_run(conf, "-t", &out, &err);
    ck_assert_msg(code == 3, "exit %d: %s", code, err);
    assert_has(err, "bad.conf:");
    assert_has(err, words);
    free(out);
    free(err);
}

/* The Redis drill's settings are checked by -t, with the file and line. */
START_TEST(drill_settings_are_checked)
{
    assert_refused("sentinels = [\"127.0.0.1:2\"];", "master_name: is required with sentinels");
    assert_refused("master_name = \"m\";", "master_name: needs sentinels");
    assert_refused("sentinels = [\"nowhere\"]; master_name = \"m\";",
                   "\"nowhere\": expected host:port");
}
END_TEST

int main(void)
{
    TCase *tc = tcase_create("netpart_drill");
    int failed;

    workdir = testlib_init("netpart_drill", 1);
    if (!workdir)
        return EXIT_FAILURE;
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, drill_settings_are_checked);
    tcase_add_test(tc, netns_mode_refuses_the_host_namespace);
    tcase_add_test(tc, partition_drill_between_etcd_members);
    tcase_add_test(tc, partition_drill_of_the_redis_master);
    failed = testlib_run_tcases(CK_NORMAL, tc, NULL);
    if (testlib_cleanup() != 0)
        failed++;
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
