/*
 * The netpart plugin against a real Toxiproxy server and the sandbox's real Redis, MariaDB,
 * etcd and Kafka (netpart_kafka_test), and with nftables in a network namespace of the test's own,
 * through the infraprobe program: blackhole, reject, latency and half-open partitions detected,
 * classified and recovered from, the other targets unaffected; the run ending when every target is
 * blackholed; the partition / heal fault actions; nothing left (no proxy of ours, no nft table,
 * nothing cut) after a run, after a run interrupted or whose probe's process was killed, or from
 * an earlier run; and no fd, thread or socket that a daemon's probe process keeps from run to run.
 */
#include "config.h"

#include <check.h>
#include <ctype.h>
#include <jansson.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"

static const char *workdir;
static char *slurp(const char *path);
static struct testlib_sandbox sb;
static char toxiproxy[64], redis[64], mysql[64], etcd[64], kafka[64];

/* Run one netpart probe with `settings` (--once, or `args`), its JSON report. */
static json_t *run_probe(const char *settings, const char *args, int *code)
{
    char conf[600];

    snprintf(conf, sizeof(conf), "%s/netpart.conf", workdir);
    testlib_write(conf,
                  "probes = ( { name = \"np\"; plugin = \"netpart\"; timeout = 60.0;\n"
                  "  api = \"%s\"; mysql_user = \"im\"; mysql_password = \"im_pass\";\n"
                  "  %s } );\n",
                  toxiproxy, settings);
    return testlib_run_json(conf, args ? args : "--once --format json", code, NULL, NULL);
}

/* Does Toxiproxy hold any proxy of ours? */
static int proxies_left(void)
{
    return testlib_sh("curl -sf --noproxy '*' http://%s/proxies | grep -q infraprobe-netpart",
                      toxiproxy) == 0;
}

static void assert_check(json_t *doc, const char *name, const char *target, const char *status,
                         const char *words)
{
    json_t *c = testlib_find_check(doc, name, target);

    ck_assert_msg(strcmp(testlib_status(c), status) == 0, "%s %s: %s: %s (expected %s)", name,
                  target, testlib_status(c), testlib_message(c), status);
    if (words)
        ck_assert_msg(strstr(testlib_message(c), words), "%s %s: \"%s\" lacks \"%s\"", name, target,
                      testlib_message(c), words);
}

/* The partition of `spec` in `mode` was detected in time, classified as `class` and recovered
 * from after the heal. The cases give a blackhole 3 s, so that the 10 % the plugin allows past
 * it (0.3 s) covers a loaded machine's scheduling, which a 1 s timeout's 0.1 s did not. */
static void assert_partition(json_t *doc, const char *spec, const char *mode, const char *class)
{
    char x[200];

    snprintf(x, sizeof(x), "%s [%s]", spec, mode);
    assert_check(doc, "detect", x, "ok", "within the timeout");
    assert_check(doc, "error", x, "ok", class);
    assert_check(doc, "recover", x, "ok", "after the heal");
}

/* The index of the one fault named `name` in the timeline tl, or fail. */
static size_t episode_start(json_t *tl, const char *name)
{
    size_t i, faults = 0, from = 0;
    json_t *e;

    json_array_foreach(tl, i, e)
    {
        const char *a = json_string_value(json_object_get(e, "action"));

        if (!strcmp(json_string_value(json_object_get(e, "event")), "fault") && a &&
            !strcmp(a, name) && faults++ == 0)
            from = i;
    }
    ck_assert_msg(faults == 1, "%zu faults \"%s\" in a timeline of %zu events", faults, name,
                  json_array_size(tl));
    return from;
}

/* One event of the episode `name` as a letter: o/O an operation failed/ok (a failure before the
 * heal, seen in `seq` so far, of the partition's `class`), else the event's initial (V for
 * recovered), the event naming the partition. */
static char episode_letter(json_t *e, const char *name, const char *class, const char *seq)
{
    const char *ev = json_string_value(json_object_get(e, "event")), *msg;
    int ok = json_is_true(json_object_get(e, "ok"));

    if (!strcmp(ev, "operation")) {
        msg = json_string_value(json_object_get(e, "error"));
        ck_assert_msg(ok || strchr(seq, 'R') || (msg && strstr(msg, class)),
                      "%s: operation failed with %s", name, msg);
        return ok ? 'O' : 'o';
    }
    msg = json_string_value(
        json_object_get(e, !strcmp(ev, "fault") || !strcmp(ev, "restore") ? "action" : "message"));
    ck_assert_msg(ok && msg && !strncmp(msg, name, strlen(name)), "%s: event %s \"%s\", ok %d",
                  name, ev, msg, ok);
    return !strcmp(ev, "recovered") ? 'V' : (char)toupper((unsigned char)ev[0]);
}

/* The partition of `spec` in `mode` in the run's timeline, once, as one episode: its fault,
 * failed operations ("ECLASS: ..."), the moment it was detected, its restore, then operations
 * until one works and the recovery; the fault, the restore and the moments name it. */
static void assert_episode(json_t *doc, const char *spec, const char *mode, const char *class)
{
    json_t *tl = json_object_get(testlib_probe0(doc), "timeline");
    char name[200], seq[512] = "";
    size_t n = 0;
    regex_t re;

    snprintf(name, sizeof(name), "%s %s", mode, spec);
    for (size_t i = episode_start(tl, name); i < json_array_size(tl) && n + 1 < sizeof(seq); i++) {
        seq[n] = episode_letter(json_array_get(tl, i), name, class, seq);
        seq[++n] = '\0';
        if (seq[n - 1] == 'V')
            break;
    }
    /* Fault, failed operations, Detected, Restore, failed ones, an Ok one, recoVered. */
    ck_assert_int_eq(regcomp(&re, "^Fo+DRo*OV$", REG_EXTENDED | REG_NOSUB), 0);
    ck_assert_msg(regexec(&re, seq, 0, NULL, 0) == 0, "%s: timeline episode %s", name, seq);
    regfree(&re);
}

