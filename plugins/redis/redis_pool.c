/*
 * The pool check: `concurrency` workers run operations through the SDK pool (ip_pool_*) of
 * at most max_open connections, all released at once so that most of them must queue. The
 * server is the judge, not the pool's own counters: while they run, CLIENT LIST (on the
 * probe's main connection) counts the connections named as the pool names them, so we see
 * that no more than max_open were ever open, that few were opened for many operations
 * (reuse), and that after the run at most max_idle remain (no leak).
 *
 * The pool lives across runs, for the master it was made for: a failover gives the next
 * run a new pool. Its connections carry a name of their own (…:pool:<host>:<pid>), so that
 * the count is exactly this process's pool, not another host's probe of the same name.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_plugin.h"

/* Operations each worker runs, one connection acquired for each. */
#define POOL_OPS_PER_WORKER 4
/* Distinct server-side connection ids remembered per run. */
#define POOL_MAX_IDS 4096

/* How often the server's list is read while the workers run (seconds). */
#define POOL_WATCH_PERIOD 0.0002

/* Server-side ids of the pool's connections closed lately, remembered. */
#define POOL_CLOSED_IDS 4096

struct redis_pool_ctx {
    char host[256];
    int port;
    struct redis_conn_opts opts;
    /* The ids of the connections we closed: the server lists a closed connection until it
     * has read the EOF, a moment later, and such a connection is no leak. */
    pthread_mutex_t lock;
    long long closed[POOL_CLOSED_IDS]; /* a ring */
    size_t nclosed;                    /* ever closed */
};

/* What the workers share: they start together (ip_workers), so most must queue. */
struct pool_run {
    struct ip_pool *pool;
    double deadline;
    char key[1024];
    char px[32];
};

static int pool_open(void *ctx, double deadline, void **conn, char *err, size_t errlen)
{
    struct redis_pool_ctx *pc = ctx;
    redisContext *c = redis_connect(pc->host, pc->port, &pc->opts, deadline, err, errlen);

    *conn = c;
    return c ? 0 : -1;
}

static void pool_close(void *ctx, void *conn)
{
    struct redis_pool_ctx *pc = ctx;
    long long id = redis_conn_id(conn);

    /* Remembered before the socket closes, so that any count made after sees it. */
    if (id >= 0) {
        pthread_mutex_lock(&pc->lock);
        pc->closed[pc->nclosed++ % POOL_CLOSED_IDS] = id;
        pthread_mutex_unlock(&pc->lock);
    }
    redis_free(conn);
}

static int pool_was_closed(struct redis_pool_ctx *pc, long long id)
{
    size_t n;
    int found = 0;

    pthread_mutex_lock(&pc->lock);
    n = pc->nclosed < POOL_CLOSED_IDS ? pc->nclosed : POOL_CLOSED_IDS;
    for (size_t i = 0; i < n && !found; i++)
        found = pc->closed[i] == id;
    pthread_mutex_unlock(&pc->lock);
    return found;
}

static int pool_ping(void *ctx, void *conn, double deadline)
{
    char err[256];

    (void)ctx;
    return redis_cmd_status(conn, deadline, err, sizeof(err), "PONG", 1, (const char *[]){"PING"},
                            NULL);
}

static const struct ip_pool_ops pool_ops = {pool_open, pool_close, pool_ping};

void redis_pool_free(struct redis_state *st)
{
    ip_pool_free(st->pool);
    st->pool = NULL;
    if (st->pool_ctx)
        pthread_mutex_destroy(&st->pool_ctx->lock);
    free(st->pool_ctx);
    st->pool_ctx = NULL;
    st->pool_addr[0] = '\0';
}

/* One operation of a worker: a connection from the pool, a SET on it, given back. */
static int pool_op(void *arg, int worker, int call, char *err, size_t errlen)
{
    struct pool_run *pr = arg;
    void *conn;
    int rc;

    (void)worker;
    (void)call;
    if (ip_pool_acquire(pr->pool, pr->deadline, &conn, err, errlen) != 0)
        return -1;
    rc = redis_cmd_ok(conn, pr->deadline, err, errlen, 5,
                      (const char *[]){"SET", pr->key, "pool", "PX", pr->px});
    if (rc != 0 && ((redisContext *)conn)->err)
        ip_pool_discard(pr->pool, conn);
    else
        ip_pool_release(pr->pool, conn);
    return rc;
}

