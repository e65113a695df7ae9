/*
 * The failover drill (the guide's two scenarios), on the SDK's drill framework, one after the
 * other, each recorded as a `failover` check with the stopped member as its target:
 *   1. a follower stops (%{member}); writes and reads go on; started again, it catches up to
 *      the others' revision;
 *   2. the leader stops (%{member} = %{leader}, %{leader_name}); detected when a live member
 *      names another leader, recovered when a write succeeds; started again, the cluster is
 *      stable: one leader, one term, one revision everywhere.
 * The writer puts keys of the drill's own with a short timeout per attempt and moves to the next
 * live endpoint when one does not answer: a put sent to a follower right after the leader died
 * waits for the election, which it must not wait out. Every acknowledged key is read back by one
 * linearizable range over the drill's prefix. The keys are on a lease of the drill's, revoked
 * at the end.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etcd_plugin.h"

/* One attempt's limit (seconds) within an operation's: an election in the sandbox takes about
 * 0.3 s, by default about 1 s. */
#define DRILL_ATTEMPT 0.25
#define DRILL_BEFORE  5

struct etcd_drill {
    struct etcd_run *r;
    const struct etcd_ep *down; /* the stopped member's endpoint */
    size_t cur;                 /* the endpoint that took the last write */
    uint64_t old_leader;
    char prefix[600]; /* the drill's keys: prefix + id */
    char seen[300];   /* what detection saw, for the check's message */
    struct etcd_call *calls;
};

static int drill_operate(void *ctx, struct ip_drill *d, long long id, double deadline, char *err,
                         size_t errlen)
{
    struct etcd_drill *x = ctx;
    struct etcd_state *st = x->r->st;
    char key[700], val[32];

    (void)d;
    snprintf(key, sizeof(key), "%s%lld", x->prefix, id);
    snprintf(val, sizeof(val), "%lld", id);
    for (size_t n = 0; n < st->nep && ip_clock() < deadline; n++) {
        size_t i = (x->cur + n) % st->nep;
        double t = deadline - ip_clock();

        if (&st->eps[i] == x->down)
            continue;
        if (etcd_put(x->r, &st->eps[i], key, val, t < DRILL_ATTEMPT ? t : DRILL_ATTEMPT, err,
                     errlen)) {
            x->cur = i;
            return 0;
        }
    }
    return -1;
}

/* Statuses of every endpoint, by `deadline`. */
static void drill_status(struct etcd_drill *x, double deadline)
{
    double t = deadline - ip_clock();

    etcd_status_all(x->r, x->calls, t < DRILL_ATTEMPT ? t : DRILL_ATTEMPT, deadline);
    etcd_calls_free(x->calls, x->r->st->nep);
}

static const char *member_name(const struct etcd_run *r, uint64_t id)
{
    const struct etcd_member *m = etcd_member_by_id(r, id);

    return m && m->name[0] ? m->name : "?";
}

/* The follower: it no longer answers. */
static int drill_follower_down(void *ctx, struct ip_drill *d, double deadline, char *err,
                               size_t errlen)
{
    struct etcd_drill *x = ctx;

    (void)d;
    drill_status(x, deadline);
    for (size_t i = 0; i < x->r->st->nep; i++)
        if (&x->r->st->eps[i] == x->down && x->r->up[i]) {
            snprintf(err, errlen, "%s still answers", x->down->hostport);
            return 0;
        }
    return 1;
}

/* The leader: a live member names another one. */
static int drill_new_leader(void *ctx, struct ip_drill *d, double deadline, char *err,
                            size_t errlen)
{
    struct etcd_drill *x = ctx;
    struct etcd_run *r = x->r;

    drill_status(x, deadline);
    for (size_t i = 0; i < r->st->nep; i++) {
        const struct etcd_status *s = &r->status[i];

        if (!r->up[i] || &r->st->eps[i] == x->down || !s->leader || s->leader == x->old_leader ||
            strstr(s->errors, "no leader"))
            continue;
        snprintf(x->seen, sizeof(x->seen), "leader %s stopped, %s elected (term %" PRIu64 "); ",
                 member_name(r, x->old_leader), member_name(r, s->leader), s->raft_term);
        ip_drill_note(d, "%s", x->seen);
        return 1;
    }
    snprintf(err, errlen, "no live member names a new leader");
    return 0;
}

/* Every acknowledged key, by one linearizable range over the drill's prefix on a live member. */
static int drill_verify(void *ctx, struct ip_drill *d, double deadline, char *err, size_t errlen)
{
    struct etcd_drill *x = ctx;
    struct etcd_state *st = x->r->st;
    char k64[900], end[700], e64[900];
    size_t plen = strlen(x->prefix);

    snprintf(end, sizeof(end), "%s", x->prefix);
    end[plen - 1]++; /* the prefix ends with '/': its range ends before '0' */
    etcd_b64_encode(x->prefix, plen, k64, sizeof(k64));
    etcd_b64_encode(end, plen, e64, sizeof(e64));
    snprintf(err, errlen, "no live member");
    for (size_t n = 0; n < st->nep; n++) {
        struct etcd_call c = {.ep = &st->eps[(x->cur + n) % st->nep], .path = "/v3/kv/range"};
        const json_t *kvs;
        size_t i;
        json_t *kv;

        if (c.ep == x->down ||
            etcd_body(&c, "{\"key\":\"%s\",\"range_end\":\"%s\"}", k64, e64) != 0 ||
            etcd_call1(st, &c, etcd_timeout(st, deadline), deadline) != 0) {
            snprintf(err, errlen, "%s", c.err);
            etcd_calls_free(&c, 1);
            continue;
        }
        kvs = json_object_get(c.reply, "kvs");
        json_array_foreach(kvs, i, kv)
        {
            const json_t *v = json_object_get(kv, "value");
            char val[32];

            if (json_is_string(v) && etcd_b64_decode(json_string_value(v), val, sizeof(val)) > 0)
                ip_drill_seen(d, strtoll(val, NULL, 10));
        }
        etcd_calls_free(&c, 1);
        return 0;
    }
    return -1;
}

