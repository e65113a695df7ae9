/*
 * The etcd plugin against the sandbox's real 3-member etcd clusters, through the infraprobe
 * program. One cluster serves the tests that leave it as they found it: every check ok with its
 * figures and nothing left behind, the expected member count, read_only, bad settings, an
 * endpoint that refuses and one that never answers. A cluster of its own serves the tests that
 * stop members: the failover drill twice in a row, quorum lost, a paused member, the quorum
 * counted over the member list when the endpoints name only some members. A third sandbox has a
 * cluster with TLS and client certificates (a CA the sandbox made, and one it did not sign), one
 * with auth (a probe user whose 1 s token must be fetched again between runs, a wrong password),
 * one with both, and a member with a tiny backend quota filled up (NOSPACE). Then one sandbox
 * per release of scripts/etcd.sh (3.5, 3.6): every check ok, the failover drill, and TLS with
 * auth.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <curl/curl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "etcd_proto.h"
#include "testlib.h"

static const char *workdir;
static struct testlib_sandbox sbx;           /* left as found */
static struct testlib_sandbox sbx2;          /* members stopped, paused, killed */
static struct testlib_sandbox sbx3;          /* etcd-tls, etcd-auth, etcd-tls-auth, etcd-quota */
static struct testlib_sandbox sbxv;          /* etcd 3.5, then 3.6: etcd and etcd-tls-auth */
static struct testlib_sandbox *tls_auth_sbx; /* the one whose etcd-tls-auth the tests use */
static char addrs[512], addrs2[512], tls_addrs[512], certs[512], auth_addrs[512], quota_addr[64];
static char tls_auth_addrs[512], addrsv[512];
static char version[32]; /* the etcd release sbxv runs */
static int sbx2_up;

static void sandbox_up(struct testlib_sandbox *sb, const char *name, char *a, size_t alen)
{
    char dir[600];

    snprintf(dir, sizeof(dir), "%s/%s", workdir, name);
    if (testlib_sandbox_up(sb, dir, "etcd") != 0 ||
        testlib_sandbox_var(sb, "ETCD_ADDR", a, alen) != 0 || !strstr(a, "127.0.0.1:")) {
        fprintf(stderr, "etcd_test: the sandbox did not start etcd (ETCD_ADDR \"%s\")\n", a);
        exit(EXIT_FAILURE);
    }
}

/* The member of `list` at position n (0-based) into out. */
static void nth_addr(const char *list, int n, char *out, size_t len)
{
    const char *p = list;

    for (int i = 0; i < n && *p; i++)
        p += strcspn(p, ","), p += *p == ',';
    snprintf(out, len, "%.*s", (int)strcspn(p, ","), p);
}

/* Loose thresholds and limits: the tests run under sanitizers and on busy machines too. */
#define LOOSE                                                                                      \
    "thresholds = { write = { warn_ms = 3000.0; crit_ms = 4000.0; }; read = { warn_ms = 3000.0; "  \
    "crit_ms = 4000.0; }; failover = { warn_max = 25.0; crit_max = 28.0; }; };"

/* A config of one etcd probe run every `interval` seconds. */
static void write_conf_every(const char *path, const char *settings, double timeout,
                             double interval)
{
    testlib_write(path,
                  "infraprobe = { interval = %.3f; };\n"
                  "probes = ( { name = \"e\"; plugin = \"etcd\"; timeout = %.3f; %s\n%s%s%s } );\n",
                  interval, timeout, settings, strstr(settings, "thresholds") ? "" : LOOSE,
                  strstr(settings, "request_timeout") ? "" : " request_timeout = 3.0;",
                  strstr(settings, "catchup") ? "" : " catchup = 5.0;");
}

static void write_conf(const char *path, const char *settings, double timeout)
{
    write_conf_every(path, settings, timeout, 1.0);
}

static json_t *run_json(const char *settings, double timeout, const char *extra, int *code)
{
    char conf[400], args[256], *out, *err;
    json_t *doc;

    snprintf(conf, sizeof(conf), "%s/etcd.conf", workdir);
    write_conf(conf, settings, timeout);
    snprintf(args, sizeof(args), "-f json %s", extra ? extra : "--once");
    doc = testlib_run_json(conf, args, code, &out, &err);
    free(out);
    free(err);
    return doc;
}

/* Check `name` on `target`; NULL: the one without a target (the cluster's); "*": any. */
static json_t *find(json_t *doc, const char *name, const char *target)
{
    json_t *c;
    size_t i;

    if (target && strcmp(target, "*") == 0)
        return testlib_find_check(doc, name, NULL);
    if (target)
        return testlib_find_check(doc, name, target);
    json_array_foreach(json_object_get(testlib_probe0(doc), "checks"), i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "name")), name) == 0 && !testlib_target(c))
            return c;
    }
    ck_abort_msg("no check %s without a target", name);
    return NULL;
}

static const char *status_of(json_t *doc, const char *name, const char *target)
{
    return testlib_status(find(doc, name, target));
}

static const char *message_of(json_t *doc, const char *name, const char *target)
{
    return testlib_message(find(doc, name, target));
}

/* The hint of the cluster's check `name` ("(no hint)" when it has none). */
static const char *hint_of(json_t *doc, const char *name)
{
    const char *h = json_string_value(json_object_get(find(doc, name, NULL), "hint"));

    return h ? h : "(no hint)";
}

