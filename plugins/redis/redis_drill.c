/*
 * The failover drill (the guide's "Master Failure"): write marker keys that a replica has
 * acknowledged (WAIT 1), run the fault action that stops the master Sentinel names, time
 * how long until Sentinel names another one (detect) and a write succeeds there (recover),
 * count the acknowledged markers the new master lacks (lost writes: the target is 0), run
 * the restore action, and wait for the old master to come back as a replica whose link is
 * up. Every key the drill wrote is deleted, and carries a TTL in case that fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_plugin.h"

/* Marker keys written before the fault. */
#define DRILL_MARKERS 20
/* How often Sentinel and the old master are asked again (seconds). */
#define DRILL_POLL 0.05

static void drill_sleep(double s)
{
    ip_sleep_until(ip_clock() + s);
}

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

/* Delete the drill's keys on `addr`; best effort (they expire anyway). */
static void drill_cleanup(const char *addr, const struct redis_conn_opts *o, char keys[][512],
                          int n, const char *after, double deadline)
{
    char err[512];
    redisContext *c = drill_connect(addr, o, deadline, err, sizeof(err));

    if (!c)
        return;
    for (int i = 0; i < n; i++) {
        redisReply *r =
            redis_cmd(c, deadline, err, sizeof(err), 2, (const char *[]){"DEL", keys[i]});

        if (r)
            freeReplyObject(r);
    }
    if (after) {
        redisReply *r = redis_cmd(c, deadline, err, sizeof(err), 2, (const char *[]){"DEL", after});

        if (r)
            freeReplyObject(r);
    }
    redis_free(c);
}

/* Write the markers with `px` ms to live and have a replica acknowledge them. */
static int drill_markers(redisContext *c, char keys[][512], const char *run_id, const char *px,
                         double deadline, char *err, size_t errlen)
{
    redisReply *r;
    char val[128];

    for (int i = 0; i < DRILL_MARKERS; i++) {
        snprintf(val, sizeof(val), "%s:%d", run_id, i);
        if (redis_cmd_ok(c, deadline, err, errlen, 5,
                         (const char *[]){"SET", keys[i], val, "PX", px}) != 0)
            return -1;
    }
    r = redis_cmd_type(c, deadline, err, errlen, REDIS_REPLY_INTEGER, 3,
                       (const char *[]){"WAIT", "1", "2000"}, NULL);
    if (!r)
        return -1;
    if (r->integer < 1) {
        snprintf(err, errlen, "WAIT 1: no replica acknowledged the markers");
        freeReplyObject(r);
        return -1;
    }
    freeReplyObject(r);
    return 0;
}

/* How many markers `addr` lacks (or holds with another value); -1 with err. */
static int drill_lost(const char *addr, const struct redis_conn_opts *o, char keys[][512],
                      const char *run_id, double deadline, char *err, size_t errlen)
{
    redisContext *c = drill_connect(addr, o, deadline, err, errlen);
    int lost = 0;

    if (!c)
        return -1;
    for (int i = 0; i < DRILL_MARKERS; i++) {
        redisReply *r = redis_cmd(c, deadline, err, errlen, 2, (const char *[]){"GET", keys[i]});
        char val[128];

        if (!r) {
            redis_free(c);
            return -1;
        }
        snprintf(val, sizeof(val), "%s:%d", run_id, i);
        if (r->type != REDIS_REPLY_STRING || strcmp(r->str, val) != 0)
            lost++;
        freeReplyObject(r);
    }
    redis_free(c);
    return lost;
}

/* Wait for `addr` to be a replica of `master` with its link up. 0, or -1 with what it is
 * (prefixed with the address). */
