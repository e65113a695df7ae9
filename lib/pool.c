/*
 * The SDK's generic connection pool (ip_pool_*), after Go's database/sql pool: at most
 * max_open connections, at most max_idle of them kept idle, none reused past max_lifetime,
 * and callers that find none free wait in line until their deadline.
 *
 * Choices, and why:
 * - Idle connections are reused last released first (a stack). The few a probe keeps busy
 *   stay warm, the surplus sinks to the bottom where max_lifetime retires it, and the most
 *   recently used connection is the one least likely to have been dropped by a server's
 *   idle timeout (MySQL wait_timeout, Redis timeout).
 * - A slot counts against max_open from the moment it is reserved until close() has
 *   returned. open() and close() do network I/O, so they run without the lock, yet the
 *   backend never sees more than max_open connections, not even for an instant: that limit
 *   usually mirrors the server's own (max_connections). The stats' `open` therefore counts
 *   connections being opened or closed as well (as Go's does).
 * - Waiters queue in order, each on its own condition variable. A released connection is
 *   handed straight to the first waiter, and a freed slot (discard, expiry, failed open) is
 *   handed to it as a reservation, so a newcomer never overtakes a waiter and a release
 *   wakes one thread, not the herd.
 * - ping(), when given, checks only a connection that sat idle for POOL_PING_IDLE seconds
 *   or more. Go never pings on reuse, but a probe runs every few seconds: the connections
 *   idle since the last run are exactly those a server restart or a failover drill broke,
 *   while within one run a connection released a moment ago is reused without a round
 *   trip. A connection whose ping fails is closed and a new one opened in its slot.
 * - Expired idle connections are retired on every acquire and release; there is no
 *   cleaner thread (a probe's pool is used at least once per run).
 * - Once the deadline has passed, acquire neither waits nor starts I/O (open, ping): it
 *   returns IP_ETIMEDOUT at once, unless an idle connection can be handed out as it is.
 *   A waiter that was handed a connection returns it even if its deadline passed in the
 *   meantime: the connection is ready and costs nothing more.
 * - Configuration is taken as Go takes it: max_open <= 0 is no limit, max_idle < 0 is 0
 *   (no idle connection is kept), max_lifetime <= 0 (or NaN) is none.
 * - The pool finds a connection's bookkeeping by a linear search of the open ones: pools
 *   hold a handful.
 */
#include "config.h"

#include "pool.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <infraprobe/plugin.h>

/* Idle this long (seconds) and a connection is pinged before reuse. */
#define POOL_PING_IDLE 1.0

/* ip_clock(), unless a unit test has set a clock of its own (pool_set_clock()). */
static double (*pool_clock)(void) = ip_clock;

void pool_set_clock(double (*clock)(void))
{
    pool_clock = clock ? clock : ip_clock;
}

enum pool_state {
    POOL_IDLE,
    POOL_IN_USE,
    POOL_PINGING, /* taken from the idle stack by an acquire that pings it */
};

struct pool_conn {
    void *conn;
    double created;    /* ip_clock() when opened */
    double idle_since; /* ip_clock() when last released */
    enum pool_state state;
    struct pool_conn *next; /* in the idle stack, or in a list of connections to close */
};

struct pool_waiter {
    pthread_cond_t cond;
    struct pool_conn *conn; /* a connection handed over, in use: ours */
    int granted;            /* a reserved slot handed over: ours to open */
    struct pool_waiter *next;
};

struct ip_pool {
    pthread_mutex_t lock;
    pthread_condattr_t condattr; /* CLOCK_MONOTONIC, for every waiter's cond */
    struct ip_pool_ops ops;
    void *ctx;
    struct ip_pool_config config;
    /* Every open connection, idle or in use (not those being opened or closed). There is
     * room for as many as there are slots, so that a successful open() is never lost for
     * want of memory. */
    struct pool_conn **conns;
    size_t nconns, cap;
    struct pool_conn *idle; /* top: the last released */
    int nidle;
    int nslots; /* open + being opened + being closed: what max_open bounds */
    struct pool_waiter *wait_head, *wait_tail;
    /* Counters only; ip_pool_stats() fills in the rest. */
    long long opened, wait_count, max_idle_closed, max_lifetime_closed;
    double wait_duration;
};

