/*
 * What the files of the mysql plugin share: the probe's state, one run's context, and the
 * functions one file gives the others. Internal: these symbols are hidden
 * (-fvisibility=hidden) and never exported (-export-symbols-regex), so the plugin's one
 * export stays infraprobe_plugin.
 */
#ifndef MYSQL_PLUGIN_H
#define MYSQL_PLUGIN_H

#include <pthread.h>
#include <stddef.h>

#include <infraprobe/plugin.h>

#include "mysql_conn.h"
#include "mysql_dsn.h"

/* MariaDB's max_statement_time and MySQL 8's MAX_EXECUTION_TIME interruptions. */
#define MYSQL_ER_STATEMENT_TIMEOUT 1969
#define MYSQL_ER_QUERY_TIMEOUT     3024

struct mysql_state {
    const char *name;
    struct mysql_conn_opts opts;
    struct mysql_dsn dsn; /* backing store for opts when a DSN was given */
    char where[300];      /* host:port or the socket: the first word of a failure */
    struct ip_pool_config pool_config;
    struct ip_pool *pool;
    int concurrency;
    double query_timeout;
    const char *table;
    int drill_queries;
    double drill_hold;
    /* Cumulative, for metrics(); only run() and its threads touch them, under lock. */
    pthread_mutex_t lock;
    long long queries, query_errors, query_timeouts, discarded;
    int conns_open, conns_peak; /* connections open now, and the most since the last reset */
};

/* One run's context. */
struct mysql_run {
    struct mysql_state *st;
    struct ip_report *rep;
    double deadline;
    char run_id[80]; /* ip_run_tag(): safe in SQL */
};

/* ---- mysql_pool.c ---- */

extern const struct ip_pool_ops mysql_pool_ops;

/* The most connections open at once since the last call; starts a new count. */
int mysql_peak_reset(struct mysql_state *st);
/* Count one query that returned rc, for metrics(). */
void mysql_count(struct mysql_state *st, int rc);
/* The deadline of one query: query_timeout from now, within the run's. */
double mysql_query_deadline(const struct mysql_run *r);
/* Give a connection back after a call that returned rc: a connection whose call was cut
 * short or failed on the client side is in an unknown state and is discarded. */
void mysql_give_back(struct mysql_state *st, struct mysql_conn *c, int rc);
/* Acquire a connection by the run's deadline and run `sql` on it by `deadline` (its first
 * value into out when out is set); *cp gets the connection, to give back with
 * mysql_give_back(). A dead idle connection is discarded and the query retried. */
int mysql_acquire_query(struct mysql_run *r, const char *sql, double deadline, char *out,
                        size_t outlen, struct mysql_conn **cp, char *err, size_t errlen);
/* Acquire, run `sql` (its first value into out when out is set), give back. */
int mysql_pool_query(struct mysql_run *r, const char *sql, double deadline, char *out,
                     size_t outlen, char *err, size_t errlen);

/* A burst of concurrent statements, one thread each; also used by the drill. */
struct mysql_burst {
    struct mysql_run *r;
    const char *table; /* INSERTs into it, when set; else SELECT SLEEP(hold) */
    double hold;
    double deadline;
    int done, failed;
    char first_err[512];
};

/* Run n statements at once; 0, or -1 when threads could not be made. */
int mysql_burst_run(struct mysql_burst *b, int n);

/* ---- mysql_checks.c ---- */

/* connect: a pooled connection and SELECT 1. Returns 0 when connected. */
int mysql_check_connect(struct mysql_run *r);
void mysql_check_reuse(struct mysql_run *r);
void mysql_check_concurrency(struct mysql_run *r);
void mysql_check_pool(struct mysql_run *r);
void mysql_check_timeout(struct mysql_run *r);
void mysql_check_stats(struct mysql_run *r);
/* The long query of the timeout check and of the drill; 0 when it was interrupted and the
 * pool recovered; msg says what happened either way. */
int mysql_long_query(struct mysql_run *r, double *took, char *msg, size_t msglen);
/* Threads_connected alone, for the drill's leak check. */
int mysql_threads_connected(struct mysql_conn *c, double deadline, long *out, char *err,
                            size_t errlen);

/* ---- mysql_drill.c ---- */

/* The exhaustion drill: more concurrent queries than max_open, by `deadline`. */
void mysql_drill(struct mysql_run *r, double deadline);

#endif
