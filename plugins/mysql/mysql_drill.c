/*
 * The mysql plugin's exhaustion drill (under --drill), on the SDK's drill framework: the
 * fault is a burst of more concurrent queries than max_open; it is detected when an
 * acquisition has to wait, and recovered when a query queued behind the burst completes.
 * All must complete, the server never sees more than max_open of the pool's connections at
 * once (a sampler thread counts them on a monitor connection outside the pool), none leaks
 * once the burst is over (the drill's "whole again"), and a long query is still interrupted.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mysql_plugin.h"

/* Counts this user's connections on the server, the pool's own and those of other probes
 * with the same user (none in a test), but not the monitor's. */
struct mysql_sampler {
    struct mysql_conn *mon;
    double deadline;
    volatile int stop;
    long max_seen, samples;
    char err[512];
    int failed;
    pthread_t thread;
};

static const char mysql_count_sql[] =
    "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = "
    "SUBSTRING_INDEX(CURRENT_USER(), '@', 1) AND ID <> CONNECTION_ID()";

static void *mysql_sampler_main(void *arg)
{
    struct mysql_sampler *s = arg;
    char v[32];

    while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE) && ip_clock() < s->deadline) {
        int rc = mysql_conn_value(s->mon, mysql_count_sql, s->deadline, v, sizeof(v), s->err,
                                  sizeof(s->err));
        long n;

        if (rc != 0) {
            s->failed = 1;
            break;
        }
        n = strtol(v, NULL, 10);
        if (n > s->max_seen)
            s->max_seen = n;
        s->samples++;
        ip_sleep_until(ip_clock() + 0.005);
    }
    return NULL;
}

static void mysql_drill_metric(struct ip_report *rep, const char *name, const char *unit,
                               const char *help, double v)
{
    ip_metric(rep, IP_GAUGE, name, unit, help, NULL, NULL, v);
}

/* One exhaustion drill: the burst, the sampler, and what they saw. */
struct mysql_exhaust {
    struct mysql_run dr; /* the run, with the drill's deadline */
    struct mysql_sampler smp;
    struct mysql_burst b;
    struct ip_pool_stats s0, s1;
    long base_threads, threads, expected;
    pthread_t burst;
    int burst_started, sampler_started;
    char lq[1400];
};

static void *mysql_burst_main(void *arg)
{
    struct mysql_exhaust *x = arg;

    mysql_burst_run(&x->b, x->dr.st->drill_queries);
    return NULL;
}

/* The fault: the sampler, then more queries at once than max_open. */
static int mysql_exhaust_inject(void *ctx, struct ip_drill *d, char *err, size_t errlen)
{
    struct mysql_exhaust *x = ctx;

    (void)d;
    x->sampler_started = pthread_create(&x->smp.thread, NULL, mysql_sampler_main, &x->smp) == 0;
    x->burst_started =
        x->sampler_started && pthread_create(&x->burst, NULL, mysql_burst_main, x) == 0;
    if (!x->burst_started)
        snprintf(err, errlen, "cannot start a thread");
    return x->burst_started ? 0 : -1;
}

/* Detected: an acquisition had to wait for a connection. */
static int mysql_exhaust_detected(void *ctx, struct ip_drill *d, double deadline, char *err,
                                  size_t errlen)
{
    struct mysql_exhaust *x = ctx;
    struct ip_pool_stats s;

    (void)d;
    (void)deadline;
    ip_pool_stats(x->dr.st->pool, &s);
    if (s.wait_count > x->s0.wait_count)
        return 1;
    snprintf(err, errlen, "no acquisition has waited yet (%d of max_open %d in use)", s.in_use,
             s.max_open);
    return 0;
}

/* An operation: a query through the pool, which waits its turn behind the burst. */
static int mysql_exhaust_operate(void *ctx, struct ip_drill *d, long long id, double deadline,
                                 char *err, size_t errlen)
{
    struct mysql_exhaust *x = ctx;
    char sql[128];

    (void)d;
    snprintf(sql, sizeof(sql), "SELECT %lld /* %s */", id, x->dr.run_id);
    return mysql_pool_query(&x->dr, sql, deadline, NULL, 0, err, errlen);
}

/* Wait for the burst to end, then stop the sampler. */
static void mysql_exhaust_end(struct mysql_exhaust *x)
{
    if (x->burst_started)
        pthread_join(x->burst, NULL);
    __atomic_store_n(&x->smp.stop, 1, __ATOMIC_RELEASE);
    if (x->sampler_started)
        pthread_join(x->smp.thread, NULL);
    x->burst_started = x->sampler_started = 0;
}

/* The end of the fault: the burst is over; judge what the sampler and the pool saw. */
static int mysql_exhaust_restore(void *ctx, struct ip_drill *d, char *err, size_t errlen)
{
    struct mysql_exhaust *x = ctx;
    int queries = x->dr.st->drill_queries, max_open = x->dr.st->pool_config.max_open;

    (void)err;
    (void)errlen;
    mysql_exhaust_end(x);
    ip_pool_stats(x->dr.st->pool, &x->s1);
    x->expected = x->base_threads + x->s1.open;
    if (x->smp.failed)
        ip_drill_fail(d, IP_CRITICAL, "measuring the server: %s", x->smp.err);
    else if (x->b.failed)
        ip_drill_fail(d, IP_CRITICAL, "%d of %d queries failed; first: %s", x->b.failed, queries,
                      x->b.first_err);
    else if (x->smp.max_seen > max_open)
        ip_drill_fail(d, IP_CRITICAL, "the server saw %ld connections at once, max_open is %d",
                      x->smp.max_seen, max_open);
    else if (queries > max_open && x->s1.wait_count == x->s0.wait_count)
        ip_drill_fail(d, IP_CRITICAL, "%d queries against max_open %d and none waited", queries,
                      max_open);
    return 0;
}