/* Whole again: every endpoint answers, with one leader, one term and one revision. */
static int drill_stable(void *ctx, struct ip_drill *d, double deadline, char *err, size_t errlen)
{
    struct etcd_drill *x = ctx;
    struct etcd_run *r = x->r;
    const struct etcd_status *a = NULL;

    drill_status(x, deadline);
    for (size_t i = 0; i < r->st->nep; i++) {
        const struct etcd_status *s = &r->status[i];

        if (!r->up[i] || !s->leader) {
            snprintf(err, errlen, "%s: %s", r->st->eps[i].hostport,
                     r->up[i] ? "no leader" : "does not answer");
            return 0;
        }
        if (!a)
            a = s;
        if (s->leader != a->leader || s->raft_term != a->raft_term || s->revision != a->revision) {
            snprintf(err, errlen,
                     "%s: leader %s, term %" PRIu64 ", revision %" PRIu64 "; %s: leader %s, "
                     "term %" PRIu64 ", revision %" PRIu64,
                     r->st->eps[0].hostport, member_name(r, a->leader), a->raft_term, a->revision,
                     r->st->eps[i].hostport, member_name(r, s->leader), s->raft_term, s->revision);
            return 0;
        }
    }
    ip_drill_note(
        d, "%s%s back; one leader (%s), term %" PRIu64 ", revision %" PRIu64 " on all %zu", x->seen,
        x->down->hostport, member_name(r, a->leader), a->raft_term, a->revision, r->st->nep);
    return 1;
}

/* One scenario: stop `m` (the leader when leader is set). */
static void drill_scenario(struct etcd_drill *x, const struct etcd_member *m, int leader)
{
    struct etcd_run *r = x->r;
    const struct etcd_member *l = etcd_member_by_id(r, r->leader);
    const char *vars[] = {"member",      m->client,        "leader", l ? l->client : "",
                          "leader_name", l ? l->name : "", NULL};
    const struct ip_drill_ops ops = {.check = "failover",
                                     .target = m->client,
                                     .vars = vars,
                                     .before = DRILL_BEFORE,
                                     .interval = 0.02,
                                     .op_timeout = 1.0,
                                     .operate = drill_operate,
                                     .detected = leader ? drill_new_leader : drill_follower_down,
                                     .verify = drill_verify,
                                     .rejoined = drill_stable};

    x->down = NULL;
    x->seen[0] = '\0';
    x->old_leader = r->leader;
    snprintf(x->prefix, sizeof(x->prefix), "%s%s/%s/drill-%s/", r->st->prefix, r->st->name, r->tag,
             leader ? "leader" : "follower");
    /* Writes avoid the member from the start, so that none of them waits on its stop. */
    x->down = etcd_ep_of(r, m);
    x->cur = 0;
    ip_drill_execute(r->rep, &ops, x, NULL);
}

/* The follower to stop: a voting member other than the leader, reached at one of ours. */
static const struct etcd_member *pick_follower(const struct etcd_run *r)
{
    for (size_t i = 0; i < r->nmem; i++)
        if (r->mem[i].id != r->leader && !r->mem[i].learner && etcd_ep_of(r, &r->mem[i]))
            return &r->mem[i];
    return NULL;
}

void etcd_drill(struct etcd_run *r)
{
    struct etcd_drill x = {.r = r};
    const struct etcd_member *m;
    double deadline;
    char err[600];

    if (!ip_drill(r->rep, &deadline) || !ip_check_enabled(r->rep, "failover"))
        return; /* when disabled, the core records it skipped */
    x.calls = calloc(r->st->nep, sizeof(*x.calls));
    if (!x.calls)
        return;
    drill_status(&x, deadline);
    if (!r->quorum || !(m = pick_follower(r)) || !etcd_ep_of(r, etcd_member_by_id(r, r->leader))) {
        ip_check(r->rep, "failover", NULL, IP_CRITICAL, 0,
                 "not drilled: the cluster must have a quorum, a leader and a follower among the "
                 "endpoints first");
        free(x.calls);
        return;
    }
    /* Should the revoke at the end fail, the keys go by themselves after the drill. */
    r->write_ep = etcd_write_endpoint(r);
    if (etcd_lease_grant(r, err, sizeof(err)) != 0) {
        ip_check(r->rep, "failover", NULL, IP_CRITICAL, 0, "not drilled: %s", err);
        free(x.calls);
        return;
    }
    drill_scenario(&x, m, 0);
    drill_status(&x, deadline); /* the leader now */
    m = etcd_member_by_id(r, r->leader);
    if (m && etcd_ep_of(r, m))
        drill_scenario(&x, m, 1);
    else
        ip_check(r->rep, "failover", NULL, IP_CRITICAL, 0,
                 "leader scenario not drilled: no leader among the endpoints after the first");
    r->write_ep = etcd_write_endpoint(r);
    etcd_lease_revoke(r);
    free(x.calls);
}
