/*
 * The `partition` drill of a Redis master (--drill only), on the SDK's drill framework: the
 * master that the probe's `sentinels` name as `master_name` is cut from its replicas and the
 * Sentinels by the `partition` fault action (%{member} = %{master}, %{peers}: the other redis
 * targets and the sentinels), while this host still reaches it, and healed by `heal`. Recorded
 * as a `partition` check with the old master as its target.
 *
 * The writer is a client that follows Sentinel: each write goes to the master Sentinel names
 * now, SET then WAIT 1 on the same connection. A write that the old master acknowledged after
 * the cut but no replica did (WAIT 1 = 0) is at risk: the master may be demoted and its data
 * replaced, which is what split brain costs. Those are not in the drill's ledger; they are
 * counted (metric drill_at_risk_operations, a warning on the check) and, after the heal, looked
 * for on the new master (the ones gone are counted). Detected when Sentinel names a new master;
 * recovered at the first write it acknowledges. While still cut, the old master is written to
 * once more, as a client that never asked Sentinel would: it answering is the split brain. After
 * the heal it must become a replica of the new master with its link up. Every request goes
 * through the redis plugin's own client (ip_operate() with its `op` option).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netpart_plugin.h"

/* One request's limit (seconds); how long a write waits for a replica's acknowledgement (a
 * replica that just synced can take longer than a few milliseconds on a loaded machine). */
#define RDRILL_ATTEMPT 1.5
#define RDRILL_WAIT_MS "500"
#define RDRILL_BEFORE  5

struct rdrill {
    struct netpart_state *st;
    struct ip_report *rep;
    char old[300];    /* the master when the drill began: the one cut */
    char master[300]; /* the master Sentinel names now */
    char prefix[200]; /* the drill's keys: prefix + id */
    long long *risk;  /* ids of the writes at risk */
    size_t nrisk, cap;
    char seen[400]; /* for the check's message */
};

static int rdrill_op(struct rdrill *x, const char *addr, const char *const *opts, char *err,
                     size_t errlen)
{
    return ip_operate(x->rep, "redis", addr, opts, ip_clock() + RDRILL_ATTEMPT, err, errlen);
}

/* The master per the first Sentinel that answers, into x->master: 0, or -1 with err. */
static int rdrill_sentinel(struct rdrill *x, char *err, size_t errlen)
{
    const char *opts[] = {"op", "sentinel", "name", x->st->master_name, NULL};
    char a[512] = "";

    for (size_t i = 0; i < x->st->nsentinels; i++)
        if (rdrill_op(x, x->st->sentinels[i], opts, a, sizeof(a)) == 0 &&
            strncmp(a, "master=", 7) == 0) {
            snprintf(x->master, sizeof(x->master), "%.299s", a + 7);
            return 0;
        }
    snprintf(err, errlen, "no sentinel names master \"%s\": %s", x->st->master_name, a);
    return -1;
}

/* SET key id, WAIT 1 on `addr`: the replicas that acknowledged it, or -1 with err. */
static long rdrill_write(struct rdrill *x, const char *addr, long long id, char *err, size_t errlen)
{
    char key[300], val[32];
    const char *opts[] = {"op", "set",     "key",          key, "value", val, "wait",
                          "1",  "wait_ms", RDRILL_WAIT_MS, NULL};

    snprintf(key, sizeof(key), "%s%lld", x->prefix, id);
    snprintf(val, sizeof(val), "%lld", id);
    if (rdrill_op(x, addr, opts, err, errlen) != 0)
        return -1;
    return strtol(err + strlen("replicas="), NULL, 10);
}

static void rdrill_at_risk(struct rdrill *x, long long id)
{
    if (x->nrisk == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 64;
        long long *p = realloc(x->risk, cap * sizeof(*p));

        if (!p)
            return;
        x->risk = p;
        x->cap = cap;
    }
    x->risk[x->nrisk++] = id;
}

/* A write to the master Sentinel names: acknowledged when a replica has it too, or when it is
 * the new master (which has none while the old one is cut). */
