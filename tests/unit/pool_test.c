/*
 * Unit tests of the connection pool (core/pool.c) with fake connections: malloc'd objects
 * whose open() counts how many are alive at once, can be told to fail or to block, and
 * whose close() frees them, so that a leak or a double close shows under ASan/valgrind.
 * Timing: lifetimes and idle times pass on a clock the tests advance (pool_set_clock());
 * deadlines pass by sleeping, and the tests compare ip_clock() values ("not before the
 * deadline"); they never assert that something was fast.
 */
#include "config.h"

#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <infraprobe/plugin.h>

#include "pool.h"

struct fake_conn {
    int id;
    atomic_int held; /* 1 while a caller holds it: the pool must never give it to two */
    atomic_int dead; /* ping() fails */
};

struct fake {
    atomic_int live;     /* opened (or being opened) and not yet closed */
    atomic_int max_live; /* the most ever alive at once */
    atomic_long opened, closed, pings;
    atomic_int next_id;
    atomic_int fail_next; /* fail this many opens */
    int fail_every;       /* fail the opens whose id is a multiple of this */
    int slow_us;          /* open() sleeps up to this long */
    atomic_int gate;      /* open() blocks while set */
    atomic_int in_open;   /* open() calls blocked at the gate */
    struct ip_pool *pool; /* for reenter */
    int reenter;          /* open() and close() call ip_pool_stats() (deadlocks if locked) */
    struct ip_pool_stats in_open_stats;
    double open_takes; /* open() advances the test's clock by this much (see fake_now) */
};

static double fake_now = 1000.0;

static void sleep_us(long us)
{
    struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000};

    nanosleep(&ts, NULL);
}

/* Decrement *n when positive; 1 if it did. */
static int take_one(atomic_int *n)
{
    int v = atomic_load(n);

    while (v > 0)
        if (atomic_compare_exchange_weak(n, &v, v - 1))
            return 1;
    return 0;
}

