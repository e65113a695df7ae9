/*
 * The mysql plugin: MariaDB or MySQL through the SDK's connection pool, as the
 * infrastructure guide's TestMySQLConnectionPooling does it with Go's database/sql:
 * connect and SELECT 1, sequential queries that reuse one connection, a burst of
 * concurrent INSERTs into a probe-owned table, the pool's limits and lifetime, a query
 * stopped by its timeout, and the server's connection figures; under --drill, the
 * exhaustion drill (more concurrent queries than max_open). Every call has a deadline
 * (mysql_conn.c drives Connector/C's non-blocking API); a connection whose call was cut
 * short is discarded, never handed back to the pool. This file reads the settings and
 * runs the checks in order; mysql_checks.c has the checks, mysql_pool.c the connections,
 * mysql_drill.c the drill, mysql_dsn.c the DSN.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mysql_plugin.h"

static const struct ip_check_decl mysql_checks[] = {
    {.name = "connect",
     .help = "a pooled connection answers SELECT 1 (the guide's simple query < 10 ms)",
     .kind = IP_LATENCY,
     .warn = 10,
     .crit = 100},
    {.name = "pool",
     .help = "the pool holds max_open, max_idle and max_lifetime",
     .kind = IP_LATENCY},
    /* 50 INSERTs over as many connections, and a query held for query_timeout: every tenth
     * run in the daemon (load_checks_every). */
    {.name = "concurrency",
     .help = "concurrent INSERTs all succeed and the row count matches",
     .kind = IP_LATENCY,
     .flags = IP_CHECK_WRITES | IP_CHECK_LOADS},
    {.name = "stats",
     .help = "Threads_connected as a share of max_connections",
     .kind = IP_VALUE_MAX,
     .warn = 80,
     .unit = "%"},
    {.name = "timeout",
     .help = "a query longer than query_timeout is interrupted; the pool recovers",
     .kind = IP_LATENCY,
     .flags = IP_CHECK_LOADS},
    {.name = "reuse", .help = "sequential queries reuse an idle connection", .kind = IP_LATENCY},
    /* With the default 40 queries holding 0.2 s against max_open 25, a query queued behind
     * them completes after about 0.4 s. */
    {.name = "exhaustion",
     .help = "drill: more queries than max_open wait, complete and leak nothing; its value the "
             "time until a queued query completed",
     .kind = IP_VALUE_MAX,
     .warn = 10,
     .crit = 30,
     .unit = "s",
     .flags = IP_CHECK_DRILL},
    {0},
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

/* The discrete connection settings, always read (an unread key is an error); the DSN to
 * use instead, or NULL: a dsn or dsn_file, else ${MYSQL_ADDR} when no discrete key is set. */
static const char *mysql_setup_discrete(struct ip_probe *probe, struct mysql_conn_opts *o)
{
    static const char *const discrete[] = {"host", "port", "socket", "user", "database", NULL};
    const char *dsn = NULL;
    int has_discrete = 0;

    for (size_t i = 0; discrete[i]; i++)
        has_discrete |= ip_probe_has(probe, discrete[i]);
    if (ip_probe_has(probe, "dsn") || ip_probe_has(probe, "dsn_file"))
        dsn = ip_probe_secret(probe, "dsn"); /* it may hold the password */
    else if (!has_discrete)
        dsn = ip_probe_string(probe, "dsn", "${MYSQL_ADDR}");
    if (dsn && has_discrete)
        ip_probe_fail(probe, "dsn", "set either dsn or host/port/socket/user/database");
    o->password = ip_probe_secret(probe, "password");
    o->host = ip_probe_string(probe, "host", has_discrete ? "127.0.0.1" : NULL);
    o->port = (int)ip_probe_int(probe, "port", 3306, 1, 65535);
    o->socket = ip_probe_string(probe, "socket", NULL);
    o->user = ip_probe_string(probe, "user", has_discrete ? "root" : NULL);
    o->database = ip_probe_string(probe, "database", NULL);
    if (o->socket && !ip_probe_has(probe, "host"))
        o->host = NULL;
    return dsn;
}

