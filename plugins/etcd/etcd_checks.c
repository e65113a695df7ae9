/*
 * The checks that read the cluster's state and write one key: connect (every member's status
 * at once), leader, members, alarms, write and read. A cluster that lost its quorum answers
 * status at once but never answers a put: so the statuses decide whether the writing checks run
 * at all, and every request has a short timeout of its own (request_timeout).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etcd_plugin.h"

/* How long the leader check asks again while an election settles, and how often. */
#define ETCD_SETTLE_SECONDS 2.0
#define ETCD_SETTLE_PAUSE   0.2

const struct etcd_member *etcd_member_by_id(const struct etcd_run *r, uint64_t id)
{
    for (size_t i = 0; i < r->nmem; i++)
        if (r->mem[i].id == id)
            return &r->mem[i];
    return NULL;
}

struct etcd_ep *etcd_ep_of(const struct etcd_run *r, const struct etcd_member *m)
{
    for (size_t i = 0; m && m->client[0] && i < r->st->nep; i++)
        if (strcmp(r->st->eps[i].hostport, m->client) == 0)
            return &r->st->eps[i];
    return NULL;
}

/* "etcd-2" or the id in decimal. */
static const char *id_name(const struct etcd_run *r, uint64_t id, char *buf, size_t len)
{
    const struct etcd_member *m = etcd_member_by_id(r, id);

    if (m && m->name[0])
        return m->name;
    snprintf(buf, len, "%" PRIu64, id);
    return buf;
}

static int has_leader(const struct etcd_status *s)
{
    return s->leader != 0 && !strstr(s->errors, "no leader");
}

/* Whether member `id` answered and names a leader: through one of ours or at its own URL. */
static int member_has_leader(const struct etcd_run *r, uint64_t id)
{
    for (size_t i = 0; i < r->st->nep; i++)
        if (r->up[i] && r->status[i].member_id == id && has_leader(&r->status[i]))
            return 1;
    for (size_t i = 0; i < r->nx; i++)
        if (r->xup[i] && r->xstatus[i].member_id == id && has_leader(&r->xstatus[i]))
            return 1;
    return 0;
}

/* A majority of the member list's voters, when it is known; else of the endpoints. The
 * endpoints may name only some members: two of three, one of them down, is no lost quorum
 * when the third serves, and one of three that answers is no quorum when the others do not. */
static void count_quorum(struct etcd_run *r)
{
    int held = 0;

    if (!r->mem) {
        r->voters = (int)r->st->nep;
        r->quorum = r->with_leader * 2 > r->voters;
        return;
    }
    r->voters = 0;
    for (size_t i = 0; i < r->nmem; i++) {
        if (r->mem[i].learner)
            continue;
        r->voters++;
        held += member_has_leader(r, r->mem[i].id);
    }
    r->quorum = r->voters > 0 && held >= r->voters / 2 + 1;
}

void etcd_status_all(struct etcd_run *r, struct etcd_call *calls, double timeout, double deadline)
{
    struct etcd_state *st = r->st;

    for (size_t i = 0; i < st->nep; i++) {
        memset(&calls[i], 0, sizeof(calls[i]));
        calls[i].ep = &st->eps[i];
        calls[i].path = "/v3/maintenance/status";
    }
    etcd_calls(st, calls, st->nep, timeout, deadline);
    r->answered = r->with_leader = 0;
    r->leader = 0;
    for (size_t i = 0; i < st->nep; i++) {
        struct etcd_call *c = &calls[i];

        r->up[i] = c->reply && etcd_parse_status(c->reply, &r->status[i], c->err + strlen(c->err),
                                                 sizeof(c->err) - strlen(c->err)) == 0;
        if (c->reply && !r->up[i]) {
            /* Name where: parse wrote its words after an empty err. */
            char why[400];

            snprintf(why, sizeof(why), "%s", c->err);
            snprintf(c->err, sizeof(c->err), "%.100s: %.300s", st->eps[i].hostport, why);
        }
        if (!r->up[i])
            continue;
        r->answered++;
        if (has_leader(&r->status[i])) {
            r->with_leader++;
            if (!r->leader)
                r->leader = r->status[i].leader;
        }
    }
    count_quorum(r);
}

