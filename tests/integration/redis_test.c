/*
 * The redis plugin through the infraprobe program, against the sandbox's real Redis
 * (master, replica, three Sentinels): every check, the settings, bad input and faults
 * (a wrong password, an unreachable address, a server that never answers, a replica where
 * a master is expected, a Sentinel that does not know the master), pool exhaustion, and
 * the failover drill, which gets a sandbox of its own since it breaks it.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

struct sandbox {
    struct testlib_sandbox sb;
    char master[64];     /* REDIS_ADDR */
    char replica[64];    /* redis-replica's host:port */
    char sentinels[256]; /* REDIS_SENTINELS */
};

static const char *workdir;
static struct sandbox shared;
static const char loose[] =
    "thresholds = { connect = { warn_ms = 5000.0; crit_ms = 10000.0; };"
    " write = { warn_ms = 5000.0; crit_ms = 10000.0; }; read = { warn_ms = 5000.0; crit_ms = "
    "10000.0; }; ttl = { warn_ms = 5000.0; crit_ms = 10000.0; }; };";

/* `sandbox up --dir DIR redis`; its variables into sb. 0 or -1. */
static int sandbox_up(struct sandbox *sb, const char *dir)
{
    char path[600], line[1024];
    FILE *m;

    memset(sb, 0, sizeof(*sb));
    if (testlib_sandbox_up(&sb->sb, dir, "redis") != 0)
        return -1;
    testlib_sandbox_var(&sb->sb, "REDIS_ADDR", sb->master, sizeof(sb->master));
    testlib_sandbox_var(&sb->sb, "REDIS_SENTINELS", sb->sentinels, sizeof(sb->sentinels));
    if (!sb->master[0] || !sb->sentinels[0])
        return -1;
    snprintf(path, sizeof(path), "%s/members", dir);
    m = fopen(path, "r");
    if (!m)
        return -1;
    while (fgets(line, sizeof(line), m))
        if (strncmp(line, "redis-replica ", 14) == 0)
            sscanf(line + 14, "%63s", sb->replica);
    fclose(m);
    return sb->replica[0] ? 0 : -1;
}

static void sandbox_down(const struct sandbox *sb)
{
    if (testlib_sandbox(&sb->sb, "down") != 0)
        fprintf(stderr, "redis_test: %s: sandbox down failed\n", sb->sb.dir);
}

/* Run infraprobe (`mode`: "--once" or "--drill") on one redis probe with `settings`. */
static json_t *run_mode(const char *mode, const char *settings, int *exit_code)
{
    char conf[512], args[64];

    snprintf(conf, sizeof(conf), "%s/redis.conf", workdir);
    testlib_write(
        conf, "probes = ( { name = \"redis main\"; plugin = \"redis\"; timeout = 2.0; %s } );\n",
        settings);
    snprintf(args, sizeof(args), "%s -f json", mode);
    return testlib_run_json(conf, args, exit_code, NULL, NULL);
}

static json_t *run_probe(const char *settings, int *exit_code)
{
    return run_mode("--once", settings, exit_code);
}

/* A direct connection, to look behind the plugin's back. */
static redisContext *direct(const char *addr)
{
    char host[64];
    int port;
    redisContext *c;

    ck_assert_int_eq(sscanf(addr, "%63[^:]:%d", host, &port), 2);
    c = redisConnect(host, port);
    ck_assert_ptr_nonnull(c);
    ck_assert_msg(!c->err, "%s: %s", addr, c->errstr);
    return c;
}

static redisReply *cmd(redisContext *c, const char *fmt, const char *arg)
{
    redisReply *r = redisCommand(c, fmt, arg);

    ck_assert_ptr_nonnull(r);
    return r;
}

