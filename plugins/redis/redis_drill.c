/*
 * The failover drill (the guide's "Master Failure"), on the SDK's drill framework: what is
 * Redis's own here. An operation is a SET of a key of the drill's; before the fault a replica
 * must acknowledge it too (WAIT 1), after it the master Sentinel names now must. Detection
 * is Sentinel naming another master; the read-back GETs every acknowledged key from it; the
 * drill is whole again once the old master replicates from the new one with its link up and
 * every sentinel agrees. Every key the drill wrote is deleted, and carries a TTL in case that
 * fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_plugin.h"

/* Writes a replica acknowledged before the fault. */
#define DRILL_MARKERS 20
/* How often Sentinel and the old master are asked again (seconds). */
#define DRILL_POLL 0.05

struct redis_drill {
    const struct redis_state *st;
    struct redis_conn_opts opts;
    const char *master; /* the old master */
    char newm[300];     /* the master Sentinel named after the fault; "": none yet */
    const char *run_id;
    char px[32];     /* the keys' time to live, ms */
    long long ids;   /* keys written: ids 0 .. ids - 1 */
    redisContext *c; /* to c_addr, kept across operations */
    char c_addr[300];
};

static redisContext *drill_connect(const char *addr, const struct redis_conn_opts *o,
                                   double deadline, char *err, size_t errlen)
{
    char host[256];
    int port;

    if (ip_hostport(addr, host, sizeof(host), &port) != 0) {
        snprintf(err, errlen, "\"%s\": not host:port", addr);
        return NULL;
    }
    return redis_connect(host, port, o, deadline, err, errlen);
}

static void drill_key(const struct redis_drill *r, long long id, char *key, size_t keylen)
{
    snprintf(key, keylen, "%s%s:drill:%s:%lld", r->st->key_prefix, r->st->probe_name, r->run_id,
             id);
}

static void drill_value(const struct redis_drill *r, long long id, char *val, size_t vallen)
{
    snprintf(val, vallen, "%s:%lld", r->run_id, id);
}

/* The connection to `addr`, kept from the last operation when it went there. */
static redisContext *drill_link(struct redis_drill *r, const char *addr, double deadline, char *err,
                                size_t errlen)
{
    if (r->c && strcmp(r->c_addr, addr) == 0)
        return r->c;
    redis_free(r->c);
    snprintf(r->c_addr, sizeof(r->c_addr), "%s", addr);
    r->c = drill_connect(addr, &r->opts, deadline, err, errlen);
    return r->c;
}

/* One write to the master as the drill knows it now; before the fault, a replica must have it
 * too. */
static int drill_operate(void *ctx, struct ip_drill *d, long long id, double deadline, char *err,
                         size_t errlen)
{
    struct redis_drill *r = ctx;
    const char *addr = r->newm[0] ? r->newm : r->master;
    redisContext *c = drill_link(r, addr, deadline, err, errlen);
    char key[512], val[128];
    redisReply *w = NULL;

    (void)d;
    if (!c)
        return -1;
    r->ids = id + 1;
    drill_key(r, id, key, sizeof(key));
    drill_value(r, id, val, sizeof(val));
    if (redis_cmd_ok(c, deadline, err, errlen, 5, (const char *[]){"SET", key, val, "PX", r->px}) ==
            0 &&
        (id >= DRILL_MARKERS ||
         (w = redis_cmd_type(c, deadline, err, errlen, REDIS_REPLY_INTEGER, 3,
                             (const char *[]){"WAIT", "1", "2000"}, NULL)))) {
        int acked = !w || w->integer >= 1;

        if (!acked)
            snprintf(err, errlen, "WAIT 1: no replica acknowledged the write");
        freeReplyObject(w);
        return acked ? 0 : -1;
    }
    if (c->err) {
        redis_free(r->c);
        r->c = NULL;
    }
    return -1;
}

/* Sentinel names another master. */
static int drill_detected(void *ctx, struct ip_drill *d, double deadline, char *err, size_t errlen)
{
    struct redis_drill *r = ctx;
    char addr[300];

    if (redis_sentinel_master(r->st->sentinels, r->st->nsentinels, r->st->master_name, deadline,
                              addr, sizeof(addr), err, errlen) != 0)
        return 0;
    if (strcmp(addr, r->master) == 0) {
        snprintf(err, errlen, "Sentinel still names the old one");
        return 0;
    }
    snprintf(r->newm, sizeof(r->newm), "%s", addr);
    ip_drill_note(d, "master %s stopped, Sentinel named %s", r->master, r->newm);
    return 1;
}

/* Every acknowledged key, from the new master. */
static int drill_verify(void *ctx, struct ip_drill *d, double deadline, char *err, size_t errlen)
{
    struct redis_drill *r = ctx;
    redisContext *c = drill_link(r, r->newm, deadline, err, errlen);
    size_t n;
    const long long *ids = ip_drill_acked(d, &n);

    for (size_t i = 0; c && i < n; i++) {
        char key[512], val[128];
        redisReply *g;

        drill_key(r, ids[i], key, sizeof(key));
        drill_value(r, ids[i], val, sizeof(val));
        if (!(g = redis_cmd(c, deadline, err, errlen, 2, (const char *[]){"GET", key})))
            return -1;
        if (g->type == REDIS_REPLY_STRING && strcmp(g->str, val) == 0)
            ip_drill_seen(d, ids[i]);
        freeReplyObject(g);
    }
    return c ? 0 : -1;
}