/* The member list, from the first member that answered status. */
static void member_list(struct etcd_run *r, double deadline)
{
    struct etcd_state *st = r->st;
    char err[512];

    for (size_t i = 0; i < st->nep && !r->mem; i++) {
        struct etcd_call c = {.ep = &st->eps[i], .path = "/v3/cluster/member/list"};
        long n;

        if (!r->up[i])
            continue;
        if (etcd_call1(st, &c, etcd_timeout(st, deadline), deadline) == 0 &&
            (n = etcd_parse_members(c.reply, &r->mem, err, sizeof(err))) > 0)
            r->nmem = (size_t)n;
        etcd_calls_free(&c, 1);
    }
}

/* Whether an endpoint of ours is member m: by its address, or by the id its status gave. */
static int reached(const struct etcd_run *r, const struct etcd_member *m)
{
    for (size_t i = 0; i < r->st->nep; i++)
        if (strcmp(r->st->eps[i].hostport, m->client) == 0 ||
            (r->up[i] && r->status[i].member_id == m->id))
            return 1;
    return 0;
}

void etcd_others_free(struct etcd_run *r)
{
    for (size_t i = 0; i < r->nx; i++) {
        if (r->xeps[i].easy)
            curl_easy_cleanup(r->xeps[i].easy);
        curl_slist_free_all(r->xeps[i].resolve);
    }
    if (r->xcalls)
        etcd_calls_free(r->xcalls, r->nx);
    free(r->xeps);
    free(r->xcalls);
    free(r->xstatus);
    free(r->xup);
    r->xeps = NULL;
    r->xcalls = NULL;
    r->xstatus = NULL;
    r->xup = NULL;
    r->nx = 0;
}

/* The endpoints for the voters that none of ours reaches; how many. */
static size_t others_endpoints(struct etcd_run *r)
{
    size_t n = 0;

    for (size_t i = 0; i < r->nmem; i++) {
        const struct etcd_member *m = &r->mem[i];
        struct etcd_ep *ep = &r->xeps[n];

        if (m->learner || !m->client_url[0] || reached(r, m))
            continue;
        snprintf(ep->url, sizeof(ep->url), "%s", m->client_url);
        snprintf(ep->hostport, sizeof(ep->hostport), "%.279s", m->client);
        if (!(ep->easy = curl_easy_init()))
            break;
        etcd_ep_resolve(ep, r->deadline);
        r->xcalls[n].ep = ep;
        r->xcalls[n].path = "/v3/maintenance/status";
        n++;
    }
    return n;
}

/* The statuses of the voters that none of ours reaches, at their advertised client URLs. */
static void others_status(struct etcd_run *r, double timeout, double deadline)
{
    size_t n = r->nmem;

    r->xeps = calloc(n, sizeof(*r->xeps));
    r->xcalls = calloc(n, sizeof(*r->xcalls));
    r->xstatus = calloc(n, sizeof(*r->xstatus));
    r->xup = calloc(n, sizeof(*r->xup));
    if (!r->xeps || !r->xcalls || !r->xstatus || !r->xup)
        return;
    r->nx = others_endpoints(r);
    if (!r->nx)
        return;
    etcd_calls(r->st, r->xcalls, r->nx, timeout, deadline);
    for (size_t i = 0; i < r->nx; i++) {
        struct etcd_call *c = &r->xcalls[i];
        char why[300] = "";

        r->xup[i] = c->reply && etcd_parse_status(c->reply, &r->xstatus[i], why, sizeof(why)) == 0;
        if (c->reply && !r->xup[i])
            snprintf(c->err, sizeof(c->err), "%.100s: %.300s", c->ep->hostport, why);
    }
}

static void connect_one(struct etcd_run *r, const struct etcd_call *c, const struct etcd_status *s,
                        int up)
{
    enum ip_status bad = r->quorum ? IP_WARNING : IP_CRITICAL;
    char b1[32], b2[32];

    if (!up)
        ip_check(r->rep, "connect", c->ep->hostport, bad, c->took, "%s%s", c->err,
                 r->quorum ? " (quorum held)" : "");
    else if (!has_leader(s))
        ip_check(r->rep, "connect", c->ep->hostport, bad, c->took,
                 "%s: member %s answers but has no leader%s%s", c->ep->hostport,
                 id_name(r, s->member_id, b1, sizeof(b1)), s->errors[0] ? ": " : "", s->errors);
    else
        ip_check(r->rep, "connect", c->ep->hostport, IP_OK, c->took,
                 "etcd %s%s%s%s, member %s, leader %s, term %" PRIu64, s->version,
                 s->storage_version[0] ? " (storage " : "", s->storage_version,
                 s->storage_version[0] ? ")" : "", id_name(r, s->member_id, b1, sizeof(b1)),
                 id_name(r, s->leader, b2, sizeof(b2)), s->raft_term);
}