START_TEST(every_check_ok)
{
    char settings[1024];
    const char *names[] = {"connect", "write", "read", "ttl", "persistence", "replication", "pool"};
    json_t *doc, *c;
    int code;

    snprintf(settings, sizeof(settings), "address = \"%s\"; ttl = 30.0; %s", shared.master, loose);
    doc = run_probe(settings, &code);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        c = testlib_find_check(doc, names[i], NULL);
        ck_assert_msg(strcmp(testlib_status(c), "ok") == 0, "%s: %s: %s", names[i],
                      testlib_status(c), testlib_message(c));
        ck_assert_str_eq(testlib_target(c), shared.master);
    }
    ck_assert_int_eq(code, 0);
    ck_assert_ptr_nonnull(strstr(testlib_message(testlib_find_check(doc, "connect", NULL)),
                                 "as infraprobe:redis_main"));
    ck_assert_ptr_nonnull(strstr(testlib_message(testlib_find_check(doc, "replication", NULL)),
                                 "1 replica(s) connected"));
    ck_assert_ptr_nonnull(strstr(testlib_message(testlib_find_check(doc, "ttl", NULL)), "expired"));
    /* The metrics the issue asks for. */
    ck_assert_double_gt(
        testlib_metric(doc, "infraprobe_redis_operation_latency_seconds", "operation", "read"), 0);
    ck_assert_double_gt(
        testlib_metric(doc, "infraprobe_redis_operation_latency_seconds", "operation", "write"), 0);
    ck_assert_double_ge(testlib_metric(doc, "infraprobe_redis_connected_clients", NULL, NULL), 1);
    ck_assert_double_gt(testlib_metric(doc, "infraprobe_redis_used_memory_bytes", NULL, NULL), 0);
    ck_assert_double_eq(testlib_metric(doc, "infraprobe_redis_maxmemory_bytes", NULL, NULL), 0);
    ck_assert_double_eq(
        testlib_metric(doc, "infraprobe_redis_maxmemory_policy", "policy", "noeviction"), 1);
    /* INFO is read before the GET: the figures are the server's, only present. */
    ck_assert_double_ge(testlib_metric(doc, "infraprobe_redis_keyspace_hits_total", NULL, NULL), 0);
    ck_assert_double_ge(testlib_metric(doc, "infraprobe_redis_keyspace_misses_total", NULL, NULL),
                        0);
    ck_assert_double_ge(testlib_metric(doc, "infraprobe_redis_replication_lag_bytes", NULL, NULL),
                        0);
    ck_assert_double_eq(testlib_metric(doc, "infraprobe_redis_pool_max_open", NULL, NULL), 10);
    json_decref(doc);
}
END_TEST

/* Every key the probe wrote carries a TTL within `ttl`; the short-lived one is gone. */
START_TEST(keys_carry_their_ttl)
{
    char settings[1024];
    redisContext *c;
    redisReply *r;
    json_t *doc;
    int code;

    snprintf(settings, sizeof(settings),
             "address = \"%s\"; ttl = 7.0; key_prefix = \"ttltest:\"; %s", shared.master, loose);
    doc = run_probe(settings, &code);
    ck_assert_int_eq(code, 0);
    ck_assert_ptr_nonnull(
        strstr(testlib_message(testlib_find_check(doc, "write", NULL)), "\"ttltest:redis main:"));
    json_decref(doc);
    c = direct(shared.master);
    r = cmd(c, "KEYS %s", "ttltest:*");
    ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
    ck_assert_int_eq(r->elements, 2); /* the probe's key and the pool's key */
    for (size_t i = 0; i < r->elements; i++) {
        redisReply *t = cmd(c, "PTTL %s", r->element[i]->str);

        ck_assert_msg(t->integer > 0 && t->integer <= 7000, "%s: PTTL %lld", r->element[i]->str,
                      t->integer);
        ck_assert_ptr_null(strstr(r->element[i]->str, ":short"));
        freeReplyObject(t);
    }
    freeReplyObject(r);
    redisFree(c);
}
END_TEST