START_TEST(toxiproxy_partitions_are_detected_classified_and_healed)
{
    char settings[600], r[100], m[100], deg[300];
    int code;
    json_t *doc;

    snprintf(settings, sizeof(settings),
             "op_timeout = 3.0; recover_timeout = 10.0; modes = [\"blackhole\", \"reject\", "
             "\"halfopen\"]; targets = [\"redis://%s\", \"mysql://%s\"];",
             redis, mysql);
    doc = run_probe(settings, NULL, &code);
    snprintf(r, sizeof(r), "redis://%s", redis);
    snprintf(m, sizeof(m), "mysql://%s", mysql);
    assert_check(doc, "baseline", r, "ok", NULL);
    assert_check(doc, "baseline", m, "ok", NULL);
    assert_partition(doc, r, "blackhole", "ETIMEDOUT");
    assert_partition(doc, m, "blackhole", "ETIMEDOUT");
    assert_partition(doc, r, "reject", "ECONNRESET");
    assert_partition(doc, m, "reject", "ECONNRESET");
    assert_partition(doc, r, "halfopen", "ECONNRESET");
    snprintf(deg, sizeof(deg), "%s [blackhole of %s]", m, r);
    assert_check(doc, "degradation", deg, "ok", "unaffected");
    assert_episode(doc, r, "blackhole", "ETIMEDOUT");
    assert_episode(doc, m, "blackhole", "ETIMEDOUT");
    assert_episode(doc, r, "reject", "ECONNRESET");
    assert_episode(doc, m, "reject", "ECONNRESET");
    assert_episode(doc, r, "halfopen", "ECONNRESET");
    ck_assert(testlib_metric(doc, "infraprobe_netpart_detect_seconds", "mode", "blackhole") > 0);
    ck_assert(testlib_metric(doc, "infraprobe_netpart_recover_seconds", "mode", "reject") >= 0);
    ck_assert_msg(code == 0, "exit %d", code);
    ck_assert_msg(!proxies_left(), "a proxy of ours is left in toxiproxy");
    json_decref(doc);
}
END_TEST

/* A target through its own plugin's client, partitioned by Toxiproxy: baseline ok, a
 * blackhole detected by timeout, a reject by a reset, both healed. */
static void assert_target_partitioned(const char *kind, const char *addr, double recover)
{
    char settings[400], t[100];
    json_t *doc;
    int code;

    snprintf(t, sizeof(t), "%s://%s", kind, addr);
    snprintf(settings, sizeof(settings),
             "op_timeout = 3.0; recover_timeout = %.1f; targets = [\"%s\"];", recover, t);
    doc = run_probe(settings, NULL, &code);
    assert_check(doc, "baseline", t, "ok", NULL);
    assert_partition(doc, t, "blackhole", "ETIMEDOUT");
    assert_partition(doc, t, "reject", "ECONNRESET");
    ck_assert_msg(code == 0, "exit %d", code);
    json_decref(doc);
}

/* An etcd member's status request through the etcd plugin's own client. */
START_TEST(etcd_target)
{
    assert_target_partitioned("etcd", etcd, 10.0);
}
END_TEST

/* A Kafka broker's metadata request through the kafka plugin's own client (librdkafka). */
START_TEST(kafka_target)
{
    assert_target_partitioned("kafka", kafka, 20.0);
}
END_TEST

/* A TLS failure is named as one: MariaDB's client asked to verify the server's identity. */
START_TEST(tls_failure_is_classified)
{
    char settings[400], m[100];
    json_t *doc;
    int code;

    snprintf(settings, sizeof(settings),
             "mysql_ssl_mode = \"verify_identity\"; targets = [\"mysql://%s\"];", mysql);
    doc = run_probe(settings, NULL, &code);
    snprintf(m, sizeof(m), "mysql://%s", mysql);
    assert_check(doc, "baseline", m, "critical", "ETLS");
    ck_assert_int_eq(code, 2);
    json_decref(doc);
}
END_TEST

/* A name that does not resolve is named as a DNS failure. In a network and mount namespace of
 * the test's own, whose resolv.conf names 127.0.0.1 where no server listens, so that no query
 * leaves the host. */
START_TEST(dns_failure_is_classified)
{
    char conf[600], rc[600], out[600];
    json_t *doc;

    snprintf(conf, sizeof(conf), "%s/dns.conf", workdir);
    snprintf(rc, sizeof(rc), "%s/resolv.conf", workdir);
    snprintf(out, sizeof(out), "%s/dns.json", workdir);
    testlib_write(rc, "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n");
    testlib_write(conf,
                  "probes = ( { name = \"np\"; plugin = \"netpart\"; timeout = 10.0;\n"
                  "  method = \"actions\"; failover = { partition = \"true\"; heal = \"true\"; };\n"
                  "  targets = [\"redis://nosuch.invalid:6379\"]; } );\n");
    ck_assert_int_eq(
        testlib_sh("%s sh -c \"ip link set lo up && mount --bind '%s' /etc/resolv.conf && "
                   "'%s' --plugin-dir '%s' --once --format json -c '%s' > '%s'\"",
                   getuid() == 0 ? "unshare -nm" : "unshare -rnm", rc, getenv("INFRAPROBE"),
                   getenv("INFRAPROBE_PLUGIN_PATH"), conf, out),
        2);
    doc = testlib_load_json(out);
    assert_check(doc, "baseline", "redis://nosuch.invalid:6379", "critical", "ERESOLVE");
    json_decref(doc);
}
END_TEST

/* --drill on a probe of partitions between this host and a target, with no partition / heal
 * actions for a drill between members: the drill is skipped, saying why, not failed. */
START_TEST(drill_without_actions_is_skipped)
{
    char settings[300], r[100];
    json_t *doc;
    int code;

    snprintf(settings, sizeof(settings),
             "checks = [\"baseline\", \"partition\"]; targets = [\"redis://%s\"];", redis);
    doc = run_probe(settings, "--drill --format json", &code);
    snprintf(r, sizeof(r), "redis://%s", redis);
    assert_check(doc, "baseline", r, "ok", NULL);
    assert_check(doc, "partition", NULL, "skipped", "no failover = { partition");
    ck_assert_int_eq(code, 0);
    json_decref(doc);
}
END_TEST

/* A TCP connect ends at Toxiproxy's own listener: said, not passed off as a detection. */
START_TEST(tcp_target_serves_as_a_control)
{
    char settings[400], t[100], tb[140], deg[300];
    json_t *doc;
    int code;

    snprintf(settings, sizeof(settings),
             "op_timeout = 1.0; modes = [\"blackhole\"]; targets = [\"redis://%s\", \"tcp://%s\"];",
             redis, redis);
    doc = run_probe(settings, NULL, &code);
    snprintf(t, sizeof(t), "tcp://%s", redis);
    snprintf(tb, sizeof(tb), "%s [blackhole]", t);
    assert_check(doc, "baseline", t, "ok", NULL);
    assert_check(doc, "detect", tb, "skipped", "Toxiproxy's listener");
    snprintf(deg, sizeof(deg), "%s [blackhole of redis://%s]", t, redis);
    assert_check(doc, "degradation", deg, "ok", "unaffected");
    json_decref(doc);
}
END_TEST

/* Every target blackholed in a run too short for all of them: the run ends, says so, and
 * leaves no proxy behind (the next run would remove it, but this one already did). */