static void assert_status(json_t *doc, const char *check, const char *target, const char *expected)
{
    const char *got = status_of(doc, check, target);

    ck_assert_msg(strcmp(got, expected) == 0, "%s%s%s: %s, expected %s: %s", check,
                  target ? " " : "", target ? target : "", got, expected,
                  message_of(doc, check, target));
}

/* ---- a raw client, for what the test checks behind the plugin's back ------------------------ */

static size_t collect(char *p, size_t size, size_t n, void *arg)
{
    char **buf = arg;
    size_t old = *buf ? strlen(*buf) : 0;

    *buf = realloc(*buf, old + size * n + 1);
    ck_assert_ptr_nonnull(*buf);
    memcpy(*buf + old, p, size * n);
    (*buf)[old + size * n] = '\0';
    return size * n;
}

static json_t *gateway(const char *hostport, const char *path, const char *body)
{
    CURL *e = curl_easy_init();
    char url[300], *buf = NULL;
    json_error_t jerr;
    json_t *j;

    snprintf(url, sizeof(url), "http://%s%s", hostport, path);
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &buf);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, 5L);
    ck_assert_msg(curl_easy_perform(e) == CURLE_OK, "%s: no answer", url);
    curl_easy_cleanup(e);
    j = json_loads(buf ? buf : "", 0, &jerr);
    ck_assert_msg(j != NULL, "%s: not JSON: %s", url, buf ? buf : "");
    free(buf);
    return j;
}

/* How many keys start with `prefix` (which ends with '/'), by the gateway. */
static long keys_under(const char *hostport, const char *prefix)
{
    char end[256], k64[400], e64[400], body[900];
    const char *count;
    json_t *j;
    long n;

    snprintf(end, sizeof(end), "%s", prefix);
    end[strlen(end) - 1]++;
    etcd_b64_encode(prefix, strlen(prefix), k64, sizeof(k64));
    etcd_b64_encode(end, strlen(end), e64, sizeof(e64));
    snprintf(body, sizeof(body), "{\"key\":\"%s\",\"range_end\":\"%s\",\"count_only\":true}", k64,
             e64);
    j = gateway(hostport, "/v3/kv/range", body);
    ck_assert_msg(json_object_get(j, "header") != NULL, "not a range reply");
    count = json_string_value(json_object_get(j, "count")); /* absent: 0 */
    n = count ? atol(count) : 0;
    json_decref(j);
    return n;
}

static void sandbox_up3(void)
{
    char dir[600];

    snprintf(dir, sizeof(dir), "%s/sandbox3", workdir);
    if (testlib_sandbox_up(&sbx3, dir, "etcd-tls etcd-auth etcd-tls-auth etcd-quota") != 0 ||
        testlib_sandbox_var(&sbx3, "ETCD_TLS_ADDR", tls_addrs, sizeof(tls_addrs)) != 0 ||
        testlib_sandbox_var(&sbx3, "ETCD_TLS_CERTS", certs, sizeof(certs)) != 0 ||
        testlib_sandbox_var(&sbx3, "ETCD_AUTH_ADDR", auth_addrs, sizeof(auth_addrs)) != 0 ||
        testlib_sandbox_var(&sbx3, "ETCD_TLS_AUTH_ADDR", tls_auth_addrs, sizeof(tls_auth_addrs)) !=
            0 ||
        testlib_sandbox_var(&sbx3, "ETCD_QUOTA_ADDR", quota_addr, sizeof(quota_addr)) != 0) {
        fprintf(stderr, "etcd_test: the sandbox did not start etcd-tls, etcd-auth, "
                        "etcd-tls-auth, etcd-quota\n");
        exit(EXIT_FAILURE);
    }
    tls_auth_sbx = &sbx3;
}

/* ---- on the shared cluster ------------------------------------------------------------------ */

START_TEST(all_checks_ok)
{
    char s[1024], first[64], prefix[128];
    json_t *doc;
    int code;

    snprintf(prefix, sizeof(prefix), "/infraprobe-test-%ld/", (long)getpid());
    snprintf(s, sizeof(s), "endpoints = \"%s\"; prefix = \"%s\"; lease_ttl = 30.0;", addrs, prefix);
    doc = run_json(s, 5.0, NULL, &code);
    testlib_assert_code(doc, code, 0);
    assert_status(doc, "connect", NULL, "ok");
    assert_has(message_of(doc, "connect", NULL), "3 of 3 members answered, 3 name a leader");
    nth_addr(addrs, 0, first, sizeof(first));
    assert_status(doc, "connect", first, "ok");
    assert_has(message_of(doc, "connect", first), "etcd 3.");
    assert_status(doc, "leader", NULL, "ok");
    assert_has(message_of(doc, "leader", NULL), "agreed by 3 members");
    assert_status(doc, "members", NULL, "ok");
    assert_has(message_of(doc, "members", NULL), "3 members: ");
    assert_has(message_of(doc, "members", NULL), "etcd-1");
    assert_status(doc, "alarms", NULL, "ok");
    assert_status(doc, "read", NULL, "ok");
    assert_has(message_of(doc, "read", NULL), "linearizable range on");
    assert_status(doc, "read", first, "ok");
    assert_has(message_of(doc, "read", first), "serializable range: the value written at revision");
    assert_status(doc, "watch", "*", "ok");
    assert_has(message_of(doc, "watch", "*"), "delivered after");
    assert_status(doc, "write", "*", "ok");
    assert_has(message_of(doc, "write", "*"), prefix);
    ck_assert_double_gt(testlib_metric(doc, "infraprobe_etcd_raft_term", NULL, NULL), 0);
    ck_assert_double_gt(testlib_metric(doc, "infraprobe_etcd_db_size_bytes", "target", first), 0);
    ck_assert_double_eq(testlib_metric(doc, "infraprobe_etcd_members", NULL, NULL), 3);
    ck_assert_double_eq(testlib_metric(doc, "infraprobe_etcd_alarms", NULL, NULL), 0);
    ck_assert_double_ge(testlib_metric(doc, "infraprobe_etcd_watch_delivery_seconds", NULL, NULL),
                        0);
    json_decref(doc);
    /* The lease was revoked: nothing the run wrote is left. */
    ck_assert_int_eq(keys_under(first, prefix), 0);
}
END_TEST