START_TEST(sentinel_discovery)
{
    char settings[1024];
    json_t *doc;
    int code;

    snprintf(settings, sizeof(settings), "sentinels = \"%s\"; master_name = \"infraprobe\"; %s",
             shared.sentinels, loose);
    doc = run_probe(settings, &code);
    ck_assert_str_eq(testlib_status(testlib_find_check(doc, "connect", NULL)), "ok");
    ck_assert_str_eq(testlib_target(testlib_find_check(doc, "connect", NULL)), shared.master);
    ck_assert_str_eq(testlib_status(testlib_find_check(doc, "write", NULL)), "ok");
    ck_assert_int_eq(code, 0);
    json_decref(doc);
}
END_TEST

START_TEST(sentinel_unknown_master)
{
    char settings[1024];
    json_t *doc, *c;
    int code;

    snprintf(settings, sizeof(settings), "sentinels = \"%s\"; master_name = \"nosuch\";",
             shared.sentinels);
    doc = run_probe(settings, &code);
    c = testlib_find_check(doc, "connect", NULL);
    ck_assert_str_eq(testlib_status(c), "critical");
    ck_assert_ptr_nonnull(strstr(testlib_message(c), "does not know master \"nosuch\" (nil)"));
    ck_assert_str_eq(testlib_status(testlib_find_check(doc, "write", NULL)), "skipped");
    ck_assert_int_eq(code, 2);
    json_decref(doc);
}
END_TEST

START_TEST(wrong_password)
{
    char settings[1024];
    redisContext *c = direct(shared.master);
    redisReply *r = redisCommand(c, "ACL SETUSER probeuser on >right-secret ~* +@all");
    json_t *doc, *chk;
    char *text;
    int code;

    ck_assert_int_eq(r->type, REDIS_REPLY_STATUS);
    freeReplyObject(r);
    snprintf(settings, sizeof(settings),
             "address = \"%s\"; username = \"probeuser\"; password = \"wrong-s3cret\";",
             shared.master);
    doc = run_probe(settings, &code);
    chk = testlib_find_check(doc, "connect", NULL);
    ck_assert_str_eq(testlib_status(chk), "critical");
    ck_assert_ptr_nonnull(strstr(testlib_message(chk), "AUTH: WRONGPASS"));
    text = json_dumps(doc, 0);
    ck_assert_ptr_null(strstr(text, "wrong-s3cret")); /* a secret is never printed */
    free(text);
    ck_assert_int_eq(code, 2);
    json_decref(doc);
    /* The right one, from a file, works. */
    {
        char pwfile[600];
        FILE *f;

        snprintf(pwfile, sizeof(pwfile), "%s/pw", workdir);
        f = fopen(pwfile, "w");
        fputs("right-secret\n", f);
        fclose(f);
        snprintf(settings, sizeof(settings),
                 "address = \"%s\"; username = \"probeuser\"; password_file = \"%s\"; "
                 "concurrency = 4; %s",
                 shared.master, pwfile, loose);
        doc = run_probe(settings, &code);
        ck_assert_str_eq(testlib_status(testlib_find_check(doc, "connect", NULL)), "ok");
        ck_assert_str_eq(testlib_status(testlib_find_check(doc, "pool", NULL)), "ok");
        json_decref(doc);
    }
    r = redisCommand(c, "ACL DELUSER probeuser");
    freeReplyObject(r);
    redisFree(c);
}
END_TEST

START_TEST(unreachable_address)
{
    char settings[256];
    json_t *doc, *c;
    int code;

    snprintf(settings, sizeof(settings), "address = \"127.0.0.1:%d\";", testlib_closed_port());
    doc = run_probe(settings, &code);
    c = testlib_find_check(doc, "connect", NULL);
    ck_assert_str_eq(testlib_status(c), "critical");
    ck_assert_str_eq(testlib_message(c), "Connection refused");
    ck_assert_str_eq(testlib_status(testlib_find_check(doc, "read", NULL)), "skipped");
    ck_assert_str_eq(testlib_status(testlib_find_check(doc, "pool", NULL)), "skipped");
    ck_assert_int_eq(code, 2);
    json_decref(doc);
}
END_TEST

