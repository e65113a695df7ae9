/*
 * Connections through Connector/C's non-blocking API (MYSQL_OPT_NONBLOCK): each call is a
 * *_start() followed by *_cont() whenever poll() says the socket is ready, and we poll
 * only until the caller's deadline. The library's MYSQL_OPT_*_TIMEOUT options are whole
 * seconds, per read, so a query of many packets could take several times as long; here a
 * call never runs past its deadline by more than the poll() wake-up (about a millisecond).
 * The library would resolve a host name itself, with no deadline: names go through
 * ip_resolve() instead, and the library gets each numeric address in turn. The exception is
 * a TLS mode that verifies the certificate, which Connector/C checks against the host name it
 * was given: there the name, once resolved within the deadline, is handed over as it is.
 */
#define _GNU_SOURCE
#include "mysql_conn.h"

#include <errmsg.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <infraprobe/plugin.h>

/* The addresses of one name tried in turn, at most. */
#define CONN_MAX_ADDRS 8

int mysql_conn_server_error(unsigned int errnum)
{
    /* 2000..2999: CR_* client errors; 5000..5999: Connector/C's own. Server errors are
     * below 2000 (MariaDB's 1969 too) and from 3000 (MySQL 8's 3024). */
    return errnum != 0 && !(errnum >= 2000 && errnum < 3000) && !(errnum >= 5000 && errnum < 6000);
}

/* The poll() events that the library's MYSQL_WAIT_* `status` asks for. */
static short conn_poll_events(int status)
{
    short events = 0;

    if (status & MYSQL_WAIT_READ)
        events |= POLLIN;
    if (status & MYSQL_WAIT_WRITE)
        events |= POLLOUT;
    if (status & MYSQL_WAIT_EXCEPT)
        events |= POLLPRI;
    return events;
}

/* The MYSQL_WAIT_* events for *_cont() from what poll() returned; with none it recognises,
 * what was asked, so that the library finds out for itself. */
static int conn_cont_events(short revents, int status)
{
    int ev = 0;

    if (revents & (POLLIN | POLLHUP | POLLERR))
        ev |= MYSQL_WAIT_READ;
    if (revents & (POLLOUT | POLLERR))
        ev |= MYSQL_WAIT_WRITE;
    if (revents & POLLPRI)
        ev |= MYSQL_WAIT_EXCEPT;
    return ev ? ev : (status & (MYSQL_WAIT_READ | MYSQL_WAIT_WRITE));
}

/* Wait until the socket is ready for what `status` asks or the library's own timer fires.
 * Returns the MYSQL_WAIT_* events for *_cont(), or -1 when the deadline passed. */
static int conn_wait(MYSQL *m, int status, double deadline)
{
    for (;;) {
        struct pollfd p = {.fd = (int)mysql_get_socket(m), .events = conn_poll_events(status)};
        int ms = ip_deadline_ms(deadline), r;

        if (ms <= 0)
            return -1;
        if ((status & MYSQL_WAIT_TIMEOUT) && mysql_get_timeout_value_ms(m) < (unsigned)ms)
            ms = (int)mysql_get_timeout_value_ms(m);
        r = poll(&p, 1, ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0) {
            if (ip_clock() >= deadline)
                return -1;
            if (status & MYSQL_WAIT_TIMEOUT)
                return MYSQL_WAIT_TIMEOUT;
            continue;
        }
        return conn_cont_events(p.revents, status);
    }
}

/* The IP_E* class of a failed connect: Connector/C's client error, and for a TCP connect that
 * failed, the system errno its message ends with ("... (111)"). */
static int conn_class(MYSQL *m)
{
    unsigned int e = mysql_errno(m);
    const char *msg = mysql_error(m), *open = strrchr(msg, '(');

    switch (e) {
    case CR_CONN_HOST_ERROR:
    case CR_CONNECTION_ERROR:
        return open ? ip_errno_code(atoi(open + 1)) : IP_EOPEN;
    case CR_SERVER_LOST:
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST_EXTENDED:
        return IP_ECONNRESET;
    case CR_SSL_CONNECTION_ERROR:
        return IP_ETLS;
    case CR_UNKNOWN_HOST:
        return IP_ERESOLVE;
    case 1045: /* ER_ACCESS_DENIED_ERROR */
    case 1698: /* ER_ACCESS_DENIED_NO_PASSWORD_ERROR */
        return IP_EAUTH;
    }
    return mysql_conn_server_error(e) ? IP_ESERVER : IP_EOPEN;
}