/* Members that name a leader: the endpoints' and the others'. */
static int leaders_named(const struct etcd_run *r)
{
    int n = r->with_leader;

    for (size_t i = 0; i < r->nx; i++)
        n += r->xup[i] && has_leader(&r->xstatus[i]);
    return n;
}

/* Members that answered: the endpoints' and the others'. */
static int answered_all(const struct etcd_run *r)
{
    int n = r->answered;

    for (size_t i = 0; i < r->nx; i++)
        n += r->xup[i];
    return n;
}

/* The cluster's connect: how many of the endpoints and the others answered and name a leader. */
static void connect_summary(struct etcd_run *r, double took, const char *err)
{
    int answered = answered_all(r), leader = leaders_named(r), asked = (int)(r->st->nep + r->nx);
    enum ip_status s;
    s = !r->quorum ? IP_CRITICAL : answered < asked ? IP_WARNING : IP_OK;
    if (!r->answered)
        ip_check(r->rep, "connect", NULL, IP_CRITICAL, took, "no member answered (of %zu): %s",
                 r->st->nep, err);
    else
        ip_check(r->rep, "connect", NULL, s, took,
                 "%s%d of %d members answered, %d name a leader%s",
                 r->quorum ? "" : "quorum lost: ", answered, asked, leader,
                 r->nx ? " (some asked at the client URL the member list gives)" : "");
}

int etcd_check_connect(struct etcd_run *r)
{
    struct etcd_state *st = r->st;
    struct etcd_call *calls = calloc(st->nep, sizeof(*calls));
    double t0 = ip_clock();

    if (!calls)
        return IP_ENOMEM;
    etcd_status_all(r, calls, etcd_timeout(st, r->deadline), r->deadline);
    member_list(r, r->deadline);
    if (r->mem)
        others_status(r, etcd_timeout(st, r->deadline), r->deadline);
    count_quorum(r);
    for (size_t i = 0; i < st->nep; i++)
        connect_one(r, &calls[i], &r->status[i], r->up[i]);
    for (size_t i = 0; i < r->nx; i++)
        connect_one(r, &r->xcalls[i], &r->xstatus[i], r->xup[i]);
    connect_summary(r, ip_clock() - t0, calls[0].err);
    if (r->answered && !r->quorum)
        ip_check_hint(r->rep, "connect", NULL,
                      "a majority (%d of %d) must run and reach each other to elect a leader: "
                      "start the members that do not answer, then look at the peer links",
                      r->voters / 2 + 1, r->voters);
    else if (!r->answered && st->cert && strstr(calls[0].err, "CommonName of client"))
        ip_check_hint(r->rep, "connect", NULL,
                      "with auth on, etcd's gateway refuses a client certificate that has a "
                      "CommonName (it would not take it for the user): use one without a "
                      "CommonName; the user is username and password");
    else if (!r->answered && st->username && strstr(calls[0].err, "authenticate"))
        ip_check_hint(r->rep, "connect", NULL,
                      "etcd refused the credentials: check username and password (or "
                      "password_file)");
    etcd_calls_free(calls, st->nep);
    free(calls);
    return r->answered ? 0 : -1;
}

/* ---- leader ---------------------------------------------------------------------------------- */

/* The k-th status of the endpoints' then the others' (k < nep + nx); NULL when it did not
 * answer. */
static const struct etcd_status *status_at(const struct etcd_run *r, size_t k)
{
    if (k < r->st->nep)
        return r->up[k] ? &r->status[k] : NULL;
    k -= r->st->nep;
    return r->xup[k] ? &r->xstatus[k] : NULL;
}

/* What the statuses say of the leader. */
struct leader_view {
    const struct etcd_status *first; /* the first that names a leader; NULL: none does */
    int leaders;                     /* members that say they are the leader */
    int disagree;                    /* some name another leader */
    int terms;                       /* some are at another raft term */
};

static void leader_view(const struct etcd_run *r, struct leader_view *v)
{
    *v = (struct leader_view){0};
    for (size_t k = 0; k < r->st->nep + r->nx; k++) {
        const struct etcd_status *s = status_at(r, k);

        if (!s || !has_leader(s))
            continue;
        v->leaders += s->leader == s->member_id;
        if (!v->first)
            v->first = s;
        v->disagree |= s->leader != v->first->leader;
        v->terms |= s->raft_term != v->first->raft_term;
    }
}