static int rdrill_operate(void *ctx, struct ip_drill *d, long long id, double deadline, char *err,
                          size_t errlen)
{
    struct rdrill *x = ctx;
    char why[512];
    long n;

    (void)d;
    (void)deadline;
    if (rdrill_sentinel(x, why, sizeof(why)) != 0 && !x->master[0]) {
        snprintf(err, errlen, "%s", why);
        return -1;
    }
    if ((n = rdrill_write(x, x->master, id, err, errlen)) < 0)
        return -1;
    if (n == 0 && strcmp(x->master, x->old) == 0) {
        rdrill_at_risk(x, id);
        snprintf(err, errlen, "%s acknowledged it, no replica did (WAIT 1 = 0): at risk", x->old);
        return -1;
    }
    return 0;
}

/* The fault actions' placeholders: member and master (the old master), peers (the other redis
 * targets and the sentinels, comma-separated). */
static int rdrill_fault(struct rdrill *x, const char *action, char *err, size_t errlen)
{
    char peers[2048];
    size_t len = 0;
    const char *vars[] = {"member", x->old, "master", x->old, "peers", peers, NULL};

    peers[0] = '\0';
    for (size_t i = 0; i < x->st->ntargets + x->st->nsentinels; i++) {
        const char *a =
            i < x->st->ntargets ? x->st->targets[i].address : x->st->sentinels[i - x->st->ntargets];

        if (i < x->st->ntargets && strcmp(x->st->targets[i].kind, "redis") != 0)
            continue;
        if (strcmp(a, x->old) != 0 && len < sizeof(peers))
            len += (size_t)snprintf(peers + len, sizeof(peers) - len, "%s%s", len ? "," : "", a);
    }
    return ip_fault(x->rep, action, vars, err, errlen) == 0 ? 0 : -1;
}

static int rdrill_inject(void *ctx, struct ip_drill *d, char *err, size_t errlen)
{
    (void)d;
    return rdrill_fault(ctx, "partition", err, errlen);
}

static int rdrill_restore(void *ctx, struct ip_drill *d, char *err, size_t errlen)
{
    (void)d;
    return rdrill_fault(ctx, "heal", err, errlen);
}

/* Sentinel names another master. */
static int rdrill_detected(void *ctx, struct ip_drill *d, double deadline, char *err, size_t errlen)
{
    struct rdrill *x = ctx;

    (void)d;
    (void)deadline;
    if (rdrill_sentinel(x, err, errlen) != 0)
        return 0;
    if (strcmp(x->master, x->old) == 0) {
        snprintf(err, errlen, "Sentinel still names %s", x->old);
        return 0;
    }
    snprintf(x->seen, sizeof(x->seen), "Sentinel named %s; ", x->master);
    return 1;
}

/* Still cut: a write straight to the old master (a client that never asked Sentinel), then
 * every acknowledged write read back from the new master. */
static int rdrill_verify(void *ctx, struct ip_drill *d, double deadline, char *err, size_t errlen)
{
    struct rdrill *x = ctx;
    size_t n, len = strlen(x->seen);
    const long long *ids = ip_drill_acked(d, &n);
    char a[512];
    long r = rdrill_write(x, x->old, -1, a, sizeof(a));

    if (r == 0)
        rdrill_at_risk(x, -1);
    snprintf(x->seen + len, sizeof(x->seen) - len, "the cut master %s a write after that; ",
             r == 0 ? "still acknowledged" : "refused");
    for (size_t k = 0; k < n && ip_clock() < deadline; k++) {
        char key[300];
        const char *opts[] = {"op", "get", "key", key, NULL};

        snprintf(key, sizeof(key), "%s%lld", x->prefix, ids[k]);
        if (rdrill_op(x, x->master, opts, a, sizeof(a)) != 0) {
            snprintf(err, errlen, "reading back %s from %s: %s", key, x->master, a);
            return -1;
        }
        if (strcmp(a, "found=1") == 0)
            ip_drill_seen(d, ids[k]);
    }
    return 0;
}

