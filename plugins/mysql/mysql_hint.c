/*
 * The hints of the mysql plugin, from the server's errors and figures: what the operator
 * paged at night looks at first, naming the variable or the statement that shows the cause.
 */
#include "mysql_hint.h"

#include <stdio.h>
#include <string.h>

/* By a phrase of the server's (or the client library's) message. */
static const struct {
    const char *phrase;
    const char *hint;
} mysql_error_hints[] = {
    {"Too many connections",
     "the server is at max_connections: look for connection leaks (SHOW PROCESSLIST: many Sleep "
     "threads from one user or host), lower the clients' pool sizes, or raise max_connections"},
    {"has exceeded the 'max_user_connections'",
     "this account is at max_user_connections: look for leaks in the clients that use it"},
    {"Access denied for user",
     "the server refused the account: check the user, its password and its host part "
     "(SELECT user, host FROM mysql.user) and its GRANTs (SHOW GRANTS FOR ...)"},
    {"command denied to user",
     "the account lacks a privilege for this statement: SHOW GRANTS, then GRANT it, or set "
     "read_only = true to skip the writing checks"},
    {"Unknown database", "the database does not exist on this server: check the DSN's /dbname"},
    {"Can't connect to server", "nothing answers there: is the server running, and listening "
                                "on this address (bind-address, port, skip-networking)?"},
    {"Can't connect to MySQL server", "nothing answers there: is the server running, and "
                                      "listening on this address (bind-address, port, "
                                      "skip-networking)?"},
    {"Connection refused", "nothing listens there: is the server running, and bound to this "
                           "address and port?"},
    {"Lost connection", "the server dropped the connection: check its error log (a crash, "
                        "wait_timeout, max_allowed_packet) and the network"},
    {"server has gone away", "the server dropped the connection: check its error log (a "
                             "restart, wait_timeout, max_allowed_packet)"},
    {"is blocked because of many connection errors",
     "the server blocked this host after max_connect_errors failures: FLUSH HOSTS, and find "
     "what fails to connect"},
    {"Lock wait timeout", "a transaction holds the rows: SHOW ENGINE INNODB STATUS and "
                          "information_schema.INNODB_TRX name it"},
    {"read-only", "the server is read only (read_only, a replica): point the probe at the "
                  "primary"},
    {"timed out", "the server answers too slowly: check the cluster's health and connectivity, "
                  "SHOW PROCESSLIST for long queries, and the slow query log"},
    {"timeout", "the server answers too slowly: check the cluster's health and connectivity, "
                "SHOW PROCESSLIST for long queries, and the slow query log"},
};

const char *mysql_hint_error(const char *err, char *buf, size_t len)
{
    if (!err)
        return NULL;
    for (size_t i = 0; i < sizeof(mysql_error_hints) / sizeof(mysql_error_hints[0]); i++) {
        if (strstr(err, mysql_error_hints[i].phrase)) {
            snprintf(buf, len, "%s", mysql_error_hints[i].hint);
            return buf;
        }
    }
    return NULL;
}

const char *mysql_hint_connections(double threads, double max, double max_used, char *buf,
                                   size_t len)
{
    if (max <= 0)
        return NULL;
    snprintf(buf, len,
             "%.0f of max_connections %.0f in use (at most %.0f since the start): look for "
             "connection leaks (SHOW PROCESSLIST: many Sleep threads from one user or host), "
             "lower the clients' pool sizes, or raise max_connections",
             threads, max, max_used);
    return buf;
}

const char *mysql_hint_slow(int slow_log, double slow_queries, char *buf, size_t len)
{
    char count[64] = "";

    if (slow_queries >= 0)
        snprintf(count, sizeof(count), " (Slow_queries %.0f)", slow_queries);
    if (slow_log < 0)
        snprintf(buf, len,
                 "slow queries%s: read the slow query log when it is on (SHOW VARIABLES LIKE "
                 "'slow_query%%'), and SHOW PROCESSLIST for what runs now",
                 count);
    else if (slow_log == 1)
        snprintf(buf, len,
                 "slow queries%s: read the slow query log (slow_query_log_file) for the "
                 "statements past long_query_time, and SHOW PROCESSLIST for what runs now",
                 count);
    else
        snprintf(buf, len,
                 "slow queries%s: turn the slow query log on (SET GLOBAL slow_query_log = ON) to "
                 "see which statements, and SHOW PROCESSLIST for what runs now",
                 count);
    return buf;
}