/*
 * The pool's connections the server lists now, their ids added to ids[]; -1 on error.
 * Those we closed are left out: the list is read after its reply arrived, so every
 * connection counted was open at once, on the server when it listed it and on our side
 * after, and a connection whose close the server has not seen yet is not counted.
 */
static int pool_server_count(struct redis_pool_ctx *pc, redisContext *c, const char *name,
                             double deadline, long long *ids, size_t *nids, char *err,
                             size_t errlen)
{
    redisReply *r = redis_cmd_type(c, deadline, err, errlen, REDIS_REPLY_STRING, 2,
                                   (const char *[]){"CLIENT", "LIST"}, NULL);
    long long *seen;
    int n, open = 0;

    if (!r)
        return -1;
    n = redis_client_count(r->str, name, NULL, 0);
    seen = calloc((size_t)n + 1, sizeof(*seen));
    if (!seen) {
        snprintf(err, errlen, "out of memory");
        freeReplyObject(r);
        return -1;
    }
    redis_client_count(r->str, name, seen, (size_t)n);
    freeReplyObject(r);
    for (int i = 0; i < n; i++) {
        size_t j;

        if (pool_was_closed(pc, seen[i]))
            continue;
        open++;
        for (j = 0; ids && j < *nids && ids[j] != seen[i]; j++)
            ;
        if (ids && j == *nids && *nids < POOL_MAX_IDS)
            ids[(*nids)++] = seen[i];
    }
    free(seen);
    return open;
}

/* Connections opened during the run beyond those that replaced one the pool closed by its
 * limits: with max_idle below max_open, a release that finds no waiter and the idle list
 * full closes a connection that a later acquire must open again (Go's database/sql does
 * the same). Any other open past max_open means connections were not given back. */
static long long pool_reopened(const struct ip_pool_stats *before,
                               const struct ip_pool_stats *after)
{
    return (after->opened - before->opened) - (after->max_idle_closed - before->max_idle_closed) -
           (after->max_lifetime_closed - before->max_lifetime_closed);
}

/* The pool for this master: kept across runs, made anew when the master moved. 0, or -1
 * when out of memory. */
static int pool_ready(struct redis_state *st, const char *host, int port, const char *target)
{
    if (st->pool && strcmp(st->pool_addr, target) != 0)
        redis_pool_free(st); /* the master moved: connections to the old one are no use */
    if (st->pool)
        return 0;
    st->pool_ctx = calloc(1, sizeof(*st->pool_ctx));
    if (st->pool_ctx) {
        snprintf(st->pool_ctx->host, sizeof(st->pool_ctx->host), "%s", host);
        st->pool_ctx->port = port;
        st->pool_ctx->opts = (struct redis_conn_opts){
            st->username, st->password, st->database, st->pool_client_name, st->max_reply, 1, NULL};
        pthread_mutex_init(&st->pool_ctx->lock, NULL);
        st->pool = ip_pool_new(&pool_ops, st->pool_ctx, &st->pool_config);
    }
    if (!st->pool) {
        redis_pool_free(st);
        return -1;
    }
    snprintf(st->pool_addr, sizeof(st->pool_addr), "%s", target);
    return 0;
}

/* One pool check's figures: the workers', the pool's and the server's. */
struct pool_result {
    int started, peak, remain;
    long long failed;
    size_t nids;
    long long ids[POOL_MAX_IDS];
    struct ip_pool_stats before, after;
    char first_err[512], err[512];
};

/* Run the workers and count, while they run and after, the connections the server lists. */
static void pool_exercise(struct redis_state *st, redisContext *main_conn, struct pool_run *pr,
                          struct pool_result *res)
{
    struct ip_workers *w;

