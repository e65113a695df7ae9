/*
 * The mysql plugin's regular checks, each on the SDK pool: connect (SELECT 1), reuse,
 * concurrency (a burst of INSERTs into the probe's table, counted and removed), pool
 * (limits and max_lifetime), timeout (a query stopped at query_timeout) and stats (the
 * server's connection figures).
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mysql_hint.h"
#include "mysql_plugin.h"

/* The hint for check `check` that failed with `err`, when the server's words give one. */
static void mysql_hint(struct ip_report *rep, const char *check, const char *err)
{
    char buf[512];

    if (mysql_hint_error(err, buf, sizeof(buf)))
        ip_check_hint(rep, check, NULL, "%s", buf);
}

/* connect: a pooled connection and SELECT 1. Returns 0 when connected. */
int mysql_check_connect(struct mysql_run *r)
{
    struct mysql_state *st = r->st;
    struct mysql_conn *c;
    char err[512], one[16];
    double t0 = ip_clock(), t1, t2 = 0;
    int rc = mysql_acquire_query(r, "SELECT 1", mysql_query_deadline(r), one, sizeof(one), &c, err,
                                 sizeof(err));

    t1 = ip_clock();
    if (!c) {
        ip_check(r->rep, "connect", NULL, IP_CRITICAL, t1 - t0, "%s", err);
        mysql_hint(r->rep, "connect", err);
        return -1;
    }
    /* The figure is a SELECT 1 on a ready connection: the guide's simple query, without
     * the connect (or the check that a reused connection is alive) before it. */
    if (rc == 0) {
        rc = mysql_conn_value(c, "SELECT 1", mysql_query_deadline(r), one, sizeof(one), err,
                              sizeof(err));
        mysql_count(st, rc);
        t2 = ip_clock() - t1;
        t1 = ip_clock() - t0 - t2;
    }
    if (rc == 0) {
        char hint[512];

        ip_check(r->rep, "connect", NULL, IP_OK, t2,
                 "%s: SELECT 1 in %.3f ms on connection %lu (acquired in %.3f ms); server %s",
                 st->where, t2 * 1e3, c->thread_id, t1 * 1e3, c->server_info);
        /* Kept only when the latency threshold fails the check. */
        ip_check_hint(r->rep, "connect", NULL, "%s", mysql_hint_slow(-1, -1, hint, sizeof(hint)));
    } else {
        ip_check(r->rep, "connect", NULL, IP_CRITICAL, t1 - t0, "%s: SELECT 1: %s", st->where, err);
        mysql_hint(r->rep, "connect", err);
    }
    mysql_give_back(st, c, rc);
    return rc == 0 ? 0 : -1;
}

/* reuse: sequential queries get the same idle connection back and open nothing. */
void mysql_check_reuse(struct mysql_run *r)
{
    enum { N = 10 };
    struct mysql_state *st = r->st;
    struct ip_pool_stats s0, s1;
    unsigned long ids[N];
    double t0 = ip_clock();
    char err[512], id[32];
    int distinct = 0;

    if (!ip_check_enabled(r->rep, "reuse"))
        return; /* the core records it skipped */

    ip_pool_stats(st->pool, &s0);
    for (int i = 0; i < N; i++) {
        int rc = mysql_pool_query(r, "SELECT CONNECTION_ID()", mysql_query_deadline(r), id,
                                  sizeof(id), err, sizeof(err));

        if (rc != 0) {
            ip_check(r->rep, "reuse", NULL, IP_CRITICAL, ip_clock() - t0, "query %d of %d: %s",
                     i + 1, N, err);
            return;
        }
        ids[i] = strtoul(id, NULL, 10);
        distinct++;
        for (int j = 0; j < i; j++) {
            if (ids[j] == ids[i]) {
                distinct--;
                break;
            }
        }
    }
    ip_pool_stats(st->pool, &s1);
    if (distinct == 1 && s1.opened == s0.opened)
        ip_check(r->rep, "reuse", NULL, IP_OK, ip_clock() - t0,
                 "%d sequential queries on connection %lu; none opened", N, ids[0]);
    else if (st->pool_config.max_idle == 0)
        ip_check(r->rep, "reuse", NULL, IP_WARNING, ip_clock() - t0,
                 "max_idle = 0: %d sequential queries used %d connections, opened %lld", N,
                 distinct, s1.opened - s0.opened);
    else
        ip_check(r->rep, "reuse", NULL, IP_CRITICAL, ip_clock() - t0,
                 "%d sequential queries used %d connections and opened %lld (max_idle %d)", N,
                 distinct, s1.opened - s0.opened, st->pool_config.max_idle);
}

