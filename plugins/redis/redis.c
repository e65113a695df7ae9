/*
 * The redis plugin: connect (AUTH, SELECT, CLIENT SETNAME, PING), write a unique key with a
 * TTL, read it back, check its TTL and that a short-lived key really goes, the persistence
 * the operator expects, concurrency through the SDK pool verified server-side, replication,
 * and under --drill a master failover through Sentinel. The master is either `address` or
 * the one Sentinel names now (`sentinels` + `master_name`), as production clients find it.
 *
 * Files: redis_conn.c (commands with a deadline), redis_sentinel.c (discovery),
 * redis_pool.c (the pool check), redis_drill.c (the failover drill), redis_info.c (pure
 * parsing of INFO and CLIENT LIST).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "redis_hint.h"
#include "redis_plugin.h"

/* The guide's target is 1 ms per Redis operation; critical is 10x. Connecting is about
 * five round trips (TCP, AUTH, SELECT, SETNAME, PING), hence 5 ms. */
static const struct ip_check_decl redis_checks[] = {
    {.name = "connect",
     .help = "connected, authenticated, PING answered",
     .kind = IP_LATENCY,
     .warn = 5,
     .crit = 50},
    {.name = "write",
     .help = "SET of a unique key with a TTL",
     .kind = IP_LATENCY,
     .warn = 1,
     .crit = 10,
     .flags = IP_CHECK_WRITES},
    {.name = "read",
     .help = "GET returns what was written",
     .kind = IP_LATENCY,
     .warn = 1,
     .crit = 10},
    {.name = "ttl",
     .help = "keys carry their TTL and expire",
     .kind = IP_LATENCY,
     .warn = 1,
     .crit = 10,
     .flags = IP_CHECK_WRITES},
    {.name = "persistence",
     .help = "age of the oldest change not in a snapshot",
     .kind = IP_VALUE_MAX,
     .warn = 3600,
     .unit = "s"},
    /* 50 workers and hundreds of SETs: every tenth run in the daemon (load_checks_every). */
    {.name = "pool",
     .help = "concurrent SETs through the connection pool",
     .kind = IP_LATENCY,
     .flags = IP_CHECK_WRITES | IP_CHECK_LOADS},
    {.name = "replication",
     .help = "replicas connected, replication lag",
     .kind = IP_VALUE_MAX,
     .warn = 1048576,
     .crit = 10485760,
     .unit = "bytes"},
    /* The sandbox's Sentinel fails over in about 2 s; a production one with
     * down-after-milliseconds 5000 in about 6 s. Half a minute without a master is an
     * outage. */
    {.name = "failover",
     .help = "drill: master failover through Sentinel; its value the recovery time",
     .kind = IP_VALUE_MAX,
     .warn = 10,
     .crit = 30,
     .unit = "s",
     .flags = IP_CHECK_DRILL},
    {0},
};

/* A short-lived key's TTL for the expiry check, in ms: short enough to wait for within a
 * run. It is read back inside the transaction that writes it, so no link is too slow. */
#define REDIS_SHORT_PX 5
/* How far past the expiry, by the server's clock, a key may still be seen: TIME and the
 * lookup in one EXEC are microseconds apart, and expiry works in whole milliseconds. */
#define REDIS_EXPIRY_SLACK_US 1000

static void redis_teardown(void *state)
{
    struct redis_state *st = state;

    if (!st)
        return;
    redis_pool_free(st);
    free(st);
}