    ip_pool_stats(st->pool, &res->before);
    w = ip_workers_start(st->concurrency, POOL_OPS_PER_WORKER, pr->deadline, pool_op, pr);
    while (w && !ip_workers_done(w)) {
        int n = pool_server_count(st->pool_ctx, main_conn, st->pool_client_name, pr->deadline,
                                  res->ids, &res->nids, res->err, sizeof(res->err));

        if (n < 0)
            break;
        if (n > res->peak)
            res->peak = n;
        ip_sleep_until(ip_clock() + POOL_WATCH_PERIOD);
    }
    res->failed = ip_workers_wait(w, &res->started, res->first_err, sizeof(res->first_err));
    ip_pool_stats(st->pool, &res->after);
    res->remain = res->err[0]
                      ? -1
                      : pool_server_count(st->pool_ctx, main_conn, st->pool_client_name,
                                          pr->deadline, NULL, NULL, res->err, sizeof(res->err));
}

static void pool_verdict(struct redis_state *st, struct ip_report *rep, const char *target,
                         double t0, const struct pool_result *res)
{
    const struct ip_pool_config *cfg = &st->pool_config;
    int ops = st->concurrency * POOL_OPS_PER_WORKER;

    if (res->started < st->concurrency)
        ip_check(rep, "pool", target, IP_UNKNOWN, ip_clock() - t0,
                 "could start only %d of %d workers", res->started, st->concurrency);
    else if (res->remain < 0)
        ip_check(rep, "pool", target, IP_CRITICAL, ip_clock() - t0, "%s", res->err);
    else if (res->failed)
        ip_check(rep, "pool", target, IP_CRITICAL, ip_clock() - t0,
                 "%lld of %d operations failed: %s", res->failed, ops, res->first_err);
    else if (res->peak > cfg->max_open)
        ip_check(rep, "pool", target, IP_CRITICAL, ip_clock() - t0,
                 "the server listed %d pool connections at once, max_open %d", res->peak,
                 cfg->max_open);
    else if (res->remain > cfg->max_idle)
        ip_check(rep, "pool", target, IP_CRITICAL, ip_clock() - t0,
                 "%d pool connections left open after the run, max_idle %d: a leak", res->remain,
                 cfg->max_idle);
    else if (pool_reopened(&res->before, &res->after) > cfg->max_open)
        ip_check(rep, "pool", target, IP_WARNING, ip_clock() - t0,
                 "connections not reused: %lld opened for %d operations, max_open %d",
                 res->after.opened - res->before.opened, ops, cfg->max_open);
    else
        ip_check(rep, "pool", target, IP_OK, ip_clock() - t0,
                 "%d operations by %d workers: server peak %d connections (max_open %d), "
                 "%zu distinct, %lld opened, %lld waited, %d left open (max_idle %d)",
                 ops, st->concurrency, res->peak, cfg->max_open, res->nids,
                 res->after.opened - res->before.opened,
                 res->after.wait_count - res->before.wait_count, res->remain, cfg->max_idle);
}

void redis_pool_check(struct redis_state *st, struct ip_report *rep, redisContext *main_conn,
                      const char *host, int port, const char *target)
{
    struct pool_run pr = {.deadline = ip_report_deadline(rep)};
    struct pool_result *res;
    double t0 = ip_clock();
    char tag[64];

    if (!ip_check_enabled(rep, "pool"))
        return; /* the core records it skipped */
    if (st->concurrency == 0) {
        ip_check(rep, "pool", target, IP_SKIPPED, 0, "concurrency = 0");
        return;
    }
    res = calloc(1, sizeof(*res));
    if (!res || pool_ready(st, host, port, target) != 0) {
        ip_check(rep, "pool", target, IP_UNKNOWN, 0, "out of memory");
        free(res);
        return;
    }
    pr.pool = st->pool;
    snprintf(pr.key, sizeof(pr.key), "%s%s:%s:pool", st->key_prefix, st->probe_name,
             ip_run_tag(rep, tag, sizeof(tag)));
    snprintf(pr.px, sizeof(pr.px), "%lld", (long long)(st->ttl * 1000 + 0.5));
    pool_exercise(st, main_conn, &pr, res);
    if (!res->started && res->failed < 0) {
        ip_check(rep, "pool", target, IP_UNKNOWN, 0, "out of memory");
    } else {
        ip_pool_metrics(rep, &res->after, target);
        ip_metric(rep, IP_GAUGE, "pool_server_peak_connections", NULL,
                  "most pool connections the server listed at once during the last run", target,
                  NULL, res->peak);
        pool_verdict(st, rep, target, t0, res);
    }
    free(res);
}