static int pool_expired(const struct ip_pool *pool, const struct pool_conn *pc, double now)
{
    return pool->config.max_lifetime > 0 && now - pc->created >= pool->config.max_lifetime;
}

static struct pool_conn *pool_find(struct ip_pool *pool, const void *conn, enum pool_state state)
{
    size_t i;

    for (i = 0; i < pool->nconns; i++)
        if (pool->conns[i]->conn == conn && pool->conns[i]->state == state)
            return pool->conns[i];
    return NULL;
}

/* Drop pc from conns[]; its slot stays taken until it has been closed. */
static void pool_forget(struct ip_pool *pool, struct pool_conn *pc)
{
    size_t i;

    for (i = 0; i < pool->nconns; i++) {
        if (pool->conns[i] == pc) {
            pool->conns[i] = pool->conns[--pool->nconns];
            return;
        }
    }
}

static void pool_push_idle(struct ip_pool *pool, struct pool_conn *pc, double since)
{
    pc->state = POOL_IDLE;
    pc->idle_since = since;
    pc->next = pool->idle;
    pool->idle = pc;
    pool->nidle++;
}

static struct pool_conn *pool_pop_idle(struct ip_pool *pool)
{
    struct pool_conn *pc = pool->idle;

    if (pc) {
        pool->idle = pc->next;
        pool->nidle--;
        pc->next = NULL;
        pc->state = POOL_IN_USE;
    }
    return pc;
}

static struct pool_waiter *pool_dequeue(struct ip_pool *pool)
{
    struct pool_waiter *w = pool->wait_head;

    if (w) {
        pool->wait_head = w->next;
        if (!pool->wait_head)
            pool->wait_tail = NULL;
    }
    return w;
}

static void pool_unqueue(struct ip_pool *pool, struct pool_waiter *w)
{
    struct pool_waiter **pp, *prev = NULL;

    for (pp = &pool->wait_head; *pp; prev = *pp, pp = &(*pp)->next) {
        if (*pp == w) {
            *pp = w->next;
            if (pool->wait_tail == w)
                pool->wait_tail = prev;
            return;
        }
    }
}

/* A slot came free: the first waiter gets it as a reservation, or it is given back. */
static void pool_free_slot(struct ip_pool *pool)
{
    struct pool_waiter *w = pool_dequeue(pool);

    if (w) {
        w->granted = 1;
        pthread_cond_signal(&w->cond);
        return;
    }
    pool->nslots--;
}

/* Close the connections on `doomed` and only then free their slots (see the top of the
 * file). Called with the lock held; drops it around close(), which may do I/O. */
static void pool_retire(struct ip_pool *pool, struct pool_conn *doomed)
{
    struct pool_conn *pc;
    int n = 0;

    if (!doomed)
        return;
    pthread_mutex_unlock(&pool->lock);
    while (doomed) {
        pc = doomed;
        doomed = pc->next;
        pool->ops.close(pool->ctx, pc->conn);
        free(pc);
        n++;
    }
    pthread_mutex_lock(&pool->lock);
    while (n-- > 0)
        pool_free_slot(pool);
}

/* Unlink every idle connection past max_lifetime onto *doomed. */
static void pool_prune(struct ip_pool *pool, double now, struct pool_conn **doomed)
{
    struct pool_conn **pp = &pool->idle, *pc;

    while ((pc = *pp)) {
        if (!pool_expired(pool, pc, now)) {
            pp = &pc->next;
            continue;
        }
        *pp = pc->next;
        pool->nidle--;
        pool_forget(pool, pc);
        pool->max_lifetime_closed++;
        pc->next = *doomed;
        *doomed = pc;
    }
}

/* Room in conns[] for every slot. */
static int pool_reserve(struct ip_pool *pool)
{
    struct pool_conn **conns;
    size_t cap;

    if (pool->cap >= (size_t)pool->nslots)
        return 0;
    cap = pool->cap ? pool->cap * 2 : 8;
    while (cap < (size_t)pool->nslots)
        cap *= 2;
    conns = realloc(pool->conns, cap * sizeof(*conns));
    if (!conns)
        return -1;
    pool->conns = conns;
    pool->cap = cap;
    return 0;
}

/* Open a connection in the slot the caller holds. Called with the lock held; drops it
 * around open(). On failure the slot goes to the next waiter, if any. */