static void *silent_server(void *arg)
{
    int fd = *(int *)arg, c;

    while ((c = accept(fd, NULL, NULL)) >= 0)
        ; /* accept, keep open, never answer */
    return NULL;
}

START_TEST(silent_server_is_critical_at_the_deadline)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), code;
    char settings[256];
    pthread_t t;
    json_t *doc, *c;

    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, len), 0);
    ck_assert_int_eq(listen(fd, 16), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    ck_assert_int_eq(pthread_create(&t, NULL, silent_server, &fd), 0);
    snprintf(settings, sizeof(settings), "address = \"127.0.0.1:%d\";", ntohs(a.sin_port));
    doc = run_probe(settings, &code);
    c = testlib_find_check(doc, "connect", NULL);
    ck_assert_str_eq(testlib_status(c), "critical");
    ck_assert_msg(strstr(testlib_message(c), "CLIENT SETNAME timed out after"), "%s",
                  testlib_message(c));
    /* The plugin gave up by itself: critical, not the core's unknown "timed out". */
    ck_assert_str_eq(testlib_status(testlib_probe0(doc)), "critical");
    ck_assert_int_eq(code, 2);
    json_decref(doc);
}
END_TEST

START_TEST(replica_where_a_master_is_expected)
{
    char settings[1024];
    json_t *doc, *c;
    int code;

    snprintf(settings, sizeof(settings), "address = \"%s\"; concurrency = 0; %s", shared.replica,
             loose);
    doc = run_probe(settings, &code);
    ck_assert_str_eq(testlib_status(testlib_find_check(doc, "connect", NULL)), "ok");
    c = testlib_find_check(doc, "write", NULL);
    ck_assert_str_eq(testlib_status(c), "critical");
    ck_assert_ptr_nonnull(strstr(testlib_message(c), "is a replica of"));
    ck_assert_ptr_nonnull(strstr(testlib_message(c), "writes would fail"));
    ck_assert_str_eq(testlib_status(testlib_find_check(doc, "read", NULL)), "skipped");
    c = testlib_find_check(doc, "replication", NULL);
    ck_assert_str_eq(testlib_status(c), "ok");
    ck_assert_ptr_nonnull(strstr(testlib_message(c), "master_link_status:up"));
    ck_assert_int_eq(code, 2);
    json_decref(doc);
}
END_TEST

START_TEST(persistence_expectation)
{
    char settings[1024];
    json_t *doc, *c;
    int code;

    snprintf(settings, sizeof(settings), "address = \"%s\"; persistence = \"none\"; %s",
             shared.master, loose);
    doc = run_probe(settings, &code);
    c = testlib_find_check(doc, "persistence", NULL);
    ck_assert_str_eq(testlib_status(c), "warning");
    ck_assert_ptr_nonnull(strstr(testlib_message(c), "expected none, but rdb and aof is on"));
    ck_assert_int_eq(code, 1);
    json_decref(doc);
    snprintf(settings, sizeof(settings), "address = \"%s\"; persistence = \"aof\"; %s",
             shared.master, loose);
    doc = run_probe(settings, &code);
    ck_assert_str_eq(testlib_status(testlib_find_check(doc, "persistence", NULL)), "ok");
    json_decref(doc);
}
END_TEST

/* A failed RDB save: the server's directory is made immutable (ext4's chattr +i stops even
 * root) while it saves. CONFIG SET dir is a protected config in Redis 7. */
