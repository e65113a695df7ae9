/*
 * The mysql plugin's connections: the SDK pool's open/close/ping over mysql_conn, the
 * query helpers every check uses (acquire, query, give back or discard, counted for
 * metrics()), and bursts of concurrent statements for the concurrency check and the drill.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mysql_plugin.h"

static int mysql_pool_open(void *ctx, double deadline, void **conn, char *err, size_t errlen)
{
    struct mysql_state *st = ctx;
    struct mysql_conn *c;
    char why[512];
    int rc = mysql_conn_open(&st->opts, deadline, &c, why, sizeof(why));

    if (rc != 0) {
        snprintf(err, errlen, "%s: %s", st->where, why);
        return -1;
    }
    pthread_mutex_lock(&st->lock);
    if (++st->conns_open > st->conns_peak)
        st->conns_peak = st->conns_open;
    pthread_mutex_unlock(&st->lock);
    *conn = c;
    return 0;
}

static void mysql_pool_close(void *ctx, void *conn)
{
    struct mysql_state *st = ctx;

    mysql_conn_close(conn);
    pthread_mutex_lock(&st->lock);
    st->conns_open--;
    pthread_mutex_unlock(&st->lock);
}

/* The most connections open at once since the last call; starts a new count. */
int mysql_peak_reset(struct mysql_state *st)
{
    int peak;

    pthread_mutex_lock(&st->lock);
    peak = st->conns_peak;
    st->conns_peak = st->conns_open;
    pthread_mutex_unlock(&st->lock);
    return peak;
}

static int mysql_pool_ping(void *ctx, void *conn, double deadline)
{
    struct mysql_state *st = ctx;
    double d = ip_clock() + st->query_timeout;

    return mysql_conn_ping(conn, d < deadline ? d : deadline);
}

const struct ip_pool_ops mysql_pool_ops = {
    .open = mysql_pool_open,
    .close = mysql_pool_close,
    .ping = mysql_pool_ping,
};

void mysql_count(struct mysql_state *st, int rc)
{
    pthread_mutex_lock(&st->lock);
    st->queries++;
    if (rc != 0)
        st->query_errors++;
    if (rc == MYSQL_CONN_TIMEDOUT)
        st->query_timeouts++;
    if (rc < 0)
        st->discarded++;
    pthread_mutex_unlock(&st->lock);
}

/* The deadline of one query: query_timeout from now, within the run's. */
double mysql_query_deadline(const struct mysql_run *r)
{
    double d = ip_clock() + r->st->query_timeout;

    return d < r->deadline ? d : r->deadline;
}

/* Give a connection back after a call that returned rc: a connection whose call was cut
 * short or failed on the client side is in an unknown state and is discarded. */
void mysql_give_back(struct mysql_state *st, struct mysql_conn *c, int rc)
{
    if (rc < 0)
        ip_pool_discard(st->pool, c);
    else
        ip_pool_release(st->pool, c);
}

/* Acquire a connection by the run's deadline and run `sql` on it by `deadline` (its first
 * value into out when out is set);
 * *cp gets the connection, to give back with mysql_give_back(). A connection taken from
 * the idle ones that turns out dead (the server restarted, or killed it) is discarded and
 * the query retried on another, as Go's database/sql retries on driver.ErrBadConn: a
 * server restart between runs costs no failed check. */
int mysql_acquire_query(struct mysql_run *r, const char *sql, double deadline, char *out,
                        size_t outlen, struct mysql_conn **cp, char *err, size_t errlen)
{
    struct mysql_state *st = r->st;
    int rc;

    for (int attempt = 0;; attempt++) {
        double t0 = ip_clock();
        struct mysql_conn *c;

        *cp = NULL;
        rc = ip_pool_acquire(st->pool, r->deadline, (void **)&c, err, errlen);
        if (rc != 0)
            return rc == IP_ETIMEDOUT ? MYSQL_CONN_TIMEDOUT : MYSQL_CONN_BROKEN;
        if (out)
            rc = mysql_conn_value(c, sql, deadline, out, outlen, err, errlen);
        else
            rc = mysql_conn_query(c, sql, deadline, NULL, err, errlen);
        mysql_count(st, rc);
        if (rc == MYSQL_CONN_BROKEN && c->created < t0 && attempt <= st->pool_config.max_idle) {
            ip_pool_discard(st->pool, c);
            continue;
        }
        *cp = c;
        return rc;
    }
}

/* Acquire, run `sql` (its first value into out when out is set), give back. */
int mysql_pool_query(struct mysql_run *r, const char *sql, double deadline, char *out,
                     size_t outlen, char *err, size_t errlen)
{
    struct mysql_conn *c;
    int rc = mysql_acquire_query(r, sql, deadline, out, outlen, &c, err, errlen);

    if (c)
        mysql_give_back(r->st, c, rc);
    return rc;
}

/* One statement of a burst: worker n's. */
static int mysql_burst_call(void *arg, int n, int call, char *err, size_t errlen)
{
    struct mysql_burst *b = arg;
    char sql[512];

    (void)call;
    if (b->table)
        snprintf(sql, sizeof(sql), "INSERT INTO `%s` (run_id, seq) VALUES ('%s', %d)", b->table,
                 b->r->run_id, n);
    else
        snprintf(sql, sizeof(sql), "SELECT SLEEP(%.3f) /* %s %d */", b->hold, b->r->run_id, n);
    return mysql_pool_query(b->r, sql, b->deadline, NULL, 0, err, errlen);
}

int mysql_burst_run(struct mysql_burst *b, int n)
{
    int started;
    long long failed = ip_workers_run(n, 1, b->deadline, mysql_burst_call, b, &started,
                                      b->first_err, sizeof(b->first_err));

    if (failed < 0)
        return -1;
    b->done = started - (int)failed;
    b->failed = (int)failed + n - started;
    if (started < n && !b->first_err[0])
        snprintf(b->first_err, sizeof(b->first_err), "cannot start %d threads", n);
    return 0;
}
