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
#include <errno.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
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

/* Run infraprobe (`mode`: "--once" or "--drill") on one redis probe with `settings` and
 * `timeout`: its JSON report. */
static json_t *run_timed(const char *mode, double timeout, const char *settings, int *exit_code)
{
    char conf[512], args[64];

    snprintf(conf, sizeof(conf), "%s/redis.conf", workdir);
    testlib_write(
        conf, "probes = ( { name = \"redis main\"; plugin = \"redis\"; timeout = %.1f; %s } );\n",
        timeout, settings);
    snprintf(args, sizeof(args), "%s -f json", mode);
    return testlib_run_json(conf, args, exit_code, NULL, NULL);
}

static json_t *run_mode(const char *mode, const char *settings, int *exit_code)
{
    return run_timed(mode, 2.0, settings, exit_code);
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

/* Check `name` of the first probe has `status` and a message containing `part` (unless
 * NULL); a failure says what it got instead. */
static void expect_check(json_t *doc, const char *name, const char *status, const char *part)
{
    json_t *c = testlib_find_check(doc, name, NULL);
    const char *got = testlib_status(c), *msg = testlib_message(c);

    ck_assert_msg(got && strcmp(got, status) == 0 && (!part || (msg && strstr(msg, part))),
                  "check %s: expected %s with \"%s\", got %s: %s", name, status, part ? part : "",
                  got ? got : "(none)", msg ? msg : "(none)");
}

/* Check `name` of the first probe carries a hint containing `part`. */
static void expect_hint(json_t *doc, const char *name, const char *part)
{
    const char *hint =
        json_string_value(json_object_get(testlib_find_check(doc, name, NULL), "hint"));

    ck_assert_msg(hint && strstr(hint, part), "check %s: expected a hint with \"%s\", got %s", name,
                  part, hint ? hint : "(none)");
}

/* ---- Tiny misbehaving servers on 127.0.0.1, each connection served by a thread. ---- */

enum fake_mode {
    FAKE_OK,        /* +OK to every command */
    FAKE_REDISH,    /* PING: +PONG, INFO: a bulk saying role:master, anything else: +OK */
    FAKE_TRICKLE,   /* to the first command, a bulk of 1000 bytes, one byte every 200 ms */
    FAKE_BIG_BULK,  /* like FAKE_REDISH, but INFO is a bulk of `big` bytes */
    FAKE_BIG_ARRAY, /* like FAKE_REDISH, but INFO is an array of 64 KiB bulks, `big` in all */
};

struct fake {
    enum fake_mode mode;
    size_t big;
    int fd, port;
    pthread_t thread;
};

struct fake_conn {
    struct fake *f;
    int fd;
};

static int send_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static const char fake_info[] = "# Server\r\nredis_version:7.0.0\r\n"
                                "# Replication\r\nrole:master\r\nconnected_slaves:0\r\n";

/* Stream `len` bytes of 'x' as one bulk: 0, or -1 once the client has gone. */
static int fake_bulk(int fd, size_t len)
{
    static char chunk[65536];
    char head[64];

    memset(chunk, 'x', sizeof(chunk));
    snprintf(head, sizeof(head), "$%zu\r\n", len);
    if (send_all(fd, head, strlen(head)) != 0)
        return -1;
    while (len > 0) {
        size_t n = len < sizeof(chunk) ? len : sizeof(chunk);

        if (send_all(fd, chunk, n) != 0)
            return -1;
        len -= n;
    }
    return send_all(fd, "\r\n", 2);
}

/* Answer one command: 0, or -1 to hang up. */
static int fake_answer(struct fake *f, int fd, const char *cmd)
{
    char head[64];

    if (f->mode == FAKE_OK)
        return send_all(fd, "+OK\r\n", 5);
    if (f->mode == FAKE_TRICKLE) {
        struct timespec ts = {0, 200000000L};

        if (send_all(fd, "$1000\r\n", 7) != 0)
            return -1;
        for (int i = 0; i < 1000; i++) {
            nanosleep(&ts, NULL);
            if (send_all(fd, "x", 1) != 0)
                return -1;
        }
        return -1;
    }
    if (!strcasecmp(cmd, "PING"))
        return send_all(fd, "+PONG\r\n", 7);
    if (strcasecmp(cmd, "INFO") != 0)
        return send_all(fd, "+OK\r\n", 5);
    if (f->mode == FAKE_BIG_BULK)
        return fake_bulk(fd, f->big);
    if (f->mode == FAKE_BIG_ARRAY) {
        size_t n = f->big / 65536;

        snprintf(head, sizeof(head), "*%zu\r\n", n);
        if (send_all(fd, head, strlen(head)) != 0)
            return -1;
        for (size_t i = 0; i < n; i++)
            if (fake_bulk(fd, 65536) != 0)
                return -1;
        return 0;
    }
    snprintf(head, sizeof(head), "$%zu\r\n", strlen(fake_info));
    return send_all(fd, head, strlen(head)) || send_all(fd, fake_info, strlen(fake_info)) ||
           send_all(fd, "\r\n", 2);
}

/* Commands parsed with hiredis's own reader: a command is an array of bulks. */
static void *fake_conn_main(void *arg)
{
    struct fake_conn *fc = arg;
    redisReader *rd = redisReaderCreate();
    char buf[16384];
    ssize_t n;
    int done = 0;

    while (!done && (n = recv(fc->fd, buf, sizeof(buf), 0)) > 0) {
        void *reply;

        redisReaderFeed(rd, buf, (size_t)n);
        while (!done && redisReaderGetReply(rd, &reply) == REDIS_OK && reply) {
            redisReply *r = reply;
            const char *cmd = r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
                                      r->element[0]->type == REDIS_REPLY_STRING
                                  ? r->element[0]->str
                                  : "";

            done = fake_answer(fc->f, fc->fd, cmd) != 0;
            freeReplyObject(r);
        }
    }
    redisReaderFree(rd);
    close(fc->fd);
    free(fc);
    return NULL;
}

static void *fake_main(void *arg)
{
    struct fake *f = arg;
    int c;

    while ((c = accept(f->fd, NULL, NULL)) >= 0) {
        struct fake_conn *fc = malloc(sizeof(*fc));
        pthread_t t;

        ck_assert_ptr_nonnull(fc);
        fc->f = f;
        fc->fd = c;
        ck_assert_int_eq(pthread_create(&t, NULL, fake_conn_main, fc), 0);
        pthread_detach(t);
    }
    return NULL;
}

/* Listen on ip:0 and serve in a thread. */
static void fake_start(struct fake *f, enum fake_mode mode, size_t big, const char *ip)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof(a);

    f->mode = mode;
    f->big = big;
    ck_assert_int_eq(inet_pton(AF_INET, ip, &a.sin_addr), 1);
    f->fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(f->fd, 0);
    ck_assert_int_eq(bind(f->fd, (struct sockaddr *)&a, len), 0);
    ck_assert_int_eq(listen(f->fd, 64), 0);
    ck_assert_int_eq(getsockname(f->fd, (struct sockaddr *)&a, &len), 0);
    f->port = ntohs(a.sin_port);
    ck_assert_int_eq(pthread_create(&f->thread, NULL, fake_main, f), 0);
}