int mysql_conn_code(struct mysql_conn *c)
{
    return conn_class(c->mysql);
}

static void conn_set_class(const struct mysql_conn_opts *o, int code)
{
    if (o->code)
        *o->code = code;
}

static void conn_error(MYSQL *m, char *err, size_t errlen)
{
    snprintf(err, errlen, "error %u (%s): %s", mysql_errno(m), mysql_sqlstate(m), mysql_error(m));
}

/* Whole seconds, at least 1, for the library's own timeouts: a backstop for the few
 * blocking calls (close), never what bounds a call of ours. */
static unsigned int conn_secs(double s)
{
    return s < 1 ? 1 : s > 86400 ? 86400 : (unsigned int)ceil(s);
}

static int conn_set_tls(MYSQL *m, const struct mysql_conn_opts *o, char *err, size_t errlen)
{
    const char *mode = o->ssl_mode ? o->ssl_mode : "";
    my_bool yes = 1;

    if (!strcmp(mode, "disabled"))
        return 0;
    if (!*mode && !o->ssl_ca && !o->ssl_cert && !o->ssl_key)
        return 0;
    if (mysql_ssl_set(m, o->ssl_key, o->ssl_cert, o->ssl_ca, NULL, NULL) != 0)
        goto fail;
    if (!strcmp(mode, "required") || !strcmp(mode, "verify_ca") || !strcmp(mode, "verify_identity"))
        if (mysql_options(m, MYSQL_OPT_SSL_ENFORCE, &yes) != 0)
            goto fail;
    /* Connector/C verifies the certificate and the host name together. */
    if (!strcmp(mode, "verify_ca") || !strcmp(mode, "verify_identity"))
        if (mysql_options(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &yes) != 0)
            goto fail;
    return 0;
fail:
    snprintf(err, errlen, "cannot set the TLS options");
    return -1;
}

/* Does the library check the server's certificate against the host name it connects to? */
static int conn_verifies_name(const struct mysql_conn_opts *o)
{
    const char *mode = o->ssl_mode ? o->ssl_mode : "";

    return !strcmp(mode, "verify_ca") || !strcmp(mode, "verify_identity");
}

/* Why a connect ran out of time: which limit it hit. */
static void conn_timed_out(const struct mysql_conn_opts *o, double start, int by_connect_timeout,
                           char *err, size_t errlen)
{
    if (by_connect_timeout)
        snprintf(err, errlen, "connect timed out after %.3f s (connect timeout %.3f s)",
                 ip_clock() - start, o->connect_timeout);
    else
        snprintf(err, errlen, "connect timed out after %.3f s (the run's deadline)",
                 ip_clock() - start);
}

/* The options every connection gets: non-blocking, the library's backstop timeouts, the
 * protocol for `host`, the character set and TLS. */
static int conn_set_options(MYSQL *m, const struct mysql_conn_opts *o, const char *host,
                            double deadline, char *err, size_t errlen)
{
    unsigned int secs = conn_secs(deadline - ip_clock());
    unsigned int io = o->io_timeout > 0 ? conn_secs(o->io_timeout) : 0;
    unsigned int proto = host ? MYSQL_PROTOCOL_TCP : MYSQL_PROTOCOL_SOCKET;

    if (mysql_options(m, MYSQL_OPT_NONBLOCK, 0) != 0 ||
        mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &secs) != 0 ||
        mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &io) != 0 ||
        mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &io) != 0 ||
        mysql_options(m, MYSQL_OPT_PROTOCOL, &proto) != 0 ||
        mysql_options(m, MYSQL_SET_CHARSET_NAME, o->charset ? o->charset : "utf8mb4")) {
        snprintf(err, errlen, "cannot set the connection options");
        return -1;
    }
    return conn_set_tls(m, o, err, errlen);
}

/* mysql_real_connect() driven to its end by the deadline: 0 with *ret as it returned, or -1
 * when the deadline passed first. */