static int pool_open(struct ip_pool *pool, double deadline, struct pool_conn **out, char *err,
                     size_t errlen)
{
    struct pool_conn *pc = calloc(1, sizeof(*pc));
    void *conn = NULL;
    int rc;

    if (!pc || pool_reserve(pool) < 0) {
        free(pc);
        pool_free_slot(pool);
        snprintf(err, errlen, "out of memory");
        return IP_ENOMEM;
    }
    /* Its age counts from before open(): whatever stamp open() keeps of its own is later,
     * so the pool never judges a connection younger than its owner does (max_lifetime is
     * never exceeded, and a plugin that checks it by its own stamp sees the same). */
    pc->created = pool_clock();
    pthread_mutex_unlock(&pool->lock);
    rc = pool->ops.open(pool->ctx, deadline, &conn, err, errlen);
    pthread_mutex_lock(&pool->lock);
    if (rc != 0) {
        free(pc);
        pool_free_slot(pool);
        if (!err[0])
            snprintf(err, errlen, "could not open a connection");
        return IP_EOPEN;
    }
    pc->conn = conn;
    pc->state = POOL_IN_USE;
    pool->conns[pool->nconns++] = pc;
    pool->opened++;
    *out = pc;
    return 0;
}

/* Ping pc, just taken from the idle stack, without the lock. A dead one is closed and
 * forgotten, and its slot stays with the caller to open a new one. 0: alive. */
static int pool_ping(struct ip_pool *pool, struct pool_conn *pc, double deadline)
{
    int rc;

    pc->state = POOL_PINGING;
    pthread_mutex_unlock(&pool->lock);
    rc = pool->ops.ping(pool->ctx, pc->conn, deadline);
    if (rc != 0)
        pool->ops.close(pool->ctx, pc->conn);
    pthread_mutex_lock(&pool->lock);
    if (rc != 0) {
        pool_forget(pool, pc);
        free(pc);
        return -1;
    }
    pc->state = POOL_IN_USE;
    return 0;
}

/* Wait in line until a connection or a slot is handed over or the deadline passes.
 * Returns 0 with *out (in use), 1 holding a slot, IP_ETIMEDOUT or IP_ENOMEM. */
static int pool_wait(struct ip_pool *pool, double deadline, struct pool_conn **out)
{
    struct pool_waiter w = {.next = NULL};
    struct timespec ts;
    double start, now;
    int rc;

    if (pthread_cond_init(&w.cond, &pool->condattr) != 0)
        return IP_ENOMEM;
    if (pool->wait_tail)
        pool->wait_tail->next = &w;
    else
        pool->wait_head = &w;
    pool->wait_tail = &w;
    pool->wait_count++;

    /* The clock decides, not the wait's return code: a timed wait may end a hair early
     * when the two clocks round differently, and a timeout must never come before the
     * deadline. */
    start = now = pool_clock();
    while (!w.conn && !w.granted && now < deadline) {
        ts = ip_timespec_after(deadline - now);
        pthread_cond_timedwait(&w.cond, &pool->lock, &ts);
        now = pool_clock();
    }
    pool->wait_duration += pool_clock() - start;

    if (w.conn) {
        *out = w.conn;
        rc = 0;
    } else if (w.granted) {
        rc = 1;
    } else {
        pool_unqueue(pool, &w); /* those who hand over dequeue; nobody did */
        rc = IP_ETIMEDOUT;
    }
    pthread_cond_destroy(&w.cond);
    return rc;
}

/* Copy a caller's struct of `size` bytes into ours of `ours`: fields it lacks read as 0. */
static void copy_sized(void *dst, size_t ours, const void *src, size_t size)
{
    memset(dst, 0, ours);
    if (src)
        memcpy(dst, src, size < ours ? size : ours);
}