/* ---- A slow link: a proxy on 127.0.0.1 that holds every chunk `delay_ms` each way, and
 * a close `eof_delay_ms` (a server that reads a client's EOF late). ---- */

struct proxy {
    int fd, port, target_port, delay_ms, eof_delay_ms;
    pthread_t thread;
};

struct pump {
    int from, to, delay_ms, eof_delay_ms;
};

static void *pump_main(void *arg)
{
    struct pump *p = arg;
    char buf[65536];
    ssize_t n;

    while ((n = recv(p->from, buf, sizeof(buf), 0)) > 0) {
        struct timespec ts = {0, p->delay_ms * 1000000L};

        nanosleep(&ts, NULL);
        if (send_all(p->to, buf, (size_t)n) != 0)
            break;
    }
    if (n == 0 && p->eof_delay_ms) {
        struct timespec ts = {p->eof_delay_ms / 1000, (p->eof_delay_ms % 1000) * 1000000L};

        nanosleep(&ts, NULL);
    }
    shutdown(p->to, SHUT_WR);
    shutdown(p->from, SHUT_RD);
    free(p);
    return NULL;
}

static void *proxy_main(void *arg)
{
    struct proxy *px = arg;
    int c;

    while ((c = accept(px->fd, NULL, NULL)) >= 0) {
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                                .sin_port = htons((uint16_t)px->target_port)};
        int up = socket(AF_INET, SOCK_STREAM, 0);
        struct pump *p1 = malloc(sizeof(*p1)), *p2 = malloc(sizeof(*p2));
        pthread_t t;

        if (up < 0 || !p1 || !p2 || connect(up, (struct sockaddr *)&a, sizeof(a)) != 0) {
            close(c);
            free(p1);
            free(p2);
            continue;
        }
        /* The fds stay open until the test's process ends: a test runs a few connections. */
        *p1 = (struct pump){c, up, px->delay_ms, px->eof_delay_ms};
        *p2 = (struct pump){up, c, px->delay_ms, 0};
        pthread_create(&t, NULL, pump_main, p1);
        pthread_detach(t);
        pthread_create(&t, NULL, pump_main, p2);
        pthread_detach(t);
    }
    return NULL;
}

static void proxy_start(struct proxy *px, int target_port, int delay_ms, int eof_delay_ms)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);

    px->target_port = target_port;
    px->delay_ms = delay_ms;
    px->eof_delay_ms = eof_delay_ms;
    px->fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(px->fd, 0);
    ck_assert_int_eq(bind(px->fd, (struct sockaddr *)&a, len), 0);
    ck_assert_int_eq(listen(px->fd, 64), 0);
    ck_assert_int_eq(getsockname(px->fd, (struct sockaddr *)&a, &len), 0);
    px->port = ntohs(a.sin_port);
    ck_assert_int_eq(pthread_create(&px->thread, NULL, proxy_main, px), 0);
}