/* Where the master is: `address`, or the one `sentinels` name as `master_name`. */
static void redis_setup_target(struct ip_probe *probe, struct redis_state *st)
{
    char host[256];
    int port;

    st->sentinels = ip_probe_strings(probe, "sentinels", &st->nsentinels);
    if (!st->nsentinels) {
        if (ip_probe_has(probe, "master_name"))
            ip_probe_fail(probe, "master_name", "needs sentinels");
        st->address = ip_probe_string(probe, "address", "${REDIS_ADDR:-127.0.0.1:6379}");
        if (st->address && ip_hostport(st->address, host, sizeof(host), &port) != 0)
            ip_probe_fail(probe, "address", "\"%s\": expected host:port or [v6addr]:port",
                          st->address);
        return;
    }
    if (ip_probe_has(probe, "address"))
        ip_probe_fail(probe, "address", "set either address or sentinels, not both");
    st->master_name = ip_probe_string(probe, "master_name", NULL);
    if (!st->master_name || !*st->master_name)
        ip_probe_fail(probe, "master_name", "is required with sentinels");
    for (size_t i = 0; i < st->nsentinels; i++)
        if (ip_hostport(st->sentinels[i], host, sizeof(host), &port) != 0)
            ip_probe_fail(probe, "sentinels", "\"%s\": expected host:port", st->sentinels[i]);
}

static int redis_setup(struct ip_probe *probe, void **statep)
{
    struct redis_state *st = calloc(1, sizeof(*st));
    const char *persist;

    if (!st)
        return IP_ENOMEM;
    st->probe_name = ip_probe_name(probe);
    redis_setup_target(probe, st);
    st->username = ip_probe_string(probe, "username", NULL);
    st->password = ip_probe_secret(probe, "password");
    if (st->username && !st->password)
        ip_probe_fail(probe, "username", "needs password (or password_file)");
    st->database = (int)ip_probe_int(probe, "database", 0, 0, 1000000);
    st->key_prefix = ip_probe_string(probe, "key_prefix", "infraprobe:");
    st->ttl = ip_probe_duration(probe, "ttl", 60.0);
    if (st->ttl < 0.001)
        ip_probe_fail(probe, "ttl", "must be at least 0.001 s");
    st->pool_config = (struct ip_pool_config){.max_open = 10, .max_idle = 2};
    ip_probe_pool(probe, &st->pool_config);
    if (st->pool_config.max_open == 0) /* the pool check judges the server's count by it */
        ip_probe_fail(probe, "pool", "max_open = 0: the redis pool needs a limit");
    st->concurrency = (int)ip_probe_int(probe, "concurrency", 50, 0, 10000);
    persist = ip_probe_string(probe, "persistence", "any");
    if (persist && redis_persist_parse(persist, &st->persistence) != 0)
        ip_probe_fail(probe, "persistence",
                      "\"%s\": expected \"rdb\", \"aof\", \"any\" or \"none\"", persist);
    st->replicas = (int)ip_probe_int(probe, "replicas", -1, 0, 1000);
    /* Bytes; at least what an INFO reply needs, at most 1 TiB. */
    st->max_reply = (size_t)ip_probe_int(probe, "max_reply", (long long)REDIS_DEFAULT_MAX_REPLY,
                                         65536, 1LL << 40);
    redis_client_name(st->probe_name, NULL, st->client_name, sizeof(st->client_name));
    if (gethostname(st->host, sizeof(st->host)) != 0 || !st->host[0])
        snprintf(st->host, sizeof(st->host), "unknown");
    st->host[sizeof(st->host) - 1] = '\0';
    {
        char suffix[300];

        snprintf(suffix, sizeof(suffix), ":pool:%s:%ld", st->host, (long)getpid());
        redis_client_name(st->probe_name, suffix, st->pool_client_name,
                          sizeof(st->pool_client_name));
    }
    if (ip_probe_err(probe)) {
        redis_teardown(st);
        return IP_ECONFIG;
    }
    *statep = st;
    return 0;
}

static void redis_latency(struct ip_report *rep, const char *target, const char *op, double s)
{
    const char *labels[] = {"operation", op, NULL};

    ip_metric(rep, IP_GAUGE, "operation_latency", "seconds",
              "latency of the last operation of each kind", target, labels, s);
}

