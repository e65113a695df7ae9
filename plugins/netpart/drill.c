/*
 * The `partition` drill between cluster members (--drill only), on the SDK's drill framework:
 * a minority partition of an etcd cluster whose members are the probe's etcd targets. One
 * member is cut from the other two by the probe's `partition` fault action (%{member}, and
 * %{leader}, %{peers}), healed by `heal`; twice, each recorded as a `partition` check with the
 * cut member as its target (drill_redis.c drills a Redis master):
 *   1. a follower: detected when it has lost its leader (it campaigns alone), recovered when the
 *      majority acknowledges a write (its leader never changed);
 *   2. the leader: detected when the majority names a new leader, recovered when it acknowledges
 *      a write.
 * While cut, the member must refuse a linearizable read and a write (a timeout, "no leader"):
 * one that it serves is split brain, critical. After the heal it must rejoin: one leader, one
 * term and one revision on every member, and as many of the drill's keys as the others hold.
 * Every request goes through the etcd plugin's own client (ip_operate() with its `op` option),
 * never a second one here; the keys are removed at the end.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netpart_plugin.h"

/* One request's limit (seconds) within an operation's: an election takes about 0.3 s in the
 * sandbox, about 1 s by default; a write sent to a member that is losing its leader must not
 * wait it out. */
#define DRILL_ATTEMPT 0.25
/* How long the cut member is given to serve a linearizable request it should refuse. */
#define DRILL_REFUSE 1.0
#define DRILL_BEFORE 5
#define DRILL_MAX    16

/* What one member's status says. */
struct drill_member {
    int up;
    uint64_t id, leader, term, revision;
};

struct drill {
    struct netpart_state *st;
    struct ip_report *rep;
    const struct netpart_target *m[DRILL_MAX]; /* the members: the probe's etcd targets */
    struct drill_member s[DRILL_MAX];
    size_t n;
    size_t cut;          /* the member cut from the others */
    size_t cur;          /* the member that took the last write */
    uint64_t old_leader; /* its id before the cut */
    char prefix[200];    /* the drill's keys: prefix + id */
    char seen[400];      /* what detection and the cut member did, for the check's message */
};

/* ip_operate() of the etcd plugin with `op` on member i; err gets its answer on success. */
static int drill_op(struct drill *x, size_t i, const char *const *opts, double timeout, char *err,
                    size_t errlen)
{
    /* ip_operate() holds it to the run's deadline, which the drill's timeout is part of. */
    return ip_operate(x->rep, "etcd", x->m[i]->address, opts, ip_clock() + timeout, err, errlen);
}

/* The value of NAME=... in an answer of the etcd operation, 0 when absent. */
static uint64_t drill_word(const char *answer, const char *name)
{
    size_t n = strlen(name);

    for (const char *p = answer; (p = strstr(p, name)); p += n)
        if ((p == answer || p[-1] == ' ') && p[n] == '=')
            return strtoull(p + n + 1, NULL, 10);
    return 0;
}

/* Every member's status, one request each. */
static void drill_status(struct drill *x)
{
    static const char *const opts[] = {"op", "status", NULL};
    char a[512];

    for (size_t i = 0; i < x->n; i++) {
        struct drill_member *s = &x->s[i];

        s->up = drill_op(x, i, opts, DRILL_ATTEMPT * 2, a, sizeof(a)) == 0;
        s->id = s->up ? drill_word(a, "member") : 0;
        s->leader = s->up ? drill_word(a, "leader") : 0;
        s->term = s->up ? drill_word(a, "term") : 0;
        s->revision = s->up ? drill_word(a, "revision") : 0;
    }
}

/* The member whose id is `id`: its address, "?" when none is. */
static const char *drill_name(const struct drill *x, uint64_t id)
{
    for (size_t i = 0; i < x->n; i++)
        if (x->s[i].up && x->s[i].id == id && id)
            return x->m[i]->address;
    return "?";
}