/* The port of a host:port. */
static int port_of(const char *addr)
{
    const char *colon = strrchr(addr, ':');

    ck_assert_ptr_nonnull(colon);
    return atoi(colon + 1);
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
    expect_check(doc, "connect", "ok", "as infraprobe:redis_main");
    expect_check(doc, "replication", "ok", "1 replica(s) connected");
    expect_check(doc, "ttl", "ok", "expired");
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

/* read_only = true: the checks that write are skipped, saying why, and no key is written. */
START_TEST(read_only_writes_no_key)
{
    const char *skipped[] = {"write", "ttl", "pool"};
    char settings[1024];
    redisContext *c;
    redisReply *r;
    json_t *doc;
    int code;

    snprintf(settings, sizeof(settings),
             "address = \"%s\"; key_prefix = \"rotest:\"; read_only = true; %s", shared.master,
             loose);
    doc = run_probe(settings, &code);
    for (size_t i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++)
        expect_check(doc, skipped[i], "skipped", "read_only = true");
    expect_check(doc, "read", "skipped", "nothing written");
    expect_check(doc, "connect", "ok", "as infraprobe:redis_main");
    expect_check(doc, "replication", "ok", "replica");
    ck_assert_int_eq(code, 0);
    json_decref(doc);
    c = direct(shared.master);
    r = cmd(c, "KEYS %s", "rotest:*");
    ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
    ck_assert_msg(r->elements == 0, "%zu keys written, the first %s", r->elements,
                  r->elements ? r->element[0]->str : "");
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
    expect_check(doc, "connect", "ok", NULL);
    ck_assert_str_eq(testlib_target(testlib_find_check(doc, "connect", NULL)), shared.master);
    expect_check(doc, "write", "ok", NULL);
    ck_assert_int_eq(code, 0);
    json_decref(doc);
}
END_TEST

START_TEST(sentinel_unknown_master)
{
    char settings[1024];
    json_t *doc;
    int code;

    snprintf(settings, sizeof(settings), "sentinels = \"%s\"; master_name = \"nosuch\";",
             shared.sentinels);
    doc = run_probe(settings, &code);
    expect_check(doc, "connect", "critical", "does not know master \"nosuch\" (nil)");
    expect_check(doc, "write", "skipped", NULL);
    ck_assert_int_eq(code, 2);
    json_decref(doc);
}
END_TEST

START_TEST(wrong_password)
{
    char settings[1024];
    redisContext *c = direct(shared.master);
    redisReply *r = redisCommand(c, "ACL SETUSER probeuser on >right-secret ~* +@all");
    json_t *doc;
    char *text;
    int code;

    ck_assert_int_eq(r->type, REDIS_REPLY_STATUS);
    freeReplyObject(r);
    snprintf(settings, sizeof(settings),
             "address = \"%s\"; username = \"probeuser\"; password = \"wrong-s3cret\";",
             shared.master);
    doc = run_probe(settings, &code);
    expect_check(doc, "connect", "critical", "AUTH: WRONGPASS");
    expect_hint(doc, "connect", "authentication failed");
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
        expect_check(doc, "connect", "ok", NULL);
        expect_check(doc, "pool", "ok", NULL);
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
    expect_check(doc, "connect", "critical", "Connection refused");
    c = testlib_find_check(doc, "connect", NULL);
    ck_assert_str_eq(testlib_message(c), "Connection refused");
    expect_hint(doc, "connect", "is redis-server running");
    expect_check(doc, "read", "skipped", NULL);
    expect_check(doc, "pool", "skipped", NULL);
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
    json_t *doc;

    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, len), 0);
    ck_assert_int_eq(listen(fd, 16), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    ck_assert_int_eq(pthread_create(&t, NULL, silent_server, &fd), 0);
    snprintf(settings, sizeof(settings), "address = \"127.0.0.1:%d\";", ntohs(a.sin_port));
    doc = run_probe(settings, &code);
    expect_check(doc, "connect", "critical", "CLIENT SETNAME timed out after");
    /* The plugin gave up by itself: critical, not the core's unknown "timed out". */
    ck_assert_msg(strcmp(testlib_status(testlib_probe0(doc)), "critical") == 0, "probe: %s: %s",
                  testlib_status(testlib_probe0(doc)), testlib_message(testlib_probe0(doc)));
    ck_assert_int_eq(code, 2);
    json_decref(doc);
}
END_TEST

START_TEST(replica_where_a_master_is_expected)
{
    char settings[1024];
    json_t *doc;
    int code;

    snprintf(settings, sizeof(settings), "address = \"%s\"; concurrency = 0; %s", shared.replica,
             loose);
    doc = run_probe(settings, &code);
    expect_check(doc, "connect", "ok", NULL);
    expect_check(doc, "write", "critical", "is a replica of");
    expect_check(doc, "write", "critical", "writes would fail");
    expect_hint(doc, "write", "point the probe at the master");
    expect_check(doc, "read", "skipped", NULL);
    expect_check(doc, "replication", "ok", "master_link_status:up");
    ck_assert_int_eq(code, 2);
    json_decref(doc);
}
END_TEST

START_TEST(persistence_expectation)
{
    char settings[1024];
    json_t *doc;
    int code;

    snprintf(settings, sizeof(settings), "address = \"%s\"; persistence = \"none\"; %s",
             shared.master, loose);
    doc = run_probe(settings, &code);
    expect_check(doc, "persistence", "warning", "expected none, but rdb and aof is on");
    ck_assert_int_eq(code, 1);
    json_decref(doc);
    snprintf(settings, sizeof(settings), "address = \"%s\"; persistence = \"aof\"; %s",
             shared.master, loose);
    doc = run_probe(settings, &code);
    expect_check(doc, "persistence", "ok", NULL);
    json_decref(doc);
}
END_TEST

/* A failed RDB save: the server's directory is made immutable (ext4's chattr +i stops even
 * root) while it saves. CONFIG SET dir is a protected config in Redis 7. This breaks its
 * server for a while (MISCONF until a save works; Redis retries a failed BGSAVE by itself,
 * and a replica that resyncs then fails too), so it gets a sandbox of its own. */
START_TEST(persistence_failed_save)
{
    char settings[1024], chattr[1024], dir[600];
    struct sandbox sb;
    redisContext *c;
    redisReply *r;
    json_t *doc;
    int code, tries, failed = 0;

    snprintf(dir, sizeof(dir), "%s/persist", workdir);
    ck_assert_msg(sandbox_up(&sb, dir) == 0, "sandbox up failed");
    c = direct(sb.master);
    snprintf(chattr, sizeof(chattr), "chattr +i '%s/redis-master'", sb.sb.dir);
    ck_assert_int_eq(system(chattr), 0);
    freeReplyObject(cmd(c, "BGSAVE%s", ""));
    for (tries = 0; tries < 200 && !failed; tries++) { /* until the child has failed */
        r = cmd(c, "INFO %s", "persistence");
        failed = strstr(r->str, "rdb_last_bgsave_status:err") != NULL;
        freeReplyObject(r);
        if (!failed)
            usleep(20000);
    }
    snprintf(chattr, sizeof(chattr), "chattr -i '%s/redis-master'", sb.sb.dir);
    ck_assert_int_eq(system(chattr), 0);
    ck_assert_msg(failed, "BGSAVE did not fail");
    snprintf(settings, sizeof(settings), "address = \"%s\"; concurrency = 0; %s", sb.master, loose);
    doc = run_probe(settings, &code);
    redisFree(c);
    sandbox_down(&sb);
    expect_check(doc, "persistence", "warning",
                 "the last RDB save failed (rdb_last_bgsave_status:err)");
    /* stop-writes-on-bgsave-error (the default) makes the server refuse writes. */
    expect_check(doc, "write", "critical", "SET: MISCONF");
    expect_hint(doc, "write", "stop-writes-on-bgsave-error");
    expect_hint(doc, "persistence", "cannot write its snapshot");
    expect_check(doc, "connect", "ok", NULL);
    ck_assert_int_eq(code, 2);
    json_decref(doc);
}
END_TEST