static int conn_real_connect(MYSQL *m, const struct mysql_conn_opts *o, const char *host,
                             double deadline, MYSQL **ret)
{
    int status = mysql_real_connect_start(ret, m, host, o->user, o->password,
                                          o->database && *o->database ? o->database : NULL,
                                          (unsigned)o->port, o->socket, 0);

    while (status) {
        int ev = conn_wait(m, status, deadline);

        if (ev < 0)
            return -1;
        status = mysql_real_connect_cont(ret, m, ev);
    }
    return 0;
}

/* What the server said of itself at the handshake, kept on the connection. */
static void conn_learn_server(struct mysql_conn *c)
{
    const char *info;

    c->created = ip_clock();
    c->thread_id = mysql_thread_id(c->mysql);
    c->version = mysql_get_server_version(c->mysql);
    info = mysql_get_server_info(c->mysql);
    snprintf(c->server_info, sizeof(c->server_info), "%s", info ? info : "");
    c->flavour = strstr(c->server_info, "MariaDB") ? MYSQL_FLAVOUR_MARIADB : MYSQL_FLAVOUR_MYSQL;
}

/* One connection attempt to `host` (a numeric address, a name, or NULL for the socket): 0,
 * MYSQL_CONN_TIMEDOUT or MYSQL_CONN_BROKEN, with *next set when nothing answered there
 * (refused, unreachable), so that another address may. */
static int conn_open_at(const struct mysql_conn_opts *o, const char *host, double deadline,
                        struct mysql_conn **out, char *err, size_t errlen, int *next)
{
    struct mysql_conn *c = calloc(1, sizeof(*c));
    MYSQL *ret = NULL;

    *out = NULL;
    *next = 0;
    if (!c || !(c->mysql = mysql_init(NULL))) {
        free(c);
        snprintf(err, errlen, "out of memory");
        return MYSQL_CONN_BROKEN;
    }
    if (conn_set_options(c->mysql, o, host, deadline, err, errlen) != 0)
        goto fail;
    if (conn_real_connect(c->mysql, o, host, deadline, &ret) != 0) {
        c->broken = 1;
        mysql_conn_close(c);
        return MYSQL_CONN_TIMEDOUT;
    }
    if (!ret) {
        conn_set_class(o, conn_class(c->mysql));
        conn_error(c->mysql, err, errlen);
        c->broken = 1;
        *next = mysql_errno(c->mysql) == CR_CONNECTION_ERROR ||
                mysql_errno(c->mysql) == CR_CONN_HOST_ERROR;
        goto fail;
    }
    conn_learn_server(c);
    *out = c;
    return 0;
fail:
    mysql_conn_close(c);
    return MYSQL_CONN_BROKEN;
}

/* Each address in turn while nothing answers; a server's own refusal (a wrong password, an
 * unknown database) is the verdict. With several, each address's reason is kept. */
static int conn_open_each(const struct mysql_conn_opts *o, char (*addrs)[IP_ADDRSTRLEN], int n,
                          double deadline, struct mysql_conn **out, char *err, size_t errlen)
{
    char why[512];
    int next = 0, rc = MYSQL_CONN_BROKEN;
    size_t used = 0;

    why[0] = '\0';
    for (int i = 0; i < n; i++) {
        rc = conn_open_at(o, addrs[i], deadline, out, err, errlen, &next);
        if (rc != MYSQL_CONN_BROKEN || !next)
            break;
        if (used < sizeof(why))
            used += (size_t)snprintf(why + used, sizeof(why) - used, "%s%s", used ? "; " : "", err);
    }
    if (rc == MYSQL_CONN_BROKEN && next && n > 1)
        snprintf(err, errlen, "%s", why);
    return rc;
}

