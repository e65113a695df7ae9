/* Statuses, their severity order, error texts, and host:port parsing. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <infraprobe/plugin.h>

/* DESIGN.md's order, worst first: critical > unknown > warning > ok = skipped. */
static const struct {
    enum ip_status a, b, worst;
} worst_table[] = {
    {IP_OK, IP_OK, IP_OK},
    {IP_OK, IP_WARNING, IP_WARNING},
    {IP_OK, IP_CRITICAL, IP_CRITICAL},
    {IP_OK, IP_UNKNOWN, IP_UNKNOWN},
    {IP_OK, IP_SKIPPED, IP_OK},
    {IP_WARNING, IP_CRITICAL, IP_CRITICAL},
    {IP_WARNING, IP_UNKNOWN, IP_UNKNOWN},
    {IP_WARNING, IP_SKIPPED, IP_WARNING},
    {IP_WARNING, IP_WARNING, IP_WARNING},
    {IP_CRITICAL, IP_UNKNOWN, IP_CRITICAL},
    {IP_CRITICAL, IP_SKIPPED, IP_CRITICAL},
    {IP_CRITICAL, IP_CRITICAL, IP_CRITICAL},
    {IP_UNKNOWN, IP_SKIPPED, IP_UNKNOWN},
    {IP_UNKNOWN, IP_UNKNOWN, IP_UNKNOWN},
    {IP_SKIPPED, IP_SKIPPED, IP_SKIPPED},
};

START_TEST(worst_is_symmetric_and_follows_the_table)
{
    size_t i = (size_t)_i;

    ck_assert_int_eq(ip_status_worst(worst_table[i].a, worst_table[i].b), worst_table[i].worst);
    ck_assert_int_eq(ip_status_worst(worst_table[i].b, worst_table[i].a), worst_table[i].worst);
}
END_TEST

START_TEST(status_names)
{
    ck_assert_str_eq(ip_status_name(IP_OK), "ok");
    ck_assert_str_eq(ip_status_name(IP_WARNING), "warning");
    ck_assert_str_eq(ip_status_name(IP_CRITICAL), "critical");
    ck_assert_str_eq(ip_status_name(IP_UNKNOWN), "unknown");
    ck_assert_str_eq(ip_status_name(IP_SKIPPED), "skipped");
    /* The Nagios exit codes. */
    ck_assert_int_eq(IP_OK, 0);
    ck_assert_int_eq(IP_WARNING, 1);
    ck_assert_int_eq(IP_CRITICAL, 2);
    ck_assert_int_eq(IP_UNKNOWN, 3);
}
END_TEST

START_TEST(strerror_texts)
{
    ck_assert_str_eq(ip_strerror(IP_ETIMEDOUT), "deadline exceeded");
    ck_assert_str_eq(ip_strerror(IP_ENOMEM), "out of memory");
    ck_assert_str_eq(ip_strerror(-999), "unknown error");
    ck_assert_str_eq(ip_strerror(0), "success");
    ck_assert_str_eq(ip_errname(IP_ECONNREFUSED), "ECONNREFUSED");
    ck_assert_str_eq(ip_errname(IP_ETIMEDOUT), "ETIMEDOUT");
    ck_assert_str_eq(ip_errname(-999), "EUNKNOWN");
    ck_assert_int_eq(ip_errno_code(ECONNREFUSED), IP_ECONNREFUSED);
    ck_assert_int_eq(ip_errno_code(EPIPE), IP_ECONNRESET);
    ck_assert_int_eq(ip_errno_code(EHOSTUNREACH), IP_EUNREACH);
    ck_assert_int_eq(ip_errno_code(ETIMEDOUT), IP_ETIMEDOUT);
    ck_assert_int_eq(ip_errno_code(EBADF), IP_EOPEN);
    ck_assert_int_eq(ip_errno_code(0), 0);
}
END_TEST

START_TEST(clock_is_monotonic)
{
    double a = ip_clock(), b = ip_clock();

    ck_assert(a > 0);
    ck_assert(b >= a);
}
END_TEST

static const struct {
    const char *in;
    int ok;
    const char *host;
    int port;
} hostports[] = {
    {"127.0.0.1:6379", 1, "127.0.0.1", 6379},
    {"localhost:1", 1, "localhost", 1},
    {"[::1]:65535", 1, "::1", 65535},
    {"redis.example:80", 1, "redis.example", 80},
    {"127.0.0.1", 0, NULL, 0},
    {"127.0.0.1:", 0, NULL, 0},
    {":6379", 0, NULL, 0},
    {"127.0.0.1:0", 0, NULL, 0},
    {"127.0.0.1:65536", 0, NULL, 0},
    {"127.0.0.1:63x", 0, NULL, 0},
    {"127.0.0.1:-1", 0, NULL, 0},
    {"::1:80", 0, NULL, 0},
    {"[::1]80", 0, NULL, 0},
    {"[::1", 0, NULL, 0},
    {"", 0, NULL, 0},
};

START_TEST(hostport_parses)
{
    size_t i = (size_t)_i;
    char host[64] = "unset";
    int port = -1;
    int rc = ip_hostport(hostports[i].in, host, sizeof(host), &port);

    if (hostports[i].ok) {
        ck_assert_int_eq(rc, 0);
        ck_assert_str_eq(host, hostports[i].host);
        ck_assert_int_eq(port, hostports[i].port);
    } else {
        ck_assert_int_eq(rc, IP_EINVAL);
    }
}
END_TEST

START_TEST(hostport_refuses_a_host_too_long)
{
    char host[4];
    int port;

    ck_assert_int_eq(ip_hostport("abcd:1", host, sizeof(host), &port), IP_EINVAL);
    ck_assert_int_eq(ip_hostport("abc:1", host, sizeof(host), &port), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("status");
    TCase *tc = tcase_create("status");
    SRunner *sr;
    int failed;

    tcase_add_loop_test(tc, worst_is_symmetric_and_follows_the_table, 0,
                        (int)(sizeof(worst_table) / sizeof(worst_table[0])));
    tcase_add_test(tc, status_names);
    tcase_add_test(tc, strerror_texts);
    tcase_add_test(tc, clock_is_monotonic);
    tcase_add_loop_test(tc, hostport_parses, 0, (int)(sizeof(hostports) / sizeof(hostports[0])));
    tcase_add_test(tc, hostport_refuses_a_host_too_long);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