START_TEST(persistence_failed_save)
{
    char settings[1024], chattr[1024];
    redisContext *c = direct(shared.master);
    redisReply *r;
    json_t *doc, *chk;
    int code, tries, failed = 0;

    snprintf(chattr, sizeof(chattr), "chattr +i '%s/redis-master'", shared.sb.dir);
    ck_assert_int_eq(system(chattr), 0);
    freeReplyObject(cmd(c, "BGSAVE%s", ""));
    for (tries = 0; tries < 200 && !failed; tries++) { /* until the child has failed */
        r = cmd(c, "INFO %s", "persistence");
        failed = strstr(r->str, "rdb_last_bgsave_status:err") != NULL;
        freeReplyObject(r);
        if (!failed)
            usleep(20000);
    }
    snprintf(chattr, sizeof(chattr), "chattr -i '%s/redis-master'", shared.sb.dir);
    ck_assert_int_eq(system(chattr), 0);
    ck_assert_msg(failed, "BGSAVE did not fail");
    snprintf(settings, sizeof(settings), "address = \"%s\"; concurrency = 0; %s", shared.master,
             loose);
    doc = run_probe(settings, &code);
    freeReplyObject(cmd(c, "SAVE%s", "")); /* first: writes are refused until a save works */
    redisFree(c);
    chk = testlib_find_check(doc, "persistence", NULL);
    ck_assert_str_eq(testlib_status(chk), "warning");
    ck_assert_ptr_nonnull(
        strstr(testlib_message(chk), "the last RDB save failed (rdb_last_bgsave_status:err)"));
    /* stop-writes-on-bgsave-error (the default) makes the server refuse writes. */
    chk = testlib_find_check(doc, "write", NULL);
    ck_assert_str_eq(testlib_status(chk), "critical");
    ck_assert_ptr_nonnull(strstr(testlib_message(chk), "SET: MISCONF"));
    ck_assert_str_eq(testlib_status(testlib_find_check(doc, "connect", NULL)), "ok");
    ck_assert_int_eq(code, 2);
    json_decref(doc);
}
END_TEST

START_TEST(expected_replicas_missing)
{
    char settings[1024];
    json_t *doc, *c;
    int code;

    snprintf(settings, sizeof(settings), "address = \"%s\"; replicas = 2; concurrency = 0; %s",
             shared.master, loose);
    doc = run_probe(settings, &code);
    c = testlib_find_check(doc, "replication", NULL);
    ck_assert_str_eq(testlib_status(c), "critical");
    ck_assert_ptr_nonnull(strstr(testlib_message(c), "1 of 2 expected replicas connected"));
    ck_assert_int_eq(code, 2);
    json_decref(doc);
}
END_TEST

/* The guide's "Connection Pool Exhaustion": far more clients than connections. */
START_TEST(pool_exhaustion)
{
    char settings[1024];
    json_t *doc, *c;
    int code;

    snprintf(settings, sizeof(settings),
             "address = \"%s\"; concurrency = 200; pool = { max_open = 3; max_idle = 1; }; %s",
             shared.master, loose);
    doc = run_probe(settings, &code);
    c = testlib_find_check(doc, "pool", NULL);
    ck_assert_msg(strcmp(testlib_status(c), "ok") == 0, "%s", testlib_message(c));
    ck_assert_ptr_nonnull(strstr(testlib_message(c), "800 operations by 200 workers"));
    /* Waiters queued, the limit held server-side, connections reused, none leaked. */
    ck_assert_double_gt(testlib_metric(doc, "infraprobe_redis_pool_wait_count_total", NULL, NULL),
                        0);
    ck_assert_double_le(
        testlib_metric(doc, "infraprobe_redis_pool_server_peak_connections", NULL, NULL), 3);
    ck_assert_double_ge(
        testlib_metric(doc, "infraprobe_redis_pool_server_peak_connections", NULL, NULL), 1);
    /* Reused: 800 operations on at most 3 connections, and every open past 3 replaced one
     * that max_idle closed (a release with nobody waiting and the idle list full). */
    ck_assert_double_le(
        testlib_metric(doc, "infraprobe_redis_pool_opened_total", NULL, NULL) -
            testlib_metric(doc, "infraprobe_redis_pool_max_idle_closed_total", NULL, NULL),
        3);
    ck_assert_double_lt(testlib_metric(doc, "infraprobe_redis_pool_opened_total", NULL, NULL), 800);
    ck_assert_double_eq(testlib_metric(doc, "infraprobe_redis_pool_in_use", NULL, NULL), 0);
    ck_assert_double_le(testlib_metric(doc, "infraprobe_redis_pool_open", NULL, NULL), 1);
    ck_assert_int_eq(code, 0);
    json_decref(doc);
}
END_TEST

