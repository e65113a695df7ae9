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
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "redis_plugin.h"

/* Operations each worker runs, one connection acquired for each. */
#define POOL_OPS_PER_WORKER 4
/* Distinct server-side connection ids remembered per run. */
#define POOL_MAX_IDS 4096

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

struct pool_run {
    struct ip_pool *pool;
    double deadline;
    char key[1024];
    char px[32];
    pthread_cond_t go_cond; /* the workers start together, so most must queue */
    int go;
    atomic_int done;
    pthread_mutex_t lock;
    long long failed;
    char first_err[512];
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

static void pool_fail(struct pool_run *pr, const char *err)
{
    pthread_mutex_lock(&pr->lock);
    if (!pr->failed++)
        snprintf(pr->first_err, sizeof(pr->first_err), "%s", err);
    pthread_mutex_unlock(&pr->lock);
}

static void *pool_worker(void *arg)
{
    struct pool_run *pr = arg;

    pthread_mutex_lock(&pr->lock);
    while (!pr->go)
        pthread_cond_wait(&pr->go_cond, &pr->lock);
    pthread_mutex_unlock(&pr->lock);
    for (int i = 0; i < POOL_OPS_PER_WORKER; i++) {
        char err[512];
        void *conn;
        int rc = ip_pool_acquire(pr->pool, pr->deadline, &conn, err, sizeof(err));

        if (rc != 0) {
            pool_fail(pr, err);
            continue;
        }
        if (redis_cmd_ok(conn, pr->deadline, err, sizeof(err), 5,
                         (const char *[]){"SET", pr->key, "pool", "PX", pr->px}) != 0) {
            pool_fail(pr, err);
            if (((redisContext *)conn)->err) {
                ip_pool_discard(pr->pool, conn);
                continue;
            }
        }
        ip_pool_release(pr->pool, conn);
    }
    atomic_fetch_add(&pr->done, 1);
    return NULL;
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

static void pool_metrics(struct ip_report *rep, const char *target, const struct ip_pool_stats *s,
                         int peak)
{
    ip_metric(rep, IP_GAUGE, "pool_max_open", NULL, "the pool's max_open", target, NULL,
              s->max_open);
    ip_metric(rep, IP_GAUGE, "pool_open", NULL, "pool connections open (in use + idle)", target,
              NULL, s->open);
    ip_metric(rep, IP_GAUGE, "pool_in_use", NULL, "pool connections in use", target, NULL,
              s->in_use);
    ip_metric(rep, IP_GAUGE, "pool_idle", NULL, "pool connections idle", target, NULL, s->idle);
    ip_metric(rep, IP_COUNTER, "pool_opened", NULL, "pool connections opened", target, NULL,
              (double)s->opened);
    ip_metric(rep, IP_COUNTER, "pool_wait_count", NULL, "pool acquisitions that waited", target,
              NULL, (double)s->wait_count);
    ip_metric(rep, IP_COUNTER, "pool_wait_duration", "seconds", "time spent waiting for the pool",
              target, NULL, s->wait_duration);
    ip_metric(rep, IP_COUNTER, "pool_max_idle_closed", NULL,
              "pool connections closed because max_idle was reached", target, NULL,
              (double)s->max_idle_closed);
    ip_metric(rep, IP_COUNTER, "pool_max_lifetime_closed", NULL,
              "pool connections closed because they passed max_lifetime", target, NULL,
              (double)s->max_lifetime_closed);
    ip_metric(rep, IP_GAUGE, "pool_server_peak_connections", NULL,
              "most pool connections the server listed at once during the last run", target, NULL,
              peak);
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

void redis_pool_check(struct redis_state *st, struct ip_report *rep, redisContext *main_conn,
                      const char *host, int port, const char *target)
{
    struct pool_run pr = {.deadline = ip_report_deadline(rep)};
    struct ip_pool_stats before, after;
    pthread_t *threads = NULL;
    long long *ids = NULL;
    size_t nids = 0;
    int started = 0, peak = 0, remain, n, ops;
    char err[512];
    double t0 = ip_clock();

    if (!ip_check_enabled(rep, "pool"))
        return; /* the core records it skipped */
    if (st->concurrency == 0) {
        ip_check(rep, "pool", target, IP_SKIPPED, 0, "concurrency = 0");
        return;
    }
    if (st->pool && strcmp(st->pool_addr, target) != 0)
        redis_pool_free(st); /* the master moved: connections to the old one are no use */
    if (!st->pool) {
        st->pool_ctx = calloc(1, sizeof(*st->pool_ctx));
        if (st->pool_ctx) {
            snprintf(st->pool_ctx->host, sizeof(st->pool_ctx->host), "%s", host);
            st->pool_ctx->port = port;
            st->pool_ctx->opts = (struct redis_conn_opts){
                st->username, st->password, st->database, st->pool_client_name, st->max_reply, 1};
            pthread_mutex_init(&st->pool_ctx->lock, NULL);
            st->pool = ip_pool_new(&pool_ops, st->pool_ctx, &st->pool_config);
        }
        if (!st->pool) {
            ip_check(rep, "pool", target, IP_UNKNOWN, 0, "out of memory");
            redis_pool_free(st);
            return;
        }
        snprintf(st->pool_addr, sizeof(st->pool_addr), "%s", target);
    }
    ip_pool_stats(st->pool, &before);
    pr.pool = st->pool;
    snprintf(pr.key, sizeof(pr.key), "%s%s:%s:%ld:%lld:pool", st->key_prefix, st->probe_name,
             st->host, (long)getpid(), st->seq);
    snprintf(pr.px, sizeof(pr.px), "%lld", (long long)(st->ttl * 1000 + 0.5));
    atomic_init(&pr.done, 0);
    pthread_mutex_init(&pr.lock, NULL);
    pthread_cond_init(&pr.go_cond, NULL);
    threads = calloc((size_t)st->concurrency, sizeof(*threads));
    ids = calloc(POOL_MAX_IDS, sizeof(*ids));
    if (!threads || !ids) {
        ip_check(rep, "pool", target, IP_UNKNOWN, 0, "out of memory");
        goto out;
    }
    for (started = 0; started < st->concurrency; started++)
        if (pthread_create(&threads[started], NULL, pool_worker, &pr) != 0)
            break;
    pthread_mutex_lock(&pr.lock);
    pr.go = 1;
    pthread_cond_broadcast(&pr.go_cond);
    pthread_mutex_unlock(&pr.lock);
    err[0] = '\0';
    while (atomic_load(&pr.done) < started) {
        n = pool_server_count(st->pool_ctx, main_conn, st->pool_client_name, pr.deadline, ids,
                              &nids, err, sizeof(err));
        if (n < 0)
            break;
        if (n > peak)
            peak = n;
        ip_sleep_until(ip_clock() + 0.0002);
    }
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    ip_pool_stats(st->pool, &after);
    remain = err[0] ? -1
                    : pool_server_count(st->pool_ctx, main_conn, st->pool_client_name, pr.deadline,
                                        NULL, NULL, err, sizeof(err));
    pool_metrics(rep, target, &after, peak);
    ops = st->concurrency * POOL_OPS_PER_WORKER;
    if (started < st->concurrency)
        ip_check(rep, "pool", target, IP_UNKNOWN, ip_clock() - t0,
                 "could start only %d of %d workers", started, st->concurrency);
    else if (remain < 0)
        ip_check(rep, "pool", target, IP_CRITICAL, ip_clock() - t0, "%s", err);
    else if (pr.failed)
        ip_check(rep, "pool", target, IP_CRITICAL, ip_clock() - t0,
                 "%lld of %d operations failed: %s", pr.failed, ops, pr.first_err);
    else if (peak > st->pool_config.max_open)
        ip_check(rep, "pool", target, IP_CRITICAL, ip_clock() - t0,
                 "the server listed %d pool connections at once, max_open %d", peak,
                 st->pool_config.max_open);
    else if (remain > st->pool_config.max_idle)
        ip_check(rep, "pool", target, IP_CRITICAL, ip_clock() - t0,
                 "%d pool connections left open after the run, max_idle %d: a leak", remain,
                 st->pool_config.max_idle);
    else if (pool_reopened(&before, &after) > st->pool_config.max_open)
        ip_check(rep, "pool", target, IP_WARNING, ip_clock() - t0,
                 "connections not reused: %lld opened for %d operations, max_open %d",
                 after.opened - before.opened, ops, st->pool_config.max_open);
    else
        ip_check(rep, "pool", target, IP_OK, ip_clock() - t0,
                 "%d operations by %d workers: server peak %d connections (max_open %d), "
                 "%zu distinct, %lld opened, %lld waited, %d left open (max_idle %d)",
                 ops, st->concurrency, peak, st->pool_config.max_open, nids,
                 after.opened - before.opened, after.wait_count - before.wait_count, remain,
                 st->pool_config.max_idle);
out:
    pthread_cond_destroy(&pr.go_cond);
    pthread_mutex_destroy(&pr.lock);
    free(threads);
    free(ids);
}