/* Server figures from INFO as metrics. */
/* The hint for check `check` that failed with `err`, when what the server said gives one. */
static void redis_hint(struct ip_report *rep, const char *check, const char *target,
                       const char *err, const char *info)
{
    char buf[512];

    if (redis_hint_error(err, info, buf, sizeof(buf)))
        ip_check_hint(rep, check, target, "%s", buf);
}

static void redis_info_metrics(struct ip_report *rep, const char *target, const char *info)
{
    static const struct {
        const char *key, *name, *unit, *help;
        enum ip_metric_type type;
    } m[] = {
        {"connected_clients", "connected_clients", NULL, "clients connected", IP_GAUGE},
        {"used_memory", "used_memory", "bytes", "memory used by Redis", IP_GAUGE},
        {"maxmemory", "maxmemory", "bytes", "maxmemory (0: no limit)", IP_GAUGE},
        {"keyspace_hits", "keyspace_hits", NULL, "lookups that found their key", IP_COUNTER},
        {"keyspace_misses", "keyspace_misses", NULL, "lookups that did not", IP_COUNTER},
        {"evicted_keys", "evicted_keys", NULL, "keys evicted by maxmemory", IP_COUNTER},
    };
    char policy[64];
    long long v;

    for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
        if (redis_info_ll(info, m[i].key, &v) == 0)
            ip_metric(rep, m[i].type, m[i].name, m[i].unit, m[i].help, target, NULL, (double)v);
    if (redis_info_field(info, "maxmemory_policy", policy, sizeof(policy)) == 0) {
        const char *labels[] = {"policy", policy, NULL};

        ip_metric(rep, IP_GAUGE, "maxmemory_policy", NULL,
                  "the eviction policy (always 1; the policy is its label)", target, labels, 1);
    }
}

/* The server's clock from a TIME reply (seconds and microseconds as bulks): 0 or -1. */
static int redis_time_us(const redisReply *r, long long *us)
{
    long long v[2];

    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2)
        return -1;
    for (int i = 0; i < 2; i++) {
        char *end;

        if (r->element[i]->type != REDIS_REPLY_STRING || !r->element[i]->len)
            return -1;
        errno = 0;
        v[i] = strtoll(r->element[i]->str, &end, 10);
        if (*end || errno == ERANGE || v[i] < 0 || v[i] > 1000000000000LL)
            return -1;
    }
    *us = v[0] * 1000000 + v[1];
    return 0;
}

/* MULTI, the commands, EXEC, in one round trip: 0 with the EXEC array in *exec (the
 * caller frees it), or -1 with err. Every reply is checked: +OK, +QUEUED each, an array
 * of as many replies. */
static int redis_transaction(redisContext *c, double deadline, int n, const int *argcs,
                             const char **const *argvs, redisReply **exec, double *took, char *err,
                             size_t errlen)
{
    int total = n + 2, argc[8];
    const char **argv[8];
    redisReply *r[8];
    int rc = -1;

    *exec = NULL;
    argc[0] = 1;
    argv[0] = (const char *[]){"MULTI"};
    for (int i = 0; i < n; i++) {
        argc[i + 1] = argcs[i];
        argv[i + 1] = (const char **)argvs[i];
    }
    argc[n + 1] = 1;
    argv[n + 1] = (const char *[]){"EXEC"};
    if (redis_cmds(c, deadline, err, errlen, total, argc, (const char **const *)argv, r, took))
        return -1;
    if (redis_expect(r[0], REDIS_REPLY_STATUS, "OK", argc[0], argv[0], err, errlen) != 0)
        goto out;
    for (int i = 1; i <= n; i++)
        if (redis_expect(r[i], REDIS_REPLY_STATUS, "QUEUED", argc[i], argv[i], err, errlen))
            goto out;
    if (redis_expect(r[n + 1], REDIS_REPLY_ARRAY, NULL, 1, argv[n + 1], err, errlen) != 0)
        goto out;
    if (r[n + 1]->elements != (size_t)n) {
        snprintf(err, errlen, "EXEC: expected an array of %d, got an array of %zu", n,
                 r[n + 1]->elements);
        goto out;
    }
    for (int i = 0; i < n; i++)
        if (r[n + 1]->element[i]->type == REDIS_REPLY_ERROR) {
            snprintf(err, errlen, "EXEC: %s", r[n + 1]->element[i]->str);
            goto out;
        }
    *exec = r[n + 1];
    r[n + 1] = NULL;
    rc = 0;
out:
    for (int i = 0; i < total; i++)
        if (r[i])
            freeReplyObject(r[i]);
    return rc;
}

