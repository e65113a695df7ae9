/*
 * ip_operate() and ip_operation_check(): without a provider (a program that loads no plugins),
 * and through the loader with the build's tcp plugin (one that has an operation) and the test
 * plugin "fixture" (one that has none), against a real listener on 127.0.0.1 and the same port
 * once closed.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <infraprobe/plugin.h>

#include "loader.h"
#include "operate.h"

/* A listening socket on 127.0.0.1; its host:port into addr. */
static int listener(char *addr, size_t len)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(fd, 8), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    snprintf(addr, len, "127.0.0.1:%d", ntohs(a.sin_port));
    return fd;
}

START_TEST(without_a_provider)
{
    char err[256];

    operate_provide(NULL);
    ck_assert_int_eq(ip_operate(NULL, "tcp", "127.0.0.1:1", NULL, ip_clock() + 1, err, sizeof(err)),
                     IP_ENOTSUP);
    ck_assert_msg(strstr(err, "loads no plugins"), "%s", err);
    ck_assert_int_eq(ip_operation_check("tcp", err, sizeof(err)), IP_ENOTSUP);
}
END_TEST

START_TEST(through_the_loader)
{
    const char *const bogus[] = {"colour", "blue", NULL};
    char err[512], addr[64];
    int fd;

    ck_assert_int_eq(loader_init(getenv("INFRAPROBE_PLUGIN_PATH")), 0);
    ck_assert_int_eq(ip_operation_check("tcp", err, sizeof(err)), 0);
    ck_assert_int_eq(ip_operation_check("nosuch", err, sizeof(err)), IP_EINVAL);
    ck_assert_msg(strstr(err, "not found"), "%s", err);
    ck_assert_int_eq(ip_operation_check("fixture", err, sizeof(err)), IP_ENOTSUP);
    ck_assert_msg(strstr(err, "no operation"), "%s", err);
    ck_assert_int_eq(ip_operation_check("", err, sizeof(err)), IP_EINVAL);

    fd = listener(addr, sizeof(addr));
    ck_assert_int_eq(ip_operate(NULL, "tcp", addr, NULL, ip_clock() + 5, err, sizeof(err)), 0);
    ck_assert_int_eq(ip_operate(NULL, "tcp", addr, bogus, ip_clock() + 5, err, sizeof(err)),
                     IP_EINVAL);
    ck_assert_msg(strstr(err, "colour"), "%s", err);
    close(fd);
    ck_assert_int_eq(ip_operate(NULL, "tcp", addr, NULL, ip_clock() + 5, err, sizeof(err)),
                     IP_ECONNREFUSED);
    ck_assert_str_eq(ip_errname(IP_ECONNREFUSED), "ECONNREFUSED");
    ck_assert_msg(strstr(err, "refused"), "%s", err);
    ck_assert_int_eq(ip_operate(NULL, "tcp", "no-port", NULL, ip_clock() + 5, err, sizeof(err)),
                     IP_EINVAL);
    ck_assert_msg(strstr(err, "expected host:port"), "%s", err);
    ck_assert_int_eq(ip_operate(NULL, "tcp", "", NULL, ip_clock() + 5, err, sizeof(err)),
                     IP_EINVAL);
    /* A deadline already passed: no connect is even tried. */
    fd = listener(addr, sizeof(addr));
    ck_assert_int_eq(ip_operate(NULL, "tcp", addr, NULL, ip_clock() - 1, err, sizeof(err)),
                     IP_ETIMEDOUT);
    close(fd);
    loader_shutdown();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("operate");
    TCase *tc = tcase_create("operate");
    SRunner *sr;
    int failed;

    if (!getenv("INFRAPROBE_PLUGIN_PATH")) {
        fprintf(stderr,
                "operate_test: INFRAPROBE_PLUGIN_PATH is not set (run it from make check)\n");
        return EXIT_FAILURE;
    }
    tcase_add_test(tc, without_a_provider);
    tcase_add_test(tc, through_the_loader);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