int mysql_conn_open(const struct mysql_conn_opts *o, double deadline, struct mysql_conn **out,
                    char *err, size_t errlen)
{
    char addrs[CONN_MAX_ADDRS][IP_ADDRSTRLEN];
    double start = ip_clock();
    int by_connect_timeout = 0, next = 0, n, rc;

    *out = NULL;
    conn_set_class(o, IP_EOPEN);
    if (o->connect_timeout > 0 && start + o->connect_timeout < deadline) {
        deadline = start + o->connect_timeout;
        by_connect_timeout = 1;
    }
    if (!o->host || !*o->host)
        rc = conn_open_at(o, NULL, deadline, out, err, errlen, &next);
    else if ((n = ip_resolve(o->host, deadline, addrs, CONN_MAX_ADDRS, err, errlen)) < 0) {
        conn_set_class(o, n);
        return n == IP_ETIMEDOUT ? MYSQL_CONN_TIMEDOUT : MYSQL_CONN_BROKEN;
    } else if (conn_verifies_name(o))
        rc = conn_open_at(o, o->host, deadline, out, err, errlen, &next);
    else
        rc = conn_open_each(o, addrs, n, deadline, out, err, errlen);
    if (rc == MYSQL_CONN_TIMEDOUT) {
        conn_set_class(o, IP_ETIMEDOUT);
        conn_timed_out(o, start, by_connect_timeout, err, errlen);
    } else if (rc == 0) {
        conn_set_class(o, 0);
    }
    return rc;
}

int mysql_conn_query(struct mysql_conn *c, const char *sql, double deadline, MYSQL_RES **res,
                     char *err, size_t errlen)
{
    double start = ip_clock();
    MYSQL_RES *r = NULL;
    int rc = 0, status, ev;
    unsigned int e;

    if (res)
        *res = NULL;
    status = mysql_real_query_start(&rc, c->mysql, sql, (unsigned long)strlen(sql));
    while (status) {
        if ((ev = conn_wait(c->mysql, status, deadline)) < 0)
            goto timedout;
        status = mysql_real_query_cont(&rc, c->mysql, ev);
    }
    if (rc == 0 && mysql_field_count(c->mysql) > 0) {
        status = mysql_store_result_start(&r, c->mysql);
        while (status) {
            if ((ev = conn_wait(c->mysql, status, deadline)) < 0)
                goto timedout;
            status = mysql_store_result_cont(&r, c->mysql, ev);
        }
        rc = r ? 0 : 1;
    }
    if (rc != 0) {
        e = mysql_errno(c->mysql);
        conn_error(c->mysql, err, errlen);
        if (mysql_conn_server_error(e))
            return (int)e;
        c->broken = 1;
        return MYSQL_CONN_BROKEN;
    }
    if (res)
        *res = r;
    else
        mysql_free_result(r);
    return 0;
timedout:
    c->broken = 1;
    snprintf(err, errlen, "timed out after %.3f s", ip_clock() - start);
    return MYSQL_CONN_TIMEDOUT;
}

int mysql_conn_value(struct mysql_conn *c, const char *sql, double deadline, char *out,
                     size_t outlen, char *err, size_t errlen)
{
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int rc = mysql_conn_query(c, sql, deadline, &res, err, errlen);

    if (rc != 0)
        return rc;
    row = res ? mysql_fetch_row(res) : NULL;
    if (!row) {
        snprintf(err, errlen, "no row");
        rc = MYSQL_CONN_BROKEN;
    } else {
        snprintf(out, outlen, "%s", row[0] ? row[0] : "NULL");
    }
    mysql_free_result(res);
    return rc;
}

int mysql_conn_ping(struct mysql_conn *c, double deadline)
{
    int rc = 0, status, ev;

    status = mysql_ping_start(&rc, c->mysql);
    while (status) {
        if ((ev = conn_wait(c->mysql, status, deadline)) < 0) {
            c->broken = 1;
            return MYSQL_CONN_TIMEDOUT;
        }
        status = mysql_ping_cont(&rc, c->mysql, ev);
    }
    if (rc != 0)
        c->broken = 1;
    return rc == 0 ? 0 : MYSQL_CONN_BROKEN;
}

void mysql_conn_close(struct mysql_conn *c)
{
    if (!c)
        return;
    if (c->mysql) {
        /* A healthy one says QUIT, so that the server counts no aborted client. A broken
         * one (abandoned mid-call, or a stopped server) has its socket shut first, so
         * that close() waits for nothing. */
        if (c->broken && mysql_get_socket(c->mysql) != MARIADB_INVALID_SOCKET)
            mariadb_cancel(c->mysql);
        mysql_close(c->mysql);
    }
    free(c);
}