static int drill_rejoin(const char *addr, const char *master, const struct redis_conn_opts *o,
                        double deadline, char *err, size_t errlen)
{
    snprintf(err, errlen, "not asked");
    while (ip_clock() < deadline) {
        redisContext *c = drill_connect(addr, o, deadline, err, errlen);
        char *info = c ? redis_info(c, "replication", deadline, err, errlen) : NULL;
        char role[32] = "", link[32] = "", mh[256] = "", mp[16] = "", now[300];

        if (info) {
            redis_info_field(info, "role", role, sizeof(role));
            redis_info_field(info, "master_link_status", link, sizeof(link));
            redis_info_field(info, "master_host", mh, sizeof(mh));
            redis_info_field(info, "master_port", mp, sizeof(mp));
            snprintf(now, sizeof(now), "%s:%s", mh, mp);
            free(info);
            if (strcmp(role, "slave") == 0 && strcmp(link, "up") == 0 && strcmp(now, master) == 0) {
                redis_free(c);
                return 0;
            }
            snprintf(err, errlen, "old master %s: role %s, master %s, master_link_status:%s", addr,
                     role, role[0] == 's' ? now : "-", link[0] ? link : "-");
        }
        redis_free(c);
        drill_sleep(DRILL_POLL);
    }
    return -1;
}

/* Wait for every sentinel to name `master`, so that the cluster is left as one. */
static int drill_agree(const struct redis_state *st, const char *master, double deadline, char *err,
                       size_t errlen)
{
    while (ip_clock() < deadline) {
        size_t i;

        for (i = 0; i < st->nsentinels; i++) {
            char addr[300], why[512];

            if (redis_sentinel_master(&st->sentinels[i], 1, st->master_name, deadline, addr,
                                      sizeof(addr), why, sizeof(why)) != 0 ||
                strcmp(addr, master) != 0) {
                snprintf(err, errlen, "sentinel %s does not name %s yet", st->sentinels[i], master);
                break;
            }
        }
        if (i == st->nsentinels)
            return 0;
        drill_sleep(DRILL_POLL);
    }
    return -1;
}