/* `addr` is a replica of `master` with its link up: 1, or 0 with what it is now in err. */
static int drill_replicates(const struct redis_drill *r, const char *addr, const char *master,
                            double deadline, char *err, size_t errlen)
{
    redisContext *c = drill_connect(addr, &r->opts, deadline, err, errlen);
    char *info = c ? redis_info(c, "replication", deadline, err, errlen) : NULL;
    char role[32] = "", link[32] = "", mh[256] = "", mp[16] = "", now[300];
    int ok = 0;

    if (info) {
        redis_info_field(info, "role", role, sizeof(role));
        redis_info_field(info, "master_link_status", link, sizeof(link));
        redis_info_field(info, "master_host", mh, sizeof(mh));
        redis_info_field(info, "master_port", mp, sizeof(mp));
        snprintf(now, sizeof(now), "%s:%s", mh, mp);
        ok = strcmp(role, "slave") == 0 && strcmp(link, "up") == 0 && strcmp(now, master) == 0;
        if (!ok)
            snprintf(err, errlen, "old master %s: role %s, master %s, master_link_status:%s", addr,
                     role, role[0] == 's' ? now : "-", link[0] ? link : "-");
        free(info);
    }
    redis_free(c);
    return ok;
}

/* Every sentinel names `master`, so that the cluster is left as one. */
static int drill_agree(const struct redis_drill *r, const char *master, double deadline, char *err,
                       size_t errlen)
{
    for (size_t i = 0; i < r->st->nsentinels; i++) {
        char addr[300], why[512];

        if (redis_sentinel_master(&r->st->sentinels[i], 1, r->st->master_name, deadline, addr,
                                  sizeof(addr), why, sizeof(why)) != 0 ||
            strcmp(addr, master) != 0) {
            snprintf(err, errlen, "sentinel %s does not name %s yet", r->st->sentinels[i], master);
            return 0;
        }
    }
    return 1;
}

static int drill_rejoined(void *ctx, struct ip_drill *d, double deadline, char *err, size_t errlen)
{
    struct redis_drill *r = ctx;

    if (!drill_replicates(r, r->master, r->newm, deadline, err, errlen) ||
        !drill_agree(r, r->newm, deadline, err, errlen))
        return 0;
    ip_drill_note(d,
                  "master %s stopped, Sentinel named %s; %s back as its replica, link up and "
                  "every sentinel agreeing",
                  r->master, r->newm, r->master);
    return 1;
}

/* Delete the drill's keys where they are now; best effort (they expire anyway). */
static void drill_cleanup(void *ctx, struct ip_drill *d, double deadline)
{
    struct redis_drill *r = ctx;
    char err[512];
    redisContext *c = drill_link(r, r->newm[0] ? r->newm : r->master, deadline, err, sizeof(err));

    (void)d;
    for (long long id = 0; c && id < r->ids; id++) {
        char key[512];
        redisReply *x;

        drill_key(r, id, key, sizeof(key));
        if (!(x = redis_cmd(c, deadline, err, sizeof(err), 2, (const char *[]){"DEL", key})))
            break;
        freeReplyObject(x);
    }
    redis_free(r->c);
    r->c = NULL;
}

/* The old names of the drill's figures, kept for the dashboards that read them. */
static void drill_legacy_metrics(struct ip_report *rep, const char *master,
                                 const struct ip_drill_result *res)
{
    if (res->detect >= 0)
        ip_metric(rep, IP_GAUGE, "failover_detect", "seconds",
                  "drill: from the fault until Sentinel named a new master", master, NULL,
                  res->detect);
    if (res->recover >= 0)
        ip_metric(rep, IP_GAUGE, "failover_recover", "seconds",
                  "drill: from the fault until a write succeeded on the new master", master, NULL,
                  res->recover);
    if (res->lost >= 0)
        ip_metric(rep, IP_GAUGE, "failover_lost_writes", NULL,
                  "drill: acknowledged writes the new master lacks", master, NULL,
                  (double)res->lost);
    if (res->rejoin >= 0)
        ip_metric(rep, IP_GAUGE, "failover_rejoin", "seconds",
                  "drill: from the start of the restore action until the old master replicated "
                  "again, its link up and every sentinel agreeing",
                  master, NULL, res->rejoin);
}

void redis_drill(struct redis_state *st, struct ip_report *rep, const char *master)
{
    struct redis_drill r = {
        .st = st,
        .opts = {st->username, st->password, st->database, st->client_name, st->max_reply, 0},
        .master = master,
        .run_id = ip_report_run_id(rep)};
    const char *vars[] = {"master", master, NULL};
    const struct ip_drill_ops ops = {.check = "failover",
                                     .target = master,
                                     .vars = vars,
                                     .before = DRILL_MARKERS,
                                     .interval = DRILL_POLL,
                                     .operate = drill_operate,
                                     .detected = drill_detected,
                                     .verify = drill_verify,
                                     .rejoined = drill_rejoined,
                                     .cleanup = drill_cleanup};
    struct ip_drill_result res;
    double deadline;

    if (!ip_drill(rep, &deadline) || !ip_check_enabled(rep, "failover"))
        return; /* when disabled, the core records it skipped */
    if (!st->nsentinels) {
        ip_check(rep, "failover", master, IP_UNKNOWN, 0,
                 "the drill needs sentinels and master_name: Sentinel names the new master");
        return;
    }
    /* Should everything else fail, the keys still go by themselves. */
    snprintf(r.px, sizeof(r.px), "%lld", (long long)((deadline - ip_clock() + st->ttl) * 1000));
    if (ip_drill_execute(rep, &ops, &r, &res) == 1)
        drill_legacy_metrics(rep, master, &res);
}