START_TEST(expected_replicas_missing)
{
    char settings[1024];
    json_t *doc;
    int code;

    snprintf(settings, sizeof(settings), "address = \"%s\"; replicas = 2; concurrency = 0; %s",
             shared.master, loose);
    doc = run_probe(settings, &code);
    expect_check(doc, "replication", "critical", "1 of 2 expected replicas connected");
    expect_hint(doc, "replication", "replicas are missing");
    ck_assert_int_eq(code, 2);
    json_decref(doc);
}
END_TEST

/* A Redis that is out of memory under noeviction refuses the write: the hint names maxmemory
 * and the policy INFO reported, in JSON, text and the Nagios long output. The master is put back
 * before any assertion, so that a failure here leaves the shared sandbox whole. */
START_TEST(out_of_memory_hint)
{
    char settings[1024], conf[600];
    redisContext *c = direct(shared.master);
    char *text = NULL, *nagios = NULL;
    int code, tcode, ncode;
    json_t *doc;

    freeReplyObject(cmd(c, "CONFIG SET maxmemory-policy %s", "noeviction"));
    freeReplyObject(cmd(c, "CONFIG SET maxmemory %s", "1"));
    snprintf(settings, sizeof(settings), "address = \"%s\"; concurrency = 0; %s", shared.master,
             loose);
    doc = run_probe(settings, &code);
    snprintf(conf, sizeof(conf), "%s/redis.conf", workdir);
    tcode = testlib_run(conf, "--once -f text", &text, NULL);
    ncode = testlib_run(conf, "--once -f nagios --probe 'redis main'", &nagios, NULL);
    freeReplyObject(cmd(c, "CONFIG SET maxmemory %s", "0"));
    redisFree(c);
    expect_check(doc, "write", "critical", "OOM");
    expect_hint(doc, "write", "has reached maxmemory");
    expect_hint(doc, "write", "maxmemory-policy is noeviction");
    ck_assert_int_eq(code, 2);
    ck_assert_int_eq(tcode, 2);
    ck_assert_int_eq(ncode, 2);
    ck_assert_msg(strstr(text, "maxmemory-policy is noeviction, so writes fail"), "text: %s", text);
    ck_assert_msg(strstr(nagios, "\n    hint: used memory "), "nagios: %s", nagios);
    ck_assert_msg(strstr(nagios, "maxmemory-policy is noeviction"), "nagios: %s", nagios);
    free(text);
    free(nagios);
    json_decref(doc);
}
END_TEST