START_TEST(members_expected)
{
    char s[1024];
    json_t *doc;
    int code;

    snprintf(s, sizeof(s), "endpoints = \"%s\"; members = 5;", addrs);
    doc = run_json(s, 5.0, NULL, &code);
    testlib_assert_code(doc, code, 2);
    assert_status(doc, "members", NULL, "critical");
    assert_has(message_of(doc, "members", NULL), "3 members");
    assert_has(message_of(doc, "members", NULL), "expected 5");
    json_decref(doc);
    snprintf(s, sizeof(s), "endpoints = \"%s\"; members = 3;", addrs);
    doc = run_json(s, 5.0, NULL, &code);
    testlib_assert_code(doc, code, 0);
    json_decref(doc);
}
END_TEST

START_TEST(read_only_writes_nothing)
{
    char s[1024];
    json_t *doc;
    int code;

    snprintf(s, sizeof(s), "endpoints = \"%s\"; read_only = true;", addrs);
    doc = run_json(s, 5.0, NULL, &code);
    testlib_assert_code(doc, code, 0);
    assert_status(doc, "write", NULL, "skipped");
    assert_status(doc, "read", NULL, "skipped");
    assert_status(doc, "watch", NULL, "skipped");
    assert_status(doc, "leader", NULL, "ok");
    json_decref(doc);
    /* Without the write, the read has nothing to read: skipped, saying why. */
    snprintf(s, sizeof(s), "endpoints = \"%s\"; skip = [\"write\"];", addrs);
    doc = run_json(s, 5.0, NULL, &code);
    testlib_assert_code(doc, code, 0);
    assert_status(doc, "read", NULL, "skipped");
    assert_has(message_of(doc, "read", NULL), "the write check");
    assert_status(doc, "watch", "*", "ok");
    json_decref(doc);
}
END_TEST

START_TEST(bad_settings_at_test_time)
{
    char conf[400], *out, *err;
    int code;

    snprintf(conf, sizeof(conf), "%s/bad.conf", workdir);
    write_conf(conf, "endpoints = [\"127.0.0.1\", \"ftp://127.0.0.1:1\"]; cert = \"/x\";", 5.0);
    code = testlib_run(conf, "-t", &out, &err);
    ck_assert_int_eq(code, 3);
    assert_has(err, "bad.conf:2: probe \"e\": endpoints: \"127.0.0.1\": expected host:port");
    assert_has(err, "\"ftp://127.0.0.1:1\"");
    assert_has(err, "cert and key go together");
    free(out);
    free(err);
}
END_TEST

START_TEST(refusing_endpoint)
{
    char s[1024], hp[64];
    json_t *doc;
    int code;

    snprintf(hp, sizeof(hp), "127.0.0.1:%d", testlib_closed_port());
    snprintf(s, sizeof(s), "endpoints = \"%s\";", hp);
    doc = run_json(s, 5.0, NULL, &code);
    testlib_assert_code(doc, code, 2);
    assert_status(doc, "connect", hp, "critical");
    assert_has(message_of(doc, "connect", hp), hp);
    assert_has(message_of(doc, "connect", NULL), "no member answered");
    assert_status(doc, "leader", NULL, "skipped");
    json_decref(doc);
}
END_TEST

/* A fourth endpoint that refuses: the three others hold the quorum, so it only warns. */
START_TEST(one_endpoint_down_quorum_held)
{
    char s[1024], hp[64];
    json_t *doc;
    int code;

    snprintf(hp, sizeof(hp), "127.0.0.1:%d", testlib_closed_port());
    snprintf(s, sizeof(s), "endpoints = \"%s,%s\";", addrs, hp);
    doc = run_json(s, 5.0, NULL, &code);
    testlib_assert_code(doc, code, 1);
    assert_status(doc, "connect", hp, "warning");
    assert_has(message_of(doc, "connect", hp), "(quorum held)");
    assert_status(doc, "connect", NULL, "warning");
    assert_has(message_of(doc, "connect", NULL), "3 of 4 members answered");
    assert_status(doc, "write", "*", "ok");
    json_decref(doc);
}
END_TEST