static int leader_settled(const struct etcd_run *r, const struct leader_view *v)
{
    return !v->disagree && !v->terms &&
           (v->leaders == 1 || answered_all(r) != (int)(r->st->nep + r->nx));
}

/* The voters that none of ours reaches, asked again. */
static void others_refresh(struct etcd_run *r, double timeout, double deadline)
{
    etcd_calls_free(r->xcalls, r->nx);
    for (size_t i = 0; i < r->nx; i++) {
        struct etcd_call c = {.ep = r->xcalls[i].ep, .path = r->xcalls[i].path};

        r->xcalls[i] = c;
        r->xup[i] = 0;
    }
    etcd_calls(r->st, r->xcalls, r->nx, timeout, deadline);
    for (size_t i = 0; i < r->nx; i++) {
        char why[300] = "";

        r->xup[i] = r->xcalls[i].reply &&
                    etcd_parse_status(r->xcalls[i].reply, &r->xstatus[i], why, sizeof(why)) == 0;
    }
}

/* An election during the check shows, for about one election timeout, as members that name
 * different leaders or stand at different terms: Raft allows one leader per term, so that is
 * a view in passing, not a split. Ask everyone again, briefly (at most ETCD_SETTLE_SECONDS,
 * and half of what the run has left), before calling it; how many times it asked. */
static int leader_settle(struct etcd_run *r, struct leader_view *v)
{
    double now = ip_clock(), until = now + ETCD_SETTLE_SECONDS, half = (r->deadline - now) / 2;
    struct etcd_call *calls;
    int asked = 0;

    if (now + half < until)
        until = now + half;
    while (v->first && r->quorum && !leader_settled(r, v) &&
           ip_clock() + ETCD_SETTLE_PAUSE < until) {
        if (!(calls = calloc(r->st->nep, sizeof(*calls))))
            break;
        ip_sleep_until(ip_clock() + ETCD_SETTLE_PAUSE);
        etcd_status_all(r, calls, etcd_timeout(r->st, until), until);
        etcd_calls_free(calls, r->st->nep);
        free(calls);
        others_refresh(r, etcd_timeout(r->st, until), until);
        count_quorum(r);
        leader_view(r, v);
        asked++;
    }
    return asked;
}

void etcd_check_leader(struct etcd_run *r)
{
    struct etcd_state *st = r->st;
    struct leader_view v;
    const struct etcd_status *first;
    char b1[32], lid[32], again[96] = "";
    int asked;

    leader_view(r, &v);
    asked = leader_settle(r, &v);
    if (asked)
        snprintf(again, sizeof(again), " (asked %d more time%s: an election was under way)", asked,
                 asked == 1 ? "" : "s");
    if (!(first = v.first)) {
        ip_check(r->rep, "leader", NULL, IP_CRITICAL, 0,
                 "quorum lost: no member names a leader (%d of %zu answered)", answered_all(r),
                 st->nep + r->nx);
        return;
    }
    snprintf(lid, sizeof(lid), "%" PRIu64, first->leader);
    ip_metric(r->rep, IP_GAUGE, "raft_term", NULL, "the raft term the leader's members agree on",
              NULL, NULL, (double)first->raft_term);
    ip_metric(r->rep, IP_GAUGE, "leader_info", NULL, "1, labelled with the leader's id and name",
              NULL,
              (const char *const[]){"leader_id", lid, "leader_name",
                                    id_name(r, first->leader, b1, sizeof(b1)), NULL},
              1);
    if (st->last_leader && st->last_leader != first->leader && !v.disagree)
        st->leader_changes++;
    if (!v.disagree)
        st->last_leader = first->leader;
    if (!r->quorum)
        ip_check(r->rep, "leader", NULL, IP_CRITICAL, 0,
                 "quorum lost: %d of %d members name a leader (%s), which cannot commit",
                 leaders_named(r), r->voters, id_name(r, first->leader, b1, sizeof(b1)));
    else if (v.disagree)
        ip_check(r->rep, "leader", NULL, IP_CRITICAL, 0,
                 "members disagree on the leader (%s and others)%s",
                 id_name(r, first->leader, b1, sizeof(b1)), again);
    else if (v.leaders != 1 && answered_all(r) == (int)(st->nep + r->nx))
        ip_check(r->rep, "leader", NULL, IP_CRITICAL, 0, "%d members say they are the leader %s%s",
                 v.leaders, id_name(r, first->leader, b1, sizeof(b1)), again);
    else if (v.terms)
        ip_check(r->rep, "leader", NULL, IP_WARNING, 0,
                 "leader %s, but the members are at different raft terms%s",
                 id_name(r, first->leader, b1, sizeof(b1)), again);
    else
        ip_check(r->rep, "leader", NULL, IP_OK, 0,
                 "leader %s (id %s), term %" PRIu64 ", agreed by %d members; %lld leader "
                 "changes seen%s",
                 id_name(r, first->leader, b1, sizeof(b1)), lid, first->raft_term, leaders_named(r),
                 st->leader_changes, again);
}