void redis_drill(struct redis_state *st, struct ip_report *rep, const char *master)
{
    const struct redis_conn_opts opts = {st->username,    st->password,  st->database,
                                         st->client_name, st->max_reply, 0};
    const char *run_id = ip_report_run_id(rep);
    const char *vars[] = {"master", master, NULL};
    char keys[DRILL_MARKERS][512], after[600], px[32], err[1024], serr[1024], newm[300] = "";
    double deadline, t0, t1, detect = -1, recover = -1, rejoin = -1;
    int lost = -1, rc;
    redisContext *c;

    if (!ip_drill(rep, &deadline))
        return;
    t0 = ip_clock();
    if (!st->nsentinels) {
        ip_check(rep, "failover", master, IP_UNKNOWN, 0,
                 "the drill needs sentinels and master_name: Sentinel names the new master");
        return;
    }
    for (int i = 0; i < DRILL_MARKERS; i++)
        snprintf(keys[i], sizeof(keys[i]), "%s%s:drill:%s:%d", st->key_prefix, st->probe_name,
                 run_id, i);
    snprintf(after, sizeof(after), "%s%s:drill:%s:after", st->key_prefix, st->probe_name, run_id);
    /* Should everything else fail, the keys still go by themselves. */
    snprintf(px, sizeof(px), "%lld", (long long)((deadline - t0 + st->ttl) * 1000));

    c = drill_connect(master, &opts, deadline, err, sizeof(err));
    if (!c || drill_markers(c, keys, run_id, px, deadline, err, sizeof(err)) != 0) {
        ip_check(rep, "failover", master, IP_CRITICAL, ip_clock() - t0,
                 "before the fault, on master %s: %s; no fault injected", master, err);
        redis_free(c);
        drill_cleanup(master, &opts, keys, DRILL_MARKERS, NULL, deadline);
        return;
    }
    redis_free(c);

    t0 = ip_clock();
    if (ip_fault(rep, "stop", vars, err, sizeof(err)) != 0) {
        if (ip_fault(rep, "start", vars, serr, sizeof(serr)) != 0)
            ip_check(rep, "failover", master, IP_UNKNOWN, ip_clock() - t0, "%s; %s", err, serr);
        else
            ip_check(rep, "failover", master, IP_UNKNOWN, ip_clock() - t0, "%s", err);
        drill_cleanup(master, &opts, keys, DRILL_MARKERS, NULL, deadline);
        return;
    }
    /* Detect: Sentinel names another master. */
    while (ip_clock() < deadline) {
        double slice = ip_clock() + 1.0 < deadline ? ip_clock() + 1.0 : deadline;

        if (redis_sentinel_master(st->sentinels, st->nsentinels, st->master_name, slice, newm,
                                  sizeof(newm), serr, sizeof(serr)) == 0 &&
            strcmp(newm, master) != 0) {
            detect = ip_clock() - t0;
            break;
        }
        newm[0] = '\0';
        drill_sleep(DRILL_POLL);
    }
    /* Recover: a write succeeds on the new master. */
    while (detect >= 0 && ip_clock() < deadline) {
        c = drill_connect(newm, &opts, deadline, err, sizeof(err));
        if (c && redis_cmd_ok(c, deadline, err, sizeof(err), 5,
                              (const char *[]){"SET", after, run_id, "PX", px}) == 0) {
            recover = ip_clock() - t0;
            redis_free(c);
            break;
        }
        redis_free(c);
        drill_sleep(DRILL_POLL);
    }
    if (recover >= 0)
        lost = drill_lost(newm, &opts, keys, run_id, deadline, err, sizeof(err));
    /* Rejoin is timed from the restore action's start: the sandbox's `start` (like many
     * service managers) returns only once the member is up, so timing from its end would
     * leave out most of the time the old master was away. */
    t1 = ip_clock();
    rc = ip_fault(rep, "start", vars, serr, sizeof(serr));
    if (rc == 0 && recover >= 0) {
        char why[512];

        if (drill_rejoin(master, newm, &opts, deadline, why, sizeof(why)) == 0 &&
            drill_agree(st, newm, deadline, why, sizeof(why)) == 0)
            rejoin = ip_clock() - t1;
        else
            snprintf(serr, sizeof(serr), "cluster not healthy again by the deadline: %s", why);
    }
    if (newm[0])
        drill_cleanup(newm, &opts, keys, DRILL_MARKERS, after, deadline);

    if (detect >= 0)
        ip_metric(rep, IP_GAUGE, "failover_detect", "seconds",
                  "drill: from the fault until Sentinel named a new master", master, NULL, detect);
    if (recover >= 0)
        ip_metric(rep, IP_GAUGE, "failover_recover", "seconds",
                  "drill: from the fault until a write succeeded on the new master", master, NULL,
                  recover);
    if (lost >= 0)
        ip_metric(rep, IP_GAUGE, "failover_lost_writes", NULL,
                  "drill: acknowledged writes the new master lacks", master, NULL, lost);
    if (rejoin >= 0)
        ip_metric(rep, IP_GAUGE, "failover_rejoin", "seconds",
                  "drill: from the start of the restore action until the old master replicated "
                  "again, its link up and every sentinel agreeing",
                  master, NULL, rejoin);

    if (detect < 0)
        ip_check(rep, "failover", master, IP_CRITICAL, ip_clock() - t0,
                 "no new master named by the deadline (%s)%s%s",
                 serr[0] ? serr : "Sentinel still names the old one", rc ? "; " : "",
                 rc ? serr : "");
    else if (recover < 0)
        ip_check(rep, "failover", master, IP_CRITICAL, ip_clock() - t0,
                 "Sentinel named %s after %.2f s, but no write succeeded there by the deadline: %s",
                 newm, detect, err);
    else if (lost > 0)
        ip_check(rep, "failover", master, IP_CRITICAL, ip_clock() - t0,
                 "%d of %d acknowledged writes lost in the failover to %s", lost, DRILL_MARKERS,
                 newm);
    else if (lost < 0)
        ip_check(rep, "failover", master, IP_CRITICAL, ip_clock() - t0,
                 "could not read the markers back from the new master %s: %s", newm, err);
    else if (rc != 0)
        ip_check(rep, "failover", master, IP_UNKNOWN, ip_clock() - t0, "%s", serr);
    else if (rejoin < 0)
        ip_check(rep, "failover", master, IP_CRITICAL, ip_clock() - t0, "%s", serr);
    else
        ip_check(rep, "failover", master, IP_OK, ip_clock() - t0,
                 "master %s stopped; Sentinel named %s after %.2f s, writes there after %.2f s; "
                 "0 of %d acknowledged writes lost; %s back as its replica, link up and every "
                 "sentinel agreeing, %.2f s after the restore began",
                 master, newm, detect, recover, DRILL_MARKERS, master, rejoin);
}