/* A listener that accepts (the kernel does) and never answers: critical at request_timeout. */
START_TEST(silent_endpoint)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t alen = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    char s[1024], hp[64];
    json_t *doc;
    int code;

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(fd, 8), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    snprintf(hp, sizeof(hp), "127.0.0.1:%d", ntohs(a.sin_port));
    snprintf(s, sizeof(s), "endpoints = \"%s\"; request_timeout = 0.5;", hp);
    doc = run_json(s, 3.0, NULL, &code);
    close(fd);
    testlib_assert_code(doc, code, 2);
    assert_status(doc, "connect", hp, "critical");
    assert_has(message_of(doc, "connect", hp), "no answer within 0.500 s");
    ck_assert_msg(!testlib_has_check(doc, "run"), "the core's check decided: the plugin overran");
    json_decref(doc);
}
END_TEST

/* ---- on a cluster of its own ---------------------------------------------------------------- */

static void sandbox2(void)
{
    if (!sbx2_up)
        sandbox_up(&sbx2, "sandbox2", addrs2, sizeof(addrs2));
    sbx2_up = 1;
}

static void drill_settings(char *s, size_t len, const char *list, const struct testlib_sandbox *sb)
{
    const char *tool = testlib_sandbox_tool();

    snprintf(s, len,
             "endpoints = \"%s\";\n"
             "failover = { stop = \"'%s' --dir '%s' stop %%{member}\";\n"
             "  start = \"'%s' --dir '%s' start %%{member}\"; timeout = 30.0; };",
             list, tool, sb->dir, tool, sb->dir);
}

static void assert_drill(json_t *doc)
{
    json_t *checks = json_object_get(testlib_probe0(doc), "checks"), *c;
    int drills = 0;
    size_t i;

    json_array_foreach(checks, i, c)
    {
        const char *name = json_string_value(json_object_get(c, "name"));

        if (strcmp(name, "failover") != 0)
            continue;
        drills++;
        ck_assert_msg(strcmp(testlib_status(c), "ok") == 0, "failover %s: %s: %s",
                      testlib_target(c), testlib_status(c), testlib_message(c));
        assert_has(testlib_message(c), " 0 of ");
        assert_has(testlib_message(c), "acknowledged operations lost");
        assert_has(testlib_message(c), "back; one leader");
    }
    ck_assert_int_eq(drills, 2);
    ck_assert_double_eq(testlib_metric(doc, "infraprobe_etcd_drill_lost_operations", NULL, NULL),
                        0);
}

/* Both scenarios, twice: the second run drills the cluster as the first left it (the leader
 * moved), through the same config. */
START_TEST(failover_drill_twice)
{
    char s[2048];
    json_t *doc;
    int code;

    sandbox2();
    drill_settings(s, sizeof(s), addrs2, &sbx2);
    for (int run = 0; run < 2; run++) {
        doc = run_json(s, 30.0, "--drill", &code);
        testlib_assert_code(doc, code, 0);
        assert_drill(doc);
        assert_has(message_of(doc, "failover", "*"), "back; one leader");
        json_decref(doc);
    }
}
END_TEST

START_TEST(quorum_lost)
{
    char s[1024];
    json_t *doc;
    int code;

    sandbox2();
    ck_assert_int_eq(testlib_sandbox(&sbx2, "kill etcd-2 >/dev/null"), 0);
    ck_assert_int_eq(testlib_sandbox(&sbx2, "kill etcd-3 >/dev/null"), 0);
    snprintf(s, sizeof(s), "endpoints = \"%s\"; request_timeout = 0.5;", addrs2);
    doc = run_json(s, 10.0, NULL, &code);
    ck_assert_int_eq(testlib_sandbox(&sbx2, "start etcd-2 >/dev/null"), 0);
    ck_assert_int_eq(testlib_sandbox(&sbx2, "start etcd-3 >/dev/null"), 0);
    testlib_assert_code(doc, code, 2);
    assert_status(doc, "connect", NULL, "critical");
    assert_has(message_of(doc, "connect", NULL), "quorum lost: 1 of 3 members answered");
    assert_has(hint_of(doc, "connect"), "a majority (2 of 3) must run");
    assert_status(doc, "leader", NULL, "critical");
    /* The survivor names its old leader until its election timeout passes, then none: which
     * one the probe sees depends on when it asks, and both are quorum lost. */
    ck_assert_msg(strstr(message_of(doc, "leader", NULL), "1 of 3 members name a leader") ||
                      strstr(message_of(doc, "leader", NULL), "no member names a leader"),
                  "leader: %s", message_of(doc, "leader", NULL));
    assert_status(doc, "write", NULL, "skipped");
    assert_has(message_of(doc, "write", NULL), "quorum lost");
    ck_assert_msg(!testlib_has_check(doc, "run"), "the core's check decided: the plugin overran");
    json_decref(doc);
}
END_TEST

/* A member of the list `addrs` that is a follower now, by its own status: into hp. */
static void follower_of(const char *list, char *hp, size_t len)
{
    for (const char *p = list; *p; p += strcspn(p, ","), p += *p == ',') {
        json_t *st;
        int follower;

        snprintf(hp, len, "%.*s", (int)strcspn(p, ","), p);
        st = gateway(hp, "/v3/maintenance/status", "{}");
        follower =
            json_is_string(json_object_get(st, "leader")) &&
            strcmp(json_string_value(json_object_get(st, "leader")),
                   json_string_value(json_object_get(json_object_get(st, "header"), "member_id"))
                       ?: "") != 0;
        json_decref(st);
        if (follower)
            return;
    }
    ck_abort_msg("no follower among %s", list);
}

