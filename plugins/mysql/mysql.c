/*
 * The mysql plugin: MariaDB or MySQL through the SDK's connection pool, as the
 * infrastructure guide's TestMySQLConnectionPooling does it with Go's database/sql:
 * connect and SELECT 1, sequential queries that reuse one connection, a burst of
 * concurrent INSERTs into a probe-owned table, the pool's limits and lifetime, a query
 * stopped by its timeout, and the server's connection figures; under --drill, the
 * exhaustion drill (more concurrent queries than max_open). Every call has a deadline
 * (mysql_conn.c drives Connector/C's non-blocking API); a connection whose call was cut
 * short is discarded, never handed back to the pool.
 */
#define _GNU_SOURCE
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <infraprobe/plugin.h>

#include "mysql_conn.h"
#include "mysql_dsn.h"

/* MariaDB's max_statement_time and MySQL 8's MAX_EXECUTION_TIME interruptions. */
#define MYSQL_ER_STATEMENT_TIMEOUT 1969
#define MYSQL_ER_QUERY_TIMEOUT     3024

static const struct ip_check_decl mysql_checks[] = {
    {.name = "connect",
     .help = "a pooled connection answers SELECT 1 (the guide's simple query < 10 ms)",
     .kind = IP_LATENCY,
     .warn = 10,
     .crit = 100},
    {.name = "pool",
     .help = "the pool holds max_open, max_idle and max_lifetime",
     .kind = IP_LATENCY},
    {.name = "concurrency",
     .help = "concurrent INSERTs all succeed and the row count matches",
     .kind = IP_LATENCY,
     .flags = IP_CHECK_WRITES},
    {.name = "stats",
     .help = "Threads_connected as a share of max_connections",
     .kind = IP_VALUE_MAX,
     .warn = 80,
     .unit = "%"},
    {.name = "timeout",
     .help = "a query longer than query_timeout is interrupted; the pool recovers",
     .kind = IP_LATENCY},
    {.name = "reuse", .help = "sequential queries reuse an idle connection", .kind = IP_LATENCY},
    {.name = "exhaustion",
     .help = "drill: more queries than max_open wait, complete and leak nothing",
     .kind = IP_LATENCY,
     .flags = IP_CHECK_DRILL},
    {0},
};

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
    char run_id[80]; /* escaped for SQL */
};

/* ---- setup ------------------------------------------------------------------------------ */

static void mysql_teardown(void *state)
{
    struct mysql_state *st = state;

    if (!st)
        return;
    ip_pool_free(st->pool);
    pthread_mutex_destroy(&st->lock);
    free(st);
}

static int mysql_identifier(const char *s)
{
    if (!s || !*s || strlen(s) > 64)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return 0;
    return 1;
}