static int fake_open(void *ctx, double deadline, void **conn, char *err, size_t errlen)
{
    struct fake *f = ctx;
    struct fake_conn *c;
    int live = atomic_fetch_add(&f->live, 1) + 1;
    int max = atomic_load(&f->max_live);
    int id;

    (void)deadline;
    fake_now += f->open_takes;
    while (live > max && !atomic_compare_exchange_weak(&f->max_live, &max, live))
        ;
    if (f->reenter)
        ip_pool_stats(f->pool, &f->in_open_stats);
    if (atomic_load(&f->gate)) {
        atomic_fetch_add(&f->in_open, 1);
        while (atomic_load(&f->gate))
            sleep_us(1000);
    }
    id = atomic_fetch_add(&f->next_id, 1) + 1;
    if (f->slow_us)
        sleep_us((id * 7919L) % f->slow_us);
    if (take_one(&f->fail_next) || (f->fail_every && id % f->fail_every == 0)) {
        atomic_fetch_sub(&f->live, 1);
        snprintf(err, errlen, "127.0.0.1:1: connection refused");
        return -1;
    }
    c = calloc(1, sizeof(*c));
    if (!c) {
        atomic_fetch_sub(&f->live, 1);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    c->id = id;
    *conn = c;
    atomic_fetch_add(&f->opened, 1);
    return 0;
}

static void fake_close(void *ctx, void *conn)
{
    struct fake *f = ctx;
    struct ip_pool_stats st;

    if (f->reenter)
        ip_pool_stats(f->pool, &st);
    free(conn);
    atomic_fetch_add(&f->closed, 1);
    atomic_fetch_sub(&f->live, 1);
}

static int fake_ping(void *ctx, void *conn, double deadline)
{
    struct fake *f = ctx;
    struct fake_conn *c = conn;

    (void)deadline;
    atomic_fetch_add(&f->pings, 1);
    return atomic_load(&c->dead) ? -1 : 0;
}

static const struct ip_pool_ops fake_ops = {.open = fake_open, .close = fake_close};
static const struct ip_pool_ops fake_ping_ops = {
    .open = fake_open, .close = fake_close, .ping = fake_ping};

static struct ip_pool *new_pool(struct fake *f, const struct ip_pool_ops *ops, int max_open,
                                int max_idle, double max_lifetime)
{
    struct ip_pool_config config = {
        .max_open = max_open, .max_idle = max_idle, .max_lifetime = max_lifetime};
    struct ip_pool *pool = ip_pool_new(ops, f, &config);

    ck_assert_ptr_nonnull(pool);
    f->pool = pool;
    return pool;
}

static struct ip_pool_stats stats(struct ip_pool *pool)
{
    struct ip_pool_stats st;

    ip_pool_stats(pool, &st);
    return st;
}

static struct fake_conn *acquire_ok(struct ip_pool *pool, double deadline)
{
    char err[128];
    void *conn = NULL;
    int rc = ip_pool_acquire(pool, deadline, &conn, err, sizeof(err));

    ck_assert_msg(rc == 0, "acquire: %d: %s", rc, err);
    ck_assert_ptr_nonnull(conn);
    return conn;
}

/* Every connection opened has been closed, exactly once (ASan sees the twice). */
static void free_and_check(struct ip_pool *pool, struct fake *f)
{
    ip_pool_free(pool);
    ck_assert_int_eq(atomic_load(&f->live), 0);
    ck_assert_int_eq(atomic_load(&f->closed), atomic_load(&f->opened));
}

/* The consistency of a pool nobody uses. */
static void check_quiet(struct ip_pool *pool, struct fake *f, int max_idle)
{
    struct ip_pool_stats st = stats(pool);

    ck_assert_int_eq(st.in_use, 0);
    ck_assert_int_eq(st.open, st.idle);
    ck_assert_int_le(st.idle, max_idle);
    ck_assert_int_eq(st.opened, atomic_load(&f->opened));
    ck_assert_int_eq(atomic_load(&f->opened) - atomic_load(&f->closed), st.open);
    ck_assert_int_eq(atomic_load(&f->live), st.open);
}

/* ---- a waiter on its own thread --------------------------------------------------------- */

struct waiter {
    pthread_t thread;
    struct ip_pool *pool;
    double deadline;
    int index;
    int hold_us;
    int discard; /* discard instead of release */
    atomic_int *next_pos;
    int *order; /* order[pos] = index of the pos-th to get a connection */
    int rc;
    int id; /* of the connection it got */
    char err[128];
};

static void *waiter_main(void *arg)
{
    struct waiter *w = arg;
    void *conn = NULL;

    w->rc = ip_pool_acquire(w->pool, w->deadline, &conn, w->err, sizeof(w->err));
    if (w->rc != 0)
        return NULL;
    w->id = ((struct fake_conn *)conn)->id;
    if (w->order)
        w->order[atomic_fetch_add(w->next_pos, 1)] = w->index;
    sleep_us(w->hold_us);
    if (w->discard)
        ip_pool_discard(w->pool, conn);
    else
        ip_pool_release(w->pool, conn);
    return NULL;
}

static void start_waiter(struct waiter *w, struct ip_pool *pool, double deadline)
{
    w->pool = pool;
    w->deadline = deadline;
    ck_assert_int_eq(pthread_create(&w->thread, NULL, waiter_main, w), 0);
}

/* Until `n` acquisitions have queued up (wait_count counts them as they queue). */
static void wait_for_waiters(struct ip_pool *pool, long long n)
{
    while (stats(pool).wait_count < n)
        sleep_us(1000);
}

/* ---- basics ----------------------------------------------------------------------------- */

START_TEST(test_reuse_lifo)
{
    struct fake f = {0};
    struct ip_pool *pool = new_pool(&f, &fake_ops, 0, 3, 0);
    struct fake_conn *a = acquire_ok(pool, INFINITY);
    struct fake_conn *b = acquire_ok(pool, INFINITY);
    struct fake_conn *c = acquire_ok(pool, INFINITY);
    struct ip_pool_stats st = stats(pool);

    ck_assert_int_eq(st.open, 3);
    ck_assert_int_eq(st.in_use, 3);
    ck_assert_int_eq(st.idle, 0);
    ck_assert_int_eq(st.opened, 3);
    ip_pool_release(pool, a);
    ip_pool_release(pool, b);
    ip_pool_release(pool, c);
    st = stats(pool);
    ck_assert_int_eq(st.idle, 3);
    ck_assert_int_eq(st.in_use, 0);
    /* Last released, first reused; nothing new opened. */
    ck_assert_ptr_eq(acquire_ok(pool, INFINITY), c);
    ck_assert_ptr_eq(acquire_ok(pool, INFINITY), b);
    ck_assert_ptr_eq(acquire_ok(pool, INFINITY), a);
    ck_assert_int_eq(atomic_load(&f.opened), 3);
    ck_assert_int_eq(stats(pool).wait_count, 0);
    ip_pool_release(pool, a);
    ip_pool_release(pool, b);
    ip_pool_release(pool, c);
    check_quiet(pool, &f, 3);
    free_and_check(pool, &f);
}
END_TEST

START_TEST(test_unlimited)
{
    struct fake f = {0};
    struct ip_pool *pool = new_pool(&f, &fake_ops, 0, 0, 0);
    struct fake_conn *c[20];
    struct ip_pool_stats st;
    int i;

    for (i = 0; i < 20; i++)
        c[i] = acquire_ok(pool, ip_clock() + 10.0);
    st = stats(pool);
    ck_assert_int_eq(st.open, 20);
    ck_assert_int_eq(st.max_open, 0);
    ck_assert_int_eq(st.wait_count, 0);
    for (i = 0; i < 20; i++)
        ip_pool_release(pool, c[i]);
    /* max_idle 0: none is kept */
    st = stats(pool);
    ck_assert_int_eq(st.open, 0);
    ck_assert_int_eq(st.max_idle_closed, 20);
    ck_assert_int_eq(atomic_load(&f.closed), 20);
    free_and_check(pool, &f);
}
END_TEST

START_TEST(test_max_idle)
{
    struct fake f = {0};
    struct ip_pool *pool = new_pool(&f, &fake_ops, 5, 2, 0);
    struct fake_conn *c[5];
    struct ip_pool_stats st;
    int i;

    for (i = 0; i < 5; i++)
        c[i] = acquire_ok(pool, ip_clock() + 10.0);
    for (i = 0; i < 5; i++)
        ip_pool_release(pool, c[i]);
    st = stats(pool);
    ck_assert_int_eq(st.idle, 2);
    ck_assert_int_eq(st.open, 2);
    ck_assert_int_eq(st.max_idle_closed, 3);
    ck_assert_int_eq(st.max_lifetime_closed, 0);
    ck_assert_int_eq(atomic_load(&f.closed), 3);
    /* The first two released are the ones kept. */
    c[4] = acquire_ok(pool, ip_clock() + 10.0);
    ck_assert_int_eq(c[4]->id, 2);
    ip_pool_release(pool, c[4]);
    check_quiet(pool, &f, 2);
    free_and_check(pool, &f);
}
END_TEST

START_TEST(test_unknown_pointer)
{
    struct fake f = {0};
    struct ip_pool *pool = new_pool(&f, &fake_ops, 2, 2, 0);
    struct fake_conn *c = acquire_ok(pool, ip_clock() + 10.0);
    struct fake_conn *d = acquire_ok(pool, ip_clock() + 10.0);
    struct ip_pool_stats before, after;
    int stranger = 0;

    ip_pool_release(pool, c);
    before = stats(pool);
    ip_pool_release(pool, &stranger);
    ip_pool_discard(pool, &stranger);
    ip_pool_release(pool, NULL);
    ip_pool_discard(pool, NULL);
    ip_pool_release(pool, c); /* twice: it is idle now */
    ip_pool_discard(pool, c); /* idle: not the caller's to discard */
    ip_pool_release(NULL, c);
    ip_pool_discard(NULL, c);
    after = stats(pool);
    ck_assert_int_eq(after.open, before.open);
    ck_assert_int_eq(after.idle, before.idle);
    ck_assert_int_eq(after.in_use, before.in_use);
    ck_assert_int_eq(after.idle, 1);
    ck_assert_int_eq(after.in_use, 1);
    ck_assert_int_eq(atomic_load(&f.closed), 0);
    ip_pool_release(pool, d);
    check_quiet(pool, &f, 2);
    free_and_check(pool, &f);
}
END_TEST

START_TEST(test_invalid)
{
    static const struct ip_pool_ops no_close = {.open = fake_open};
    struct ip_pool_config config = {.max_open = -3, .max_idle = -1, .max_lifetime = NAN};
    struct fake f = {0};
    struct ip_pool *pool;
    struct ip_pool_stats st;
    char err[64];
    void *conn = &f;

    ck_assert_ptr_null(ip_pool_new(NULL, &f, &config));
    ck_assert_ptr_null(ip_pool_new(&no_close, &f, &config));
    ck_assert_int_eq(ip_pool_acquire(NULL, INFINITY, &conn, err, sizeof(err)), IP_EINVAL);
    ck_assert_ptr_null(conn);
    ck_assert_str_eq(err, "invalid argument");
    ip_pool_free(NULL);
    ip_pool_stats(NULL, &st);
    ck_assert_int_eq(st.open, 0);

    /* Negative limits are "none", as in Go. */
    pool = ip_pool_new(&fake_ops, &f, &config);
    ck_assert_ptr_nonnull(pool);
    ck_assert_int_eq(ip_pool_acquire(pool, INFINITY, NULL, err, sizeof(err)), IP_EINVAL);
    ck_assert_int_eq(ip_pool_acquire(pool, NAN, &conn, NULL, 0), IP_EINVAL);
    st = stats(pool);
    ck_assert_int_eq(st.max_open, 0);
    ck_assert_int_eq(st.open, 0);
    ip_pool_release(pool, acquire_ok(pool, INFINITY));
    st = stats(pool);
    ck_assert_int_eq(st.open, 0); /* max_idle -1 kept none */
    ck_assert_int_eq(st.max_idle_closed, 1);
    ck_assert_int_eq(st.max_lifetime_closed, 0);
    free_and_check(pool, &f);

    /* No config: no limit, nothing kept idle. */
    pool = ip_pool_new(&fake_ops, &f, NULL);
    ck_assert_ptr_nonnull(pool);
    ip_pool_release(pool, acquire_ok(pool, INFINITY));
    ck_assert_int_eq(stats(pool).open, 0);
    free_and_check(pool, &f);
}
END_TEST

/* A caller built against a smaller struct: fields past its size are neither read nor written. */
START_TEST(test_smaller_structs)
{
    struct ip_pool_config config = {.max_open = 2, .max_idle = 5};
    struct fake f = {0};
    struct ip_pool_stats st;
    struct ip_pool *pool;

    /* max_idle lies past the caller's config: it reads as 0, so nothing is kept idle. */
    pool = ip_pool_new_sized(&fake_ops, sizeof(fake_ops), &f, &config,
                             offsetof(struct ip_pool_config, max_idle));
    ck_assert_ptr_nonnull(pool);
    ip_pool_release(pool, acquire_ok(pool, INFINITY));
    memset(&st, 0x5a, sizeof(st));
    ip_pool_stats_sized(pool, &st, offsetof(struct ip_pool_stats, opened));
    ck_assert_int_eq(st.max_open, 2);
    ck_assert_int_eq(st.open, 0);
    ck_assert_msg(st.opened == 0x5a5a5a5a5a5a5a5aLL, "opened written past the size: %lld",
                  st.opened);
    ck_assert_int_eq(stats(pool).max_idle_closed, 1);
    free_and_check(pool, &f);
}
END_TEST

/* open() and close() must run without the pool lock: they call ip_pool_stats(), which
 * would deadlock (and time the test out) if the lock were held. The slot is reserved
 * before open() runs. */
START_TEST(test_open_close_unlocked)
{
    struct fake f = {0};
    struct ip_pool *pool = new_pool(&f, &fake_ops, 1, 1, 0);
    struct fake_conn *c;

    f.reenter = 1;
    c = acquire_ok(pool, ip_clock() + 10.0);
    ck_assert_int_eq(f.in_open_stats.open, 1);
    ck_assert_int_eq(f.in_open_stats.in_use, 1);
    ck_assert_int_eq(f.in_open_stats.opened, 0);
    ip_pool_discard(pool, c);
    ck_assert_int_eq(atomic_load(&f.closed), 1);
    ck_assert_int_eq(stats(pool).open, 0);
    free_and_check(pool, &f);
}
END_TEST

/* ---- deadlines and waiters ---------------------------------------------------------------- */

START_TEST(test_timeout)
{
    struct fake f = {0};
    struct ip_pool *pool = new_pool(&f, &fake_ops, 1, 1, 0);
    struct fake_conn *c = acquire_ok(pool, ip_clock() + 10.0);
    struct ip_pool_stats st;
    char err[128];
    void *other = &f;
    double deadline = ip_clock() + 0.05;
    int rc = ip_pool_acquire(pool, deadline, &other, err, sizeof(err));
    double returned = ip_clock();

    ck_assert_int_eq(rc, IP_ETIMEDOUT);
    ck_assert_msg(returned >= deadline, "returned %.9f before the deadline %.9f", returned,
                  deadline);
    ck_assert_ptr_null(other);
    ck_assert_msg(strstr(err, "deadline") != NULL, "err: \"%s\"", err);
    st = stats(pool);
    ck_assert_int_eq(st.wait_count, 1);
    ck_assert(st.wait_duration > 0);
    ck_assert_int_eq(st.open, 1);
    ck_assert_int_eq(atomic_load(&f.opened), 1);

    /* The one that gave up left the line: the release keeps the connection idle instead
     * of handing it to nobody. */
    ip_pool_release(pool, c);
    st = stats(pool);
    ck_assert_int_eq(st.idle, 1);
    ck_assert_ptr_eq(acquire_ok(pool, ip_clock() + 10.0), c);
    ip_pool_release(pool, c);
    check_quiet(pool, &f, 1);
    free_and_check(pool, &f);
}
END_TEST

START_TEST(test_deadline_passed)
{
    struct fake f = {0};
    struct ip_pool *pool = new_pool(&f, &fake_ops, 2, 2, 0);
    struct fake_conn *c = acquire_ok(pool, ip_clock() + 10.0);
    struct fake_conn *d = acquire_ok(pool, ip_clock() + 10.0);
    void *conn = &f;
    double deadline = ip_clock() - 1.0;

    /* All in use: no wait at all. */
    ck_assert_int_eq(ip_pool_acquire(pool, deadline, &conn, NULL, 0), IP_ETIMEDOUT);
    ck_assert_ptr_null(conn);
    ck_assert_int_eq(stats(pool).wait_count, 0);
    /* A free slot: open() is not even tried. */
    ip_pool_discard(pool, d);
    ck_assert_int_eq(ip_pool_acquire(pool, deadline, &conn, NULL, 0), IP_ETIMEDOUT);
    ck_assert_int_eq(atomic_load(&f.opened), 2);
    ck_assert_int_eq(stats(pool).open, 1);
    /* An idle connection is handed out as it is. */
    ip_pool_release(pool, c);
    ck_assert_int_eq(ip_pool_acquire(pool, deadline, &conn, NULL, 0), 0);
    ck_assert_ptr_eq(conn, c);
    ip_pool_release(pool, c);
    check_quiet(pool, &f, 2);
    free_and_check(pool, &f);
}
END_TEST

START_TEST(test_fifo)
{
    enum { N = 6 };
    struct fake f = {0};
    struct ip_pool *pool = new_pool(&f, &fake_ops, 1, 1, 0);
    struct fake_conn *c = acquire_ok(pool, ip_clock() + 10.0);
    struct waiter w[N];
    atomic_int next_pos = 0;
    int order[N];
    int i;

    memset(w, 0, sizeof(w));
    for (i = 0; i < N; i++) {
        w[i].index = i;
        w[i].order = order;
        w[i].next_pos = &next_pos;
        w[i].hold_us = 500;
        /* INFINITY: the waits must be capped, not overflow a timespec */
        start_waiter(&w[i], pool, i % 2 ? INFINITY : ip_clock() + 30.0);
        wait_for_waiters(pool, i + 1); /* in line before the next one comes */
    }
    ip_pool_release(pool, c);
    for (i = 0; i < N; i++)
        pthread_join(w[i].thread, NULL);
    ck_assert_int_eq(atomic_load(&next_pos), N);
    for (i = 0; i < N; i++) {
        ck_assert_msg(w[i].rc == 0, "waiter %d: %d: %s", i, w[i].rc, w[i].err);
        ck_assert_int_eq(order[i], i);
        ck_assert_int_eq(w[i].id, c->id); /* handed over, never reopened */
    }
    ck_assert_int_eq(atomic_load(&f.opened), 1);
    ck_assert_int_eq(stats(pool).wait_count, N);
    check_quiet(pool, &f, 1);
    free_and_check(pool, &f);
}
END_TEST

START_TEST(test_discard_wakes_waiter)
{
    struct fake f = {0};
    struct ip_pool *pool = new_pool(&f, &fake_ops, 1, 1, 0);
    struct fake_conn *c = acquire_ok(pool, ip_clock() + 10.0);
    struct waiter w = {.index = 0};

    start_waiter(&w, pool, ip_clock() + 30.0);
    wait_for_waiters(pool, 1);
    ip_pool_discard(pool, c);
    pthread_join(w.thread, NULL);
    ck_assert_msg(w.rc == 0, "waiter: %d: %s", w.rc, w.err);
    ck_assert_int_eq(w.id, 2); /* a new one, in the discarded one's slot */
    ck_assert_int_eq(atomic_load(&f.opened), 2);
    ck_assert_int_le(atomic_load(&f.max_live), 1);
    check_quiet(pool, &f, 1);
    ck_assert_int_eq(stats(pool).open, 1);
    free_and_check(pool, &f);
}
END_TEST

/* ---- open() failures ------------------------------------------------------------------- */

START_TEST(test_open_fails)
{
    struct fake f = {0};
    struct ip_pool *pool = new_pool(&f, &fake_ops, 1, 1, 0);
    struct ip_pool_stats st;
    char err[128], small[8];
    void *conn = &f;

    atomic_store(&f.fail_next, 1);
    ck_assert_int_eq(ip_pool_acquire(pool, ip_clock() + 10.0, &conn, err, sizeof(err)), IP_EOPEN);
    ck_assert_ptr_null(conn);
    ck_assert_str_eq(err, "127.0.0.1:1: connection refused");
    st = stats(pool);
    ck_assert_int_eq(st.open, 0);
    ck_assert_int_eq(st.in_use, 0);
    ck_assert_int_eq(st.opened, 0);
    ck_assert_int_eq(atomic_load(&f.live), 0);

    /* No room for the reason, or none wanted. */
    atomic_store(&f.fail_next, 2);
    ck_assert_int_eq(ip_pool_acquire(pool, ip_clock() + 10.0, &conn, NULL, 0), IP_EOPEN);
    ck_assert_int_eq(ip_pool_acquire(pool, ip_clock() + 10.0, &conn, small, sizeof(small)),
                     IP_EOPEN);
    ck_assert_str_eq(small, "127.0.0");

    /* The slot was given back: max_open 1 still lets one open. */
    ip_pool_release(pool, acquire_ok(pool, ip_clock() + 10.0));
    check_quiet(pool, &f, 1);
    ck_assert_int_eq(stats(pool).open, 1);
    free_and_check(pool, &f);
}
END_TEST

/* A failed open() gives its slot to the first waiter, who opens one of its own. */
START_TEST(test_open_fails_wakes_waiter)
{
    struct fake f = {0};
    struct ip_pool *pool = new_pool(&f, &fake_ops, 1, 1, 0);
    struct waiter first = {.index = 0}, second = {.index = 1};

    atomic_store(&f.gate, 1);
    atomic_store(&f.fail_next, 1);
    start_waiter(&first, pool, ip_clock() + 30.0);
    while (atomic_load(&f.in_open) < 1) /* first holds the only slot, inside open() */
        sleep_us(1000);
    start_waiter(&second, pool, ip_clock() + 30.0);
    wait_for_waiters(pool, 1);
    atomic_store(&f.gate, 0);
    pthread_join(first.thread, NULL);
    pthread_join(second.thread, NULL);
    ck_assert_int_eq(first.rc, IP_EOPEN);
    ck_assert_str_eq(first.err, "127.0.0.1:1: connection refused");
    ck_assert_msg(second.rc == 0, "second: %d: %s", second.rc, second.err);
    ck_assert_int_eq(atomic_load(&f.opened), 1);
    ck_assert_int_le(atomic_load(&f.max_live), 1);
    check_quiet(pool, &f, 1);
    free_and_check(pool, &f);
}
END_TEST

/* ---- lifetime ----------------------------------------------------------------------------
 * These tests run the pool on a clock of their own (pool_set_clock()): time passes when a test
 * advances it, so that every assertion holds however slowly the machine runs the test. None of
 * them makes a caller wait (a waiter sleeps on the real clock). */

static double fake_clock(void)
{
    return fake_now;
}

static void use_fake_clock(void)
{
    fake_now = 1000.0;
    pool_set_clock(fake_clock);
}

START_TEST(test_lifetime)
{
    struct fake f = {0};
    struct ip_pool *pool;
    struct fake_conn *c[3], *d;
    struct ip_pool_stats st;
    int i;

    use_fake_clock();
    pool = new_pool(&f, &fake_ops, 4, 4, 0.2);
    /* An idle one past its lifetime is replaced, not reused. */
    d = acquire_ok(pool, fake_now + 10.0);
    ip_pool_release(pool, d);
    fake_now += 0.19;
    ck_assert_ptr_eq(acquire_ok(pool, fake_now + 10.0), d); /* not yet */
    ip_pool_release(pool, d);
    fake_now += 0.02;
    d = acquire_ok(pool, fake_now + 10.0);
    ck_assert_int_eq(d->id, 2);
    st = stats(pool);
    ck_assert_int_eq(st.max_lifetime_closed, 1);
    ck_assert_int_eq(st.open, 1);
    ck_assert_int_eq(atomic_load(&f.closed), 1);

    /* One released past its lifetime is closed. */
    fake_now += 0.25;
    ip_pool_release(pool, d);
    st = stats(pool);
    ck_assert_int_eq(st.max_lifetime_closed, 2);
    ck_assert_int_eq(st.open, 0);
    ck_assert_int_eq(st.idle, 0);

    /* Every expired idle one goes, not just the one on top. */
    for (i = 0; i < 3; i++)
        c[i] = acquire_ok(pool, fake_now + 10.0);
    for (i = 0; i < 3; i++)
        ip_pool_release(pool, c[i]);
    ck_assert_int_eq(stats(pool).idle, 3);
    fake_now += 0.25;
    d = acquire_ok(pool, fake_now + 10.0);
    st = stats(pool);
    ck_assert_int_eq(st.max_lifetime_closed, 5);
    ck_assert_int_eq(st.open, 1);
    ck_assert_int_eq(st.idle, 0);
    ck_assert_int_eq(st.max_idle_closed, 0);
    ck_assert_int_eq(d->id, 6);
    ip_pool_discard(pool, d);
    check_quiet(pool, &f, 4);
    free_and_check(pool, &f);
}
END_TEST

/* A connection's age counts from before its open(), which took a while: the pool never
 * judges it younger than the plugin, which stamps its birth inside open(). */
START_TEST(test_lifetime_counts_the_open)
{
    struct fake f = {.open_takes = 0.15};
    struct ip_pool *pool;
    struct fake_conn *d;

    use_fake_clock();
    pool = new_pool(&f, &fake_ops, 4, 4, 0.2);
    d = acquire_ok(pool, fake_now + 10.0);
    ip_pool_release(pool, d);
    fake_now += 0.06; /* 0.21 s since open() began, 0.06 s since it returned */
    f.open_takes = 0;
    d = acquire_ok(pool, fake_now + 10.0);
    ck_assert_int_eq(d->id, 2);
    ck_assert_int_eq(stats(pool).max_lifetime_closed, 1);
    ip_pool_release(pool, d);
    check_quiet(pool, &f, 4);
    free_and_check(pool, &f);
}
END_TEST

/* A release retires the expired idle ones too, not only the one released. */
START_TEST(test_lifetime_release_prunes)
{
    struct fake f = {0};
    struct ip_pool *pool;
    struct fake_conn *old, *young;
    struct ip_pool_stats st;

    use_fake_clock();
    pool = new_pool(&f, &fake_ops, 4, 4, 0.2);
    old = acquire_ok(pool, fake_now + 10.0);
    fake_now += 0.1;
    young = acquire_ok(pool, fake_now + 10.0);
    ip_pool_release(pool, old);
    ck_assert_int_eq(stats(pool).idle, 1);
    fake_now += 0.11; /* old is 0.21 s old, young 0.11 s */
    ip_pool_release(pool, young);
    st = stats(pool);
    ck_assert_int_eq(st.max_lifetime_closed, 1);
    ck_assert_int_eq(st.idle, 1);
    ck_assert_int_eq(atomic_load(&f.closed), 1);
    ck_assert_ptr_eq(acquire_ok(pool, fake_now + 10.0), young);
    ip_pool_release(pool, young);
    check_quiet(pool, &f, 4);
    free_and_check(pool, &f);
}
END_TEST

/* ---- ping ------------------------------------------------------------------------------ */

START_TEST(test_ping)
{
    struct fake f = {0};
    struct ip_pool *pool;
    struct fake_conn *c, *d;
    void *conn;

    use_fake_clock();
    pool = new_pool(&f, &fake_ping_ops, 2, 2, 0);
    c = acquire_ok(pool, fake_now + 10.0);
    /* Reused at once, and after just under a second idle: no round trip. */
    ip_pool_release(pool, c);
    d = acquire_ok(pool, fake_now + 10.0);
    ck_assert_ptr_eq(d, c);
    ip_pool_release(pool, c);
    fake_now += 0.99;
    ck_assert_ptr_eq(acquire_ok(pool, fake_now + 10.0), c);
    ck_assert_int_eq(atomic_load(&f.pings), 0);

    /* Idle a second: pinged, alive, reused. */
    ip_pool_release(pool, c);
    fake_now += 1.0;
    d = acquire_ok(pool, fake_now + 10.0);
    ck_assert_ptr_eq(d, c);
    ck_assert_int_eq(atomic_load(&f.pings), 1);

    /* Idle a while and dead: closed, a new one opened in its slot. A deadline already
     * passed never pings: the connection stays idle. */
    atomic_store(&c->dead, 1);
    ip_pool_release(pool, c);
    fake_now += 1.05;
    ck_assert_int_eq(ip_pool_acquire(pool, fake_now - 1.0, &conn, NULL, 0), IP_ETIMEDOUT);
    ck_assert_int_eq(atomic_load(&f.pings), 1);
    ck_assert_int_eq(stats(pool).idle, 1);
    d = acquire_ok(pool, fake_now + 10.0);
    ck_assert_int_eq(atomic_load(&f.pings), 2);
    ck_assert_int_eq(d->id, 2);
    ck_assert_int_eq(atomic_load(&f.closed), 1);
    ck_assert_int_eq(atomic_load(&f.opened), 2);
    ck_assert_int_eq(stats(pool).open, 1);
    ip_pool_release(pool, d);
    check_quiet(pool, &f, 2);
    free_and_check(pool, &f);
}
END_TEST

/* ---- many threads --------------------------------------------------------------------- */

enum { STRESS_THREADS = 32, STRESS_ITERS = 200 };

struct stress_cfg {
    int max_open, max_idle;
    double max_lifetime;
    int discard_pct;
    int fail_every;
    int slow_us;
};

static const struct stress_cfg stress_cfgs[] = {
    {.max_open = 4, .max_idle = 2, .max_lifetime = 0.005, .discard_pct = 5, .slow_us = 100},
    {.max_open = 4, .max_idle = 4, .discard_pct = 5, .fail_every = 7, .slow_us = 100},
    {.max_open = 1, .max_idle = 1},
    {.max_open = 8, .max_idle = 0, .max_lifetime = 0.002, .slow_us = 50},
};

struct stress {
    pthread_t thread;
    struct ip_pool *pool;
    const struct stress_cfg *cfg;
    unsigned seed;
    int ok, eopen, other;
    int no_reason; /* IP_EOPEN without the reason */
    int shared;    /* got a connection someone else held */
};

static void *stress_main(void *arg)
{
    struct stress *s = arg;
    int i;

    for (i = 0; i < STRESS_ITERS; i++) {
        struct fake_conn *c;
        char err[128];
        void *conn = NULL;
        int rc = ip_pool_acquire(s->pool, ip_clock() + 30.0, &conn, err, sizeof(err));

        if (rc == IP_EOPEN) {
            s->eopen++;
            s->no_reason += strstr(err, "connection refused") == NULL;
            continue;
        }
        if (rc != 0) {
            s->other++;
            continue;
        }
        s->ok++;
        c = conn;
        s->shared += atomic_exchange(&c->held, 1) != 0;
        sleep_us(rand_r(&s->seed) % 200);
        atomic_store(&c->held, 0);
        if ((int)(rand_r(&s->seed) % 100) < s->cfg->discard_pct)
            ip_pool_discard(s->pool, conn);
        else
            ip_pool_release(s->pool, conn);
    }
    return NULL;
}

START_TEST(test_stress)
{
    const struct stress_cfg *cfg = &stress_cfgs[_i];
    struct fake f = {.fail_every = cfg->fail_every, .slow_us = cfg->slow_us};
    struct ip_pool *pool = new_pool(&f, &fake_ops, cfg->max_open, cfg->max_idle, cfg->max_lifetime);
    struct stress s[STRESS_THREADS];
    struct ip_pool_stats st;
    int i, ok = 0, eopen = 0;

    memset(s, 0, sizeof(s));
    for (i = 0; i < STRESS_THREADS; i++) {
        s[i].pool = pool;
        s[i].cfg = cfg;
        s[i].seed = 1234u + (unsigned)i * 7u + (unsigned)_i;
        ck_assert_int_eq(pthread_create(&s[i].thread, NULL, stress_main, &s[i]), 0);
    }
    for (i = 0; i < STRESS_THREADS; i++)
        pthread_join(s[i].thread, NULL);
    for (i = 0; i < STRESS_THREADS; i++) {
        ck_assert_int_eq(s[i].other, 0);
        ck_assert_int_eq(s[i].shared, 0);
        ck_assert_int_eq(s[i].no_reason, 0);
        ok += s[i].ok;
        eopen += s[i].eopen;
    }
    ck_assert_int_eq(ok + eopen, STRESS_THREADS * STRESS_ITERS);
    if (cfg->fail_every)
        ck_assert_int_gt(eopen, 0);
    else
        ck_assert_int_eq(eopen, 0);
    ck_assert_int_le(atomic_load(&f.max_live), cfg->max_open);
    ck_assert_int_gt(atomic_load(&f.max_live), 0);

    st = stats(pool);
    ck_assert_int_gt(st.wait_count, 0); /* 32 threads on a few slots */
    ck_assert(st.wait_duration > 0);
    if (cfg->max_lifetime > 0)
        ck_assert_int_gt(st.max_lifetime_closed, 0);
    else
        ck_assert_int_eq(st.max_lifetime_closed, 0);
    check_quiet(pool, &f, cfg->max_idle);
    free_and_check(pool, &f);
}
END_TEST

static Suite *pool_suite(void)
{
    Suite *s = suite_create("pool");
    TCase *tc = tcase_create("basics");

    tcase_add_test(tc, test_reuse_lifo);
    tcase_add_test(tc, test_unlimited);
    tcase_add_test(tc, test_max_idle);
    tcase_add_test(tc, test_unknown_pointer);
    tcase_add_test(tc, test_invalid);
    tcase_add_test(tc, test_smaller_structs);
    tcase_add_test(tc, test_open_close_unlocked);
    suite_add_tcase(s, tc);

    tc = tcase_create("waiting");
    tcase_add_test(tc, test_timeout);
    tcase_add_test(tc, test_deadline_passed);
    tcase_add_test(tc, test_fifo);
    tcase_add_test(tc, test_discard_wakes_waiter);
    tcase_add_test(tc, test_open_fails);
    tcase_add_test(tc, test_open_fails_wakes_waiter);
    suite_add_tcase(s, tc);

    tc = tcase_create("lifetime");
    tcase_add_test(tc, test_lifetime);
    tcase_add_test(tc, test_lifetime_counts_the_open);
    tcase_add_test(tc, test_lifetime_release_prunes);
    tcase_add_test(tc, test_ping);
    tcase_set_timeout(tc, 20);
    suite_add_tcase(s, tc);

    /* Slow under valgrind and TSan; the bound is liveness, not speed. */
    tc = tcase_create("stress");
    tcase_add_loop_test(tc, test_stress, 0, (int)(sizeof(stress_cfgs) / sizeof(stress_cfgs[0])));
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(pool_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