START_TEST(run_ends_when_every_target_is_blackholed)
{
    char settings[500], conf[600], *out = NULL;
    json_t *doc, *c;
    size_t k;
    int code, detected = 0;

    snprintf(settings, sizeof(settings),
             "op_timeout = 2.0; modes = [\"blackhole\"]; targets = [\"redis://%s\", "
             "\"mysql://%s\", \"redis://%s\"];",
             redis, mysql, redis);
    snprintf(conf, sizeof(conf), "%s/short.conf", workdir);
    testlib_write(conf,
                  "probes = ( { name = \"np\"; plugin = \"netpart\"; timeout = 3.0;\n"
                  "  api = \"%s\"; mysql_user = \"im\"; mysql_password = \"im_pass\";\n"
                  "  %s } );\n",
                  toxiproxy, settings);
    doc = testlib_run_json(conf, "--once --format json", &code, &out, NULL);
    /* Three blackholes of 2 s each cannot fit in 3 s, however fast the machine: the run ends
     * by itself all the same, not healthy, and what it could not measure it says it could not. */
    ck_assert_msg(code == 2 || code == 3, "exit %d: %s", code, out);
    ck_assert_msg(!strcmp(testlib_status(testlib_probe0(doc)), "critical") ||
                      !strcmp(testlib_status(testlib_probe0(doc)), "unknown"),
                  "%s", out);
    json_array_foreach(json_object_get(testlib_probe0(doc), "checks"), k, c)
    {
        const char *name = json_string_value(json_object_get(c, "name"));
        const char *hint = json_string_value(json_object_get(c, "hint"));
        const char *status = testlib_status(c);

        detected += !strcmp(name, "detect") && !strcmp(status, "ok");
        if (!strcmp(name, "detect") && !strcmp(status, "unknown"))
            ck_assert_msg(strstr(testlib_message(c), "not measured") ||
                              strstr(testlib_message(c), "could not partition"),
                          "detect %s: %s", testlib_target(c), testlib_message(c));
        if (!strcmp(name, "recover") && !strcmp(status, "critical"))
            ck_assert_msg(hint && strstr(hint, "deadline came first"), "recover %s: hint %s",
                          testlib_target(c), hint ? hint : "(none)");
    }
    ck_assert_msg(detected <= 1, "%d blackholes of 2 s detected in a 3 s run: %s", detected, out);
    json_decref(doc);
    free(out);
    /* A run cut short by its deadline removed its proxies itself (a failure leaves nothing). */
    ck_assert_msg(!proxies_left(), "a proxy of ours is left in toxiproxy after a cut-short run");
    /* Whatever a cut-short run left, the next run of the probe removes. */
    snprintf(settings, sizeof(settings), "modes = [\"latency\"]; targets = [\"redis://%s\"];",
             redis);
    json_decref(run_probe(settings, NULL, &code));
    ck_assert_msg(!proxies_left(), "a proxy of ours is left in toxiproxy");
}
END_TEST

START_TEST(stale_proxies_of_ours_are_removed)
{
    char settings[300];
    json_t *doc;
    int code;

    ck_assert_int_eq(testlib_sh("curl -sf --noproxy '*' -X POST -d "
                                "'{\"name\":\"infraprobe-netpart-np-stale-0\",\"listen\":"
                                "\"127.0.0.1:0\",\"upstream\":\"%s\"}' http://%s/proxies "
                                ">/dev/null",
                                redis, toxiproxy),
                     0);
    ck_assert(proxies_left());
    snprintf(settings, sizeof(settings), "modes = [\"latency\"]; targets = [\"redis://%s\"];",
             redis);
    doc = run_probe(settings, NULL, &code);
    ck_assert_msg(!proxies_left(), "the stale proxy is still there");
    json_decref(doc);
}
END_TEST

/* Settings of method actions on the Redis master: the sandbox pauses it (its kernel still accepts
 * connections that nobody answers) and resumes it, then runs `after_heal` ("": nothing). */
static void pause_actions(char *settings, size_t len, double op_timeout, const char *after_heal)
{
    snprintf(settings, len,
             "method = \"actions\"; op_timeout = %.1f; modes = [\"blackhole\"];"
             " targets = [\"redis://%s\"];"
             " failover = { partition = \"'%s' --dir '%s' pause %%{target}\";"
             " heal = \"'%s' --dir '%s' resume %%{target}%s\"; };",
             op_timeout, redis, testlib_sandbox_tool(), sb.dir, testlib_sandbox_tool(), sb.dir,
             after_heal);
}

/* The partition / heal fault actions (method actions). */
START_TEST(fault_actions_partition_and_heal)
{
    char settings[2400], r[100], words[400];
    json_t *doc;
    int code;

    pause_actions(settings, sizeof(settings), 3.0, "");
    doc = run_probe(settings, NULL, &code);
    snprintf(r, sizeof(r), "redis://%s", redis);
    assert_partition(doc, r, "blackhole", "ETIMEDOUT");
    /* The actions are the fault and the restore; the plugin's moments name the partition. */
    testlib_timeline(doc, 1, words, sizeof(words));
    ck_assert_msg(!strcmp(words, "fault/partition operation/ETIMEDOUT detected/blackhole "
                                 "restore/heal operation/ recovered/blackhole"),
                  "timeline: %s", words);
    ck_assert_msg(code == 0, "exit %d", code);
    json_decref(doc);
}
END_TEST

/* The probe's process killed by its heal action, once Redis is resumed: the parent's report
 * still has the timeline the child had recorded (the action's fault, the plugin's own failed
 * operation and detection), and nothing after it. */
START_TEST(a_killed_child_leaves_its_timeline)
{
    char settings[2400], words[400];
    json_t *doc;
    int code;

    pause_actions(settings, sizeof(settings), 2.0, "; kill -KILL $PPID");
    doc = run_probe(settings, NULL, &code);
    testlib_timeline(doc, 1, words, sizeof(words));
    ck_assert_msg(strstr(testlib_message(testlib_find_check(doc, "run", NULL)), "SIGKILL"),
                  "run: %s", testlib_message(testlib_find_check(doc, "run", NULL)));
    ck_assert_msg(!strcmp(words, "fault/partition operation/ETIMEDOUT detected/blackhole"),
                  "timeline: %s", words);
    ck_assert_msg(code == 3, "exit %d", code);
    json_decref(doc);
}
END_TEST

START_TEST(unreachable_api_is_named)
{
    char settings[300], api[64], r[100];
    json_t *doc;
    int code;

    snprintf(api, sizeof(api), "127.0.0.1:%d", testlib_closed_port());
    snprintf(settings, sizeof(settings), "api = \"%s\"; targets = [\"redis://%s\"];", api, redis);
    /* `api` set twice is a config error: use a probe of its own. */
    {
        char conf[600];

        snprintf(conf, sizeof(conf), "%s/noapi.conf", workdir);
        testlib_write(conf,
                      "probes = ( { name = \"np\"; plugin = \"netpart\"; timeout = 10.0; %s } );\n",
                      settings);
        doc = testlib_run_json(conf, "--once --format json", &code, NULL, NULL);
    }
    snprintf(r, sizeof(r), "redis://%s", redis);
    assert_check(doc, "baseline", r, "critical", api);
    ck_assert_int_eq(code, 2);
    json_decref(doc);
}
END_TEST

