/*
 * Unit tests of ip_resolve() (core/resolve.c), and of the tcp plugin's use of it through the
 * infraprobe program. Numeric addresses never wait; "localhost" comes from /etc/hosts; every
 * other name is resolved inside a network and mount namespace that the test makes itself
 * (root only): its own /etc/hosts, an /etc/resolv.conf naming 127.0.0.1, where a UDP socket
 * takes the queries and never answers. No test sends a packet outside 127.0.0.0/8: the
 * machine's nameserver is never asked, and the namespace could not reach it anyway.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <infraprobe/plugin.h>

#include "testlib.h"

static const char *workdir;

/* The addresses as one string, for a message. */
static const char *joined(char (*addrs)[IP_ADDRSTRLEN], int n, char *buf, size_t len)
{
    size_t used = 0;

    buf[0] = '\0';
    for (int i = 0; i < n && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? " " : "", addrs[i]);
    return buf;
}

static int has_addr(char (*addrs)[IP_ADDRSTRLEN], int n, const char *addr)
{
    for (int i = 0; i < n; i++)
        if (strcmp(addrs[i], addr) == 0)
            return 1;
    return 0;
}

/* ---- numeric addresses and /etc/hosts --------------------------------------------------- */

/* A deadline already passed: an address needs no lookup, so it still resolves. */
START_TEST(numeric_never_waits)
{
    static const char *const cases[][2] = {{"127.0.0.1", "127.0.0.1"},
                                           {"::1", "::1"},
                                           {"127.0.0.7", "127.0.0.7"},
                                           {"::ffff:127.0.0.1", "::ffff:127.0.0.1"}};
    char addrs[4][IP_ADDRSTRLEN], err[256], got[256];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int n = ip_resolve(cases[i][0], ip_clock() - 1.0, addrs, 4, err, sizeof(err));

        ck_assert_msg(n == 1 && strcmp(addrs[0], cases[i][1]) == 0,
                      "%s: got %d (%s), addresses \"%s\"", cases[i][0], n, n < 0 ? err : "",
                      n > 0 ? joined(addrs, n, got, sizeof(got)) : "");
    }
}
END_TEST

START_TEST(bad_arguments)
{
    char addrs[1][IP_ADDRSTRLEN], err[256] = "";

    ck_assert_int_eq(ip_resolve("", ip_clock() + 1.0, addrs, 1, err, sizeof(err)), IP_EINVAL);
    ck_assert_msg(strstr(err, "no host name"), "err: \"%s\"", err);
    ck_assert_int_eq(ip_resolve(NULL, ip_clock() + 1.0, addrs, 1, err, sizeof(err)), IP_EINVAL);
    ck_assert_int_eq(ip_resolve("127.0.0.1", ip_clock() + 1.0, addrs, 0, err, sizeof(err)),
                     IP_EINVAL);
}
END_TEST

/* "localhost" is in every /etc/hosts: resolved from it, never from DNS. */
START_TEST(localhost_from_hosts)
{
    char addrs[8][IP_ADDRSTRLEN], err[256] = "", got[512];
    int n = ip_resolve("localhost", ip_clock() + 10.0, addrs, 8, err, sizeof(err));

    ck_assert_msg(n >= 1, "localhost: %d: %s", n, err);
    ck_assert_msg(has_addr(addrs, n, "127.0.0.1") || has_addr(addrs, n, "::1"),
                  "localhost: no loopback address in \"%s\"", joined(addrs, n, got, sizeof(got)));
}
END_TEST

/* ---- names, inside a namespace of the test's own ---------------------------------------- */

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    fputs(text, f);
    ck_assert_msg(fclose(f) == 0, "%s: %s", path, strerror(errno));
}

static void bind_file(const char *from, const char *to)
{
    ck_assert_msg(mount(from, to, NULL, MS_BIND, NULL) == 0, "mount --bind %s %s: %s", from, to,
                  strerror(errno));
}

/*
 * Move this test's process (Check runs each test in a child of its own) into new network and
 * mount namespaces, where /etc/hosts is `hosts`, names are looked up in files then DNS, and
 * the nameserver is 127.0.0.1:53: a UDP socket that takes the queries and never answers.
 */