/* How many writes at risk are gone from the new master. */
static size_t rdrill_risk_lost(struct rdrill *x)
{
    size_t lost = 0;

    for (size_t k = 0; k < x->nrisk; k++) {
        char key[300], a[512] = "";
        const char *opts[] = {"op", "get", "key", key, NULL};

        snprintf(key, sizeof(key), "%s%lld", x->prefix, x->risk[k]);
        if (rdrill_op(x, x->master, opts, a, sizeof(a)) == 0 && strcmp(a, "found=0") == 0)
            lost++;
    }
    return lost;
}

/* Healed: the old master is a replica of the new one, its link up. */
static int rdrill_rejoined(void *ctx, struct ip_drill *d, double deadline, char *err, size_t errlen)
{
    struct rdrill *x = ctx;
    const char *opts[] = {"op", "role", NULL};
    char want[400], a[512];

    (void)deadline;
    snprintf(want, sizeof(want), "role=slave master=%s link=up", x->master);
    if (rdrill_op(x, x->old, opts, a, sizeof(a)) != 0 || strcmp(a, want) != 0) {
        snprintf(err, errlen, "%s: %s", x->old, a);
        return 0;
    }
    /* The framework's message gives way to a failure's: this one says what the note would. */
    if (x->nrisk)
        ip_drill_fail(d, IP_WARNING,
                      "%zu writes acknowledged by the cut master %s without a replica (WAIT 1 "
                      "failed) were at risk: %zu of them are gone after the heal; %shealed, it "
                      "is a replica of %s",
                      x->nrisk, x->old, rdrill_risk_lost(x), x->seen, x->master);
    ip_drill_note(d, "%shealed, it is a replica of %s; no write was at risk", x->seen, x->master);
    return 1;
}

/* Before the cut, a replica acknowledges the master's writes: a replica that has just synced
 * counts for WAIT only once the master has its first acknowledgement (sent once a second).
 * 0, or -1 with err after a few tries. */
static int rdrill_ready(struct rdrill *x, char *err, size_t errlen)
{
    for (int i = 0; i < 10; i++) {
        long n = rdrill_write(x, x->old, -2, err, errlen);

        if (n >= 1)
            return 0;
        if (n == 0)
            snprintf(err, errlen, "no replica of %s acknowledges its writes (WAIT 1 = 0)", x->old);
    }
    return -1;
}

void netpart_drill_redis(struct netpart_state *st, struct ip_report *rep)
{
    struct rdrill x = {.st = st, .rep = rep};
    char tag[40], err[512];
    const struct ip_drill_ops ops = {.check = "partition",
                                     .target = x.old,
                                     .before = RDRILL_BEFORE,
                                     .interval = 0.02,
                                     .op_timeout = 2.0,
                                     .operate = rdrill_operate,
                                     .inject = rdrill_inject,
                                     .detected = rdrill_detected,
                                     .verify = rdrill_verify,
                                     .restore = rdrill_restore,
                                     .rejoined = rdrill_rejoined};

    snprintf(x.prefix, sizeof(x.prefix), "infraprobe:netpart:%s:%s:partition:", st->probe,
             ip_run_tag(rep, tag, sizeof(tag)));
    if (rdrill_sentinel(&x, err, sizeof(err)) == 0)
        snprintf(x.old, sizeof(x.old), "%s", x.master);
    if (!x.old[0] || rdrill_ready(&x, err, sizeof(err)) != 0) {
        ip_check(rep, "partition", x.old[0] ? x.old : NULL, IP_CRITICAL, 0, "not drilled: %s", err);
        return;
    }
    ip_drill_execute(rep, &ops, &x, NULL);
    ip_metric(rep, IP_GAUGE, "drill_at_risk_operations", NULL,
              "writes a cut master acknowledged without a replica (WAIT failed)", x.old, NULL,
              (double)x.nrisk);
    free(x.risk);
}