/* The connection settings: a Go DSN, or host/port/socket/user/password/database. */
static void mysql_setup_target(struct ip_probe *probe, struct mysql_state *st)
{
    static const char *const discrete[] = {"host", "port", "socket", "user", "database", NULL};
    struct mysql_conn_opts *o = &st->opts;
    const char *dsn = NULL, *password, *tls;
    int has_discrete = 0;
    char err[256];

    for (size_t i = 0; discrete[i]; i++)
        has_discrete |= ip_probe_has(probe, discrete[i]);
    if (ip_probe_has(probe, "dsn") || ip_probe_has(probe, "dsn_file"))
        dsn = ip_probe_secret(probe, "dsn"); /* it may hold the password */
    else if (!has_discrete)
        dsn = ip_probe_string(probe, "dsn", "${MYSQL_ADDR}");
    if (dsn && has_discrete)
        ip_probe_fail(probe, "dsn", "set either dsn or host/port/socket/user/database");
    password = ip_probe_secret(probe, "password");
    o->host = ip_probe_string(probe, "host", has_discrete ? "127.0.0.1" : NULL);
    o->port = (int)ip_probe_int(probe, "port", 3306, 1, 65535);
    o->socket = ip_probe_string(probe, "socket", NULL);
    o->user = ip_probe_string(probe, "user", has_discrete ? "root" : NULL);
    o->database = ip_probe_string(probe, "database", NULL);
    o->password = password;
    if (o->socket && !ip_probe_has(probe, "host"))
        o->host = NULL;
    if (dsn) {
        if (mysql_dsn_parse(dsn, &st->dsn, err, sizeof(err)) != 0) {
            /* err never quotes the credentials; neither do we. */
            ip_probe_fail(probe, "dsn", "%s", err);
        } else {
            o->host = strcmp(st->dsn.net, "unix") ? st->dsn.host : NULL;
            o->port = st->dsn.port;
            o->socket = strcmp(st->dsn.net, "unix") ? NULL : st->dsn.socket;
            o->user = st->dsn.user;
            o->database = st->dsn.dbname;
            o->charset = st->dsn.charset[0] ? st->dsn.charset : NULL;
            o->connect_timeout = st->dsn.timeout;
            if (st->dsn.has_password && password)
                ip_probe_fail(probe, "password", "the dsn has a password already");
            else if (st->dsn.has_password)
                o->password = st->dsn.password;
        }
    }
    o->ssl_ca = ip_probe_string(probe, "ssl_ca", NULL);
    o->ssl_cert = ip_probe_string(probe, "ssl_cert", NULL);
    o->ssl_key = ip_probe_string(probe, "ssl_key", NULL);
    /* The Go driver's tls= maps onto the modes; ssl_mode, when set, wins. */
    tls = st->dsn.tls;
    o->ssl_mode = ip_probe_string(probe, "ssl_mode",
                                  !strcmp(tls, "true")          ? "verify_identity"
                                  : !strcmp(tls, "skip-verify") ? "required"
                                  : !strcmp(tls, "preferred")   ? "preferred"
                                  : o->ssl_ca                   ? "verify_ca"
                                                                : "disabled");
    if (o->ssl_mode && strcmp(o->ssl_mode, "disabled") && strcmp(o->ssl_mode, "preferred") &&
        strcmp(o->ssl_mode, "required") && strcmp(o->ssl_mode, "verify_ca") &&
        strcmp(o->ssl_mode, "verify_identity"))
        ip_probe_fail(probe, "ssl_mode",
                      "\"%s\": expected disabled, preferred, required, verify_ca or "
                      "verify_identity",
                      o->ssl_mode);
    if ((o->ssl_cert != NULL) != (o->ssl_key != NULL))
        ip_probe_fail(probe, o->ssl_cert ? "ssl_cert" : "ssl_key",
                      "ssl_cert and ssl_key go together");
    /* The library's per-read timeouts only back up the few blocking calls (close): no single
     * read may outlive a run. */
    o->io_timeout = ip_probe_timeout(probe);
    if (st->dsn.read_timeout > 0 || st->dsn.write_timeout > 0)
        o->io_timeout = fmax(st->dsn.read_timeout, st->dsn.write_timeout);
    if (ip_probe_has(probe, "connect_timeout"))
        o->connect_timeout = ip_probe_duration(probe, "connect_timeout", 0);
    if (o->host)
        snprintf(st->where, sizeof(st->where), strchr(o->host, ':') ? "[%s]:%d" : "%s:%d", o->host,
                 o->port);
    else
        snprintf(st->where, sizeof(st->where), "%s", o->socket ? o->socket : "(no address)");
}