/* Whole again: once the surplus is closed, the server sees the pool's idle connections only
 * (it ends a thread a moment after its client's QUIT); then a long query is still stopped
 * by its timeout and the pool recovers. */
static int mysql_exhaust_rejoined(void *ctx, struct ip_drill *d, double deadline, char *err,
                                  size_t errlen)
{
    struct mysql_exhaust *x = ctx;
    double took;

    if (x->smp.failed)
        return 1;
    if (mysql_threads_connected(x->smp.mon, deadline, &x->threads, err, errlen) != 0)
        return 0;
    if (x->threads > x->expected) {
        snprintf(err, errlen,
                 "leak: Threads_connected %ld, expected %ld (baseline %ld + %d pooled)", x->threads,
                 x->expected, x->base_threads, x->s1.open);
        return 0;
    }
    if (mysql_long_query(&x->dr, &took, x->lq, sizeof(x->lq)) != 0)
        ip_drill_fail(d, IP_CRITICAL, "long query: %s", x->lq);
    ip_drill_note(d,
                  "%d concurrent queries, max_open %d: at most %ld server connections at once, "
                  "%lld waited (%.3f s in all), all completed; Threads_connected back to %ld "
                  "(baseline %ld + %d idle); long query: %s",
                  x->dr.st->drill_queries, x->dr.st->pool_config.max_open, x->smp.max_seen,
                  x->s1.wait_count - x->s0.wait_count, x->s1.wait_duration - x->s0.wait_duration,
                  x->threads, x->base_threads, x->s1.open, x->lq);
    return 1;
}

static void mysql_exhaust_metrics(struct mysql_exhaust *x, const struct ip_drill_result *res)
{
    struct ip_report *rep = x->dr.rep;

    mysql_drill_metric(rep, "exhaustion_queries", NULL, "drill: concurrent queries started",
                       x->dr.st->drill_queries);
    mysql_drill_metric(rep, "exhaustion_completed", NULL, "drill: queries that completed",
                       x->b.done);
    mysql_drill_metric(rep, "exhaustion_max_server_connections", NULL,
                       "drill: most connections of the probe's user the server saw at once",
                       (double)x->smp.max_seen);
    mysql_drill_metric(rep, "exhaustion_wait_count", NULL,
                       "drill: acquisitions that waited for a connection",
                       (double)(x->s1.wait_count - x->s0.wait_count));
    mysql_drill_metric(rep, "exhaustion_wait_duration", "seconds",
                       "drill: time spent waiting for a connection",
                       x->s1.wait_duration - x->s0.wait_duration);
    if (res->rejoin >= 0)
        mysql_drill_metric(rep, "exhaustion_leaked_connections", NULL,
                           "drill: server connections left beyond the pool's idle ones",
                           x->threads > x->expected ? (double)(x->threads - x->expected) : 0);
}

void mysql_drill(struct mysql_run *r, double deadline)
{
    struct mysql_state *st = r->st;
    struct mysql_exhaust x = {.dr = *r, .b = {.r = &x.dr, .deadline = deadline}};
    const struct ip_drill_ops ops = {.check = "exhaustion",
                                     .before = 1,
                                     .interval = 0.005,
                                     .op_timeout = deadline - ip_clock(),
                                     .operate = mysql_exhaust_operate,
                                     .inject = mysql_exhaust_inject,
                                     .detected = mysql_exhaust_detected,
                                     .restore = mysql_exhaust_restore,
                                     .rejoined = mysql_exhaust_rejoined};
    struct ip_drill_result res;
    double t0 = ip_clock();
    char err[512];

    if (!ip_check_enabled(r->rep, "exhaustion"))
        return; /* the core records it skipped */

    x.dr.deadline = deadline;
    if (st->pool_config.max_open <= 0) {
        ip_check(r->rep, "exhaustion", NULL, IP_UNKNOWN, 0,
                 "pool.max_open is 0 (no limit): nothing to exhaust");
        return;
    }
    /* The monitor is outside the pool: it must not take one of the slots it watches. */
    if (mysql_conn_open(&st->opts, deadline, &x.smp.mon, err, sizeof(err)) != 0 ||
        mysql_threads_connected(x.smp.mon, deadline, &x.base_threads, err, sizeof(err)) != 0) {
        ip_check(r->rep, "exhaustion", NULL, IP_CRITICAL, ip_clock() - t0, "monitor connection: %s",
                 err);
        mysql_conn_close(x.smp.mon);
        return;
    }
    ip_pool_stats(st->pool, &x.s0);
    /* Threads_connected without the pool's connections: what the pool adds to. */
    x.base_threads -= x.s0.open;
    x.smp.deadline = deadline;
    x.b.hold = st->drill_hold;
    if (ip_drill_execute(r->rep, &ops, &x, &res) == 1)
        mysql_exhaust_metrics(&x, &res);
    mysql_exhaust_end(&x); /* the framework restores after every inject: a safety net */
    mysql_conn_close(x.smp.mon);
}