/* A follower paused: the leader stays, so the quorum holds and only that member warns. */
START_TEST(paused_member)
{
    char s[1024], hp[64];
    json_t *doc;
    int code;

    sandbox2();
    follower_of(addrs2, hp, sizeof(hp));
    ck_assert_int_eq(testlib_sandbox(&sbx2, "pause %s >/dev/null", hp), 0);
    snprintf(s, sizeof(s), "endpoints = \"%s\"; request_timeout = 0.5;", addrs2);
    doc = run_json(s, 10.0, NULL, &code);
    ck_assert_int_eq(testlib_sandbox(&sbx2, "resume %s >/dev/null", hp), 0);
    testlib_assert_code(doc, code, 1);
    assert_status(doc, "connect", hp, "warning");
    assert_has(message_of(doc, "connect", hp), "no answer within 0.500 s");
    assert_status(doc, "connect", NULL, "warning");
    assert_has(message_of(doc, "connect", NULL), "2 of 3 members answered");
    json_decref(doc);
}
END_TEST

/* Endpoints that name only some of the members: the quorum is counted over the member list,
 * whose other members are asked at their own client URLs. Two of three named, the named follower
 * down: the third member holds the quorum with the other (counted over the endpoints, 1 of 2,
 * it was "lost"). One of three named, the two others down: lost (counted over the endpoints,
 * 1 of 1, it was "held"). */
START_TEST(quorum_over_member_list)
{
    char s[1024], f[64], a[64], b[64], hp[64];
    json_t *held, *lost;
    int code_held, code_lost, n = 0;

    sandbox2();
    follower_of(addrs2, f, sizeof(f));
    for (int i = 0; i < 3; i++) {
        nth_addr(addrs2, i, hp, sizeof(hp));
        if (strcmp(hp, f) != 0)
            snprintf(n++ ? b : a, sizeof(a), "%s", hp);
    }
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(testlib_sandbox(&sbx2, "kill %s >/dev/null", f), 0);
    snprintf(s, sizeof(s), "endpoints = \"%s,%s\"; request_timeout = 0.5;", a, f);
    held = run_json(s, 10.0, NULL, &code_held);
    ck_assert_int_eq(testlib_sandbox(&sbx2, "kill %s >/dev/null", b), 0);
    snprintf(s, sizeof(s), "endpoints = \"%s\"; request_timeout = 0.5;", a);
    lost = run_json(s, 10.0, NULL, &code_lost);
    ck_assert_int_eq(testlib_sandbox(&sbx2, "start %s >/dev/null", f), 0);
    ck_assert_int_eq(testlib_sandbox(&sbx2, "start %s >/dev/null", b), 0);

    testlib_assert_code(held, code_held, 1);
    assert_status(held, "connect", NULL, "warning");
    assert_has(message_of(held, "connect", NULL), "2 of 3 members answered");
    assert_status(held, "connect", f, "warning");
    assert_has(message_of(held, "connect", f), "(quorum held)");
    assert_status(held, "connect", b, "ok"); /* asked at the URL the member list gives */
    assert_has(message_of(held, "leader", NULL), "agreed by 2 members");
    assert_status(held, "write", "*", "ok");
    json_decref(held);

    testlib_assert_code(lost, code_lost, 2);
    assert_status(lost, "connect", NULL, "critical");
    assert_has(message_of(lost, "connect", NULL), "quorum lost: 1 of 3 members answered");
    assert_has(hint_of(lost, "connect"), "a majority (2 of 3) must run");
    assert_status(lost, "connect", b, "critical");
    assert_status(lost, "write", NULL, "skipped");
    json_decref(lost);
}
END_TEST

/* ---- TLS, auth, NOSPACE ------------------------------------------------------------------- */

static void tls_settings(char *s, size_t len, const char *ca, const char *client, const char *more)
{
    snprintf(s, len,
             "endpoints = \"%s\"; cacert = \"%s/%s.pem\"; cert = \"%s/%s.pem\"; "
             "key = \"%s/%s-key.pem\"; %s",
             tls_addrs, certs, ca, certs, client, certs, client, more ? more : "");
}

START_TEST(tls_with_client_certificate)
{
    char s[8192];
    json_t *doc;
    int code;

    tls_settings(s, sizeof(s), "ca", "client", NULL);
    doc = run_json(s, 5.0, NULL, &code);
    testlib_assert_code(doc, code, 0);
    assert_has(message_of(doc, "connect", NULL), "3 of 3 members answered");
    assert_status(doc, "write", "*", "ok");
    assert_status(doc, "watch", "*", "ok");
    json_decref(doc);
}
END_TEST

/* With CA `ca` and the client certificate `client`: the first member's connect is critical,
 * its message naming it and saying `why`. */
static void tls_refused(const char *ca, const char *client, const char *why)
{
    char s[8192], first[64];
    json_t *doc;
    int code;

    nth_addr(tls_addrs, 0, first, sizeof(first));
    tls_settings(s, sizeof(s), ca, client, NULL);
    doc = run_json(s, 5.0, NULL, &code);
    testlib_assert_code(doc, code, 2);
    assert_status(doc, "connect", first, "critical");
    assert_has(message_of(doc, "connect", first), first);
    assert_has(message_of(doc, "connect", first), why);
    json_decref(doc);
}