/* concurrency: `concurrency` INSERTs at once into the probe's table, counted and removed. */
void mysql_check_concurrency(struct mysql_run *r)
{
    struct mysql_state *st = r->st;
    struct mysql_burst b = {.r = r, .deadline = r->deadline};
    struct ip_pool_stats s0, s1;
    char sql[512], err[512], count[32];
    double t0 = ip_clock();
    long long rows;
    int rc, peak;

    if (!ip_check_enabled(r->rep, "concurrency"))
        return; /* the core records it skipped */

    snprintf(sql, sizeof(sql),
             "CREATE TABLE IF NOT EXISTS `%s` (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT "
             "PRIMARY KEY, run_id VARCHAR(64) NOT NULL, seq INT NOT NULL, created_at "
             "TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), KEY run_id (run_id)) "
             "ENGINE=InnoDB",
             st->table);
    rc = mysql_pool_query(r, sql, mysql_query_deadline(r), NULL, 0, err, sizeof(err));
    if (rc != 0) {
        ip_check(r->rep, "concurrency", NULL, IP_CRITICAL, ip_clock() - t0, "CREATE TABLE %s: %s",
                 st->table, err);
        mysql_hint(r->rep, "concurrency", err);
        return;
    }
    ip_pool_stats(st->pool, &s0);
    b.table = st->table;
    t0 = ip_clock();
    mysql_peak_reset(st);
    if (mysql_burst_run(&b, st->concurrency) != 0)
        return;
    peak = mysql_peak_reset(st);
    ip_pool_stats(st->pool, &s1);
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM `%s` WHERE run_id = '%s'", st->table,
             r->run_id);
    rc = mysql_pool_query(r, sql, mysql_query_deadline(r), count, sizeof(count), err, sizeof(err));
    rows = rc == 0 ? strtoll(count, NULL, 10) : -1;
    /* Our rows, and those of runs that died before removing theirs (an hour is long past
     * any run's deadline). */
    snprintf(sql, sizeof(sql),
             "DELETE FROM `%s` WHERE run_id = '%s' OR created_at < NOW(6) - INTERVAL 1 HOUR",
             st->table, r->run_id);
    if (rc == 0)
        rc = mysql_pool_query(r, sql, mysql_query_deadline(r), NULL, 0, err, sizeof(err));
    if (b.failed)
        ip_check(r->rep, "concurrency", NULL, IP_CRITICAL, ip_clock() - t0,
                 "%d of %d concurrent INSERTs failed; first: %s", b.failed, st->concurrency,
                 b.first_err);
    if (b.failed)
        mysql_hint(r->rep, "concurrency", b.first_err);
    else if (rc != 0)
        ip_check(r->rep, "concurrency", NULL, IP_CRITICAL, ip_clock() - t0,
                 "%d concurrent INSERTs done; counting or removing them: %s", b.done, err);
    else if (rows != b.done)
        ip_check(r->rep, "concurrency", NULL, IP_CRITICAL, ip_clock() - t0,
                 "%d concurrent INSERTs succeeded but %lld rows are there", b.done, rows);
    else if (st->pool_config.max_open > 0 && peak > st->pool_config.max_open)
        ip_check(r->rep, "concurrency", NULL, IP_CRITICAL, ip_clock() - t0,
                 "%d connections open at once, more than max_open %d", peak,
                 st->pool_config.max_open);
    else
        ip_check(r->rep, "concurrency", NULL, IP_OK, ip_clock() - t0,
                 "%d concurrent INSERTs, %lld rows counted and removed; %d open at most "
                 "(max_open %d), %lld waited",
                 b.done, rows, peak, st->pool_config.max_open, s1.wait_count - s0.wait_count);
}

/* How long past max_lifetime (by the plugin's own stamp) the pool check waits before it asks
 * again. */
#define MYSQL_LIFETIME_WAIT 0.1

/* pool: after the burst the pool holds its limits, and when max_lifetime is short enough
 * to watch within the run, a connection that outlived it is closed and replaced. */