START_TEST(bad_settings)
{
    char err[4096];
    json_t *doc;
    int code;
    char cmdline[2048], conf[600];
    FILE *f, *p;
    size_t n;

    (void)doc;
    (void)code;
    snprintf(conf, sizeof(conf), "%s/bad.conf", workdir);
    f = fopen(conf, "w");
    fprintf(f, "probes = (\n"
               "{ name = \"a\"; plugin = \"redis\"; address = \"x:1\"; sentinels = \"y:2\"; "
               "master_name = \"m\"; },\n"
               "{ name = \"b\"; plugin = \"redis\"; persistence = \"both\"; ttl = 0.0; },\n"
               "{ name = \"c\"; plugin = \"redis\"; sentinels = \"y:2\"; },\n"
               "{ name = \"d\"; plugin = \"redis\"; pool = { max_open = 2; max_idle = 3; }; "
               "adress = \"x\"; }\n);\n");
    fclose(f);
    snprintf(cmdline, sizeof(cmdline), "'%s' --plugin-dir '%s' -t -c '%s' 2>&1",
             getenv("INFRAPROBE"), getenv("INFRAPROBE_PLUGIN_PATH"), conf);
    p = popen(cmdline, "r");
    n = fread(err, 1, sizeof(err) - 1, p);
    err[n] = '\0';
    ck_assert_int_eq(WEXITSTATUS(pclose(p)), 3);
    ck_assert_msg(strstr(err, "bad.conf:2: probe \"a\": address: set either address or "
                              "sentinels, not both"),
                  "%s", err);
    ck_assert_msg(strstr(err, "probe \"b\": persistence: \"both\": expected"), "%s", err);
    ck_assert_msg(strstr(err, "probe \"b\": ttl: must be at least"), "%s", err);
    ck_assert_msg(strstr(err, "probe \"c\": master_name: is required with sentinels"), "%s", err);
    ck_assert_msg(strstr(err, "probe \"d\": pool: max_idle = 3: must not exceed max_open = 2"),
                  "%s", err);
    ck_assert_msg(strstr(err, "adress"), "%s", err);
}
END_TEST

/* The drill breaks its cluster: it has a sandbox of its own. */
static void drill_settings(const struct sandbox *sb, const char *stop, char *out, size_t len)
{
    snprintf(out, len,
             "sentinels = \"%s\"; master_name = \"infraprobe\"; concurrency = 5; %s"
             "failover = { stop = \"%s\"; start = \"'%s' --dir '%s' start %%{master}\"; "
             "timeout = 40.0; };",
             sb->sentinels, loose, stop, testlib_sandbox_tool(), sb->sb.dir);
}