START_TEST(bad_settings)
{
    char conf[600], *out = NULL, *err = NULL;
    int code;

    snprintf(conf, sizeof(conf), "%s/bad.conf", workdir);
    testlib_write(conf, "probes = ( { name = \"np\"; plugin = \"netpart\";\n"
                        "  targets = [\"nosuch://127.0.0.1:1\", \"redis:127.0.0.1:1\"];\n"
                        "  modes = [\"sideways\"]; method = \"carrier-pigeon\"; },\n"
                        "  { name = \"np2\"; plugin = \"netpart\";\n"
                        "  method = \"actions\"; targets = [\"tcp://127.0.0.1:1\"]; } );\n");
    code = testlib_run(conf, "-t", &out, &err);
    ck_assert_int_eq(code, 3);
    ck_assert_msg(strstr(err, "bad.conf:2") && strstr(err, "nosuch"), "%s", err);
    ck_assert_msg(strstr(err, "expected KIND://HOST:PORT"), "%s", err);
    ck_assert_msg(strstr(err, "sideways"), "%s", err);
    ck_assert_msg(strstr(err, "carrier-pigeon"), "%s", err);
    ck_assert_msg(strstr(err, "bad.conf:5") && strstr(err, "needs failover = { partition"), "%s",
                  err);
    free(out);
    free(err);
}
END_TEST

/* Start a long blackhole run in the background, and once its proxies exist send `sig` to
 * infraprobe (`whom` "self") or to its probe's child ("child"); the JSON it wrote then. */
static json_t *run_and_signal(const char *sig, const char *whom, char *out, size_t outlen)
{
    char conf[600], outf[600], script[600];

    snprintf(conf, sizeof(conf), "%s/sig.conf", workdir);
    snprintf(outf, sizeof(outf), "%s/sig-%s-%s.json", workdir, sig, whom);
    snprintf(script, sizeof(script), "%s/sig.sh", workdir);
    testlib_write(conf,
                  "probes = ( { name = \"np\"; plugin = \"netpart\"; timeout = 60.0;\n"
                  "  api = \"%s\"; op_timeout = 20.0; modes = [\"blackhole\"];\n"
                  "  targets = [\"redis://%s\"]; } );\n",
                  toxiproxy, redis);
    testlib_write(
        script,
        "'%s' --plugin-dir '%s' --once --format json -c '%s' > '%s' 2>/dev/null &\n"
        "pid=$!\n"
        "for i in $(seq 400); do\n"
        "  curl -sf --noproxy '*' http://%s/proxies | grep -q infraprobe-netpart && break\n"
        "  sleep 0.05\n"
        "done\n"
        "if [ %s = self ]; then kill -%s $pid; else kill -%s $(pgrep -P $pid); fi\n"
        "wait $pid\n",
        getenv("INFRAPROBE"), getenv("INFRAPROBE_PLUGIN_PATH"), conf, outf, toxiproxy, whom, sig,
        sig);
    testlib_sh("bash '%s'", script);
    snprintf(out, outlen, "%s", outf);
    return json_load_file(outf, 0, NULL);
}

/* Interrupted, or its probe's process crashed, mid-partition: no proxy of ours is left. */
START_TEST(nothing_left_after_sigint_or_a_crash)
{
    static const char *const cases[][3] = {
        {"INT", "self", "interrupted"},
        /* SIGKILL: a SIGSEGV would be caught by ASan in a sanitizers build, which exits. */
        {"KILL", "child", "crashed (SIGKILL)"},
    };

    for (size_t i = 0; i < 2; i++) {
        char outf[600];
        json_t *doc = run_and_signal(cases[i][0], cases[i][1], outf, sizeof(outf));
        json_t *run;

        ck_assert_msg(doc != NULL, "%s: no JSON report", outf);
        run = testlib_find_check(doc, "run", NULL);
        ck_assert_msg(strstr(testlib_message(run), cases[i][2]), "%s: run: %s", cases[i][0],
                      testlib_message(run));
        ck_assert_msg(!proxies_left(), "%s: a proxy of ours is left in toxiproxy", cases[i][0]);
        json_decref(doc);
    }
}
END_TEST

/*
 * method actions, interrupted (SIGINT), its probe's process killed (SIGKILL), or its deadline
 * come (a failure) while the partition action holds (the sandbox's Redis paused): the heal
 * runs all the same (the core's, said so after a signal), and Redis runs again. The actions
 * mark the partition in W.cut for the script.
 */
START_TEST(actions_healed_after_a_failure_sigint_or_a_crash)
{
    /* The signal, whom it is sent to, what the run check says; the last case sends none: the
     * run's deadline (2 s) comes while the partition holds (a failure). */
    static const char *const cases[][3] = {
        {"INT", "self", "interrupted"},
        {"KILL", "child", "crashed (SIGKILL)"},
        {"none", "deadline", NULL},
    };
    const char *tool = testlib_sandbox_tool();
    char conf[600], script[600], w[500], out[700];
    json_t *doc, *c;
    int rc;

    snprintf(w, sizeof(w), "%s/actsig", workdir);
    snprintf(conf, sizeof(conf), "%s.conf", w);
    snprintf(script, sizeof(script), "%s.sh", w);
    for (size_t i = 0; i < 3; i++) {
        int deadline = !strcmp(cases[i][1], "deadline");

        testlib_write(
            conf,
            "probes = ( { name = \"np\"; plugin = \"netpart\"; timeout = %s;\n"
            "  method = \"actions\"; op_timeout = 20.0; modes = [\"blackhole\"];\n"
            "  targets = [\"redis://%s\"];\n"
            "  failover = { partition = \"'%s' --dir '%s' pause %%{target} && touch '%s.cut'\";\n"
            "               heal = \"'%s' --dir '%s' resume %%{target} && rm '%s.cut'\"; };\n"
            "} );\n",
            deadline ? "2.0" : "60.0", redis, tool, sb.dir, w, tool, sb.dir, w);
        /* The run in the background; once the partition holds, the signal; then whether it
         * is still marked, and the sandbox's view of Redis. */
        testlib_write(script,
                      "'%s' --plugin-dir '%s' --once --format json -c '%s' > '%s-%s.json' &\n"
                      "pid=$!\n"
                      "for i in $(seq 400); do [ -e '%s.cut' ] && break; sleep 0.05; done\n"
                      "[ -e '%s.cut' ] || exit 1\n"
                      "case %s in self) kill -%s $pid ;; child) kill -%s $(pgrep -P $pid) ;; esac\n"
                      "wait $pid\n"
                      "[ ! -e '%s.cut' ] || exit 2\n"
                      "'%s' --dir '%s' status | grep -F '%s' | grep -qw running || exit 3\n",
                      getenv("INFRAPROBE"), getenv("INFRAPROBE_PLUGIN_PATH"), conf, w, cases[i][0],
                      w, w, cases[i][1], cases[i][0], cases[i][0], w, tool, sb.dir, redis);
        rc = testlib_sh("bash '%s'", script);
        if (rc != 0)
            testlib_sandbox(&sb, "resume %s", redis); /* for the cases after this one */
        ck_assert_msg(rc == 0,
                      "%s: the partition was not made (1), is still marked (2), or Redis is not "
                      "running (3): exit %d",
                      cases[i][0], rc);
        snprintf(out, sizeof(out), "%s-%s.json", w, cases[i][0]);
        doc = testlib_load_json(out);
        if (deadline) {
            c = testlib_find_check(doc, "detect", NULL);
            ck_assert_msg(c && strcmp(testlib_status(c), "ok") != 0,
                          "deadline: detect of a 20 s blackhole in a 2 s run: %s",
                          c ? testlib_status(c) : "(none)");
            json_decref(doc);
            continue;
        }
        c = testlib_find_check(doc, "run", NULL);
        ck_assert_msg(strstr(testlib_message(c), cases[i][2]), "%s: run: %s", cases[i][0],
                      testlib_message(c));
        c = testlib_find_check(doc, "restore", NULL);
        ck_assert_msg(!strcmp(testlib_status(c), "ok") && strstr(testlib_message(c), "heal ran") &&
                          strstr(testlib_message(c), "infraprobe: "),
                      "%s: restore: %s: %s", cases[i][0], testlib_status(c), testlib_message(c));
        json_decref(doc);
    }
}
END_TEST