void mysql_check_pool(struct mysql_run *r)
{
    struct mysql_state *st = r->st;
    const struct ip_pool_config *cfg = &st->pool_config;
    struct ip_pool_stats s, s2;
    struct mysql_conn *c;
    double t0 = ip_clock(), life = cfg->max_lifetime, oldest, asked;
    unsigned long before_id;
    char err[512], lifetime[256] = "";
    int rc;

    if (!ip_check_enabled(r->rep, "pool"))
        return; /* the core records it skipped */

    ip_pool_stats(st->pool, &s);
    if (cfg->max_open > 0 && s.open > cfg->max_open) {
        ip_check(r->rep, "pool", NULL, IP_CRITICAL, 0, "%d open, more than max_open %d", s.open,
                 cfg->max_open);
        return;
    }
    if (s.idle > cfg->max_idle) {
        ip_check(r->rep, "pool", NULL, IP_CRITICAL, 0, "%d idle, more than max_idle %d", s.idle,
                 cfg->max_idle);
        return;
    }
    if (life > 0 && life * 4 <= ip_report_remaining(r->rep) && cfg->max_idle > 0) {
        /* Watch a connection expire: take one, let it outlive max_lifetime idle, then the
         * next acquire must get a new one and the pool must have counted the expiry. */
        rc = ip_pool_acquire(st->pool, r->deadline, (void **)&c, err, sizeof(err));
        if (rc != 0) {
            ip_check(r->rep, "pool", NULL, IP_CRITICAL, ip_clock() - t0, "%s", err);
            return;
        }
        before_id = c->thread_id;
        oldest = c->created;
        ip_pool_release(st->pool, c);
        ip_sleep_until(oldest + life + MYSQL_LIFETIME_WAIT);
        asked = ip_clock();
        rc = ip_pool_acquire(st->pool, r->deadline, (void **)&c, err, sizeof(err));
        if (rc != 0) {
            ip_check(r->rep, "pool", NULL, IP_CRITICAL, ip_clock() - t0, "after max_lifetime: %s",
                     err);
            return;
        }
        ip_pool_stats(st->pool, &s2);
        /* The one that expired is gone, and what came instead is younger than the limit
         * (another idle one, or a new one). The pool counts a connection's age from before
         * our open() stamped `created`, and judged it after we asked: by our stamp, at the
         * time we asked, a connection it let through is younger than the limit. */
        if (c->thread_id == before_id || asked - c->created >= life ||
            s2.max_lifetime_closed <= s.max_lifetime_closed) {
            ip_check(r->rep, "pool", NULL, IP_CRITICAL, ip_clock() - t0,
                     "connection %lu outlived max_lifetime %.3f s (got %lu, %.3f s old)", before_id,
                     life, c->thread_id, asked - c->created);
            ip_pool_release(st->pool, c);
            return;
        }
        snprintf(lifetime, sizeof(lifetime),
                 "; connection %lu closed after max_lifetime %.3f s and replaced by %lu", before_id,
                 life, c->thread_id);
        ip_pool_release(st->pool, c);
    } else if (life > 0) {
        snprintf(lifetime, sizeof(lifetime), "; max_lifetime %.3f s (%lld closed for it so far)",
                 life, s.max_lifetime_closed);
    }
    ip_check(r->rep, "pool", NULL, IP_OK, ip_clock() - t0,
             "%d open (max_open %d), %d idle (max_idle %d), %lld opened so far%s", s.open,
             cfg->max_open, s.idle, cfg->max_idle, s.opened, lifetime);
}

/* The long query of the timeout check and of the drill: SLEEP well past query_timeout,
 * bounded by the server (MariaDB's max_statement_time, MySQL's MAX_EXECUTION_TIME) and,
 * should the server not stop it, by the client a little after query_timeout. Then the
 * next query on the pool must work. Returns 0 when it was interrupted and the pool
 * recovered; msg says what happened either way. */
/* The long query's SLEEP: well past query_timeout. */
#define MYSQL_LONG_SLEEP(qt) ((qt) + 2)

/* What the long query's outcome means: 1 when it was interrupted (by the server, or by the
 * client at its own deadline: client_cut), 0 otherwise; msg says which. */