static void mysql_setup_dsn(struct ip_probe *probe, struct mysql_state *st, const char *dsn)
{
    char err[256];

    if (mysql_dsn_parse(dsn, &st->dsn, err, sizeof(err)) != 0) {
        /* err never quotes the credentials; neither do we. */
        ip_probe_fail(probe, "dsn", "%s", err);
        return;
    }
    if (st->dsn.has_password && st->opts.password)
        ip_probe_fail(probe, "password", "the dsn has a password already");
    else
        mysql_dsn_options(&st->dsn, &st->opts);
}

static void mysql_setup_tls(struct ip_probe *probe, struct mysql_state *st)
{
    static const char *const modes[] = {"disabled",  "preferred",       "required",
                                        "verify_ca", "verify_identity", NULL};
    struct mysql_conn_opts *o = &st->opts;
    size_t i = 0;

    o->ssl_ca = ip_probe_string(probe, "ssl_ca", NULL);
    o->ssl_cert = ip_probe_string(probe, "ssl_cert", NULL);
    o->ssl_key = ip_probe_string(probe, "ssl_key", NULL);
    /* The Go driver's tls= maps onto the modes; ssl_mode, when set, wins. */
    o->ssl_mode =
        ip_probe_string(probe, "ssl_mode", mysql_dsn_ssl_mode(st->dsn.tls, o->ssl_ca != NULL));
    while (o->ssl_mode && modes[i] && strcmp(o->ssl_mode, modes[i]))
        i++;
    if (o->ssl_mode && !modes[i])
        ip_probe_fail(probe, "ssl_mode",
                      "\"%s\": expected disabled, preferred, required, verify_ca or "
                      "verify_identity",
                      o->ssl_mode);
    if ((o->ssl_cert != NULL) != (o->ssl_key != NULL))
        ip_probe_fail(probe, o->ssl_cert ? "ssl_cert" : "ssl_key",
                      "ssl_cert and ssl_key go together");
}

/* The connection settings: a Go DSN, or host/port/socket/user/password/database. */
static void mysql_setup_target(struct ip_probe *probe, struct mysql_state *st)
{
    struct mysql_conn_opts *o = &st->opts;
    const char *dsn = mysql_setup_discrete(probe, o);

    /* The library's per-read timeouts only back up the few blocking calls (close): no single
     * read may outlive a run, unless the DSN says otherwise. */
    o->io_timeout = ip_probe_timeout(probe);
    if (dsn)
        mysql_setup_dsn(probe, st, dsn);
    mysql_setup_tls(probe, st);
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
    struct ip_probe *drill;

    if (!st)
        return IP_ENOMEM;
    if (pthread_mutex_init(&st->lock, NULL) != 0) {
        free(st);
        return IP_ENOMEM;
    }
    st->name = ip_probe_name(probe);
    mysql_setup_target(probe, st);
    /* The guide's db.SetMaxOpenConns(25), SetMaxIdleConns(5), SetConnMaxLifetime(5 min). */
    st->pool_config = (struct ip_pool_config){.max_open = 25, .max_idle = 5, .max_lifetime = 300};
    ip_probe_pool(probe, &st->pool_config);
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
    if (ip_probe_err(probe)) {
        mysql_teardown(st);
        return IP_ECONFIG;
    }
    *statep = st;
    return 0;
}

/* ---- run ---------------------------------------------------------------------------------- */

static const char *const mysql_after_connect[] = {"reuse",   "concurrency", "pool",
                                                  "timeout", "stats",       NULL};

static int mysql_run(void *state, struct ip_report *rep)
{
    struct mysql_state *st = state;
    struct mysql_run r = {.st = st, .rep = rep, .deadline = ip_report_deadline(rep)};
    double drill_deadline;

    ip_run_tag(rep, r.run_id, sizeof(r.run_id));
    if (!st->pool) {
        st->pool = ip_pool_new(&mysql_pool_ops, st, &st->pool_config);
        if (!st->pool)
            return IP_ENOMEM;
    }
    if (mysql_check_connect(&r) != 0) {
        ip_skip_checks(rep, NULL, mysql_after_connect, "not connected");
        if (ip_drill(rep, &drill_deadline))
            ip_skip_checks(rep, NULL, (const char *[]){"exhaustion", NULL}, "not connected");
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
    ip_pool_metrics(rep, &s, NULL);
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
    .operate = mysql_operate,
};