/* Shell text that begins a script run in a network namespace of the test's own: lo up, and a
 * TCP listener on 127.0.0.1:7779 (job %1) that accepts and closes. */
#define NS_LISTENER                                                                                \
    "set -e\n"                                                                                     \
    "ip link set lo up\n"                                                                          \
    "/usr/bin/python3 -c '\n"                                                                      \
    "import socket\n"                                                                              \
    "s = socket.socket()\n"                                                                        \
    "s.bind((\"127.0.0.1\", 7779))\n"                                                              \
    "s.listen(64)\n"                                                                               \
    "while True:\n"                                                                                \
    "    s.accept()[0].close()' &\n"                                                               \
    "for i in $(seq 100); do ss -ltn | grep -q ':7779' && break; sleep 0.05; done\n"

/* Shell text: what process $c holds, "FDS THREADS SOCKETS". */
#define HOLDS                                                                                      \
    "echo $(ls /proc/$c/fd | wc -l) $(ls /proc/$c/task | wc -l) "                                  \
    "$(find /proc/$c/fd -lname 'socket:*' | wc -l)"

/* What the daemon's netpart process holds now: its fds, threads and sockets into v[0..3). */
static void child_holds(int daemon, long *v)
{
    char cmd[300];
    FILE *p;

    snprintf(cmd, sizeof(cmd), "c=$(pgrep -P %d); [ -n \"$c\" ] && " HOLDS, daemon);
    p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    ck_assert_msg(fscanf(p, "%ld %ld %ld", &v[0], &v[1], &v[2]) == 3,
                  "the daemon %d has no netpart process", daemon);
    pclose(p);
}

/* v[run - 1] is what the probe's process held after each of 5 runs, counted as soon as the
 * run's report was out: it holds no more after runs 4-5 than after runs 1-2. The least of two
 * runs' counts is compared, so that a count taken after the next run began (a loaded machine)
 * does not pass for a leak, while a leak of one per run still shows. */
static void assert_holds_no_more(const char *method, long v[5][3])
{
    static const char *const what[] = {"fds", "threads", "sockets"};

    for (int k = 0; k < 3; k++) {
        long first = v[0][k] < v[1][k] ? v[0][k] : v[1][k];
        long last = v[3][k] < v[4][k] ? v[3][k] : v[4][k];

        fprintf(stderr, "netpart_test: %s: %s after each run: %ld %ld %ld %ld %ld\n", method,
                what[k], v[0][k], v[1][k], v[2][k], v[3][k], v[4][k]);
        ck_assert_msg(last <= first, "%s: %s: %ld after runs 1-2, %ld after runs 4-5", method,
                      what[k], first, last);
    }
}

/* Whether the probe report `doc` (a daemon's line) holds an ok detect check. */
static int detected(json_t *doc)
{
    json_t *c;
    size_t i;

    json_array_foreach(json_object_get(doc, "checks"), i, c)
    {
        if (!strcmp(testlib_status(c), "ok") &&
            !strcmp(json_string_value(json_object_get(c, "name")), "detect"))
            return 1;
    }
    return 0;
}

/*
 * The daemon, between runs: its probe's process (which stays up from run to run) holds no more
 * fds, threads or sockets after the fifth run than after the first (no connection to Toxiproxy
 * or to a target is kept, no thread outlives its round).
 */
START_TEST(daemon_keeps_no_fd_or_thread_between_runs)
{
    struct testlib_daemon d;
    char conf[600];
    long v[5][3];

    snprintf(conf, sizeof(conf), "%s/daemon.conf", workdir);
    testlib_write(conf,
                  "infraprobe = { interval = 1.0; };\n"
                  "probes = ( { name = \"np\"; plugin = \"netpart\"; timeout = 0.9;\n"
                  "  api = \"%s\"; op_timeout = 0.5; recover_timeout = 0.5; modes = [\"reject\"];\n"
                  "  targets = [\"redis://%s\"]; } );\n",
                  toxiproxy, redis);
    testlib_daemon_start(&d, conf);
    for (int run = 0; run < 5; run++) {
        json_t *doc = testlib_daemon_next(&d, 10.0);

        ck_assert_msg(doc != NULL, "run %d: no report from the daemon", run + 1);
        child_holds(d.pid, v[run]);
        /* Each run made its partition and saw it. */
        ck_assert_msg(detected(doc), "run %d: no partition detected", run + 1);
        json_decref(doc);
    }
    testlib_daemon_stop(&d);
    assert_holds_no_more("toxiproxy", v);
    ck_assert_msg(!proxies_left(), "a proxy of ours is left in toxiproxy");
}
END_TEST

/*
 * The same with method nftables, in a network namespace of the test's own with a TCP listener
 * there: no netlink socket of libnftables is kept between runs.
 */