static int mysql_long_verdict(int rc, const char *val, const char *err, double took, double qt,
                              int client_cut, char *msg, size_t msglen)
{
    double sleep_s = MYSQL_LONG_SLEEP(qt);
    const char *how;
    int ok = 0;

    if (rc == MYSQL_ER_STATEMENT_TIMEOUT || rc == MYSQL_ER_QUERY_TIMEOUT) {
        how = rc == MYSQL_ER_STATEMENT_TIMEOUT ? "by max_statement_time" : "by MAX_EXECUTION_TIME";
        ok = 1;
        snprintf(msg, msglen,
                 "SELECT SLEEP(%.3f) interrupted after %.3f s %s (query_timeout "
                 "%.3f s): %s; connection released",
                 sleep_s, took, how, qt, err);
    } else if (rc == 0 && strcmp(val, "1") == 0 && took < sleep_s) {
        /* MySQL's SLEEP() returns 1, no error, when MAX_EXECUTION_TIME stops it. */
        ok = 1;
        snprintf(msg, msglen,
                 "SELECT SLEEP(%.3f) interrupted after %.3f s by "
                 "MAX_EXECUTION_TIME (query_timeout %.3f s); connection released",
                 sleep_s, took, qt);
    } else if (rc == 0) {
        snprintf(msg, msglen,
                 "SELECT SLEEP(%.3f) ran %.3f s: not stopped at query_timeout "
                 "%.3f s",
                 sleep_s, took, qt);
    } else if (rc == MYSQL_CONN_TIMEDOUT && client_cut) {
        ok = 1;
        snprintf(msg, msglen,
                 "SELECT SLEEP(%.3f) interrupted by the client after %.3f s "
                 "(query_timeout %.3f s; the server did not stop it); connection discarded",
                 sleep_s, took, qt);
    } else {
        snprintf(msg, msglen, "SELECT SLEEP(%.3f) with query_timeout %.3f s: %s%s", sleep_s, qt,
                 err, rc < 0 ? "; connection discarded" : "; connection released");
    }
    return ok;
}

int mysql_long_query(struct mysql_run *r, double *took, char *msg, size_t msglen)
{
    struct mysql_state *st = r->st;
    double qt = st->query_timeout, sleep_s = MYSQL_LONG_SLEEP(qt),
           grace = qt < 1 ? 0.25 + qt / 2 : 0.75;
    double t0, deadline;
    struct mysql_conn *c;
    char sql[256], err[512], val[32] = "", next[512];
    int rc, ok;

    *took = 0;
    rc = ip_pool_acquire(st->pool, r->deadline, (void **)&c, err, sizeof(err));
    if (rc != 0) {
        snprintf(msg, msglen, "%s", err);
        return -1;
    }
    if (c->flavour == MYSQL_FLAVOUR_MARIADB)
        snprintf(sql, sizeof(sql), "SET STATEMENT max_statement_time=%.3f FOR SELECT SLEEP(%.3f)",
                 qt, sleep_s);
    else
        snprintf(sql, sizeof(sql), "SELECT /*+ MAX_EXECUTION_TIME(%ld) */ SLEEP(%.3f)",
                 (long)ceil(qt * 1000), sleep_s);
    t0 = ip_clock();
    deadline = t0 + qt + grace;
    if (deadline > r->deadline)
        deadline = r->deadline;
    rc = mysql_conn_value(c, sql, deadline, val, sizeof(val), err, sizeof(err));
    *took = ip_clock() - t0;
    mysql_count(st, rc);
    mysql_give_back(st, c, rc);
    ok = mysql_long_verdict(rc, val, err, *took, qt, deadline < r->deadline, msg, msglen);
    /* The next query on the pool: it gets the connection just given back, if any. */
    rc = mysql_pool_query(r, "SELECT 1", mysql_query_deadline(r), next, sizeof(next), err,
                          sizeof(err));
    if (rc != 0) {
        size_t len = strlen(msg);

        snprintf(msg + len, msglen - len, "; the next query failed: %s", err);
        return -1;
    }
    if (ok) {
        size_t len = strlen(msg);

        snprintf(msg + len, msglen - len, "; the next query worked");
    }
    return ok ? 0 : -1;
}

void mysql_check_timeout(struct mysql_run *r)
{
    double took;
    char msg[1400];

    if (!ip_check_enabled(r->rep, "timeout"))
        return; /* the core records it skipped */

    if (ip_report_remaining(r->rep) < r->st->query_timeout * 1.5 + 0.2) {
        ip_check(r->rep, "timeout", NULL, IP_UNKNOWN, 0,
                 "not enough time left in the run for query_timeout %.3f s", r->st->query_timeout);
        return;
    }
    if (mysql_long_query(r, &took, msg, sizeof(msg)) == 0)
        ip_check(r->rep, "timeout", NULL, IP_OK, took, "%s", msg);
    else
        ip_check(r->rep, "timeout", NULL, IP_CRITICAL, took, "%s", msg);
}

/* Server status and variables by name: SHOW works alike on MariaDB and MySQL 8. */
struct mysql_server_stats {
    double threads_connected, max_used_connections, slow_queries, max_connections;
    double slow_query_log;
};