/* A write to the majority side, moving on to the next member when one does not answer. */
static int drill_operate(void *ctx, struct ip_drill *d, long long id, double deadline, char *err,
                         size_t errlen)
{
    struct drill *x = ctx;
    char key[300], val[32];
    const char *opts[] = {"op", "put", "key", key, "value", val, NULL};

    (void)d;
    snprintf(key, sizeof(key), "%s%lld", x->prefix, id);
    snprintf(val, sizeof(val), "%lld", id);
    for (size_t n = 0; n < x->n && ip_clock() < deadline; n++) {
        size_t i = (x->cur + n) % x->n;
        double t = deadline - ip_clock();

        if (i == x->cut)
            continue;
        if (drill_op(x, i, opts, t < DRILL_ATTEMPT ? t : DRILL_ATTEMPT, err, errlen) == 0) {
            x->cur = i;
            return 0;
        }
    }
    return -1;
}

/* The fault actions' placeholders: member, leader, peers (comma-separated host:ports). */
static void drill_vars(struct drill *x, char *peers, size_t peerslen, const char **vars)
{
    size_t len = 0;

    peers[0] = '\0';
    for (size_t i = 0; i < x->n; i++)
        if (i != x->cut)
            len += (size_t)snprintf(peers + len, len < peerslen ? peerslen - len : 0, "%s%s",
                                    len ? "," : "", x->m[i]->address);
    vars[0] = "member";
    vars[1] = x->m[x->cut]->address;
    vars[2] = "leader";
    vars[3] = drill_name(x, x->old_leader);
    vars[4] = "peers";
    vars[5] = peers;
    vars[6] = NULL;
}

static int drill_fault(struct drill *x, const char *action, char *err, size_t errlen)
{
    char peers[1024];
    const char *vars[7];

    drill_vars(x, peers, sizeof(peers), vars);
    return ip_fault(x->rep, action, vars, err, errlen) == 0 ? 0 : -1;
}

static int drill_inject(void *ctx, struct ip_drill *d, char *err, size_t errlen)
{
    (void)d;
    return drill_fault(ctx, "partition", err, errlen);
}

static int drill_restore(void *ctx, struct ip_drill *d, char *err, size_t errlen)
{
    (void)d;
    return drill_fault(ctx, "heal", err, errlen);
}

/* The follower: it has lost its leader (it campaigns alone, or no longer answers). */
static int drill_follower_alone(void *ctx, struct ip_drill *d, double deadline, char *err,
                                size_t errlen)
{
    struct drill *x = ctx;
    const struct drill_member *s = &x->s[x->cut];

    (void)d;
    (void)deadline;
    drill_status(x);
    if (s->up && s->leader) {
        snprintf(err, errlen, "%s still follows %s", x->m[x->cut]->address,
                 drill_name(x, s->leader));
        return 0;
    }
    snprintf(x->seen, sizeof(x->seen), "%s lost its leader (%s); ", x->m[x->cut]->address,
             s->up ? "it campaigns alone" : "it does not answer");
    return 1;
}

/* The leader: a member of the majority names another one. */
static int drill_new_leader(void *ctx, struct ip_drill *d, double deadline, char *err,
                            size_t errlen)
{
    struct drill *x = ctx;

    (void)d;
    (void)deadline;
    drill_status(x);
    for (size_t i = 0; i < x->n; i++) {
        const struct drill_member *s = &x->s[i];

        if (i == x->cut || !s->up || !s->leader || s->leader == x->old_leader)
            continue;
        snprintf(x->seen, sizeof(x->seen), "the majority elected %s (term %" PRIu64 "); ",
                 drill_name(x, s->leader), s->term);
        return 1;
    }
    snprintf(err, errlen, "the majority names no new leader");
    return 0;
}

/* While cut, the member must refuse a linearizable read and a write: either served is split
 * brain. What it did goes into x->seen. */
static void drill_refusals(struct drill *x, struct ip_drill *d)
{
    char key[300], a[512], b[512];
    const char *get[] = {"op", "get", "key", key, NULL};
    const char *put[] = {"op", "put", "key", key, "value", "isolated", NULL};
    size_t len = strlen(x->seen);
    int rg, rp;

    snprintf(key, sizeof(key), "%sisolated", x->prefix);
    rg = drill_op(x, x->cut, get, DRILL_REFUSE, a, sizeof(a));
    rp = drill_op(x, x->cut, put, DRILL_REFUSE, b, sizeof(b));
    if (rg == 0 || rp == 0)
        ip_drill_fail(d, IP_CRITICAL, "split brain: the cut member %s served a linearizable %s",
                      x->m[x->cut]->address, rg == 0 ? "read" : "write");
    snprintf(x->seen + len, sizeof(x->seen) - len, "cut, it refused a read (%s) and a write (%s); ",
             rg ? ip_errname(rg) : "served", rp ? ip_errname(rp) : "acknowledged");
}

