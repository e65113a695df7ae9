/*
 * Where to look first when a MySQL/MariaDB check fails: a one-line hint chosen from the
 * server's own error (too many connections, access denied, ...) or its figures. Pure, so that
 * it is unit-tested without a server (mysql_hint_test.c).
 */
#ifndef MYSQL_HINT_H
#define MYSQL_HINT_H

#include <stddef.h>

/* For a check that failed with the message `err` (the server's words last): the hint in buf,
 * or NULL when the error gives no clue. */
const char *mysql_hint_error(const char *err, char *buf, size_t len);

/* For the stats check: Threads_connected against max_connections (and the most used). */
const char *mysql_hint_connections(double threads, double max, double max_used, char *buf,
                                   size_t len);

/* For a slow query: the slow query log, whether it is on (1), off (0) or unknown (-1), and
 * Slow_queries (-1: unknown). */
const char *mysql_hint_slow(int slow_log, double slow_queries, char *buf, size_t len);

#endif