/*
 * ttl: the key carries its TTL, and a key written with a tiny one really goes. Proven with
 * the server's own clock, so that it holds on a link of any latency: one transaction
 * writes the short key and reads its PTTL and the server's TIME (t1) together, so the PTTL
 * is seen before the key can expire however long the round trip. Then we ask, again in
 * one transaction, whether it still exists and the server's TIME (t2): gone is a pass;
 * still there while t2 < t1 + PX is too early to tell, and we wait out the difference;
 * still there once t2 is past t1 + PX (+ 1 ms) is a failure. Only the deadline bounds
 * the waiting, and the waits are not part of the check's duration.
 */
/* Wait, by the server's clock, for shortkey (written when the server's clock said t1 us, with
 * PX REDIS_SHORT_PX) to expire: 0 once it has, or -1 with why in err. *spent adds the round
 * trips' time. */
static int redis_ttl_expiry(redisContext *c, const char *shortkey, long long t1, double deadline,
                            double *spent, char *err, size_t errlen)
{
    long long expiry = t1 + REDIS_SHORT_PX * 1000LL + REDIS_EXPIRY_SLACK_US, t2 = t1;

    for (;;) {
        long long wait_us = expiry - t2, exists;
        redisReply *x = NULL;
        double took;
        int rc;

        if (wait_us > 0)
            ip_sleep_until(ip_clock() + (double)wait_us / 1e6);
        rc = redis_transaction(
            c, deadline, 2, (const int[]){2, 1},
            (const char **const[]){(const char *[]){"EXISTS", shortkey}, (const char *[]){"TIME"}},
            &x, &took, err, errlen);
        *spent += took;
        if (rc == 0 && (redis_expect(x->element[0], REDIS_REPLY_INTEGER, NULL, 1,
                                     (const char *[]){"EXISTS"}, err, errlen) ||
                        (redis_time_us(x->element[1], &t2) != 0 &&
                         snprintf(err, errlen, "TIME: expected seconds and microseconds") > 0)))
            rc = -1;
        if (rc != 0) {
            if (x)
                freeReplyObject(x);
            return -1;
        }
        exists = x->element[0]->integer;
        freeReplyObject(x);
        if (exists == 0)
            return 0;
        if (t2 >= expiry) {
            snprintf(err, errlen,
                     "\"%s\" written with PX %d still exists %.1f ms later by the server's clock",
                     shortkey, REDIS_SHORT_PX, (double)(t2 - t1) / 1000.0);
            return -1;
        }
    }
}