static int mysql_server_stats(struct mysql_conn *c, double deadline, struct mysql_server_stats *s,
                              char *err, size_t errlen)
{
    static const char *const sql[] = {
        "SHOW GLOBAL STATUS WHERE Variable_name IN "
        "('Threads_connected', 'Max_used_connections', 'Slow_queries')",
        "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('max_connections', 'slow_query_log')",
    };
    int found = 0;

    for (size_t i = 0; i < 2; i++) {
        MYSQL_RES *res;
        MYSQL_ROW row;
        int rc = mysql_conn_query(c, sql[i], deadline, &res, err, errlen);

        if (rc != 0)
            return rc;
        while (res && (row = mysql_fetch_row(res))) {
            const char *k = row[0], *v = row[1] ? row[1] : "0";
            double d = !strcasecmp(v, "ON") ? 1 : !strcasecmp(v, "OFF") ? 0 : strtod(v, NULL);

            found++;
            if (!strcasecmp(k, "Threads_connected"))
                s->threads_connected = d;
            else if (!strcasecmp(k, "Max_used_connections"))
                s->max_used_connections = d;
            else if (!strcasecmp(k, "Slow_queries"))
                s->slow_queries = d;
            else if (!strcasecmp(k, "max_connections"))
                s->max_connections = d;
            else if (!strcasecmp(k, "slow_query_log"))
                s->slow_query_log = d;
            else
                found--;
        }
        mysql_free_result(res);
    }
    if (found != 5) {
        snprintf(err, errlen, "SHOW GLOBAL STATUS/VARIABLES gave %d of the 5 figures", found);
        return MYSQL_CONN_BROKEN;
    }
    return 0;
}

/* Threads_connected alone, for the drill's leak check. */
int mysql_threads_connected(struct mysql_conn *c, double deadline, long *out, char *err,
                            size_t errlen)
{
    char v[32];
    int rc = mysql_conn_value(c,
                              "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
                              "WHERE VARIABLE_NAME = 'Threads_connected'",
                              deadline, v, sizeof(v), err, errlen);

    if (rc == 0)
        *out = strtol(v, NULL, 10);
    return rc;
}

void mysql_check_stats(struct mysql_run *r)
{
    struct mysql_state *st = r->st;
    struct mysql_server_stats s = {0};
    struct mysql_conn *c;
    double t0 = ip_clock(), share;
    char err[512];
    int rc;

    if (!ip_check_enabled(r->rep, "stats"))
        return; /* the core records it skipped */
    rc = ip_pool_acquire(st->pool, r->deadline, (void **)&c, err, sizeof(err));

    if (rc != 0) {
        ip_check(r->rep, "stats", NULL, IP_CRITICAL, ip_clock() - t0, "%s", err);
        mysql_hint(r->rep, "stats", err);
        return;
    }
    rc = mysql_server_stats(c, mysql_query_deadline(r), &s, err, sizeof(err));
    mysql_count(st, rc);
    mysql_give_back(st, c, rc);
    if (rc != 0) {
        ip_check(r->rep, "stats", NULL, IP_CRITICAL, ip_clock() - t0, "%s", err);
        mysql_hint(r->rep, "stats", err);
        return;
    }
    ip_metric(r->rep, IP_GAUGE, "threads_connected", NULL, "the server's Threads_connected", NULL,
              NULL, s.threads_connected);
    ip_metric(r->rep, IP_GAUGE, "max_used_connections", NULL, "the server's Max_used_connections",
              NULL, NULL, s.max_used_connections);
    ip_metric(r->rep, IP_GAUGE, "max_connections", NULL, "the server's max_connections", NULL, NULL,
              s.max_connections);
    ip_metric(r->rep, IP_COUNTER, "slow_queries", NULL, "the server's Slow_queries", NULL, NULL,
              s.slow_queries);
    ip_metric(r->rep, IP_GAUGE, "slow_query_log", NULL, "1 when the slow query log is on", NULL,
              NULL, s.slow_query_log);
    share = s.max_connections > 0 ? 100.0 * s.threads_connected / s.max_connections : 0;
    ip_check_value(r->rep, "stats", NULL, IP_OK, ip_clock() - t0, share,
                   "Threads_connected %.0f of max_connections %.0f (%.1f %%); "
                   "Max_used_connections %.0f; Slow_queries %.0f; slow_query_log %s",
                   s.threads_connected, s.max_connections, share, s.max_used_connections,
                   s.slow_queries, s.slow_query_log ? "ON" : "OFF");
    /* Kept only when the threshold on the share fails the check. */
    if (mysql_hint_connections(s.threads_connected, s.max_connections, s.max_used_connections, err,
                               sizeof(err)))
        ip_check_hint(r->rep, "stats", NULL, "%s", err);
}