/* The guide's "Connection Pool Exhaustion": far more clients than connections. */
START_TEST(pool_exhaustion)
{
    char settings[1024];
    json_t *doc;
    int code;

    snprintf(settings, sizeof(settings),
             "address = \"%s\"; concurrency = 200; pool = { max_open = 3; max_idle = 1; }; %s",
             shared.master, loose);
    doc = run_probe(settings, &code);
    expect_check(doc, "pool", "ok", "800 operations by 200 workers");
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

/* A "server" that answers +OK to everything is not a healthy Redis: PING wants PONG. */
START_TEST(always_ok_server_is_critical)
{
    struct fake f;
    char settings[256];
    json_t *doc;
    int code;

    fake_start(&f, FAKE_OK, 0, "127.0.0.1");
    snprintf(settings, sizeof(settings), "address = \"127.0.0.1:%d\";", f.port);
    doc = run_probe(settings, &code);
    expect_check(doc, "connect", "critical", "PING: expected PONG, got status \"OK\"");
    expect_check(doc, "write", "skipped", NULL);
    expect_check(doc, "pool", "skipped", NULL);
    ck_assert_msg(code == 2, "exit %d", code);
    json_decref(doc);
}
END_TEST

/* Past the handshake, every reply is checked for its type and value. */
START_TEST(every_reply_is_checked)
{
    struct fake f;
    char settings[512];
    json_t *doc;
    int code;

    fake_start(&f, FAKE_REDISH, 0, "127.0.0.1");
    snprintf(settings, sizeof(settings), "address = \"127.0.0.1:%d\"; %s", f.port, loose);
    doc = run_probe(settings, &code);
    expect_check(doc, "connect", "ok", "role master");
    expect_check(doc, "write", "ok", NULL); /* +OK is SET's right answer */
    expect_check(doc, "read", "critical", "got status \"OK\", wrote");
    expect_check(doc, "ttl", "critical", "expected QUEUED, got status \"OK\"");
    expect_check(doc, "persistence", "critical",
                 "CONFIG GET save: expected an array of 2, got status \"OK\"");
    expect_check(doc, "pool", "critical", "CLIENT LIST: expected a bulk string, got status \"OK\"");
    ck_assert_msg(code == 2, "exit %d", code);
    json_decref(doc);
}
END_TEST

/* One byte every 200 ms: each read succeeds, but the command as a whole has a deadline,
 * and the plugin says so itself before the core gives up on it. */
START_TEST(trickling_server_is_bounded_as_a_whole)
{
    struct fake f;
    char conf[600];
    json_t *doc;
    int code;

    fake_start(&f, FAKE_TRICKLE, 0, "127.0.0.1");
    snprintf(conf, sizeof(conf), "%s/trickle.conf", workdir);
    testlib_write(conf,
                  "probes = ( { name = \"trickle\"; plugin = \"redis\"; timeout = 1.0; "
                  "address = \"127.0.0.1:%d\"; } );\n",
                  f.port);
    doc = testlib_run_json(conf, "--once -f json", &code, NULL, NULL);
    expect_check(doc, "connect", "critical", "CLIENT SETNAME timed out after");
    ck_assert_msg(strcmp(testlib_status(testlib_probe0(doc)), "critical") == 0,
                  "probe: %s: %s (the core's timeout, not the plugin's)",
                  testlib_status(testlib_probe0(doc)), testlib_message(testlib_probe0(doc)));
    ck_assert_msg(code == 2, "exit %d", code);
    json_decref(doc);
}
END_TEST

/* A reply past max_reply is refused with the limit and the server's address, whether one
 * bulk announces it or many add up to it; one within the limit is read. */
START_TEST(reply_larger_than_max_reply_is_refused)
{
    struct fake bulk, array, fits;
    char settings[512], want[128];
    json_t *doc;
    int code;

    fake_start(&bulk, FAKE_BIG_BULK, (size_t)100 * 1024 * 1024, "127.0.0.1");
    snprintf(settings, sizeof(settings), "address = \"127.0.0.1:%d\";", bulk.port);
    doc = run_probe(settings, &code);
    snprintf(want, sizeof(want), "INFO: reply larger than 64 MiB from 127.0.0.1:%d (max_reply)",
             bulk.port);
    expect_check(doc, "connect", "critical", want);
    ck_assert_msg(code == 2, "exit %d", code);
    json_decref(doc);

    fake_start(&array, FAKE_BIG_ARRAY, (size_t)4 * 1024 * 1024, "127.0.0.1");
    snprintf(settings, sizeof(settings), "address = \"127.0.0.1:%d\"; max_reply = 1048576;",
             array.port);
    doc = run_probe(settings, &code);
    snprintf(want, sizeof(want), "INFO: reply larger than 1 MiB from 127.0.0.1:%d", array.port);
    expect_check(doc, "connect", "critical", want);
    json_decref(doc);

    /* 2 MiB under a 4 MiB limit: read, and INFO's text is not a master's, so no verdict
     * on the role; the connection itself is fine. */
    fake_start(&fits, FAKE_BIG_BULK, (size_t)2 * 1024 * 1024, "127.0.0.1");
    snprintf(settings, sizeof(settings),
             "address = \"127.0.0.1:%d\"; max_reply = 4194304; concurrency = 0; %s", fits.port,
             loose);
    doc = run_probe(settings, &code);
    expect_check(doc, "connect", "ok", "redis ?, role ?");
    json_decref(doc);
}
END_TEST

/* Through a link that holds every chunk 8 ms each way (a round trip of 16 ms or more), a
 * key written with PX 5 has expired before any reply comes back: expiry is proven with
 * the server's own clock instead. */
START_TEST(ttl_holds_on_a_slow_link)
{
    struct proxy px;
    char settings[1024], addr[64];
    json_t *doc;
    int code;

    proxy_start(&px, port_of(shared.master), 8, 0);
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", px.port);
    snprintf(settings, sizeof(settings), "address = \"%s\"; concurrency = 0; %s", addr, loose);
    doc = run_probe(settings, &code);
    expect_check(doc, "connect", "ok", NULL);
    expect_check(doc, "write", "ok", NULL);
    expect_check(doc, "read", "ok", NULL);
    expect_check(doc, "ttl", "ok", "a key written with PX 5 expired");
    ck_assert_msg(code == 0, "exit %d", code);
    json_decref(doc);
}
END_TEST

/* The pool's connections closed at the end of a run are not a leak, however late the
 * server sees them go: with max_idle = 0, every run closes all of its connections just
 * before it counts. */
START_TEST(pool_reports_no_false_leak)
{
    char settings[1024];
    int leaks = 0, runs = 0;
    char first[1024] = "";

    snprintf(settings, sizeof(settings),
             "address = \"%s\"; concurrency = 20; pool = { max_open = 20; max_idle = 0; }; %s",
             shared.master, loose);
    for (runs = 0; runs < 300; runs++) {
        json_t *doc;
        json_t *c;
        int code;

        /* A generous timeout: what is asserted is the leak count, not that 300 runs all
         * finish within 2 s on a machine that other tests load. */
        doc = run_timed("--once", 20.0, settings, &code);
        c = testlib_find_check(doc, "pool", NULL);
        if (strcmp(testlib_status(c), "ok") != 0) {
            if (!leaks++)
                snprintf(first, sizeof(first), "run %d: %s: %s", runs, testlib_status(c),
                         testlib_message(c));
        }
        json_decref(doc);
    }
    ck_assert_msg(leaks == 0, "%d of %d runs not ok; first: %s", leaks, runs, first);
}
END_TEST

/* The same, made certain: every close reaches the server 300 ms late, long after the
 * count at the end of the run. The connections the pool closed are still listed then,
 * and they are no leak. */
START_TEST(pool_close_seen_late_is_no_leak)
{
    struct proxy px;
    char settings[1024];
    json_t *doc;
    int code;

    proxy_start(&px, port_of(shared.master), 0, 300);
    snprintf(settings, sizeof(settings),
             "address = \"127.0.0.1:%d\"; concurrency = 20; "
             "pool = { max_open = 5; max_idle = 1; }; %s",
             px.port, loose);
    doc = run_probe(settings, &code);
    expect_check(doc, "pool", "ok", "left open (max_idle 1)");
    ck_assert_msg(code == 0, "exit %d", code);
    json_decref(doc);
}
END_TEST

/* A name goes through the resolver: "localhost" reaches the sandbox's master. */
START_TEST(address_by_name)
{
    char settings[1024], want[128];
    json_t *doc;
    int code;

    snprintf(settings, sizeof(settings), "address = \"localhost:%d\"; concurrency = 0; %s",
             port_of(shared.master), loose);
    doc = run_probe(settings, &code);
    snprintf(want, sizeof(want), "at 127.0.0.1:%d", port_of(shared.master));
    expect_check(doc, "connect", "ok", want);
    expect_check(doc, "write", "ok", NULL);
    ck_assert_msg(code == 0, "exit %d", code);
    json_decref(doc);
}
END_TEST

/* Run the probe on address `host`:<the fake server's port> in a
 * network and mount namespace of its own: only lo, /etc/hosts is `hosts`, and
 * /etc/resolv.conf names 127.0.0.1, where a DNS server that never answers listens. A
 * FAKE_REDISH server listens on 127.0.0.1 there. No packet leaves the namespace. */
static json_t *run_in_netns(const char *hosts, const char *host, int *code)
{
    char resolv[600], hostsf[600], out[600];
    pid_t pid;
    int status;

    snprintf(resolv, sizeof(resolv), "%s/resolv.conf", workdir);
    snprintf(hostsf, sizeof(hostsf), "%s/hosts", workdir);
    snprintf(out, sizeof(out), "%s/netns.json", workdir);
    testlib_write(resolv, "nameserver 127.0.0.1\noptions timeout:5 attempts:2\n");
    testlib_write(hostsf, "%s", hosts);
    unlink(out);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                                .sin_port = htons(53)};
        struct ifreq ifr = {0};
        struct fake f;
        char *o = NULL, conf[600];
        int dns, sock, rc;
        FILE *w;

        if (unshare(CLONE_NEWNS | CLONE_NEWNET) != 0 ||
            mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
            mount(resolv, "/etc/resolv.conf", NULL, MS_BIND, NULL) != 0 ||
            mount(hostsf, "/etc/hosts", NULL, MS_BIND, NULL) != 0)
            _exit(100);
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
        sock = socket(AF_INET, SOCK_DGRAM, 0);
        if (sock < 0 || ioctl(sock, SIOCGIFFLAGS, &ifr) != 0)
            _exit(101);
        ifr.ifr_flags |= IFF_UP;
        if (ioctl(sock, SIOCSIFFLAGS, &ifr) != 0)
            _exit(102);
        dns = socket(AF_INET, SOCK_DGRAM, 0);
        if (dns < 0 || bind(dns, (struct sockaddr *)&a, sizeof(a)) != 0)
            _exit(103);
        fake_start(&f, FAKE_REDISH, 0, "127.0.0.1");
        snprintf(conf, sizeof(conf), "%s/netns.conf", workdir);
        testlib_write(conf,
                      "probes = ( { name = \"ns\"; plugin = \"redis\"; timeout = 2.0; "
                      "concurrency = 0; address = \"%s:%d\"; %s } );\n",
                      host, f.port, loose);
        rc = testlib_run(conf, "--once -f json", &o, NULL);
        w = fopen(out, "w");
        if (!w || fputs(o, w) < 0 || fclose(w) != 0)
            _exit(104);
        _exit(rc);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) < 100,
                  "the namespace could not be set up (status %d)", status);
    *code = WEXITSTATUS(status);
    return testlib_load_json(out);
}