/* ---- members --------------------------------------------------------------------------------- */

static void member_metrics(struct etcd_run *r, const struct etcd_status *s, const char *target)
{
    struct ip_report *rep = r->rep;
    /* 3.6 also names the version of the data's schema (storageVersion), which differs from
     * the binary's while the cluster is being upgraded or downgraded. */
    const char *labels[] = {"version", s->version, "storage_version", s->storage_version, NULL};

    ip_metric(rep, IP_GAUGE, "db_size", "bytes", "the member's backend database size", target, NULL,
              (double)s->db_size);
    ip_metric(rep, IP_GAUGE, "db_size_in_use", "bytes", "the part of the backend in use", target,
              NULL, (double)s->db_in_use);
    ip_metric(rep, IP_GAUGE, "raft_index", NULL, "the member's raft index", target, NULL,
              (double)s->raft_index);
    ip_metric(rep, IP_GAUGE, "raft_applied_index", NULL, "the member's applied raft index", target,
              NULL, (double)s->applied_index);
    ip_metric(rep, IP_GAUGE, "revision", NULL, "the member's store revision", target, NULL,
              (double)s->revision);
    if (!s->storage_version[0])
        labels[2] = NULL;
    ip_metric(rep, IP_GAUGE, "version_info", NULL,
              "1, labelled with the member's etcd version and storage version (3.6+)", target,
              labels, 1);
}

/* The worst member's db size as a share of its quota: a warning past db_warn %. */
static enum ip_status member_db(struct etcd_run *r, char *msg, size_t len)
{
    enum ip_status worst = IP_OK;

    for (size_t i = 0; i < r->st->nep; i++) {
        const struct etcd_status *s = &r->status[i];
        double quota = s->db_quota ? (double)s->db_quota : r->st->db_quota;
        double pct = quota > 0 ? 100.0 * (double)s->db_size / quota : 0;

        if (!r->up[i])
            continue;
        member_metrics(r, s, r->st->eps[i].hostport);
        if (pct >= r->st->db_warn) {
            size_t n = strlen(msg);

            snprintf(msg + n, len - n, "%s%s: db %.1f MiB, %.0f %% of the %.1f MiB quota",
                     n ? "; " : "", r->st->eps[i].hostport, (double)s->db_size / 1048576.0, pct,
                     quota / 1048576.0);
            worst = IP_WARNING;
        }
    }
    return worst;
}

void etcd_check_members(struct etcd_run *r)
{
    char msg[1024] = "", names[512] = "";
    enum ip_status s;
    int learners = 0;

    if (!r->mem) {
        ip_check(r->rep, "members", NULL, IP_CRITICAL, 0, "no member answered the member list");
        return;
    }
    for (size_t i = 0; i < r->nmem; i++) {
        size_t n = strlen(names);

        snprintf(names + n, sizeof(names) - n, "%s%s%s", n ? ", " : "",
                 r->mem[i].name[0] ? r->mem[i].name : "(unstarted)",
                 r->mem[i].learner ? " (learner)" : "");
        learners += r->mem[i].learner;
    }
    ip_metric(r->rep, IP_GAUGE, "members", NULL, "members in the member list", NULL, NULL,
              (double)r->nmem);
    s = member_db(r, msg, sizeof(msg));
    if (r->st->members && (int)r->nmem != r->st->members)
        ip_check(r->rep, "members", NULL, IP_CRITICAL, 0, "%zu members (%s), expected %d", r->nmem,
                 names, r->st->members);
    else if (learners)
        ip_check(r->rep, "members", NULL, IP_WARNING, 0, "%d learner(s) not promoted: %s", learners,
                 names);
    else {
        ip_check(r->rep, "members", NULL, s, 0, "%zu members: %s%s%s", r->nmem, names,
                 msg[0] ? "; " : "", msg);
        if (s != IP_OK)
            ip_check_hint(r->rep, "members", NULL,
                          "compact the history and defragment the members before NOSPACE stops "
                          "writes, or raise --quota-backend-bytes (and quota_backend_bytes here)");
    }
}