START_TEST(nftables_daemon_keeps_no_fd_or_thread_between_runs)
{
    char script[600], conf[600], w[500], path[600], line[65536];
    long v[5][3];
    FILE *f;
    int run = 0;

    snprintf(w, sizeof(w), "%s/nftdaemon", workdir);
    snprintf(script, sizeof(script), "%s.sh", w);
    snprintf(conf, sizeof(conf), "%s.conf", w);
    testlib_write(conf, "infraprobe = { interval = 1.0; };\n"
                        "probes = ( { name = \"nd\"; plugin = \"netpart\"; timeout = 0.9;\n"
                        "  method = \"nftables\"; op_timeout = 0.5; recover_timeout = 0.5;\n"
                        "  modes = [\"reject\"]; targets = [\"tcp://127.0.0.1:7779\"]; } );\n");
    /* After each report line: what the probe's process holds, a line of W.holds. */
    testlib_write(script,
                  "%s"
                  "set +e\n"
                  "'%s' --plugin-dir '%s' -f json -c '%s' > '%s.lines' &\n"
                  "d=$!\n"
                  "for run in 1 2 3 4 5; do\n"
                  "  for i in $(seq 500); do\n"
                  "    [ \"$(wc -l < '%s.lines')\" -ge $run ] && break; sleep 0.02\n"
                  "  done\n"
                  "  c=$(pgrep -P $d)\n"
                  "  " HOLDS " >> '%s.holds'\n"
                  "done\n"
                  "kill $d %%1\n"
                  "wait $d\n"
                  "exit 0\n",
                  NS_LISTENER, getenv("INFRAPROBE"), getenv("INFRAPROBE_PLUGIN_PATH"), conf, w, w,
                  w);
    ck_assert_int_eq(
        testlib_sh("%s bash '%s'", getuid() == 0 ? "unshare -n" : "unshare -rn", script), 0);
    snprintf(path, sizeof(path), "%s.lines", w);
    f = fopen(path, "r");
    ck_assert_msg(f != NULL, "%s: missing", path);
    for (; run < 5 && fgets(line, sizeof(line), f); run++) {
        json_t *doc = json_loads(line, 0, NULL);

        ck_assert_msg(doc && detected(doc), "run %d: no partition detected: %s", run + 1, line);
        json_decref(doc);
    }
    fclose(f);
    ck_assert_msg(run == 5, "%d reports of the daemon, expected 5", run);
    snprintf(path, sizeof(path), "%s.holds", w);
    f = fopen(path, "r");
    ck_assert_msg(f != NULL, "%s: missing", path);
    for (run = 0; run < 5; run++)
        ck_assert_msg(fscanf(f, "%ld %ld %ld", &v[run][0], &v[run][1], &v[run][2]) == 3,
                      "%s: line %d", path, run + 1);
    fclose(f);
    assert_holds_no_more("nftables", v);
}
END_TEST

/* Read a whole file (malloc'd) or fail. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf = calloc(1, 1 << 20);
    size_t n;

    ck_assert_msg(f != NULL, "%s: missing", path);
    ck_assert_ptr_nonnull(buf);
    n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/*
 * method nftables in a network namespace this test makes (so that no rule ever touches the
 * host's tables), with a sandbox of its own inside it: a stale table of ours that blackholes
 * Redis is removed at the start; blackhole and reject rules are detected (timeout, refused),
 * healed and recovered from; no table is left; and without CAP_NET_ADMIN the run says so at
 * its start.
 */
START_TEST(nftables_in_a_namespace)
{
    char script[600], conf[600], nocap[600], out[600], out2[600], tables[600], addrs[600];
    char sbdir[600], ra[64] = "", ma[64] = "", r[100], m[100], tc[100], y[300];
    const char *path = getenv("INFRAPROBE_PLUGIN_PATH"), *exe = getenv("INFRAPROBE");
    char *tabs, *as;
    json_t *doc, *doc2;

    snprintf(script, sizeof(script), "%s/nft.sh", workdir);
    snprintf(conf, sizeof(conf), "%s/nft.conf", workdir);
    snprintf(nocap, sizeof(nocap), "%s/nocap.conf", workdir);
    snprintf(out, sizeof(out), "%s/nft.json", workdir);
    snprintf(out2, sizeof(out2), "%s/nocap.json", workdir);
    snprintf(tables, sizeof(tables), "%s/nft.tables", workdir);
    snprintf(addrs, sizeof(addrs), "%s/nft.addrs", workdir);
    snprintf(sbdir, sizeof(sbdir), "%s/nsbox", workdir);
    testlib_write(conf, "probes = ( { name = \"np\"; plugin = \"netpart\"; timeout = 60.0;\n"
                        "  method = \"nftables\"; op_timeout = 3.0; recover_timeout = 10.0;\n"
                        "  mysql_user = \"im\"; mysql_password = \"im_pass\";\n"
                        "  targets = [\"redis://${REDIS_ADDR}\", \"mysql://${MYSQL_HP}\",\n"
                        "             \"tcp://${REDIS_ADDR}\"]; } );\n");
    testlib_write(nocap, "probes = ( { name = \"nocap\"; plugin = \"netpart\"; timeout = 10.0;\n"
                         "  method = \"nftables\"; targets = [\"redis://${REDIS_ADDR}\"]; } );\n");
    /* A stale table of ours blackholes Redis before the run: the run must remove it. */
    testlib_write(
        script,
        "set -e\n"
        "ip link set lo up\n"
        "eval \"$('%s' up --dir '%s' --owner $$ redis mysql)\"\n"
        "hp=${MYSQL_ADDR#*tcp(}; export MYSQL_HP=${hp%%)*}\n"
        "echo \"$REDIS_ADDR $MYSQL_HP\" > '%s'\n"
        "nft add table inet infraprobe_netpart_np\n"
        "nft add chain inet infraprobe_netpart_np out "
        "'{ type filter hook output priority 0; }'\n"
        "nft add rule inet infraprobe_netpart_np out tcp dport \"${REDIS_ADDR##*:}\" drop\n"
        "set +e\n"
        "'%s' --plugin-dir '%s' --once --format json -c '%s' > '%s'\n"
        "setpriv --bounding-set=-net_admin --inh-caps=-net_admin '%s' --plugin-dir '%s' "
        "--once --format json -c '%s' > '%s'\n"
        "nft list tables > '%s'\n"
        "'%s' --dir '%s' down\n",
        testlib_sandbox_tool(), sbdir, addrs, exe, path, conf, out, exe, path, nocap, out2, tables,
        testlib_sandbox_tool(), sbdir);
    ck_assert_int_eq(
        testlib_sh("%s bash '%s'", getuid() == 0 ? "unshare -n" : "unshare -rn", script), 0);
    as = slurp(addrs);
    ck_assert_int_eq(sscanf(as, "%63s %63s", ra, ma), 2);
    snprintf(r, sizeof(r), "redis://%s", ra);
    snprintf(m, sizeof(m), "mysql://%s", ma);
    snprintf(tc, sizeof(tc), "tcp://%s", ra);
    doc = testlib_load_json(out);
    assert_check(doc, "baseline", r, "ok", NULL);
    assert_check(doc, "baseline", m, "ok", NULL);
    assert_partition(doc, r, "blackhole", "ETIMEDOUT");
    assert_partition(doc, m, "reject", "ECONNREFUSED");
    assert_partition(doc, tc, "blackhole", "ETIMEDOUT");
    assert_partition(doc, tc, "reject", "ECONNREFUSED");
    snprintf(y, sizeof(y), "%s [blackhole of %s]", m, r);
    assert_check(doc, "degradation", y, "ok", "unaffected");
    tabs = slurp(tables);
    ck_assert_msg(!strstr(tabs, "infraprobe_netpart"), "left behind: %s", tabs);
    doc2 = testlib_load_json(out2);
    assert_check(doc2, "baseline", r, "critical", "CAP_NET_ADMIN");
    free(tabs);
    free(as);
    json_decref(doc);
    json_decref(doc2);
}
END_TEST