/* A DNS server that never answers: the lookup ends at the run's deadline, and the plugin
 * says so itself (critical), not the core's timeout (unknown). */
START_TEST(name_not_resolved_by_the_deadline)
{
    json_t *doc;
    int code;

    doc = run_in_netns("127.0.0.1 localhost\n", "nowhere.test", &code);
    expect_check(doc, "connect", "critical", "nowhere.test: not resolved by the deadline");
    ck_assert_msg(strcmp(testlib_status(testlib_probe0(doc)), "critical") == 0, "probe: %s: %s",
                  testlib_status(testlib_probe0(doc)), testlib_message(testlib_probe0(doc)));
    ck_assert_msg(code == 2, "exit %d", code);
    json_decref(doc);
}
END_TEST

/* A name with two addresses, the first refusing: the second is tried and answers. */
START_TEST(each_address_tried_in_turn)
{
    json_t *doc;
    int code;

    doc = run_in_netns("::1 two.test\n127.0.0.1 two.test\n", "two.test", &code);
    expect_check(doc, "connect", "ok", "at 127.0.0.1:");
    json_decref(doc);
}
END_TEST

/* The drill breaks its cluster: it has a sandbox of its own. Its restore sleeps 0.3 s
 * first, so that rejoin_seconds shows where it is timed from. */
static void drill_settings(const struct sandbox *sb, const char *stop, char *out, size_t len)
{
    snprintf(out, len,
             "sentinels = \"%s\"; master_name = \"infraprobe\"; concurrency = 5; %s"
             "failover = { stop = \"%s\"; "
             "start = \"sleep 0.3; '%s' --dir '%s' start %%{master}\"; timeout = 40.0; };",
             sb->sentinels, loose, stop, testlib_sandbox_tool(), sb->sb.dir);
}

/* How many events of the first probe's drill timeline are `event`, with outcome `ok` (unless
 * ok < 0); with `action` (unless NULL). */
static int timeline_count(json_t *doc, const char *event, int ok, const char *action)
{
    json_t *t = json_object_get(testlib_probe0(doc), "timeline"), *e;
    size_t i;
    int n = 0;

    json_array_foreach(t, i, e)
    {
        const char *a = json_string_value(json_object_get(e, "action"));

        if (strcmp(json_string_value(json_object_get(e, "event")), event) == 0 &&
            (ok < 0 || json_is_true(json_object_get(e, "ok")) == ok) &&
            (!action || (a && strcmp(a, action) == 0)))
            n++;
    }
    return n;
}

/* The first `n` events of the timeline are acknowledged operations 0 .. n - 1, and more
 * follow; the timeline. */