/* The server's certificate against a CA that did not sign it: refused, and said so ... */
START_TEST(tls_server_certificate_not_trusted)
{
    char s[8192];
    json_t *doc;
    int code;

    tls_refused("other-ca", "client", "SSL certificate problem");
    /* ... unless told not to verify it. */
    tls_settings(s, sizeof(s), "other-ca", "client", "insecure_skip_verify = true;");
    doc = run_json(s, 5.0, NULL, &code);
    testlib_assert_code(doc, code, 0);
    json_decref(doc);
}
END_TEST

/* A client certificate of another CA: the cluster refuses the session. */
START_TEST(tls_client_certificate_refused)
{
    tls_refused("ca", "other-client", "the client certificate");
}
END_TEST

static void auth_settings(char *s, size_t len, const char *password)
{
    char user[64];

    ck_assert_int_eq(testlib_sandbox_var(&sbx3, "ETCD_AUTH_USER", user, sizeof(user)), 0);
    snprintf(s, len, "endpoints = \"%s\"; username = \"%s\"; password = \"%s\";", auth_addrs, user,
             password);
}

START_TEST(auth_wrong_password)
{
    char s[1024];
    json_t *doc;
    int code;

    auth_settings(s, sizeof(s), "not-the-password");
    doc = run_json(s, 5.0, NULL, &code);
    testlib_assert_code(doc, code, 2);
    assert_status(doc, "connect", NULL, "critical");
    assert_has(message_of(doc, "connect", NULL), "authenticate as \"probe\"");
    assert_has(message_of(doc, "connect", NULL), "authentication failed");
    assert_has(hint_of(doc, "connect"), "check username and password");
    json_decref(doc);
}
END_TEST

/* Tokens live 1 s unused, runs are 2 s apart: every run after the first fetches a new one. */
START_TEST(auth_token_refreshed)
{
    char s[1024], pass[64], conf[400];
    struct testlib_daemon d;
    json_t *line = NULL;
    double refreshes = 0;

    ck_assert_int_eq(testlib_sandbox_var(&sbx3, "ETCD_AUTH_PASSWORD", pass, sizeof(pass)), 0);
    auth_settings(s, sizeof(s), pass);
    snprintf(conf, sizeof(conf), "%s/daemon.conf", workdir);
    /* Runs 2 s apart: the 1 s tokens expire in between. */
    write_conf_every(conf, s, 5.0, 2.0);
    testlib_daemon_start(&d, conf);
    for (int i = 0; i < 3; i++) {
        json_t *c;
        size_t k;

        if (line)
            json_decref(line);
        line = testlib_daemon_next(&d, 30);
        ck_assert_msg(line != NULL, "no report from the daemon within 30 s");
        json_array_foreach(json_object_get(line, "checks"), k, c)
        {
            ck_assert_msg(strcmp(testlib_status(c), "ok") == 0, "run %d: %s: %s: %s", i,
                          json_string_value(json_object_get(c, "name")), testlib_status(c),
                          testlib_message(c));
        }
    }
    {
        json_t *m;
        size_t k;

        json_array_foreach(json_object_get(line, "metrics"), k, m)
        {
            if (strcmp(json_string_value(json_object_get(m, "name")),
                       "infraprobe_etcd_token_refreshes_total") == 0)
                refreshes = json_number_value(json_object_get(m, "value"));
        }
    }
    json_decref(line);
    testlib_daemon_stop(&d);
    ck_assert_msg(refreshes >= 1, "token_refreshes_total = %g after 3 runs 2 s apart", refreshes);
}
END_TEST

/* Client certificates and users at once: a certificate without a CommonName (with auth on, etcd's
 * gateway refuses one that has a CommonName) and the probe user's password. */
static void tls_auth_settings(char *s, size_t len, const char *client, const char *password)
{
    char user[64];

    ck_assert_int_eq(testlib_sandbox_var(tls_auth_sbx, "ETCD_AUTH_USER", user, sizeof(user)), 0);
    snprintf(s, len,
             "endpoints = \"%s\"; cacert = \"%s/ca.pem\"; cert = \"%s/%s.pem\"; "
             "key = \"%s/%s-key.pem\"; username = \"%s\"; password = \"%s\";",
             tls_auth_addrs, certs, certs, client, certs, client, user, password);
}

START_TEST(tls_and_auth)
{
    char s[8192], pass[64], first[64];
    json_t *doc;
    int code;

    ck_assert_int_eq(testlib_sandbox_var(tls_auth_sbx, "ETCD_AUTH_PASSWORD", pass, sizeof(pass)),
                     0);
    nth_addr(tls_auth_addrs, 0, first, sizeof(first));
    tls_auth_settings(s, sizeof(s), "gateway-client", pass);
    doc = run_json(s, 5.0, NULL, &code);
    testlib_assert_code(doc, code, 0);
    assert_has(message_of(doc, "connect", NULL), "3 of 3 members answered");
    assert_status(doc, "write", "*", "ok");
    assert_status(doc, "read", first, "ok");
    assert_status(doc, "watch", "*", "ok");
    json_decref(doc);
    /* The session is accepted, the password is not: etcd's own words. */
    tls_auth_settings(s, sizeof(s), "gateway-client", "not-the-password");
    doc = run_json(s, 5.0, NULL, &code);
    testlib_assert_code(doc, code, 2);
    assert_has(message_of(doc, "connect", NULL), "authentication failed");
    assert_has(hint_of(doc, "connect"), "check username and password");
    json_decref(doc);
    /* A client certificate with a CommonName: refused by the gateway, and the hint says why. */
    tls_auth_settings(s, sizeof(s), "client", pass);
    doc = run_json(s, 5.0, NULL, &code);
    testlib_assert_code(doc, code, 2);
    assert_has(message_of(doc, "connect", NULL), "HTTP 400: CommonName of client");
    assert_has(hint_of(doc, "connect"), "use one without a CommonName");
    json_decref(doc);
}
END_TEST