/* Still cut: the member's refusals, then every acknowledged key read back (linearizable) from
 * the majority. */
static int drill_verify(void *ctx, struct ip_drill *d, double deadline, char *err, size_t errlen)
{
    struct drill *x = ctx;
    size_t n;
    const long long *ids = ip_drill_acked(d, &n);

    drill_refusals(x, d);
    for (size_t k = 0; k < n && ip_clock() < deadline; k++) {
        char key[300], a[512] = "";
        const char *opts[] = {"op", "get", "key", key, NULL};
        int rc = -1;

        snprintf(key, sizeof(key), "%s%lld", x->prefix, ids[k]);
        for (size_t j = 0; j < x->n && rc != 0; j++) {
            size_t i = (x->cur + j) % x->n;

            if (i != x->cut && (rc = drill_op(x, i, opts, x->st->op_timeout, a, sizeof(a))) == 0)
                x->cur = i;
        }
        if (rc != 0) {
            snprintf(err, errlen, "reading back %s: %s", key, a);
            return -1;
        }
        if (drill_word(a, "found"))
            ip_drill_seen(d, ids[k]);
    }
    if (ip_clock() >= deadline) {
        snprintf(err, errlen, "no time left to read back every acknowledged key");
        return -1;
    }
    return 0;
}

/* Whole again: every member answers with one leader, one term and one revision, and the cut
 * member holds as many of the drill's keys as the member that took the last write. */
static int drill_rejoined(void *ctx, struct ip_drill *d, double deadline, char *err, size_t errlen)
{
    struct drill *x = ctx;
    const struct drill_member *a = &x->s[0];
    char ca[512] = "", cb[512] = "";
    const char *opts[] = {"op", "count", "key", x->prefix, "serializable", "1", NULL};

    (void)deadline;
    drill_status(x);
    for (size_t i = 0; i < x->n; i++) {
        const struct drill_member *s = &x->s[i];

        if (!s->up || !s->leader || s->leader != a->leader || s->term != a->term ||
            s->revision != a->revision) {
            snprintf(err, errlen,
                     "%s: %s, term %" PRIu64 ", revision %" PRIu64 "; %s: term %" PRIu64
                     ", revision %" PRIu64,
                     x->m[i]->address, s->up ? (s->leader ? "leader named" : "no leader") : "down",
                     s->term, s->revision, x->m[0]->address, a->term, a->revision);
            return 0;
        }
    }
    if (drill_op(x, x->cut, opts, DRILL_ATTEMPT * 2, ca, sizeof(ca)) != 0 ||
        drill_op(x, x->cur, opts, DRILL_ATTEMPT * 2, cb, sizeof(cb)) != 0 ||
        drill_word(ca, "count") != drill_word(cb, "count")) {
        snprintf(err, errlen, "%s holds %s of the drill's keys, %s %s", x->m[x->cut]->address, ca,
                 x->m[x->cur]->address, cb);
        return 0;
    }
    ip_drill_note(d,
                  "%shealed, it rejoined: one leader (%s), term %" PRIu64 ", revision %" PRIu64
                  " on all %zu, %" PRIu64 " keys of the drill on it as on the others",
                  x->seen, drill_name(x, a->leader), a->term, a->revision, x->n,
                  drill_word(ca, "count"));
    return 1;
}

static void drill_cleanup(void *ctx, struct ip_drill *d, double deadline)
{
    struct drill *x = ctx;
    const char *opts[] = {"op", "delete", "key", x->prefix, NULL};
    char a[512];

    (void)d;
    (void)deadline;
    for (size_t j = 0; j < x->n; j++)
        if (drill_op(x, (x->cur + j) % x->n, opts, x->st->op_timeout, a, sizeof(a)) == 0)
            return;
}