static json_t *expect_markers(json_t *doc, int n)
{
    json_t *t = json_object_get(testlib_probe0(doc), "timeline"), *e;

    ck_assert_msg(json_array_size(t) > (size_t)n, "timeline of %zu events", json_array_size(t));
    for (int i = 0; i < n; i++) {
        e = json_array_get(t, (size_t)i);
        ck_assert_str_eq(json_string_value(json_object_get(e, "event")), "operation");
        ck_assert_int_eq(json_integer_value(json_object_get(e, "id")), i);
        ck_assert_msg(json_is_true(json_object_get(e, "ok")), "marker %d failed: %s", i,
                      json_string_value(json_object_get(e, "error")));
    }
    return t;
}

/* The drill framework's figures: the standard metrics agree with the check and the old names. */
static void expect_drill_metrics(json_t *doc)
{
    json_t *chk = testlib_find_check(doc, "failover", NULL);
    double detect = testlib_metric(doc, "infraprobe_redis_drill_detect_seconds", NULL, NULL);
    double recover = testlib_metric(doc, "infraprobe_redis_drill_recover_seconds", NULL, NULL);
    double unavailable =
        testlib_metric(doc, "infraprobe_redis_drill_unavailable_seconds", NULL, NULL);

    ck_assert_double_gt(detect, 0);
    ck_assert_double_ge(recover, detect);
    ck_assert_double_gt(unavailable, 0);
    ck_assert_double_le(unavailable, recover);
    ck_assert_double_eq(json_number_value(json_object_get(chk, "value")), recover);
    ck_assert_double_eq(
        json_number_value(json_object_get(json_object_get(chk, "thresholds"), "warn")), 10);
    ck_assert_double_eq(
        json_number_value(json_object_get(json_object_get(chk, "thresholds"), "crit")), 30);
    ck_assert_double_eq(testlib_metric(doc, "infraprobe_redis_drill_lost_operations", NULL, NULL),
                        0);
    ck_assert_double_eq(
        testlib_metric(doc, "infraprobe_redis_drill_duplicated_operations", NULL, NULL), 0);
    ck_assert_double_ge(testlib_metric(doc, "infraprobe_redis_drill_rejoin_seconds", NULL, NULL),
                        0.3);
    ck_assert_double_eq(testlib_metric(doc, "infraprobe_redis_failover_detect_seconds", NULL, NULL),
                        detect);
    ck_assert_double_eq(
        testlib_metric(doc, "infraprobe_redis_failover_recover_seconds", NULL, NULL), recover);
}

START_TEST(failover_drill)
{
    char dir[600], settings[8192], stop[2048];
    struct sandbox sb;
    redisContext *c;
    redisReply *r;
    json_t *doc, *chk, *t;
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
    expect_check(doc, "failover", "ok", NULL);
    chk = testlib_find_check(doc, "failover", NULL);
    ck_assert_str_eq(testlib_target(chk), sb.master);
    ck_assert_double_gt(testlib_metric(doc, "infraprobe_redis_failover_detect_seconds", NULL, NULL),
                        0);
    ck_assert_double_ge(
        testlib_metric(doc, "infraprobe_redis_failover_recover_seconds", NULL, NULL),
        testlib_metric(doc, "infraprobe_redis_failover_detect_seconds", NULL, NULL));
    ck_assert_double_eq(testlib_metric(doc, "infraprobe_redis_failover_lost_writes", NULL, NULL),
                        0);
    /* Timed from the restore action's start (which sleeps 0.3 s first), not from its end:
     * `sandbox start` returns once the member is healthy, so that read 0.00. */
    ck_assert_double_ge(testlib_metric(doc, "infraprobe_redis_failover_rejoin_seconds", NULL, NULL),
                        0.3);
    expect_drill_metrics(doc);
    /* The timeline: 20 markers, the fault, writes refused by the stopped master until Sentinel
     * named another, one that recovered, the restore. */
    t = expect_markers(doc, 20);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(t, 20), "event")), "fault");
    ck_assert_int_eq(timeline_count(doc, "fault", 1, "stop"), 1);
    ck_assert_int_ge(timeline_count(doc, "operation", 0, NULL), 1);
    ck_assert_int_eq(timeline_count(doc, "operation", 1, NULL), 21);
    ck_assert_int_eq(timeline_count(doc, "detected", 1, NULL), 1);
    ck_assert_int_eq(timeline_count(doc, "recovered", 1, NULL), 1);
    ck_assert_int_eq(timeline_count(doc, "restore", 1, "start"), 1);
    ck_assert_int_eq(timeline_count(doc, "rejoined", 1, NULL), 1);
    ck_assert_int_eq(code, 0);
    json_decref(doc);

    /* Left healthy: the replica is master, the old master its replica with the link up, and
     * none of the drill's keys remain. */
    c = direct(sb.replica);
    r = cmd(c, "INFO %s", "replication");
    ck_assert_msg(strstr(r->str, "role:master"), "%s", r->str);
    ck_assert_msg(strstr(r->str, "connected_slaves:1"), "%s", r->str);
    freeReplyObject(r);
    r = cmd(c, "KEYS %s", "*:drill:*");
    ck_assert_int_eq(r->elements, 0);
    freeReplyObject(r);
    redisFree(c);
    c = direct(sb.master);
    r = cmd(c, "INFO %s", "replication");
    ck_assert_msg(strstr(r->str, "role:slave"), "%s", r->str);
    ck_assert_msg(strstr(r->str, "master_link_status:up"), "%s", r->str);
    freeReplyObject(r);
    redisFree(c);

    /* A fault action that fails: unknown with its words; the restore still runs. */
    drill_settings(&sb, "echo no such member >&2; exit 4", settings, sizeof(settings));
    doc = run_mode("--drill", settings, &code);
    expect_check(doc, "failover", "unknown", "stop: exit status 4: no such member");
    ck_assert_int_eq(code, 3);
    json_decref(doc);
    sandbox_down(&sb);
}
END_TEST

/* SIGINT in the middle of a failover drill: infraprobe kills the probe's child, runs the
 * restore the drill owes, and exits with its report; the old master comes back and the two
 * replicate again, whichever of them Sentinel left master. */