static int mysql_setup(struct ip_probe *probe, void **statep)
{
    struct mysql_state *st = calloc(1, sizeof(*st));
    struct ip_probe *pool, *drill;

    if (!st)
        return IP_ENOMEM;
    if (pthread_mutex_init(&st->lock, NULL) != 0) {
        free(st);
        return IP_ENOMEM;
    }
    st->name = ip_probe_name(probe);
    mysql_setup_target(probe, st);
    pool = ip_probe_group(probe, "pool");
    /* The guide's db.SetMaxOpenConns(25), SetMaxIdleConns(5), SetConnMaxLifetime(5 min). */
    st->pool_config.max_open = (int)ip_probe_int(pool, "max_open", 25, 0, 100000);
    st->pool_config.max_idle = (int)ip_probe_int(pool, "max_idle", 5, 0, 100000);
    st->pool_config.max_lifetime = ip_probe_duration(pool, "max_lifetime", 300.0);
    st->concurrency = (int)ip_probe_int(probe, "concurrency", 50, 1, 10000);
    st->query_timeout = ip_probe_duration(probe, "query_timeout", 1.0);
    st->table = ip_probe_string(probe, "table", "infraprobe_probe");
    drill = ip_probe_group(probe, "exhaustion");
    st->drill_queries = (int)ip_probe_int(drill, "queries", 40, 1, 10000);
    st->drill_hold = ip_probe_duration(drill, "hold", 0.2);
    if (st->query_timeout <= 0)
        ip_probe_fail(probe, "query_timeout", "must be more than 0");
    else if (st->query_timeout * 2 >= ip_probe_timeout(probe))
        ip_probe_fail(probe, "query_timeout",
                      "%.3f s: must be less than half the probe's timeout (%.3f s), which the "
                      "timeout check needs",
                      st->query_timeout, ip_probe_timeout(probe));
    if (!mysql_identifier(st->table))
        ip_probe_fail(probe, "table", "\"%s\": expected a table name (letters, digits, _)",
                      st->table ? st->table : "");
    if (st->pool_config.max_open > 0 && st->pool_config.max_idle > st->pool_config.max_open)
        ip_probe_fail(pool, "max_idle", "%d: more than max_open (%d)", st->pool_config.max_idle,
                      st->pool_config.max_open);
    if (ip_probe_err(probe)) {
        mysql_teardown(st);
        return IP_ECONFIG;
    }
    *statep = st;
    return 0;
}

/* ---- the pool ----------------------------------------------------------------------------- */

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
static int mysql_peak_reset(struct mysql_state *st)
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

static const struct ip_pool_ops mysql_pool_ops = {
    .open = mysql_pool_open,
    .close = mysql_pool_close,
    .ping = mysql_pool_ping,
};

static void mysql_count(struct mysql_state *st, int rc)
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
static double mysql_query_deadline(const struct mysql_run *r)
{
    double d = ip_clock() + r->st->query_timeout;

    return d < r->deadline ? d : r->deadline;
}

/* Give a connection back after a call that returned rc: a connection whose call was cut
 * short or failed on the client side is in an unknown state and is discarded. */
static void mysql_give_back(struct mysql_state *st, struct mysql_conn *c, int rc)
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
static int mysql_acquire_query(struct mysql_run *r, const char *sql, double deadline, char *out,
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
static int mysql_pool_query(struct mysql_run *r, const char *sql, double deadline, char *out,
                            size_t outlen, char *err, size_t errlen)
{
    struct mysql_conn *c;
    int rc = mysql_acquire_query(r, sql, deadline, out, outlen, &c, err, errlen);

    if (c)
        mysql_give_back(r->st, c, rc);
    return rc;
}

/* ---- checks ------------------------------------------------------------------------------- */

/* connect: a pooled connection and SELECT 1. Returns 0 when connected. */
static int mysql_check_connect(struct mysql_run *r)
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
    if (rc == 0)
        ip_check(r->rep, "connect", NULL, IP_OK, t2,
                 "%s: SELECT 1 in %.3f ms on connection %lu (acquired in %.3f ms); server %s",
                 st->where, t2 * 1e3, c->thread_id, t1 * 1e3, c->server_info);
    else
        ip_check(r->rep, "connect", NULL, IP_CRITICAL, t1 - t0, "%s: SELECT 1: %s", st->where, err);
    mysql_give_back(st, c, rc);
    return rc == 0 ? 0 : -1;
}

/* reuse: sequential queries get the same idle connection back and open nothing. */
static void mysql_check_reuse(struct mysql_run *r)
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

/* A burst of concurrent statements, one thread each; also used by the drill. */
struct mysql_burst {
    struct mysql_run *r;
    const char *table; /* INSERTs into it, when set; else SELECT SLEEP(hold) */
    double hold;
    double deadline;
    pthread_mutex_t lock;
    int done, failed;
    char first_err[512];
};