struct ip_pool *ip_pool_new_sized(const struct ip_pool_ops *ops, size_t ops_size, void *ctx,
                                  const struct ip_pool_config *config, size_t config_size)
{
    struct ip_pool *pool;

    if (!ops || ops_size < offsetof(struct ip_pool_ops, ping) || !ops->open || !ops->close)
        return NULL;
    pool = calloc(1, sizeof(*pool));
    if (!pool)
        return NULL;
    copy_sized(&pool->ops, sizeof(pool->ops), ops, ops_size);
    pool->ctx = ctx;
    copy_sized(&pool->config, sizeof(pool->config), config, config_size);
    if (pool->config.max_open < 0)
        pool->config.max_open = 0;
    if (pool->config.max_idle < 0)
        pool->config.max_idle = 0;
    if (!(pool->config.max_lifetime > 0)) /* NaN too */
        pool->config.max_lifetime = 0;

    if (pthread_condattr_init(&pool->condattr) != 0)
        goto fail_pool;
    if (pthread_condattr_setclock(&pool->condattr, CLOCK_MONOTONIC) != 0)
        goto fail_attr;
    if (pthread_mutex_init(&pool->lock, NULL) != 0)
        goto fail_attr;
    return pool;

fail_attr:
    pthread_condattr_destroy(&pool->condattr);
fail_pool:
    free(pool);
    return NULL;
}

/* The deadline passed: how many connections are in use, and against what limit. */
static void acquire_timeout(struct ip_pool *pool, char *err, size_t errlen)
{
    if (pool->config.max_open > 0)
        snprintf(err, errlen, "deadline passed waiting for a connection (%d in use, max_open %d)",
                 pool->nslots - pool->nidle, pool->config.max_open);
    else
        snprintf(err, errlen, "deadline passed waiting for a connection (%d in use)",
                 pool->nslots - pool->nidle);
}

/* An idle connection is used as it is unless it idled long enough to be pinged first.
 * Returns as pool_wait does: 0 to use it, 1 to open one in its slot, or IP_ETIMEDOUT. */
static int acquire_idle(struct ip_pool *pool, struct pool_conn *pc, double now, double deadline)
{
    if (!pool->ops.ping || now - pc->idle_since < POOL_PING_IDLE)
        return 0;
    if (now >= deadline) {
        pool_push_idle(pool, pc, pc->idle_since);
        return IP_ETIMEDOUT;
    }
    if (pool_ping(pool, pc, deadline) == 0)
        return 0;
    return 1; /* in the dead one's slot */
}

/* Under the lock: an idle connection, a free slot, or a wait in line for either. Returns as
 * pool_wait does: 0 with *pc, 1 holding a slot, IP_ETIMEDOUT or IP_ENOMEM. */
static int acquire_find(struct ip_pool *pool, double deadline, struct pool_conn **pc)
{
    double now = pool_clock();

    *pc = pool_pop_idle(pool);
    if (*pc)
        return acquire_idle(pool, *pc, now, deadline);
    /* Nobody waits while a connection is idle or a slot is free: releases and freed slots
     * go to the first waiter. The test of wait_head keeps newcomers behind the line all the
     * same, should a future path free a slot some other way. */
    if (!pool->wait_head && (pool->config.max_open == 0 || pool->nslots < pool->config.max_open)) {
        pool->nslots++;
        return 1;
    }
    if (now >= deadline)
        return IP_ETIMEDOUT;
    return pool_wait(pool, deadline, pc);
}

/* Open a connection in the slot this caller holds, unless the deadline has passed. */
static int acquire_open(struct ip_pool *pool, double deadline, struct pool_conn **pc, char *err,
                        size_t errlen)
{
    if (pool_clock() >= deadline) {
        pool_free_slot(pool);
        acquire_timeout(pool, err, errlen);
        return IP_ETIMEDOUT;
    }
    return pool_open(pool, deadline, pc, err, errlen);
}

int ip_pool_acquire(struct ip_pool *pool, double deadline, void **conn, char *err, size_t errlen)
{
    struct pool_conn *pc = NULL, *doomed = NULL;
    char buf[256];
    int rc;

    /* open() may write its reason whether or not the caller wants it. */
    if (!err || !errlen) {
        err = buf;
        errlen = sizeof(buf);
    }
    err[0] = '\0';
    if (conn)
        *conn = NULL;
    if (!pool || !conn || isnan(deadline)) {
        snprintf(err, errlen, "invalid argument");
        return IP_EINVAL;
    }

    pthread_mutex_lock(&pool->lock);
    /* Expired ones first: their slots may be what this caller needs. */
    pool_prune(pool, pool_clock(), &doomed);
    pool_retire(pool, doomed);

    rc = acquire_find(pool, deadline, &pc);
    if (rc == 1)
        rc = acquire_open(pool, deadline, &pc, err, errlen);
    else if (rc == IP_ETIMEDOUT)
        acquire_timeout(pool, err, errlen);
    else if (rc != 0)
        snprintf(err, errlen, "out of memory");
    if (rc == 0)
        *conn = pc->conn;
    pthread_mutex_unlock(&pool->lock);
    return rc;
}