/*
 * method nftables over IPv6: in a network namespace of the test's own (its ports are free, as
 * nothing else listens there), one TCP listener on [::1] and one on 127.0.0.1; each is
 * blackholed and rejected in turn (ip6 and ip rules) while the other stays unaffected, and no
 * table is left.
 */
START_TEST(nftables_over_ipv6)
{
    char script[600], conf[600], out[600], tables[600], *tabs;
    json_t *doc;
    const char *v6 = "tcp://[::1]:7777", *v4 = "tcp://127.0.0.1:7778";

    snprintf(script, sizeof(script), "%s/v6.sh", workdir);
    snprintf(conf, sizeof(conf), "%s/v6.conf", workdir);
    snprintf(out, sizeof(out), "%s/v6.json", workdir);
    snprintf(tables, sizeof(tables), "%s/v6.tables", workdir);
    testlib_write(conf,
                  "probes = ( { name = \"v6\"; plugin = \"netpart\"; timeout = 30.0;\n"
                  "  method = \"nftables\"; op_timeout = 1.0; recover_timeout = 5.0;\n"
                  "  targets = [\"%s\", \"%s\"]; } );\n",
                  v6, v4);
    testlib_write(script,
                  "set -e\n"
                  "ip link set lo up\n"
                  "/usr/bin/python3 -c '\n"
                  "import socket, threading\n"
                  "def serve(family, addr):\n"
                  "    s = socket.socket(family)\n"
                  "    s.bind(addr)\n"
                  "    s.listen(64)\n"
                  "    while True:\n"
                  "        s.accept()[0].close()\n"
                  "threading.Thread(target=serve, args=(socket.AF_INET6, (\"::1\", 7777)), "
                  "daemon=True).start()\n"
                  "threading.Thread(target=serve, args=(socket.AF_INET, (\"127.0.0.1\", 7778)), "
                  "daemon=True).start()\n"
                  "threading.Event().wait()' &\n"
                  "for i in $(seq 100); do\n"
                  "  ss -ltn | grep -q ':7777' && ss -ltn | grep -q ':7778' && break; sleep 0.05\n"
                  "done\n"
                  "set +e\n"
                  "'%s' --plugin-dir '%s' --once --format json -c '%s' > '%s'\n"
                  "nft list tables > '%s'\n"
                  "kill %%1\n",
                  getenv("INFRAPROBE"), getenv("INFRAPROBE_PLUGIN_PATH"), conf, out, tables);
    ck_assert_int_eq(
        testlib_sh("%s bash '%s'", getuid() == 0 ? "unshare -n" : "unshare -rn", script), 0);
    doc = testlib_load_json(out);
    assert_check(doc, "baseline", v6, "ok", NULL);
    assert_check(doc, "baseline", v4, "ok", NULL);
    assert_partition(doc, v6, "blackhole", "ETIMEDOUT");
    assert_partition(doc, v6, "reject", "ECONNREFUSED");
    assert_partition(doc, v4, "blackhole", "ETIMEDOUT");
    {
        char y[200];

        snprintf(y, sizeof(y), "%s [blackhole of %s]", v4, v6);
        assert_check(doc, "degradation", y, "ok", "unaffected");
    }
    tabs = slurp(tables);
    ck_assert_msg(!strstr(tabs, "infraprobe_netpart"), "left behind: %s", tabs);
    json_decref(doc);
    free(tabs);
}
END_TEST

/*
 * method nftables, in a network namespace of the test's own with a TCP listener there: a run
 * whose deadline comes while a blackhole rule is in place (a failure), a run interrupted
 * (SIGINT to infraprobe), and one whose probe's process is killed (SIGKILL, as a crash) then:
 * each says so, and no table of ours is left in the kernel (the run's end removes it, or the
 * parent reclaims the one its dead child made).
 */