struct mysql_worker {
    struct mysql_burst *b;
    int n;
    pthread_t thread;
};

static void *mysql_burst_worker(void *arg)
{
    struct mysql_worker *w = arg;
    struct mysql_burst *b = w->b;
    char sql[512], err[512];
    int rc;

    if (b->table)
        snprintf(sql, sizeof(sql), "INSERT INTO `%s` (run_id, seq) VALUES ('%s', %d)", b->table,
                 b->r->run_id, w->n);
    else
        snprintf(sql, sizeof(sql), "SELECT SLEEP(%.3f) /* %s %d */", b->hold, b->r->run_id, w->n);
    rc = mysql_pool_query(b->r, sql, b->deadline, NULL, 0, err, sizeof(err));
    pthread_mutex_lock(&b->lock);
    if (rc == 0) {
        b->done++;
    } else if (b->failed++ == 0) {
        snprintf(b->first_err, sizeof(b->first_err), "%s", err);
    }
    pthread_mutex_unlock(&b->lock);
    return NULL;
}

/* Run n statements at once; 0, or -1 when threads could not be made. */
static int mysql_burst_run(struct mysql_burst *b, int n)
{
    struct mysql_worker *w = calloc((size_t)n, sizeof(*w));
    pthread_attr_t attr;
    int started = 0;

    if (!w || pthread_mutex_init(&b->lock, NULL) != 0) {
        free(w);
        return -1;
    }
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    for (int i = 0; i < n; i++) {
        w[i].b = b;
        w[i].n = i;
        if (pthread_create(&w[i].thread, &attr, mysql_burst_worker, &w[i]) != 0)
            break;
        started++;
    }
    pthread_attr_destroy(&attr);
    for (int i = 0; i < started; i++)
        pthread_join(w[i].thread, NULL);
    pthread_mutex_destroy(&b->lock);
    free(w);
    if (started < n) {
        b->failed += n - started;
        if (!b->first_err[0])
            snprintf(b->first_err, sizeof(b->first_err), "cannot start %d threads", n);
    }
    return 0;
}

/* concurrency: `concurrency` INSERTs at once into the probe's table, counted and removed. */
static void mysql_check_concurrency(struct mysql_run *r)
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

/* How long past max_lifetime the pool check waits before it asks again, and what it allows
 * between the plugin's stamp of a connection's birth and the pool's. */
#define MYSQL_LIFETIME_WAIT  0.1
#define MYSQL_LIFETIME_SLACK 0.05

static void mysql_sleep(double secs)
{
    struct timespec ts = {(time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9)};

    while (secs > 0 && nanosleep(&ts, &ts) != 0)
        ;
}

/* pool: after the burst the pool holds its limits, and when max_lifetime is short enough
 * to watch within the run, a connection that outlived it is closed and replaced. */