/* A member whose backend quota is full raises NOSPACE: alarms names it, members warns of the
 * db's share of the quota, the write is refused with etcd's own words. */
START_TEST(nospace_alarm)
{
    char s[1024], key[64], k64[128], body[60000], *v = malloc(30001), *v64 = malloc(40010);
    json_t *doc;
    int code, refused = 0;

    ck_assert_ptr_nonnull(v);
    ck_assert_ptr_nonnull(v64);
    for (int i = 0; i < 30000; i++)
        v[i] = (char)('a' + (i * 7919 + i / 13) % 26);
    v[30000] = '\0';
    etcd_b64_encode(v, strlen(v), v64, 40010);
    /* The backend's size grows when bbolt commits (every 100 ms): put until refused. */
    for (int i = 0; i < 400 && !refused; i++) {
        json_t *r;

        snprintf(key, sizeof(key), "/fill/%d", i);
        etcd_b64_encode(key, strlen(key), k64, sizeof(k64));
        snprintf(body, sizeof(body), "{\"key\":\"%s\",\"value\":\"%s\"}", k64, v64);
        r = gateway(quota_addr, "/v3/kv/put", body);
        refused = json_object_get(r, "error") != NULL;
        json_decref(r);
        usleep(10000);
    }
    free(v);
    free(v64);
    ck_assert_msg(refused, "the 256 KiB quota was not exceeded by 400 puts of 30 KB");
    snprintf(s, sizeof(s), "endpoints = \"%s\"; quota_backend_bytes = 262144.0;", quota_addr);
    doc = run_json(s, 5.0, NULL, &code);
    testlib_assert_code(doc, code, 2);
    assert_status(doc, "alarms", NULL, "critical");
    assert_has(message_of(doc, "alarms", NULL), "NOSPACE on etcd-quota-1");
    assert_has(hint_of(doc, "alarms"), "etcdctl alarm disarm");
    assert_status(doc, "members", NULL, "warning");
    assert_has(message_of(doc, "members", NULL), "of the 0.2 MiB quota");
    assert_status(doc, "write", "*", "critical");
    assert_has(message_of(doc, "write", "*"), "database space exceeded");
    ck_assert_double_eq(testlib_metric(doc, "infraprobe_etcd_alarms", NULL, NULL), 1);
    json_decref(doc);
}
END_TEST

/* ---- etcd 3.5 and 3.6 (scripts/etcd.sh builds them) ---------------------------------------- */

/* Every check ok on the release sbxv runs (its version in connect), nothing left behind. */
START_TEST(version_all_checks_ok)
{
    char s[1024], first[64], prefix[128], v[64];
    json_t *doc, *c;
    size_t i;
    int code;

    snprintf(prefix, sizeof(prefix), "/infraprobe-test-%ld/", (long)getpid());
    snprintf(s, sizeof(s), "endpoints = \"%s\"; prefix = \"%s\";", addrsv, prefix);
    doc = run_json(s, 5.0, NULL, &code);
    testlib_assert_code(doc, code, 0);
    json_array_foreach(json_object_get(testlib_probe0(doc), "checks"), i, c)
    {
        ck_assert_msg(strcmp(testlib_status(c), "ok") == 0, "etcd %s: %s %s: %s: %s", version,
                      json_string_value(json_object_get(c, "name")),
                      testlib_target(c) ? testlib_target(c) : "", testlib_status(c),
                      testlib_message(c));
    }
    nth_addr(addrsv, 0, first, sizeof(first));
    snprintf(v, sizeof(v), "etcd %s", version);
    assert_has(message_of(doc, "connect", first), v);
    assert_has(message_of(doc, "connect", NULL), "3 of 3 members answered, 3 name a leader");
    assert_status(doc, "write", "*", "ok");
    assert_status(doc, "read", first, "ok");
    assert_status(doc, "watch", "*", "ok");
    ck_assert_double_eq(testlib_metric(doc, "infraprobe_etcd_members", NULL, NULL), 3);
    ck_assert_double_eq(testlib_metric(doc, "infraprobe_etcd_version_info", "version", version), 1);
    /* 3.6 names its storage version too (3.5.0 for a moment after the start, until the
     * cluster's version is set and the schema migrated: 3.6.0); 3.5 has none. */
    if (strncmp(version, "3.6.", 4) == 0)
        assert_has(message_of(doc, "connect", first), "(storage 3.");
    else
        ck_assert_msg(!strstr(message_of(doc, "connect", first), "(storage"), "connect: %s",
                      message_of(doc, "connect", first));
    json_decref(doc);
    /* The lease was revoked: nothing the run wrote is left. */
    ck_assert_int_eq(keys_under(first, prefix), 0);
}
END_TEST

