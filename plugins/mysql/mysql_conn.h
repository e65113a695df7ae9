/*
 * One MariaDB/MySQL connection driven through Connector/C's non-blocking API, so that
 * every call honours an absolute deadline (ip_clock() seconds) to the millisecond: the
 * library's own connect/read/write timeouts are whole seconds and apply per read, not
 * per query.
 */
#ifndef MYSQL_CONN_H
#define MYSQL_CONN_H

#include <mysql.h>
#include <stddef.h>

#include "mysql_dsn.h"

enum mysql_flavour { MYSQL_FLAVOUR_MARIADB, MYSQL_FLAVOUR_MYSQL };

struct mysql_conn {
    MYSQL *mysql;
    unsigned long thread_id; /* the server's CONNECTION_ID() */
    enum mysql_flavour flavour;
    unsigned long version; /* e.g. 101119 */
    double created;        /* ip_clock() when connected */
    char server_info[64];
    int broken; /* a call failed in a way that leaves it unusable */
};

/* What a call returns besides 0: a server error leaves the connection usable; the others
 * leave it in an unknown state, and the caller discards it. */
enum {
    MYSQL_CONN_TIMEDOUT = -1, /* the deadline passed mid-call */
    MYSQL_CONN_BROKEN = -2,   /* a client error: connection lost, protocol, out of memory */
};

/* Connect by `deadline` (and within opts->connect_timeout). 0 with *out, or a code above
 * with a one-line reason in err (the server's own words last, never the password). */
int mysql_conn_open(const struct mysql_conn_opts *opts, double deadline, struct mysql_conn **out,
                    char *err, size_t errlen);

/* Run `sql` and store its whole result (*res, NULL for a statement without one; the caller
 * frees it with mysql_free_result). Returns 0, a server error number (> 0; the connection
 * is still good), or MYSQL_CONN_TIMEDOUT / MYSQL_CONN_BROKEN (discard it). */
int mysql_conn_query(struct mysql_conn *c, const char *sql, double deadline, MYSQL_RES **res,
                     char *err, size_t errlen);

/* The first column of the first row of `sql` as a string copied into out; like
 * mysql_conn_query, and a result with no row is MYSQL_CONN_BROKEN. */
int mysql_conn_value(struct mysql_conn *c, const char *sql, double deadline, char *out,
                     size_t outlen, char *err, size_t errlen);

/* 0 if the server answers a ping by the deadline. */
int mysql_conn_ping(struct mysql_conn *c, double deadline);

/* Close it (a QUIT without waiting for an answer); NULL is ok. */
void mysql_conn_close(struct mysql_conn *c);

/* The IP_E* class of the last call's failure on c (ECONNRESET for a lost connection, ...). */
int mysql_conn_code(struct mysql_conn *c);

/* The plugin's operate hook (mysql_operate.c): connect and SELECT 1 on a connection of its
 * own, closed at once. Options: user, password, database, ssl_mode. */
int mysql_operate(const char *address, const char *const *options, double deadline, char *err,
                  size_t errlen);

/* Is this a server error (the connection survives it) rather than a client one? */
int mysql_conn_server_error(unsigned int errnum);

#endif