START_TEST(failover_drill)
{
    char dir[600], settings[8192], stop[2048];
    struct sandbox sb;
    redisContext *c;
    redisReply *r;
    json_t *doc, *chk;
    int code;

    snprintf(dir, sizeof(dir), "%s/drill", workdir);
    ck_assert_msg(sandbox_up(&sb, dir) == 0, "sandbox up failed");
    snprintf(stop, sizeof(stop), "'%s' --dir '%s' kill %%{master}", testlib_sandbox_tool(),
             sb.sb.dir);
    drill_settings(&sb, stop, settings, sizeof(settings));
    /* Without --drill, no drill. */
    doc = run_probe(settings, &code);
    ck_assert_int_eq(testlib_has_check(doc, "failover"), 0);
    ck_assert_int_eq(code, 0);
    json_decref(doc);

    doc = run_mode("--drill", settings, &code);
    chk = testlib_find_check(doc, "failover", NULL);
    ck_assert_msg(strcmp(testlib_status(chk), "ok") == 0, "%s", testlib_message(chk));
    ck_assert_str_eq(testlib_target(chk), sb.master);
    ck_assert_double_gt(testlib_metric(doc, "infraprobe_redis_failover_detect_seconds", NULL, NULL),
                        0);
    ck_assert_double_ge(
        testlib_metric(doc, "infraprobe_redis_failover_recover_seconds", NULL, NULL),
        testlib_metric(doc, "infraprobe_redis_failover_detect_seconds", NULL, NULL));
    ck_assert_double_eq(testlib_metric(doc, "infraprobe_redis_failover_lost_writes", NULL, NULL),
                        0);
    ck_assert_int_eq(code, 0);
    json_decref(doc);

    /* Left healthy: the replica is master, the old master its replica with the link up, and
     * none of the drill's keys remain. */
    c = direct(sb.replica);
    r = cmd(c, "INFO %s", "replication");
    ck_assert_ptr_nonnull(strstr(r->str, "role:master"));
    ck_assert_ptr_nonnull(strstr(r->str, "connected_slaves:1"));
    freeReplyObject(r);
    r = cmd(c, "KEYS %s", "*:drill:*");
    ck_assert_int_eq(r->elements, 0);
    freeReplyObject(r);
    redisFree(c);
    c = direct(sb.master);
    r = cmd(c, "INFO %s", "replication");
    ck_assert_ptr_nonnull(strstr(r->str, "role:slave"));
    ck_assert_ptr_nonnull(strstr(r->str, "master_link_status:up"));
    freeReplyObject(r);
    redisFree(c);

    /* A fault action that fails: unknown with its words; the restore still runs. */
    drill_settings(&sb, "echo no such member >&2; exit 4", settings, sizeof(settings));
    doc = run_mode("--drill", settings, &code);
    chk = testlib_find_check(doc, "failover", NULL);
    ck_assert_str_eq(testlib_status(chk), "unknown");
    ck_assert_ptr_nonnull(strstr(testlib_message(chk), "stop: exit status 4: no such member"));
    ck_assert_int_eq(code, 3);
    json_decref(doc);
    sandbox_down(&sb);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("redis");
    TCase *tc = tcase_create("redis"), *drill = tcase_create("drill");
    char dir[600];
    SRunner *sr;
    int failed;

    workdir = testlib_init("redis", 1);
    if (!workdir)
        return EXIT_FAILURE;
    snprintf(dir, sizeof(dir), "%s/sandbox", workdir);
    if (sandbox_up(&shared, dir) != 0) {
        fprintf(stderr, "redis_test: the sandbox's redis did not start\n");
        return EXIT_FAILURE;
    }
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, every_check_ok);
    tcase_add_test(tc, keys_carry_their_ttl);
    tcase_add_test(tc, sentinel_discovery);
    tcase_add_test(tc, sentinel_unknown_master);
    tcase_add_test(tc, wrong_password);
    tcase_add_test(tc, unreachable_address);
    tcase_add_test(tc, silent_server_is_critical_at_the_deadline);
    tcase_add_test(tc, replica_where_a_master_is_expected);
    tcase_add_test(tc, persistence_expectation);
    tcase_add_test(tc, persistence_failed_save);
    tcase_add_test(tc, expected_replicas_missing);
    tcase_add_test(tc, pool_exhaustion);
    tcase_add_test(tc, bad_settings);
    tcase_set_timeout(drill, 180);
    tcase_add_test(drill, failover_drill);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, drill);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    sandbox_down(&shared);
    if (testlib_cleanup() != 0)
        failed++;
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