static void redis_ttl(struct ip_report *rep, redisContext *c, const char *target, const char *key,
                      long long ttl_ms, double deadline)
{
    char shortkey[1100], err[1280], px[16];
    long long pttl, short_pttl, t1;
    redisReply *x = NULL;
    double spent = 0, took;
    int rc;

    if (!ip_check_enabled(rep, "ttl"))
        return; /* the core records it skipped */
    snprintf(shortkey, sizeof(shortkey), "%s:short", key);
    snprintf(px, sizeof(px), "%d", REDIS_SHORT_PX);
    rc = redis_transaction(c, deadline, 4, (const int[]){2, 5, 2, 1},
                           (const char **const[]){(const char *[]){"PTTL", key},
                                                  (const char *[]){"SET", shortkey, "x", "PX", px},
                                                  (const char *[]){"PTTL", shortkey},
                                                  (const char *[]){"TIME"}},
                           &x, &took, err, sizeof(err));
    spent += took;
    if (rc == 0 && (redis_expect(x->element[0], REDIS_REPLY_INTEGER, NULL, 1,
                                 (const char *[]){"PTTL"}, err, sizeof(err)) ||
                    redis_expect(x->element[1], REDIS_REPLY_STATUS, "OK", 1,
                                 (const char *[]){"SET"}, err, sizeof(err)) ||
                    redis_expect(x->element[2], REDIS_REPLY_INTEGER, NULL, 1,
                                 (const char *[]){"PTTL"}, err, sizeof(err)) ||
                    (redis_time_us(x->element[3], &t1) != 0 &&
                     snprintf(err, sizeof(err), "TIME: expected seconds and microseconds") > 0)))
        rc = -1;
    if (rc != 0) {
        ip_check(rep, "ttl", target, IP_CRITICAL, spent, "%s", err);
        if (x)
            freeReplyObject(x);
        return;
    }
    pttl = x->element[0]->integer;
    short_pttl = x->element[2]->integer;
    freeReplyObject(x);
    if (pttl <= 0 || pttl > ttl_ms) {
        ip_check(rep, "ttl", target, IP_CRITICAL, spent,
                 "PTTL \"%s\" = %lld ms: expected in (0, %lld]", key, pttl, ttl_ms);
        return;
    }
    if (short_pttl <= 0 || short_pttl > REDIS_SHORT_PX) {
        ip_check(rep, "ttl", target, IP_CRITICAL, spent,
                 "PTTL \"%s\" = %lld ms: expected in (0, %d]", shortkey, short_pttl,
                 REDIS_SHORT_PX);
        return;
    }
    if (redis_ttl_expiry(c, shortkey, t1, deadline, &spent, err, sizeof(err)) != 0) {
        ip_check(rep, "ttl", target, IP_CRITICAL, spent, "%s", err);
        return;
    }
    redis_latency(rep, target, "ttl", spent);
    ip_check(rep, "ttl", target, IP_OK, spent,
             "PTTL %lld ms of %lld; a key written with PX %d expired (by the server's clock)", pttl,
             ttl_ms, REDIS_SHORT_PX);
}

/* read: GET returns the value redis_rw() wrote. */
static void redis_read(struct ip_report *rep, redisContext *c, const char *target, const char *key,
                       const char *val, double deadline)
{
    char err[512], got[200];
    redisReply *r;
    double took;

    if (!ip_check_enabled(rep, "read"))
        return; /* the core records it skipped */
    r = redis_cmd_timed(c, deadline, err, sizeof(err), 2, (const char *[]){"GET", key}, &took);
    if (r)
        redis_describe(r, got, sizeof(got));
    if (!r)
        ip_check(rep, "read", target, IP_CRITICAL, took, "%s", err);
    else if (r->type == REDIS_REPLY_NIL)
        ip_check(rep, "read", target, IP_CRITICAL, took, "GET \"%s\": not found (nil)", key);
    else if (r->type != REDIS_REPLY_STRING || r->len != strlen(val) ||
             memcmp(r->str, val, r->len) != 0)
        ip_check(rep, "read", target, IP_CRITICAL, took, "GET \"%s\": got %s, wrote \"%s\"", key,
                 got, val);
    else {
        redis_latency(rep, target, "read", took);
        ip_check(rep, "read", target, IP_OK, took, "GET returned what was written");
    }
    if (r)
        freeReplyObject(r);
}