/* ---- alarms ---------------------------------------------------------------------------------- */

/* Without a quorum the alarm API cannot answer: the alarms each member's status lists. */
static int alarms_from_status(struct etcd_run *r, char *out, size_t len)
{
    int n = 0;

    out[0] = '\0';
    for (size_t i = 0; i < r->st->nep; i++) {
        const char *e = r->status[i].errors;
        size_t o = strlen(out);

        if (!r->up[i] || !strstr(e, "alarm:"))
            continue;
        snprintf(out + o, len - o, "%s%s: %s", o ? ", " : "", r->st->eps[i].hostport, e);
        n++;
    }
    return n;
}

/* What to do about the alarms named in list. */
static void alarm_hint(struct etcd_run *r, const char *list)
{
    if (strstr(list, "NOSPACE"))
        ip_check_hint(r->rep, "alarms", NULL,
                      "the backend quota (--quota-backend-bytes) is full and etcd takes no more "
                      "writes: compact, defragment each member, then `etcdctl alarm disarm`");
    else if (strstr(list, "CORRUPT"))
        ip_check_hint(r->rep, "alarms", NULL,
                      "a member's data differs from the others': replace it (remove, wipe its "
                      "data dir, add it back) and disarm the alarm");
}

void etcd_check_alarms(struct etcd_run *r)
{
    struct etcd_state *st = r->st;
    char list[1024], err[512] = "";
    int n = -1;
    double t0 = ip_clock();

    for (size_t i = 0; r->quorum && n < 0 && i < st->nep; i++) {
        struct etcd_call c = {.ep = &st->eps[i], .path = "/v3/maintenance/alarm"};

        if (!r->up[i] || etcd_body(&c, "{\"action\":\"GET\"}") != 0)
            continue;
        if (etcd_call1(st, &c, etcd_timeout(st, r->deadline), r->deadline) == 0)
            n = etcd_parse_alarms(c.reply, r->mem, r->nmem, list, sizeof(list), err, sizeof(err));
        else
            snprintf(err, sizeof(err), "%s", c.err);
        etcd_calls_free(&c, 1);
    }
    if (n < 0 && (n = alarms_from_status(r, list, sizeof(list))) == 0 && r->quorum) {
        ip_check(r->rep, "alarms", NULL, IP_CRITICAL, ip_clock() - t0, "%s", err);
        return;
    }
    ip_metric(r->rep, IP_GAUGE, "alarms", NULL, "active alarms (NOSPACE, CORRUPT)", NULL, NULL, n);
    if (n > 0) {
        ip_check(r->rep, "alarms", NULL, IP_CRITICAL, ip_clock() - t0, "%d active: %s", n, list);
        alarm_hint(r, list);
    } else
        ip_check(r->rep, "alarms", NULL, IP_OK, ip_clock() - t0, "no active alarm%s",
                 r->quorum ? "" : " in the members' statuses (no quorum to ask the cluster)");
}

/* ---- lease, write, read ---------------------------------------------------------------------- */

int etcd_lease_grant(struct etcd_run *r, char *err, size_t errlen)
{
    struct etcd_state *st = r->st;
    struct etcd_ep *ep = r->write_ep;
    struct etcd_call c = {.ep = ep, .path = "/v3/lease/grant"};
    int rc = -1;

    if (etcd_body(&c, "{\"TTL\":%lld}", (long long)(st->lease_ttl + 0.999)) == 0 &&
        etcd_call1(st, &c, etcd_timeout(st, r->deadline), r->deadline) == 0) {
        if (etcd_u64(c.reply, "ID", &r->lease) == 0 && r->lease)
            rc = 0;
        else
            snprintf(err, errlen, "%s: lease grant: no ID in the reply", ep->hostport);
    } else
        snprintf(err, errlen, "lease grant: %s", c.err);
    etcd_calls_free(&c, 1);
    return rc;
}