START_TEST(nftables_nothing_left_after_a_failure_sigint_or_a_crash)
{
    static const char *const cases[][2] = {{"INT", "interrupted"}, {"KILL", "crashed (SIGKILL)"}};
    char script[600], conf[600], shortconf[600], w[500], path[700], *text;
    json_t *doc;

    snprintf(w, sizeof(w), "%s/nftsig", workdir);
    snprintf(script, sizeof(script), "%s.sh", w);
    snprintf(conf, sizeof(conf), "%s.conf", w);
    snprintf(shortconf, sizeof(shortconf), "%s-short.conf", w);
    testlib_write(conf, "probes = ( { name = \"sig\"; plugin = \"netpart\"; timeout = 60.0;\n"
                        "  method = \"nftables\"; op_timeout = 20.0; modes = [\"blackhole\"];\n"
                        "  targets = [\"tcp://127.0.0.1:7779\"]; } );\n");
    testlib_write(shortconf,
                  "probes = ( { name = \"sig\"; plugin = \"netpart\"; timeout = 1.0;\n"
                  "  method = \"nftables\"; op_timeout = 20.0; modes = [\"blackhole\"];\n"
                  "  targets = [\"tcp://127.0.0.1:7779\"]; } );\n");
    /* For each case: the run in the background; once the chain holds our drop rule, the
     * signal; then what the kernel has left, into W-SIG.tables. */
    testlib_write(script,
                  "%s"
                  "set +e\n"
                  "'%s' --plugin-dir '%s' --once --format json -c '%s' > '%s-short.json'\n"
                  "nft list tables > '%s-short.tables'\n"
                  "for c in INT:self KILL:child; do\n"
                  "  sig=${c%%:*} whom=${c#*:}\n"
                  "  '%s' --plugin-dir '%s' --once --format json -c '%s' > \"%s-$sig.json\" &\n"
                  "  pid=$!\n"
                  "  for i in $(seq 400); do\n"
                  "    nft list chain inet infraprobe_netpart_sig out 2>/dev/null | grep -q drop "
                  "&& break\n"
                  "    sleep 0.05\n"
                  "  done\n"
                  "  nft list chain inet infraprobe_netpart_sig out > \"%s-$sig.cut\" 2>&1\n"
                  "  if [ $whom = self ]; then kill -$sig $pid; "
                  "else kill -$sig $(pgrep -P $pid); fi\n"
                  "  wait $pid\n"
                  "  nft list tables > \"%s-$sig.tables\"\n"
                  "done\n"
                  "kill %%1\n",
                  NS_LISTENER, getenv("INFRAPROBE"), getenv("INFRAPROBE_PLUGIN_PATH"), shortconf, w,
                  w, getenv("INFRAPROBE"), getenv("INFRAPROBE_PLUGIN_PATH"), conf, w, w, w);
    ck_assert_int_eq(
        testlib_sh("%s bash '%s'", getuid() == 0 ? "unshare -n" : "unshare -rn", script), 0);
    /* The short run: its deadline came during the blackhole, before op_timeout. */
    snprintf(path, sizeof(path), "%s-short.json", w);
    doc = testlib_load_json(path);
    assert_check(doc, "detect", "tcp://127.0.0.1:7779 [blackhole]", "unknown", "not measured");
    json_decref(doc);
    snprintf(path, sizeof(path), "%s-short.tables", w);
    text = slurp(path);
    ck_assert_msg(!strstr(text, "infraprobe_netpart"), "a failed run left: %s", text);
    free(text);
    for (size_t i = 0; i < 2; i++) {
        /* The signal came while our rule was in place. */
        ck_assert_msg(testlib_sh("grep -q 'tcp dport 7779.* drop' '%s-%s.cut'", w, cases[i][0]) ==
                          0,
                      "%s: no drop rule of ours when the signal came: see %s-%s.cut", cases[i][0],
                      w, cases[i][0]);
        snprintf(path, sizeof(path), "%s-%s.json", w, cases[i][0]);
        doc = testlib_load_json(path);
        ck_assert_msg(strstr(testlib_message(testlib_find_check(doc, "run", NULL)), cases[i][1]),
                      "%s: run: %s", cases[i][0],
                      testlib_message(testlib_find_check(doc, "run", NULL)));
        snprintf(path, sizeof(path), "%s-%s.tables", w, cases[i][0]);
        text = slurp(path);
        ck_assert_msg(!strstr(text, "infraprobe_netpart"), "%s: left behind: %s", cases[i][0],
                      text);
        free(text);
        json_decref(doc);
    }
}
END_TEST

/* netpart_kafka_test is this file built with NETPART_KAFKA_ONLY=1: the Kafka target alone,
 * in a program of its own, since three brokers are slow to start on a loaded machine and the
 * other cases need none (make check runs it after kafka_test, not beside it). */
#ifndef NETPART_KAFKA_ONLY
#define NETPART_KAFKA_ONLY 0
#endif
static const int kafka_only = NETPART_KAFKA_ONLY;

/* The sandbox's servers and their addresses. 0, or -1 after a message. */
static int sandbox_start(const char *dir)
{
    char dsn[200] = "", etcds[300] = "", brokers[300] = "", *p;

    if (testlib_sandbox_up(&sb, dir,
                           kafka_only ? "kafka toxiproxy" : "redis mysql etcd toxiproxy") ||
        testlib_sandbox_var(&sb, "TOXIPROXY_ADDR", toxiproxy, sizeof(toxiproxy)))
        return -1;
    if (kafka_only) {
        if (testlib_sandbox_var(&sb, "KAFKA_ADDR", brokers, sizeof(brokers)) != 0)
            return -1;
        snprintf(kafka, sizeof(kafka), "%.*s", (int)strcspn(brokers, ","), brokers);
        return 0;
    }
    if (testlib_sandbox_var(&sb, "ETCD_ADDR", etcds, sizeof(etcds)) != 0 ||
        testlib_sandbox_var(&sb, "REDIS_ADDR", redis, sizeof(redis)) != 0 ||
        testlib_sandbox_var(&sb, "MYSQL_ADDR", dsn, sizeof(dsn)) != 0 || !(p = strstr(dsn, "tcp(")))
        return -1;
    snprintf(mysql, sizeof(mysql), "%.*s", (int)strcspn(p + 4, ")"), p + 4);
    snprintf(etcd, sizeof(etcd), "%.*s", (int)strcspn(etcds, ","), etcds);
    return 0;
}

static void add_tests(TCase *tc)
{
    if (kafka_only) {
        tcase_add_test(tc, kafka_target);
        return;
    }
    tcase_add_test(tc, toxiproxy_partitions_are_detected_classified_and_healed);
    tcase_add_test(tc, tcp_target_serves_as_a_control);
    tcase_add_test(tc, etcd_target);
    tcase_add_test(tc, tls_failure_is_classified);
    tcase_add_test(tc, dns_failure_is_classified);
    tcase_add_test(tc, drill_without_actions_is_skipped);
    tcase_add_test(tc, run_ends_when_every_target_is_blackholed);
    tcase_add_test(tc, stale_proxies_of_ours_are_removed);
    tcase_add_test(tc, fault_actions_partition_and_heal);
    tcase_add_test(tc, a_killed_child_leaves_its_timeline);
    tcase_add_test(tc, unreachable_api_is_named);
    tcase_add_test(tc, bad_settings);
    tcase_add_test(tc, nftables_in_a_namespace);
    tcase_add_test(tc, nftables_over_ipv6);
    tcase_add_test(tc, nothing_left_after_sigint_or_a_crash);
    tcase_add_test(tc, nftables_nothing_left_after_a_failure_sigint_or_a_crash);
    tcase_add_test(tc, actions_healed_after_a_failure_sigint_or_a_crash);
    tcase_add_test(tc, daemon_keeps_no_fd_or_thread_between_runs);
    tcase_add_test(tc, nftables_daemon_keeps_no_fd_or_thread_between_runs);
}

int main(void)
{
    const char *name = kafka_only ? "netpart_kafka" : "netpart";
    TCase *tc = tcase_create(name);
    char dir[600];
    int failed;

    workdir = testlib_init(name, 1);
    if (!workdir)
        return EXIT_FAILURE;
    snprintf(dir, sizeof(dir), "%s/sandbox", workdir);
    if (sandbox_start(dir) != 0) {
        fprintf(stderr, "%s_test: the sandbox did not start (see above)\n", name);
        return EXIT_FAILURE;
    }
    tcase_set_timeout(tc, 120);
    add_tests(tc);
    failed = testlib_run_tcases(CK_VERBOSE, tc, NULL);
    if (testlib_sandbox(&sb, "down") != 0)
        fprintf(stderr, "%s_test: %s: sandbox down failed\n", name, sb.dir);
    if (testlib_cleanup() != 0)
        failed++;
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