/* write, read, ttl on a master; a replica would refuse writes. */
static void redis_rw(struct redis_state *st, struct ip_report *rep, redisContext *c,
                     const char *target, const char *info, double deadline)
{
    char key[1024], val[256], pxs[32], err[512], role[32] = "";
    long long ttl_ms = llround(st->ttl * 1000);
    double took;

    if (!ip_check_enabled(rep, "write")) {
        /* The core records write (and ttl, when disabled too) skipped, with the reason. */
        ip_skip_checks(rep, target,
                       ip_check_enabled(rep, "ttl") ? (const char *[]){"read", "ttl", NULL}
                                                    : (const char *[]){"read", NULL},
                       "nothing written: the write check is disabled");
        return;
    }
    if (redis_info_field(info, "role", role, sizeof(role)) == 0 && strcmp(role, "master") != 0) {
        char mh[256] = "?", mp[16] = "?";

        redis_info_field(info, "master_host", mh, sizeof(mh));
        redis_info_field(info, "master_port", mp, sizeof(mp));
        ip_check(rep, "write", target, IP_CRITICAL, 0,
                 "%s is a replica of %s:%s, not a master: writes would fail", target, mh, mp);
        ip_check_hint(rep, "write", target,
                      "point the probe at the master %s:%s, or let Sentinel name it "
                      "(sentinels, master_name)",
                      mh, mp);
        ip_skip_checks(rep, target, (const char *[]){"read", "ttl", NULL}, "nothing written");
        return;
    }
    ip_run_tag(rep, val, sizeof(val));
    snprintf(key, sizeof(key), "%s%s:%s", st->key_prefix, st->probe_name, val);
    snprintf(pxs, sizeof(pxs), "%lld", ttl_ms);
    if (redis_cmd_status(c, deadline, err, sizeof(err), "OK", 5,
                         (const char *[]){"SET", key, val, "PX", pxs}, &took) != 0) {
        ip_check(rep, "write", target, IP_CRITICAL, took, "%s", err);
        redis_hint(rep, "write", target, err, info);
        ip_skip_checks(rep, target, (const char *[]){"read", "ttl", NULL}, "nothing written");
        return;
    }
    redis_latency(rep, target, "write", took);
    ip_check(rep, "write", target, IP_OK, took, "SET \"%s\" PX %lld", key, ttl_ms);

    redis_read(rep, c, target, key, val, deadline);
    if (c->err) {
        ip_skip_checks(rep, target, (const char *[]){"ttl", NULL}, "connection lost");
        return;
    }
    redis_ttl(rep, c, target, key, ttl_ms, deadline);
}

static void redis_persistence(struct redis_state *st, struct ip_report *rep, redisContext *c,
                              const char *target, const char *info, double deadline)
{
    char err[512], msg[600], *save = NULL;
    double t0 = ip_clock(), age;
    long long usec = 0;
    enum ip_status s;
    redisReply *r;

    if (!ip_check_enabled(rep, "persistence"))
        return; /* the core records it skipped */
    /* CONFIG may be renamed away on a hardened server: then the save points are unknown. */
    r = redis_cmd(c, deadline, err, sizeof(err), 3, (const char *[]){"CONFIG", "GET", "save"});
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
        r->element[1]->type == REDIS_REPLY_STRING) {
        save = strdup(r->element[1]->str);
    } else if (r) {
        char got[160];

        redis_describe(r, got, sizeof(got));
        freeReplyObject(r);
        ip_check(rep, "persistence", target, IP_CRITICAL, ip_clock() - t0,
                 "CONFIG GET save: expected an array of 2, got %s", got);
        return;
    }
    if (r)
        freeReplyObject(r);
    else if (c->err) {
        ip_check(rep, "persistence", target, IP_CRITICAL, ip_clock() - t0, "%s", err);
        return;
    }
    if (redis_info_ll(info, "server_time_usec", &usec) != 0)
        usec = (long long)time(NULL) * 1000000;
    s = redis_persist_eval(info, save, st->persistence, usec / 1000000, &age, msg, sizeof(msg));
    free(save);
    ip_check_value(rep, "persistence", target, s, ip_clock() - t0, age, "%s", msg);
    if (s != IP_OK && redis_hint_persistence(info, msg, sizeof(msg)))
        ip_check_hint(rep, "persistence", target, "%s", msg);
}