static void enter_blackhole(const char *hosts)
{
    char path[600];
    struct sockaddr_in dns = {.sin_family = AF_INET, .sin_port = htons(53)};
    struct ifreq ifr = {0};
    struct stat sb;
    int fd;

    ck_assert_msg(unshare(CLONE_NEWNS | CLONE_NEWNET) == 0,
                  "unshare(CLONE_NEWNS | CLONE_NEWNET): %s (this test needs root)",
                  strerror(errno));
    /* Nothing mounted here may reach the namespace we came from. */
    ck_assert_msg(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0, "make / private: %s",
                  strerror(errno));
    snprintf(path, sizeof(path), "%s/hosts", workdir);
    write_file(path, hosts);
    bind_file(path, "/etc/hosts");
    snprintf(path, sizeof(path), "%s/resolv.conf", workdir);
    write_file(path, "nameserver 127.0.0.1\noptions timeout:30 attempts:1\n");
    bind_file(path, "/etc/resolv.conf");
    /* Only files and DNS: no NSS module that asks a daemon outside the namespace. */
    snprintf(path, sizeof(path), "%s/nsswitch.conf", workdir);
    write_file(path, "passwd: files\ngroup: files\nhosts: files dns\n");
    bind_file(path, "/etc/nsswitch.conf");
    /* nscd answers through a Unix socket, which a network namespace does not cut off. */
    for (size_t i = 0; i < 2; i++) {
        const char *nscd = i ? "/run/nscd" : "/var/run/nscd";

        if (stat(nscd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            snprintf(path, sizeof(path), "%s/empty", workdir);
            mkdir(path, 0700);
            bind_file(path, nscd);
        }
    }
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
    ck_assert_msg(ioctl(fd, SIOCGIFFLAGS, &ifr) == 0, "lo: %s", strerror(errno));
    ifr.ifr_flags |= IFF_UP;
    ck_assert_msg(ioctl(fd, SIOCSIFFLAGS, &ifr) == 0, "lo up: %s", strerror(errno));
    /* Bound, never read: queries are taken, none is answered or refused. Kept open until the
     * test's process ends. */
    dns.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_msg(bind(fd, (struct sockaddr *)&dns, sizeof(dns)) == 0, "bind 127.0.0.1:53: %s",
                  strerror(errno));
}

static const char *const HOSTS = "127.0.0.1 localhost\n"
                                 "127.0.0.3 refusing.test\n"
                                 "127.0.0.2 refusing.test\n"
                                 "127.0.0.2 second.test\n"
                                 "127.0.0.1 second.test\n";

START_TEST(name_times_out)
{
    char addrs[4][IP_ADDRSTRLEN], err[256] = "";
    int rc;

    enter_blackhole(HOSTS);
    rc = ip_resolve("nowhere.test", ip_clock() + 0.3, addrs, 4, err, sizeof(err));
    ck_assert_msg(rc == IP_ETIMEDOUT, "nowhere.test: %d, expected IP_ETIMEDOUT: \"%s\"", rc, err);
    ck_assert_str_eq(err, "nowhere.test: not resolved by the deadline");
}
END_TEST

START_TEST(every_address_of_a_name)
{
    char addrs[4][IP_ADDRSTRLEN], err[256] = "", got[256];
    int n;

    enter_blackhole(HOSTS);
    n = ip_resolve("refusing.test", ip_clock() + 10.0, addrs, 4, err, sizeof(err));
    ck_assert_msg(n == 2 && has_addr(addrs, n, "127.0.0.2") && has_addr(addrs, n, "127.0.0.3"),
                  "refusing.test: %d (%s): \"%s\"", n, err,
                  n > 0 ? joined(addrs, n, got, 256) : "");
    /* At most max, never more. */
    n = ip_resolve("refusing.test", ip_clock() + 10.0, addrs, 1, err, sizeof(err));
    ck_assert_msg(n == 1, "refusing.test with max 1: %d (%s)", n, err);
}
END_TEST

/* A listener on 127.0.0.1 inside the namespace: its port. Never accepts: the kernel
 * completes the handshakes. */
static int listener(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_ge(fd, 0);
    ck_assert_msg(bind(fd, (struct sockaddr *)&a, len) == 0 && listen(fd, 16) == 0 &&
                      getsockname(fd, (struct sockaddr *)&a, &len) == 0,
                  "listen on 127.0.0.1: %s", strerror(errno));
    return ntohs(a.sin_port);
}

static json_t *run_tcp(const char *targets, int *code)
{
    char conf[512];

    snprintf(conf, sizeof(conf), "%s/tcp.conf", workdir);
    testlib_write(
        conf, "probes = ( { name = \"t\"; plugin = \"tcp\"; timeout = 1.0; targets = %s; } );\n",
        targets);
    return testlib_run_json(conf, "--once -f json", code, NULL, NULL);
}

static void assert_check(json_t *doc, const char *target, const char *status, const char *message)
{
    json_t *c = testlib_find_check(doc, "connect", target);

    ck_assert_msg(strcmp(testlib_status(c), status) == 0 && strstr(testlib_message(c), message),
                  "connect %s: %s \"%s\", expected %s with \"%s\"", target ? target : "",
                  testlib_status(c), testlib_message(c), status, message);
}

/* A name that DNS never answers costs its own target a verdict at the deadline, given by the
 * plugin (not the core's "run" timeout); a numeric target of the same probe connects. */
START_TEST(tcp_name_not_resolved_by_the_deadline)
{
    char targets[256], open[64];
    json_t *doc;
    int code;

    enter_blackhole(HOSTS);
    snprintf(open, sizeof(open), "127.0.0.1:%d", listener());
    snprintf(targets, sizeof(targets), "(\"nowhere.test:80\", \"%s\")", open);
    doc = run_tcp(targets, &code);
    assert_check(doc, "nowhere.test:80", "critical", "nowhere.test: not resolved by the deadline");
    assert_check(doc, open, "ok", "connected");
    ck_assert_msg(!testlib_has_check(doc, "run"), "the core timed the run out: %s",
                  testlib_message(testlib_find_check(doc, "run", NULL)));
    ck_assert_int_eq(code, 2);
    json_decref(doc);
}
END_TEST

/* A name's addresses are tried in turn: the one that listens is found whichever comes first,
 * and when none does, the message names each. "localhost" comes from /etc/hosts. */
START_TEST(tcp_tries_every_address)
{
    char targets[256], second[64], refusing[64], local[64];
    int port, code;
    json_t *doc;

    enter_blackhole(HOSTS);
    port = listener();
    snprintf(second, sizeof(second), "second.test:%d", port);
    snprintf(refusing, sizeof(refusing), "refusing.test:%d", port);
    snprintf(local, sizeof(local), "localhost:%d", port);
    snprintf(targets, sizeof(targets), "(\"%s\", \"%s\", \"%s\")", second, refusing, local);
    doc = run_tcp(targets, &code);
    assert_check(doc, second, "ok", "connected to 127.0.0.1");
    assert_check(doc, local, "ok", "connected to 127.0.0.1");
    assert_check(doc, refusing, "critical", "127.0.0.2: Connection refused");
    assert_check(doc, refusing, "critical", "127.0.0.3: Connection refused");
    ck_assert_int_eq(code, 2);
    json_decref(doc);
}
END_TEST

#ifdef WITH_MYSQL_PLUGIN
static json_t *run_mysql(const char *hostport, int *code)
{
    char conf[512];

    snprintf(conf, sizeof(conf), "%s/mysql.conf", workdir);
    testlib_write(conf,
                  "probes = ( { name = \"m\"; plugin = \"mysql\"; timeout = 1.0;\n"
                  "  dsn = \"im:secret@tcp(%s)/im_chat\"; } );\n",
                  hostport);
    return testlib_run_json(conf, "--once -f json", code, NULL, NULL);
}

/* Connector/C would resolve the name itself, with no deadline: the plugin resolves it, by the
 * deadline, and gives its verdict before the core's. */
START_TEST(mysql_name_not_resolved_by_the_deadline)
{
    json_t *doc;
    int code;

    enter_blackhole(HOSTS);
    doc = run_mysql("nowhere.test:3306", &code);
    assert_check(doc, NULL, "critical", "nowhere.test: not resolved by the deadline");
    ck_assert_msg(!testlib_has_check(doc, "run"), "the core timed the run out: %s",
                  testlib_message(testlib_find_check(doc, "run", NULL)));
    ck_assert_int_eq(code, 2);
    json_decref(doc);
}
END_TEST

/* Each address of a name in turn, while nothing answers there; the message names each. */
START_TEST(mysql_tries_every_address)
{
    json_t *doc;
    int code;

    enter_blackhole(HOSTS);
    doc = run_mysql("refusing.test:3306", &code);
    assert_check(doc, NULL, "critical", "'127.0.0.3'");
    assert_check(doc, NULL, "critical", "'127.0.0.2'");
    ck_assert_int_eq(code, 2);
    json_decref(doc);
}
END_TEST
#endif

int main(void)
{
    Suite *s = suite_create("resolve");
    TCase *tc = tcase_create("numeric");
    SRunner *sr;
    int failed;

    workdir = testlib_init("resolve", 0);
    if (!workdir)
        return EXIT_FAILURE;
    tcase_add_test(tc, numeric_never_waits);
    tcase_add_test(tc, bad_arguments);
    tcase_add_test(tc, localhost_from_hosts);
    suite_add_tcase(s, tc);
    tc = tcase_create("namespace");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, name_times_out);
    tcase_add_test(tc, every_address_of_a_name);
    tcase_add_test(tc, tcp_name_not_resolved_by_the_deadline);
    tcase_add_test(tc, tcp_tries_every_address);
#ifdef WITH_MYSQL_PLUGIN
    tcase_add_test(tc, mysql_name_not_resolved_by_the_deadline);
    tcase_add_test(tc, mysql_tries_every_address);
#endif
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    /* The namespace tests move their own process: it must be a child, whatever CK_FORK says. */
    srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    if (testlib_cleanup() != 0)
        failed++;
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
