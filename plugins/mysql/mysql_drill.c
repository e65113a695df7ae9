/*
 * The mysql plugin's exhaustion drill (under --drill): more concurrent queries than
 * max_open must wait for a connection, all complete, the server never sees more than
 * max_open of the pool's connections at once (a sampler thread counts them on a monitor
 * connection outside the pool), none leaks, and a long query is still interrupted.
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

void mysql_drill(struct mysql_run *r, double deadline)
{
    struct mysql_state *st = r->st;
    struct mysql_sampler smp = {.max_seen = 0};
    struct mysql_burst b = {.r = r, .deadline = deadline};
    struct ip_pool_stats s0, s1;
    struct mysql_conn *mon = NULL;
    double t0 = ip_clock(), took, t_leak;
    long base_threads = 0, threads = 0, expected = 0;
    char err[512], lq[1400], why[2048] = "";
    int rc, max_open = st->pool_config.max_open, lq_rc;
    struct mysql_run dr = *r;

    dr.deadline = deadline;
    if (max_open <= 0) {
        ip_check(r->rep, "exhaustion", NULL, IP_UNKNOWN, 0,
                 "pool.max_open is 0 (no limit): nothing to exhaust");
        return;
    }
    /* The monitor is outside the pool: it must not take one of the slots it watches. */
    rc = mysql_conn_open(&st->opts, deadline, &mon, err, sizeof(err));
    if (rc == 0)
        rc = mysql_threads_connected(mon, deadline, &base_threads, err, sizeof(err));
    if (rc != 0) {
        ip_check(r->rep, "exhaustion", NULL, IP_CRITICAL, ip_clock() - t0, "monitor connection: %s",
                 err);
        mysql_conn_close(mon);
        return;
    }
    ip_pool_stats(st->pool, &s0);
    /* Threads_connected without the pool's connections: what the pool adds to. */
    base_threads -= s0.open;
    smp.mon = mon;
    smp.deadline = deadline;
    if (pthread_create(&smp.thread, NULL, mysql_sampler_main, &smp) != 0) {
        mysql_conn_close(mon);
        ip_check(r->rep, "exhaustion", NULL, IP_UNKNOWN, 0, "cannot start a thread");
        return;
    }
    b.hold = st->drill_hold;
    mysql_burst_run(&b, st->drill_queries);
    __atomic_store_n(&smp.stop, 1, __ATOMIC_RELEASE);
    pthread_join(smp.thread, NULL);
    ip_pool_stats(st->pool, &s1);

    /* No leak: once the surplus is closed, the server sees the pool's idle ones only. The
     * server ends a thread a moment after its client's QUIT: give it until the deadline. */
    t_leak = ip_clock();
    expected = base_threads + s1.open;
    rc = smp.failed ? -1 : 0;
    while (rc == 0) {
        rc = mysql_threads_connected(mon, deadline, &threads, err, sizeof(err));
        if (rc != 0 || threads <= expected || ip_clock() - t_leak > 5 || ip_clock() >= deadline)
            break;
        ip_sleep_until(ip_clock() + 0.02);
    }
    if (smp.failed)
        snprintf(err, sizeof(err), "%s", smp.err);
    mysql_conn_close(mon);

    lq_rc = rc == 0 ? mysql_long_query(&dr, &took, lq, sizeof(lq)) : -1;

    mysql_drill_metric(r->rep, "exhaustion_queries", NULL, "drill: concurrent queries started",
                       st->drill_queries);
    mysql_drill_metric(r->rep, "exhaustion_completed", NULL, "drill: queries that completed",
                       b.done);
    mysql_drill_metric(r->rep, "exhaustion_max_server_connections", NULL,
                       "drill: most connections of the probe's user the server saw at once",
                       (double)smp.max_seen);
    mysql_drill_metric(r->rep, "exhaustion_wait_count", NULL,
                       "drill: acquisitions that waited for a connection",
                       (double)(s1.wait_count - s0.wait_count));
    mysql_drill_metric(r->rep, "exhaustion_wait_duration", "seconds",
                       "drill: time spent waiting for a connection",
                       s1.wait_duration - s0.wait_duration);
    if (rc == 0)
        mysql_drill_metric(r->rep, "exhaustion_leaked_connections", NULL,
                           "drill: server connections left beyond the pool's idle ones",
                           threads > expected ? (double)(threads - expected) : 0);

    if (rc != 0)
        snprintf(why, sizeof(why), "measuring the server: %s", err);
    else if (b.failed)
        snprintf(why, sizeof(why), "%d of %d queries failed; first: %s", b.failed,
                 st->drill_queries, b.first_err);
    else if (smp.max_seen > max_open)
        snprintf(why, sizeof(why), "the server saw %ld connections at once, max_open is %d",
                 smp.max_seen, max_open);
    else if (st->drill_queries > max_open && s1.wait_count == s0.wait_count)
        snprintf(why, sizeof(why), "%d queries against max_open %d and none waited",
                 st->drill_queries, max_open);
    else if (threads > expected)
        snprintf(why, sizeof(why),
                 "leak: Threads_connected %ld, expected %ld (baseline %ld + %d pooled)", threads,
                 expected, base_threads, s1.open);
    else if (lq_rc != 0)
        snprintf(why, sizeof(why), "long query: %s", lq);
    if (why[0]) {
        ip_check(r->rep, "exhaustion", NULL, IP_CRITICAL, ip_clock() - t0, "%s", why);
        return;
    }
    ip_check(r->rep, "exhaustion", NULL, IP_OK, ip_clock() - t0,
             "%d concurrent queries, max_open %d: at most %ld server connections at once, "
             "%lld waited (%.3f s in all), all completed; Threads_connected back to %ld "
             "(baseline %ld + %d idle); long query: %s",
             st->drill_queries, max_open, smp.max_seen, s1.wait_count - s0.wait_count,
             s1.wait_duration - s0.wait_duration, threads, base_threads, s1.open, lq);
}