void etcd_lease_revoke(struct etcd_run *r)
{
    struct etcd_call c = {.ep = r->write_ep, .path = "/v3/lease/revoke"};

    if (!r->lease)
        return;
    /* Best effort: should it fail, the lease expires after lease_ttl with everything on it. */
    if (etcd_body(&c, "{\"ID\":\"%" PRIu64 "\"}", r->lease) == 0 &&
        etcd_call1(r->st, &c, etcd_timeout(r->st, r->deadline), r->deadline) != 0)
        ip_report_log(r->rep, IP_LOG_WARNING, "lease revoke: %s", c.err);
    etcd_calls_free(&c, 1);
    r->lease = 0;
}

uint64_t etcd_put(struct etcd_run *r, struct etcd_ep *ep, const char *key, const char *value,
                  double timeout, char *err, size_t errlen)
{
    struct etcd_call c = {.ep = ep, .path = "/v3/kv/put"};
    char k64[700], v64[400], lease[48] = "";
    uint64_t rev = 0;

    if (etcd_b64_encode(key, strlen(key), k64, sizeof(k64)) != 0 ||
        etcd_b64_encode(value, strlen(value), v64, sizeof(v64)) != 0) {
        snprintf(err, errlen, "key or value too long");
        return 0;
    }
    if (r->lease)
        snprintf(lease, sizeof(lease), ",\"lease\":\"%" PRIu64 "\"", r->lease);
    if (etcd_body(&c, "{\"key\":\"%s\",\"value\":\"%s\"%s}", k64, v64, lease) != 0 ||
        etcd_call1(r->st, &c, timeout, r->deadline) != 0)
        snprintf(err, errlen, "%s", c.err[0] ? c.err : "out of memory");
    else if (etcd_u64(json_object_get(c.reply, "header"), "revision", &rev) != 0)
        snprintf(err, errlen, "%s: put: no header.revision in the reply", ep->hostport);
    r->put_took = c.took;
    etcd_calls_free(&c, 1);
    return rev;
}

/* The leader's endpoint, else the first that answered. */
struct etcd_ep *etcd_write_endpoint(const struct etcd_run *r)
{
    struct etcd_ep *ep = etcd_ep_of(r, etcd_member_by_id(r, r->leader));

    for (size_t i = 0; !ep && i < r->st->nep; i++)
        if (r->up[i])
            ep = &r->st->eps[i];
    return ep;
}

void etcd_check_write(struct etcd_run *r)
{
    struct etcd_state *st = r->st;
    char err[600] = "";
    double t0;

    r->write_ep = etcd_write_endpoint(r);
    snprintf(r->key, sizeof(r->key), "%s%s/%s/write", st->prefix, st->name, r->tag);
    snprintf(r->value, sizeof(r->value), "infraprobe %s", r->tag);
    if (!r->lease && etcd_lease_grant(r, err, sizeof(err)) != 0) {
        ip_check(r->rep, "write", r->write_ep->hostport, IP_CRITICAL, 0, "%s", err);
        return;
    }
    t0 = ip_clock();
    r->write_rev =
        etcd_put(r, r->write_ep, r->key, r->value, etcd_timeout(st, r->deadline), err, sizeof(err));
    /* The exchange's own time (curl's), as the read's: not the JSON built and parsed. */
    if (!r->write_rev)
        ip_check(r->rep, "write", r->write_ep->hostport, IP_CRITICAL, ip_clock() - t0, "%s", err);
    else
        ip_check(r->rep, "write", r->write_ep->hostport, IP_OK, r->put_took,
                 "put %s at revision %" PRIu64 " with lease %" PRIu64 " (ttl %.0f s)", r->key,
                 r->write_rev, r->lease, st->lease_ttl);
}

/* A range of r->key on c's endpoint (serializable or not) into c. */
static int range_body(struct etcd_run *r, struct etcd_call *c, int serializable)
{
    char k64[700];

    etcd_b64_encode(r->key, strlen(r->key), k64, sizeof(k64));
    c->path = "/v3/kv/range";
    return etcd_body(c, "{\"key\":\"%s\"%s}", k64, serializable ? ",\"serializable\":true" : "");
}

/* What a range reply says of the write: 1 it has it, 0 not yet (or another value: *diverged),
 * -1 not a range reply. */