static void mysql_check_pool(struct mysql_run *r)
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
        mysql_sleep(oldest + life + MYSQL_LIFETIME_WAIT - ip_clock());
        asked = ip_clock();
        rc = ip_pool_acquire(st->pool, r->deadline, (void **)&c, err, sizeof(err));
        if (rc != 0) {
            ip_check(r->rep, "pool", NULL, IP_CRITICAL, ip_clock() - t0, "after max_lifetime: %s",
                     err);
            return;
        }
        ip_pool_stats(st->pool, &s2);
        /* The one that expired is gone, and what came instead is younger than the limit
         * (another idle one, or a new one). Its age is taken when we asked: the pool judges
         * it a moment later, and by a clock it reads just after our open() stamped
         * `created`, hence the slack. */
        if (c->thread_id == before_id || asked - c->created > life + MYSQL_LIFETIME_SLACK ||
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
static int mysql_long_query(struct mysql_run *r, double *took, char *msg, size_t msglen)
{
    struct mysql_state *st = r->st;
    double qt = st->query_timeout, sleep_s = qt + 2, grace = qt < 1 ? 0.25 + qt / 2 : 0.75;
    double t0, deadline;
    struct mysql_conn *c;
    char sql[256], err[512], val[32] = "", next[512];
    const char *how;
    int rc, ok = 0;

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
    if (rc == MYSQL_ER_STATEMENT_TIMEOUT || rc == MYSQL_ER_QUERY_TIMEOUT) {
        how = rc == MYSQL_ER_STATEMENT_TIMEOUT ? "by max_statement_time" : "by MAX_EXECUTION_TIME";
        ok = 1;
        snprintf(msg, msglen,
                 "SELECT SLEEP(%.3f) interrupted after %.3f s %s (query_timeout "
                 "%.3f s): %s; connection released",
                 sleep_s, *took, how, qt, err);
    } else if (rc == 0 && strcmp(val, "1") == 0 && *took < sleep_s) {
        /* MySQL's SLEEP() returns 1, no error, when MAX_EXECUTION_TIME stops it. */
        ok = 1;
        snprintf(msg, msglen,
                 "SELECT SLEEP(%.3f) interrupted after %.3f s by "
                 "MAX_EXECUTION_TIME (query_timeout %.3f s); connection released",
                 sleep_s, *took, qt);
    } else if (rc == 0) {
        snprintf(msg, msglen,
                 "SELECT SLEEP(%.3f) ran %.3f s: not stopped at query_timeout "
                 "%.3f s",
                 sleep_s, *took, qt);
    } else if (rc == MYSQL_CONN_TIMEDOUT && deadline < r->deadline) {
        ok = 1;
        snprintf(msg, msglen,
                 "SELECT SLEEP(%.3f) interrupted by the client after %.3f s "
                 "(query_timeout %.3f s; the server did not stop it); connection discarded",
                 sleep_s, *took, qt);
    } else {
        snprintf(msg, msglen, "SELECT SLEEP(%.3f) with query_timeout %.3f s: %s%s", sleep_s, qt,
                 err, rc < 0 ? "; connection discarded" : "; connection released");
    }
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

static void mysql_check_timeout(struct mysql_run *r)
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
static int mysql_threads_connected(struct mysql_conn *c, double deadline, long *out, char *err,
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

static void mysql_check_stats(struct mysql_run *r)
{
    struct mysql_state *st = r->st;
    struct mysql_server_stats s = {0};
    struct mysql_conn *c;
    double t0 = ip_clock(), share;
    char err[512];
    int rc = ip_pool_acquire(st->pool, r->deadline, (void **)&c, err, sizeof(err));

    if (!ip_check_enabled(r->rep, "stats"))
        return; /* the core records it skipped */

    if (rc != 0) {
        ip_check(r->rep, "stats", NULL, IP_CRITICAL, ip_clock() - t0, "%s", err);
        return;
    }
    rc = mysql_server_stats(c, mysql_query_deadline(r), &s, err, sizeof(err));
    mysql_count(st, rc);
    mysql_give_back(st, c, rc);
    if (rc != 0) {
        ip_check(r->rep, "stats", NULL, IP_CRITICAL, ip_clock() - t0, "%s", err);
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
}

/* ---- the exhaustion drill ----------------------------------------------------------------- */

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
        mysql_sleep(0.005);
    }
    return NULL;
}

static void mysql_drill_metric(struct ip_report *rep, const char *name, const char *unit,
                               const char *help, double v)
{
    ip_metric(rep, IP_GAUGE, name, unit, help, NULL, NULL, v);
}

static void mysql_drill(struct mysql_run *r, double deadline)
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

    if (!ip_check_enabled(r->rep, "exhaustion"))
        return; /* the core records it skipped */
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
        mysql_sleep(0.02);
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

/* ---- run ---------------------------------------------------------------------------------- */

static const char *const mysql_after_connect[] = {"reuse",   "concurrency", "pool",
                                                  "timeout", "stats",       NULL};

static int mysql_run(void *state, struct ip_report *rep)
{
    struct mysql_state *st = state;
    struct mysql_run r = {.st = st, .rep = rep, .deadline = ip_report_deadline(rep)};
    const char *id = ip_report_run_id(rep);
    double drill_deadline;

    /* The run id is a UUID; keep only what may sit in a quoted SQL string, to be sure. */
    for (size_t i = 0, j = 0; id && id[i] && j + 1 < sizeof(r.run_id); i++)
        if ((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'z') ||
            (id[i] >= 'A' && id[i] <= 'Z') || id[i] == '-')
            r.run_id[j++] = id[i];
    if (!st->pool) {
        st->pool = ip_pool_new(&mysql_pool_ops, st, &st->pool_config);
        if (!st->pool)
            return IP_ENOMEM;
    }
    if (mysql_check_connect(&r) != 0) {
        for (size_t i = 0; mysql_after_connect[i]; i++)
            ip_check(rep, mysql_after_connect[i], NULL, IP_SKIPPED, 0, "not connected");
        if (ip_drill(rep, &drill_deadline))
            ip_check(rep, "exhaustion", NULL, IP_SKIPPED, 0, "not connected");
        return 0;
    }
    mysql_check_reuse(&r);
    mysql_check_concurrency(&r);
    mysql_check_pool(&r);
    mysql_check_timeout(&r);
    mysql_check_stats(&r);
    if (ip_drill(rep, &drill_deadline))
        mysql_drill(&r, drill_deadline);
    return 0;
}

static int mysql_metrics(void *state, struct ip_report *rep)
{
    struct mysql_state *st = state;
    struct ip_pool_stats s;
    long long q, e, t, d;

    ip_pool_stats(st->pool, &s);
    ip_metric(rep, IP_GAUGE, "pool_max_open", NULL, "the pool's max_open", NULL, NULL, s.max_open);
    ip_metric(rep, IP_GAUGE, "pool_open", NULL, "connections open: in use + idle", NULL, NULL,
              s.open);
    ip_metric(rep, IP_GAUGE, "pool_in_use", NULL, "connections in use", NULL, NULL, s.in_use);
    ip_metric(rep, IP_GAUGE, "pool_idle", NULL, "idle connections", NULL, NULL, s.idle);
    ip_metric(rep, IP_COUNTER, "pool_opened", NULL, "connections opened", NULL, NULL,
              (double)s.opened);
    ip_metric(rep, IP_COUNTER, "pool_wait_count", NULL, "acquisitions that waited", NULL, NULL,
              (double)s.wait_count);
    ip_metric(rep, IP_COUNTER, "pool_wait_duration", "seconds", "time spent waiting", NULL, NULL,
              s.wait_duration);
    ip_metric(rep, IP_COUNTER, "pool_max_idle_closed", NULL,
              "connections closed because max_idle was reached", NULL, NULL,
              (double)s.max_idle_closed);
    ip_metric(rep, IP_COUNTER, "pool_max_lifetime_closed", NULL,
              "connections closed because they passed max_lifetime", NULL, NULL,
              (double)s.max_lifetime_closed);
    pthread_mutex_lock(&st->lock);
    q = st->queries;
    e = st->query_errors;
    t = st->query_timeouts;
    d = st->discarded;
    pthread_mutex_unlock(&st->lock);
    ip_metric(rep, IP_COUNTER, "queries", NULL, "queries run", NULL, NULL, (double)q);
    ip_metric(rep, IP_COUNTER, "query_errors", NULL, "queries that failed", NULL, NULL, (double)e);
    ip_metric(rep, IP_COUNTER, "query_timeouts", NULL, "queries the client cut at a deadline", NULL,
              NULL, (double)t);
    ip_metric(rep, IP_COUNTER, "discarded", NULL, "connections discarded after a failed call", NULL,
              NULL, (double)d);
    return 0;
}

IP_EXPORT const struct ip_plugin infraprobe_plugin = {
    IP_PLUGIN_HEADER,
    .name = "mysql",
    .description = "MariaDB/MySQL: pooled connections, concurrency, timeouts, server stats",
    .checks = mysql_checks,
    .setup = mysql_setup,
    .run = mysql_run,
    .teardown = mysql_teardown,
    .metrics = mysql_metrics,
};