START_TEST(failover_drill_interrupted)
{
    char dir[600], settings[8192], stop[2048], conf[700], out[700], mark[700];
    const char *argv[12];
    struct sandbox sb;
    json_t *doc, *chk;
    json_error_t jerr;
    char *text;
    FILE *f;
    pid_t pid;
    int status, linked = 0;

    snprintf(dir, sizeof(dir), "%s/interrupted", workdir);
    ck_assert_msg(sandbox_up(&sb, dir) == 0, "sandbox up failed");
    snprintf(mark, sizeof(mark), "%s/stopped", dir);
    snprintf(stop, sizeof(stop), "'%s' --dir '%s' kill %%{master} && touch '%s'",
             testlib_sandbox_tool(), sb.sb.dir, mark);
    drill_settings(&sb, stop, settings, sizeof(settings));
    snprintf(conf, sizeof(conf), "%s/interrupted.conf", workdir);
    testlib_write(conf, "probes = ( { name = \"redis main\"; plugin = \"redis\"; %s } );\n",
                  settings);
    snprintf(out, sizeof(out), "%s/interrupted.json", workdir);
    argv[0] = getenv("INFRAPROBE");
    argv[1] = "--plugin-dir";
    argv[2] = getenv("INFRAPROBE_PLUGIN_PATH");
    argv[3] = "--drill";
    argv[4] = "-f";
    argv[5] = "json";
    argv[6] = "-o";
    argv[7] = out;
    argv[8] = "-c";
    argv[9] = conf;
    argv[10] = NULL;
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    /* The master is down; Sentinel is electing: now. */
    while (access(mark, F_OK) != 0 && waitpid(pid, &status, WNOHANG) == 0)
        usleep(10000);
    kill(pid, SIGINT);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 3, "exit status %d", status);
    f = fopen(out, "r");
    ck_assert_ptr_nonnull(f);
    doc = json_loadf(f, 0, &jerr);
    fclose(f);
    ck_assert_msg(doc, "no JSON report: %s", jerr.text);
    chk = testlib_find_check(doc, "restore", NULL);
    ck_assert_msg(chk, "no restore check in %s", text = json_dumps(doc, 0));
    ck_assert_str_eq(testlib_status(chk), "ok");
    ck_assert_msg(strstr(testlib_message(chk), "(run by infraprobe: interrupted by SIGINT)"), "%s",
                  testlib_message(chk));
    /* The timeline the killed child had recorded reached the report, and the core's restore
     * joined it. The fault is in it once the stop action had returned; the SIGINT may come
     * between its `touch` and its end, so it may not be. */
    expect_markers(doc, 20);
    ck_assert_int_le(timeline_count(doc, "fault", 1, "stop"), 1);
    ck_assert_int_eq(timeline_count(doc, "restore", 1, "start"), 1);
    json_decref(doc);

    /* Replicating again: one of the two is master with the other linked. */
    for (int i = 0; i < 600 && !linked; i++) {
        const char *addrs[] = {sb.master, sb.replica};

        for (int j = 0; j < 2 && !linked; j++) {
            redisContext *c = redisConnect("127.0.0.1", atoi(strrchr(addrs[j], ':') + 1));
            redisReply *r;

            if (!c || c->err) {
                redisFree(c);
                continue;
            }
            r = redisCommand(c, "INFO replication");
            linked = r && r->type == REDIS_REPLY_STRING && strstr(r->str, "role:slave") &&
                     strstr(r->str, "master_link_status:up");
            freeReplyObject(r);
            redisFree(c);
        }
        if (!linked)
            usleep(100000);
    }
    ck_assert_msg(linked, "the old master did not come back as a linked replica or master");
    sandbox_down(&sb);
}
END_TEST

int main(void)
{
    TCase *tc = tcase_create("redis"), *many = tcase_create("many"), *drill = tcase_create("drill");
    char dir[600];
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
    tcase_add_test(tc, read_only_writes_no_key);
    tcase_add_test(tc, sentinel_discovery);
    tcase_add_test(tc, sentinel_unknown_master);
    tcase_add_test(tc, wrong_password);
    tcase_add_test(tc, unreachable_address);
    tcase_add_test(tc, silent_server_is_critical_at_the_deadline);
    tcase_add_test(tc, replica_where_a_master_is_expected);
    tcase_add_test(tc, persistence_expectation);
    tcase_add_test(tc, persistence_failed_save);
    tcase_add_test(tc, expected_replicas_missing);
    tcase_add_test(tc, out_of_memory_hint);
    tcase_add_test(tc, pool_exhaustion);
    tcase_add_test(tc, bad_settings);
    tcase_add_test(tc, always_ok_server_is_critical);
    tcase_add_test(tc, every_reply_is_checked);
    tcase_add_test(tc, trickling_server_is_bounded_as_a_whole);
    tcase_add_test(tc, reply_larger_than_max_reply_is_refused);
    tcase_add_test(tc, ttl_holds_on_a_slow_link);
    tcase_add_test(tc, address_by_name);
    tcase_add_test(tc, name_not_resolved_by_the_deadline);
    tcase_add_test(tc, each_address_tried_in_turn);
    tcase_add_test(tc, pool_close_seen_late_is_no_leak);
    /* 300 whole runs of infraprobe, each with its own child: minutes under ASan on a loaded
     * machine, so a case of its own with room for that. */
    tcase_set_timeout(many, 900);
    tcase_add_test(many, pool_reports_no_false_leak);
    tcase_set_timeout(drill, 180);
    tcase_add_test(drill, failover_drill);
    tcase_add_test(drill, failover_drill_interrupted);
    failed = testlib_run_tcases(CK_NORMAL, tc, many, drill, NULL);
    sandbox_down(&shared);
    if (testlib_cleanup() != 0)
        failed++;
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