/* replication on a replica: its link to the master. */
static void redis_replication_link(struct ip_report *rep, const char *target, const char *info,
                                   const char *role)
{
    char link[32] = "";
    long long down = 0;

    redis_info_field(info, "master_link_status", link, sizeof(link));
    redis_info_ll(info, "master_link_down_since_seconds", &down);
    if (strcmp(link, "up") != 0) {
        char hint[512];

        ip_check_value(rep, "replication", target, IP_CRITICAL, 0, 0,
                       "role %s: master_link_status:%s", role, link);
        if (redis_hint_replication(info, -1, hint, sizeof(hint)))
            ip_check_hint(rep, "replication", target, "%s", hint);
    } else
        ip_check_value(rep, "replication", target, IP_OK, 0, 0, "role %s: master_link_status:up",
                       role);
}

/* The master's slaveN lines: the lag of the furthest behind, and the first problem (a
 * malformed line or a replica not online) in problem, which makes the status a warning. */
static enum ip_status redis_replicas_scan(const char *info, long long master_off, long long *lag,
                                          char *problem, size_t problemlen)
{
    enum ip_status s = IP_OK;
    struct redis_replica r;

    for (int i = 0, rc; (rc = redis_info_replica(info, i, &r)) != -1; i++) {
        if (rc == -2) {
            if (!problem[0])
                snprintf(problem, problemlen, "INFO replication: slave%d: malformed", i);
            s = IP_WARNING;
            continue;
        }
        if (strcmp(r.state, "online") != 0 && !problem[0]) {
            snprintf(problem, problemlen, "replica %s:%d is %s", r.host, r.port, r.state);
            s = IP_WARNING;
        }
        if (master_off - r.offset > *lag)
            *lag = master_off - r.offset;
    }
    return s;
}

/* replication: on a master, the replicas it has (as many as expected), each online, and
 * the lag in bytes of the furthest behind; on a replica, its link to the master. */
static void redis_replication(struct redis_state *st, struct ip_report *rep, const char *target,
                              const char *info)
{
    char role[32] = "", problem[512] = "";
    long long slaves = 0, master_off = 0, lag = 0;
    enum ip_status s;

    if (!ip_check_enabled(rep, "replication"))
        return; /* the core records it skipped */
    redis_info_field(info, "role", role, sizeof(role));
    redis_info_ll(info, "connected_slaves", &slaves);
    if (strcmp(role, "master") == 0 && slaves == 0 && st->replicas < 0)
        return; /* no replica configured, none there: nothing to check */
    if (strcmp(role, "master") != 0) {
        redis_replication_link(rep, target, info, role);
        return;
    }
    redis_info_ll(info, "master_repl_offset", &master_off);
    s = redis_replicas_scan(info, master_off, &lag, problem, sizeof(problem));
    if (st->replicas >= 0 && slaves < st->replicas) {
        snprintf(problem, sizeof(problem), "%lld of %d expected replicas connected", slaves,
                 st->replicas);
        s = IP_CRITICAL;
    }
    ip_metric(rep, IP_GAUGE, "replication_lag", "bytes",
              "bytes the furthest replica is behind its master", target, NULL, (double)lag);
    ip_metric(rep, IP_GAUGE, "connected_replicas", NULL, "replicas connected to the master", target,
              NULL, (double)slaves);
    ip_check_value(rep, "replication", target, s, 0, (double)lag,
                   "%s%s%lld replica(s) connected; lag %lld bytes", problem, problem[0] ? "; " : "",
                   slaves, lag);
    if (s != IP_OK && redis_hint_replication(info, st->replicas, problem, sizeof(problem)))
        ip_check_hint(rep, "replication", target, "%s", problem);
}