void ip_pool_release(struct ip_pool *pool, void *conn)
{
    struct pool_conn *pc, *doomed = NULL;
    struct pool_waiter *w;
    double now;

    if (!pool)
        return;
    pthread_mutex_lock(&pool->lock);
    /* Not one of ours, or not in use (released twice): ignore it rather than crash. */
    pc = pool_find(pool, conn, POOL_IN_USE);
    if (!pc)
        goto out;
    now = pool_clock();
    if (pool_expired(pool, pc, now)) {
        pool_forget(pool, pc);
        pool->max_lifetime_closed++;
        pc->next = doomed;
        doomed = pc;
    } else if ((w = pool_dequeue(pool))) {
        w->conn = pc;
        pthread_cond_signal(&w->cond);
    } else if (pool->nidle < pool->config.max_idle) {
        pool_push_idle(pool, pc, now);
    } else {
        pool_forget(pool, pc);
        pool->max_idle_closed++;
        pc->next = doomed;
        doomed = pc;
    }
    pool_prune(pool, now, &doomed);
    pool_retire(pool, doomed);
out:
    pthread_mutex_unlock(&pool->lock);
}

void ip_pool_discard(struct ip_pool *pool, void *conn)
{
    struct pool_conn *pc;

    if (!pool)
        return;
    pthread_mutex_lock(&pool->lock);
    pc = pool_find(pool, conn, POOL_IN_USE);
    if (pc) {
        pool_forget(pool, pc);
        pool_retire(pool, pc); /* pc->next is NULL: it left the idle stack, if ever there */
    }
    pthread_mutex_unlock(&pool->lock);
}

/* ABI 1's entry points, which take no sizes: their structs are this header's first fields.
 * Declared here, not in plugin.h, where the names are the sized calls' macros. */
IP_EXPORT struct ip_pool *(ip_pool_new)(const struct ip_pool_ops *ops, void *ctx,
                                        const struct ip_pool_config *config);
IP_EXPORT void(ip_pool_stats)(struct ip_pool *pool, struct ip_pool_stats *stats);

struct ip_pool *(ip_pool_new)(const struct ip_pool_ops *ops, void *ctx,
                              const struct ip_pool_config *config)
{
    return ip_pool_new_sized(ops, sizeof(*ops), ctx, config, sizeof(*config));
}

void ip_pool_stats_sized(struct ip_pool *pool, struct ip_pool_stats *stats, size_t size)
{
    struct ip_pool_stats s = {0};

    if (!stats)
        return;
    if (pool) {
        pthread_mutex_lock(&pool->lock);
        s.max_open = pool->config.max_open;
        s.open = pool->nslots;
        s.idle = pool->nidle;
        s.in_use = pool->nslots - pool->nidle;
        s.opened = pool->opened;
        s.wait_count = pool->wait_count;
        s.wait_duration = pool->wait_duration;
        s.max_idle_closed = pool->max_idle_closed;
        s.max_lifetime_closed = pool->max_lifetime_closed;
        pthread_mutex_unlock(&pool->lock);
    }
    memcpy(stats, &s, size < sizeof(s) ? size : sizeof(s));
}

void(ip_pool_stats)(struct ip_pool *pool, struct ip_pool_stats *stats)
{
    ip_pool_stats_sized(pool, stats, sizeof(*stats));
}

void ip_pool_free(struct ip_pool *pool)
{
    size_t i;

    if (!pool)
        return;
    /* Connections still in use belong to their callers, who broke the contract: free only
     * our bookkeeping of them, never close what someone may still be using. */
    for (i = 0; i < pool->nconns; i++) {
        if (pool->conns[i]->state == POOL_IDLE)
            pool->ops.close(pool->ctx, pool->conns[i]->conn);
        free(pool->conns[i]);
    }
    free(pool->conns);
    pthread_mutex_destroy(&pool->lock);
    pthread_condattr_destroy(&pool->condattr);
    free(pool);
}