/* The failover drill, both scenarios: nothing acknowledged lost, the cluster whole again. */
START_TEST(version_failover_drill)
{
    char s[2048];
    json_t *doc;
    int code;

    drill_settings(s, sizeof(s), addrsv, &sbxv);
    doc = run_json(s, 30.0, "--drill", &code);
    testlib_assert_code(doc, code, 0);
    assert_drill(doc);
    json_decref(doc);
}
END_TEST

/* The releases of scripts/etcd.sh (IP_ETCD_VERSIONS), space-separated, into out. */
static void etcd_versions(char *out, size_t len)
{
    char cmd[1200];
    FILE *p;

    snprintf(cmd, sizeof(cmd), ". '%s/scripts/etcd.sh' && printf '%%s' \"$IP_ETCD_VERSIONS\"",
             getenv("top_srcdir"));
    p = popen(cmd, "r");
    out[0] = '\0';
    if (!p || !fgets(out, (int)len, p) || !out[0]) {
        fprintf(stderr, "etcd_test: no version in scripts/etcd.sh\n");
        exit(EXIT_FAILURE);
    }
    pclose(p);
}

/* Run one phase's tests, on the sandbox it started, then take that sandbox down: so that no
 * more than one sandbox's members load the machine at once. Returns the failures. */
static int phase(TCase *tc, struct testlib_sandbox *sb)
{
    int failed = testlib_run_tcases(CK_NORMAL, tc, NULL);

    if (testlib_sandbox(sb, "down >/dev/null") != 0)
        failed++;
    return failed;
}

/* One sandbox per release of scripts/etcd.sh, one after the other; a release that is not built
 * fails the sandbox's up, and so the test, loudly. */
static int versions_phases(void)
{
    char list[256], dir[600];
    int failed = 0;

    etcd_versions(list, sizeof(list));
    for (char *v = strtok(list, " "); v; v = strtok(NULL, " ")) {
        TCase *tv = tcase_create(v);

        snprintf(version, sizeof(version), "%s", v);
        snprintf(dir, sizeof(dir), "%s/sandbox-%s", workdir, v);
        setenv("SANDBOX_ETCD", v, 1);
        if (testlib_sandbox_up(&sbxv, dir, "etcd etcd-tls-auth") != 0 ||
            testlib_sandbox_var(&sbxv, "ETCD_ADDR", addrsv, sizeof(addrsv)) != 0 ||
            testlib_sandbox_var(&sbxv, "ETCD_TLS_AUTH_ADDR", tls_auth_addrs,
                                sizeof(tls_auth_addrs)) != 0 ||
            testlib_sandbox_var(&sbxv, "ETCD_TLS_CERTS", certs, sizeof(certs)) != 0) {
            fprintf(stderr, "etcd_test: the sandbox did not start etcd and etcd-tls-auth %s\n", v);
            failed++;
            continue;
        }
        unsetenv("SANDBOX_ETCD");
        tls_auth_sbx = &sbxv;
        tcase_set_timeout(tv, 180);
        tcase_add_test(tv, version_all_checks_ok);
        tcase_add_test(tv, version_failover_drill);
        tcase_add_test(tv, tls_and_auth);
        failed += phase(tv, &sbxv);
    }
    unsetenv("SANDBOX_ETCD");
    return failed;
}

int main(void)
{
    TCase *tc = tcase_create("shared"), *tk = tcase_create("own"), *tt = tcase_create("tls-auth");
    int failed;

    workdir = testlib_init("etcd", 1);
    if (!workdir)
        return EXIT_FAILURE;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    /* Each cluster is started here, in the parent, once: Check forks each test. */
    sandbox_up(&sbx, "sandbox", addrs, sizeof(addrs));
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, all_checks_ok);
    tcase_add_test(tc, members_expected);
    tcase_add_test(tc, read_only_writes_nothing);
    tcase_add_test(tc, bad_settings_at_test_time);
    tcase_add_test(tc, refusing_endpoint);
    tcase_add_test(tc, one_endpoint_down_quorum_held);
    tcase_add_test(tc, silent_endpoint);
    failed = phase(tc, &sbx);
    sandbox_up(&sbx2, "sandbox2", addrs2, sizeof(addrs2));
    sbx2_up = 1;
    tcase_set_timeout(tk, 180);
    tcase_add_test(tk, failover_drill_twice);
    tcase_add_test(tk, quorum_lost);
    tcase_add_test(tk, paused_member);
    tcase_add_test(tk, quorum_over_member_list);
    failed += phase(tk, &sbx2);
    sandbox_up3();
    tcase_set_timeout(tt, 120);
    tcase_add_test(tt, tls_with_client_certificate);
    tcase_add_test(tt, tls_server_certificate_not_trusted);
    tcase_add_test(tt, tls_client_certificate_refused);
    tcase_add_test(tt, auth_wrong_password);
    tcase_add_test(tt, auth_token_refreshed);
    tcase_add_test(tt, nospace_alarm);
    tcase_add_test(tt, tls_and_auth);
    failed += phase(tt, &sbx3);
    failed += versions_phases();
    curl_global_cleanup();
    if (testlib_cleanup() != 0)
        failed++;
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
