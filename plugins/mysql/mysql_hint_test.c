/*
 * mysql_hint.c without a server: each hint follows the server's own words or figures.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mysql_hint.h"
#include "testutil.h"

START_TEST(errors_by_the_servers_words)
{
    char buf[512];

    ck_assert_ptr_nonnull(mysql_hint_error("127.0.0.1:3306: Too many connections", buf, 512));
    ck_assert_ptr_nonnull(strstr(buf, "max_connections"));
    ck_assert_ptr_nonnull(strstr(buf, "leaks"));
    ck_assert_ptr_nonnull(mysql_hint_error(
        "127.0.0.1:3306: Access denied for user 'im'@'localhost' (using password: YES)", buf, 512));
    ck_assert_ptr_nonnull(strstr(buf, "GRANTs"));
    ck_assert_ptr_nonnull(
        mysql_hint_error("CREATE TABLE t: CREATE command denied to user 'ro'", buf, 512));
    ck_assert_ptr_nonnull(strstr(buf, "read_only = true"));
    ck_assert_ptr_nonnull(mysql_hint_error("x: Can't connect to server on '127.0.0.1'", buf, 512));
    ck_assert_ptr_nonnull(strstr(buf, "is the server running"));
    ck_assert_ptr_null(mysql_hint_error("SELECT 1: got 2", buf, 512));
    ck_assert_ptr_null(mysql_hint_error(NULL, buf, 512));
}
END_TEST

START_TEST(connections_and_slow_queries)
{
    char buf[512];

    ck_assert_ptr_nonnull(mysql_hint_connections(9, 10, 10, buf, sizeof(buf)));
    ck_assert_ptr_nonnull(strstr(buf, "9 of max_connections 10 in use (at most 10 "));
    ck_assert_ptr_null(mysql_hint_connections(9, 0, 10, buf, sizeof(buf)));
    mysql_hint_slow(1, 12, buf, sizeof(buf));
    ck_assert_ptr_nonnull(strstr(buf, "slow queries (Slow_queries 12): read the slow query log"));
    mysql_hint_slow(0, -1, buf, sizeof(buf));
    ck_assert_ptr_nonnull(strstr(buf, "slow queries: turn the slow query log on"));
    mysql_hint_slow(-1, -1, buf, sizeof(buf));
    ck_assert_ptr_nonnull(strstr(buf, "slow queries: read the slow query log when it is on "
                                      "(SHOW VARIABLES LIKE 'slow_query%')"));
}
END_TEST

int main(void)
{
    const TTest *const tests[] = {
        errors_by_the_servers_words,
        connections_and_slow_queries,
    };

    return run_tests("mysql_hint", tests, sizeof(tests) / sizeof(tests[0]));
}