static int range_has(struct etcd_run *r, struct etcd_call *c, uint64_t *hrev, int *diverged)
{
    char val[300], err[256];
    uint64_t mod = 0;
    int f = etcd_parse_range(c->reply, val, sizeof(val), &mod, hrev, err, sizeof(err));

    *diverged = 0;
    if (f < 0) {
        snprintf(c->err, sizeof(c->err), "%.100s: %.300s", c->ep->hostport, err);
        return -1;
    }
    if (f == 1 && mod == r->write_rev && strcmp(val, r->value) != 0)
        *diverged = 1;
    if (f == 1 && mod == r->write_rev && !*diverged)
        return 1;
    snprintf(c->err, sizeof(c->err),
             "%s: %s (member at revision %" PRIu64 ", the write at %" PRIu64 ")", c->ep->hostport,
             *diverged ? "another value at the write's revision"
             : f       ? "an older value"
                       : "no key",
             *hrev, r->write_rev);
    return 0;
}

/* The linearizable read on the write's endpoint: 0 when it returned what was written. */
static int read_linearizable(struct etcd_run *r)
{
    struct etcd_call c = {.ep = r->write_ep};
    uint64_t hrev;
    int div = 0, rc = -1;

    if (range_body(r, &c, 0) == 0 &&
        etcd_call1(r->st, &c, etcd_timeout(r->st, r->deadline), r->deadline) == 0)
        rc = range_has(r, &c, &hrev, &div) == 1 ? 0 : -1;
    if (rc == 0)
        ip_check(r->rep, "read", NULL, IP_OK, c.took,
                 "linearizable range on %s returned the value written at revision %" PRIu64,
                 c.ep->hostport, r->write_rev);
    else
        ip_check(r->rep, "read", NULL, IP_CRITICAL, c.took, "linearizable range: %s", c.err);
    etcd_calls_free(&c, 1);
    return rc;
}

/* One member's serializable read: 1 when recorded (it has the write, it diverged or failed, or
 * the catch-up time is over), 0 to ask again. */
static int read_member(struct etcd_run *r, struct etcd_call *c, int round, int last)
{
    uint64_t hrev = 0, lag;
    int div = 0, has = c->reply ? range_has(r, c, &hrev, &div) : -1;
    const char *t = c->ep->hostport;

    if (has == 1)
        ip_check(r->rep, "read", t, IP_OK, c->took,
                 "serializable range: the value written at revision %" PRIu64 "%s", r->write_rev,
                 round ? " (after catching up)" : "");
    else if (div || has < 0)
        ip_check(r->rep, "read", t, IP_CRITICAL, c->took, "serializable range: %s", c->err);
    else if (!last)
        return 0;
    else if ((lag = r->write_rev > hrev ? r->write_rev - hrev : 0) > (uint64_t)r->st->max_lag)
        ip_check(r->rep, "read", t, IP_WARNING, c->took, "serializable range after %.1f s: %s",
                 r->st->catchup, c->err);
    else
        ip_check(r->rep, "read", t, IP_OK, c->took,
                 "serializable range: behind by %" PRIu64 " revisions, within max_lag %lld", lag,
                 r->st->max_lag);
    return 1;
}

/* Serializable reads of every member: each must show the write, within the catch-up time. */
static void read_members(struct etcd_run *r, struct etcd_call *calls, int *done)
{
    struct etcd_state *st = r->st;
    double until = ip_clock() + st->catchup;
    size_t *idx = calloc(st->nep, sizeof(*idx));

    if (until > r->deadline)
        until = r->deadline;
    for (int round = 0, left = 1; idx && left; round++) {
        size_t n = 0;

        for (size_t i = 0; i < st->nep; i++)
            if (r->up[i] && !done[i]) {
                memset(&calls[n], 0, sizeof(calls[n]));
                calls[n].ep = &st->eps[i];
                range_body(r, &calls[n], 1);
                idx[n++] = i;
            }
        etcd_calls(st, calls, n, etcd_timeout(st, r->deadline), r->deadline);
        left = 0;
        for (size_t j = 0; j < n; j++) {
            done[idx[j]] = read_member(r, &calls[j], round, ip_clock() >= until);
            left += !done[idx[j]];
        }
        etcd_calls_free(calls, n);
        if (left)
            ip_sleep_until(ip_clock() + 0.01);
    }
    free(idx);
}

void etcd_check_read(struct etcd_run *r)
{
    struct etcd_state *st = r->st;
    struct etcd_call *calls;
    int *done;

    if (!r->write_rev) {
        ip_skip_checks(r->rep, NULL, (const char *const[]){"read", NULL}, "nothing was written");
        return;
    }
    if (read_linearizable(r) != 0)
        return;
    calls = calloc(st->nep, sizeof(*calls));
    done = calloc(st->nep, sizeof(*done));
    if (calls && done)
        read_members(r, calls, done);
    free(calls);
    free(done);
}