/* One scenario: cut member i (the leader when leader is set). */
static void drill_scenario(struct drill *x, size_t i, int leader)
{
    char tag[40];
    const struct ip_drill_ops ops = {.check = "partition",
                                     .target = x->m[i]->address,
                                     .before = DRILL_BEFORE,
                                     .interval = 0.02,
                                     .op_timeout = 1.0,
                                     .operate = drill_operate,
                                     .inject = drill_inject,
                                     .detected = leader ? drill_new_leader : drill_follower_alone,
                                     .verify = drill_verify,
                                     .restore = drill_restore,
                                     .rejoined = drill_rejoined,
                                     .cleanup = drill_cleanup};

    x->cut = i;
    x->cur = (i + 1) % x->n;
    x->seen[0] = '\0';
    snprintf(x->prefix, sizeof(x->prefix), "/infraprobe/netpart/%s/%s/partition-%s/", x->st->probe,
             ip_run_tag(x->rep, tag, sizeof(tag)), leader ? "leader" : "follower");
    ip_drill_execute(x->rep, &ops, x, NULL);
}

/* The member that the others follow, and one that follows it: 0, or -1 with err. */
static int drill_roles(struct drill *x, size_t *leader, size_t *follower, char *err, size_t errlen)
{
    *leader = *follower = x->n;
    drill_status(x);
    for (size_t i = 0; i < x->n; i++) {
        if (!x->s[i].up) {
            snprintf(err, errlen, "%s does not answer", x->m[i]->address);
            return -1;
        }
        if (x->s[i].id == x->s[i].leader)
            *leader = i;
    }
    for (size_t i = 0; i < x->n && *leader < x->n; i++)
        if (i != *leader && x->s[i].leader == x->s[*leader].id)
            *follower = i;
    if (*leader == x->n || *follower == x->n) {
        snprintf(err, errlen, "no member is the leader that the others follow");
        return -1;
    }
    x->old_leader = x->s[*leader].id;
    return 0;
}

/* The etcd targets: the cluster's members. */
static void drill_members(struct drill *x)
{
    for (size_t i = 0; i < x->st->ntargets; i++) {
        if (strcmp(x->st->targets[i].kind, "etcd") != 0 || x->n == DRILL_MAX)
            continue;
        x->m[x->n++] = &x->st->targets[i];
    }
}

/* The etcd scenarios: a follower, then the leader. */
static void drill_etcd(struct drill *x)
{
    size_t leader, follower;
    char err[512];

    if (x->n < 3) {
        ip_check(x->rep, "partition", NULL, IP_CRITICAL, 0,
                 "not drilled: the targets are the etcd cluster's members (3 or more "
                 "etcd://HOST:PORT) or the Redis servers with sentinels; %zu etcd given",
                 x->n);
        return;
    }
    if (drill_roles(x, &leader, &follower, err, sizeof(err)) != 0) {
        ip_check(x->rep, "partition", NULL, IP_CRITICAL, 0, "not drilled: %s", err);
        return;
    }
    drill_scenario(x, follower, 0);
    if (drill_roles(x, &leader, &follower, err, sizeof(err)) != 0) {
        ip_check(x->rep, "partition", NULL, IP_CRITICAL, 0, "leader scenario not drilled: %s", err);
        return;
    }
    drill_scenario(x, leader, 1);
}

void netpart_drill(struct netpart_state *st, struct ip_report *rep)
{
    struct drill x = {.st = st, .rep = rep};

    if (!ip_drill(rep, NULL) || !ip_check_enabled(rep, "partition"))
        return; /* when disabled, the core records it skipped */
    if (!ip_fault_has(rep, "partition") || !ip_fault_has(rep, "heal")) {
        /* Nothing asked for: a probe of partitions between this host and its targets. */
        ip_check(rep, "partition", NULL, IP_SKIPPED, 0,
                 "not drilled: the probe has no failover = { partition = \"...\"; "
                 "heal = \"...\"; } (%%{member} from %%{peers}) for a drill between members");
        return;
    }
    drill_members(&x);
    if (x.n || !st->nsentinels)
        drill_etcd(&x);
    if (st->nsentinels)
        netpart_drill_redis(st, rep);
}