static int redis_run(void *state, struct ip_report *rep)
{
    static const char *const after_connect[] = {"write",       "read", "ttl",
                                                "persistence", "pool", NULL};
    struct redis_state *st = state;
    const struct redis_conn_opts opts = {
        st->username, st->password, st->database, st->client_name, st->max_reply, 0, NULL};
    double deadline = ip_report_deadline(rep), t0 = ip_clock();
    char addr[300], host[256], err[1024], *info = NULL;
    const char *target;
    redisContext *c = NULL;
    int port;

    st->runs++;
    if (st->nsentinels) {
        if (redis_sentinel_master(st->sentinels, st->nsentinels, st->master_name, deadline, addr,
                                  sizeof(addr), err, sizeof(err)) != 0) {
            ip_check(rep, "connect", NULL, IP_CRITICAL, ip_clock() - t0,
                     "no sentinel names master \"%s\": %s", st->master_name, err);
            ip_check_hint(rep, "connect", NULL,
                          "check that the Sentinels run, reach each other (quorum) and monitor "
                          "\"%s\" (SENTINEL MASTERS)",
                          st->master_name);
            ip_skip_checks(rep, NULL, after_connect, "no master");
            st->failures++;
            return 0;
        }
    } else {
        snprintf(addr, sizeof(addr), "%s", st->address);
    }
    target = addr;
    if (ip_hostport(addr, host, sizeof(host), &port) != 0) {
        ip_check(rep, "connect", target, IP_CRITICAL, 0, "\"%s\": not host:port", addr);
        st->failures++;
        return 0;
    }
    t0 = ip_clock();
    c = redis_connect(host, port, &opts, deadline, err, sizeof(err));
    if (!c) {
        ip_check(rep, "connect", target, IP_CRITICAL, ip_clock() - t0, "%s", err);
        redis_hint(rep, "connect", target, err, NULL);
        ip_skip_checks(rep, target, after_connect, "not connected");
        st->failures++;
        redis_drill(st, rep, addr);
        return 0;
    }
    redis_latency(rep, target, "connect", ip_clock() - t0);
    info = redis_info(c, NULL, deadline, err, sizeof(err));
    if (!info) {
        ip_check(rep, "connect", target, IP_CRITICAL, ip_clock() - t0, "%s", err);
        redis_hint(rep, "connect", target, err, NULL);
        ip_skip_checks(rep, target, after_connect, "no INFO");
        st->failures++;
        goto out;
    }
    {
        char version[64] = "?", role[32] = "?";

        redis_info_field(info, "redis_version", version, sizeof(version));
        redis_info_field(info, "role", role, sizeof(role));
        /* Where a name was configured, say which of its addresses answered. */
        ip_check(rep, "connect", target, IP_OK, ip_clock() - t0, "redis %s, role %s, as %s%s%s",
                 version, role, st->client_name,
                 strncmp(redis_conn_addr(c), host, strlen(host)) ? " at " : "",
                 strncmp(redis_conn_addr(c), host, strlen(host)) ? redis_conn_addr(c) : "");
    }
    redis_rw(st, rep, c, target, info, deadline);
    redis_persistence(st, rep, c, target, info, deadline);
    redis_replication(st, rep, target, info);
    redis_info_metrics(rep, target, info);
    redis_pool_check(st, rep, c, host, port, target);
out:
    free(info);
    redis_free(c);
    redis_drill(st, rep, addr);
    return 0;
}

static int redis_metrics(void *state, struct ip_report *rep)
{
    struct redis_state *st = state;

    ip_metric(rep, IP_COUNTER, "runs", NULL, "probe runs since start", NULL, NULL,
              (double)st->runs);
    ip_metric(rep, IP_COUNTER, "unreachable_runs", NULL, "runs that could not connect", NULL, NULL,
              (double)st->failures);
    return 0;
}

IP_EXPORT const struct ip_plugin infraprobe_plugin = {
    IP_PLUGIN_HEADER,
    .name = "redis",
    .description = "Redis: connect, write, read, TTL, persistence, pool, replication, failover",
    .checks = redis_checks,
    .setup = redis_setup,
    .run = redis_run,
    .teardown = redis_teardown,
    .metrics = redis_metrics,
    .operate = redis_operate,
};
