/*
 * The tcp plugin against real listeners on 127.0.0.1 and [::1], through the infraprobe
 * program: an open port, a closed one, a listener that accepts and never answers (critical
 * at the deadline, no hang), a right and a wrong expect.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testlib.h"

enum mode { ACCEPT_CLOSE, SILENT, PONG, WRONG };

struct listener {
    int fd;
    int port;
    enum mode mode;
    pthread_t thread;
};

static void *serve(void *arg)
{
    struct listener *l = arg;
    int c;

    while ((c = accept(l->fd, NULL, NULL)) >= 0) {
        char buf[256];

        switch (l->mode) {
        case ACCEPT_CLOSE:
            close(c);
            break;
        case SILENT:
            /* Keep it open and say nothing; the probe must give up at its deadline. */
            break;
        case PONG:
            if (recv(c, buf, sizeof(buf), 0) > 0)
                send(c, "+PONG\r\n", 7, MSG_NOSIGNAL);
            close(c);
            break;
        case WRONG:
            /* Read the request first: closing on unread data would reset the connection. */
            if (recv(c, buf, sizeof(buf), 0) > 0)
                send(c, "-ERR go away\r\n", 14, MSG_NOSIGNAL);
            close(c);
            break;
        }
    }
    return NULL;
}

static struct listener *listen_on(int family, enum mode mode)
{
    struct listener *l = calloc(1, sizeof(*l));
    struct sockaddr_storage ss = {0};
    socklen_t len;

    ck_assert_ptr_nonnull(l);
    l->mode = mode;
    l->fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(l->fd, 0);
    if (family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;

        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof(*a);
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        len = sizeof(*a);
    }
    ck_assert_int_eq(bind(l->fd, (struct sockaddr *)&ss, len), 0);
    ck_assert_int_eq(listen(l->fd, 16), 0);
    ck_assert_int_eq(getsockname(l->fd, (struct sockaddr *)&ss, &len), 0);
    l->port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                      : ((struct sockaddr_in6 *)&ss)->sin6_port);
    ck_assert_int_eq(pthread_create(&l->thread, NULL, serve, l), 0);
    return l;
}

static const char *workdir;

/* The check `name` on `target` has `status`: else fail, showing its message. */
static void assert_status(json_t *doc, const char *name, const char *target, const char *status)
{
    json_t *c = testlib_find_check(doc, name, target);

    ck_assert_msg(strcmp(testlib_status(c), status) == 0, "%s %s: %s \"%s\", expected %s", name,
                  target, testlib_status(c), testlib_message(c), status);
}

/* Run infraprobe --once on one tcp probe with `settings`; the parsed JSON report. A silent
 * target is given up by the plugin at its deadline, which comes min(10 %, 0.1 s) before the
 * core's: 2 s leaves the full 0.1 s, room for a loaded machine to record it in time. */
static json_t *run_probe(const char *settings, int *exit_code)
{
    char conf[512];

    snprintf(conf, sizeof(conf), "%s/tcp.conf", workdir);
    testlib_write(conf, "probes = ( { name = \"t\"; plugin = \"tcp\"; timeout = 2; %s } );\n",
                  settings);
    return testlib_run_json(conf, "--once -f json", exit_code, NULL, NULL);
}

START_TEST(open_and_closed_ports)
{
    struct listener *open4 = listen_on(AF_INET, ACCEPT_CLOSE);
    struct listener *open6 = listen_on(AF_INET6, ACCEPT_CLOSE);
    int closed = testlib_closed_port(), code;
    char settings[256], t4[64], t6[64], tc[64];
    json_t *doc;

    snprintf(t4, sizeof(t4), "127.0.0.1:%d", open4->port);
    snprintf(t6, sizeof(t6), "[::1]:%d", open6->port);
    snprintf(tc, sizeof(tc), "127.0.0.1:%d", closed);
    snprintf(settings, sizeof(settings), "targets = (\"%s\", \"%s\", \"%s\");", t4, t6, tc);
    doc = run_probe(settings, &code);
    assert_status(doc, "connect", t4, "ok");
    assert_status(doc, "connect", t6, "ok");
    assert_status(doc, "connect", tc, "critical");
    ck_assert_str_eq(testlib_message(testlib_find_check(doc, "connect", tc)), "Connection refused");
    ck_assert_int_eq(code, 2);
    json_decref(doc);
}
END_TEST

static const char *hint_of(json_t *doc, const char *name, const char *target)
{
    return json_string_value(json_object_get(testlib_find_check(doc, name, target), "hint"));
}

/* A refusal and silence are different failures, with different hints; the hint is in the text
 * report and the Nagios long output too. */
START_TEST(refused_and_silent_have_their_hints)
{
    struct listener *silent = listen_on(AF_INET, SILENT);
    struct listener *open4 = listen_on(AF_INET, ACCEPT_CLOSE);
    int closed = testlib_closed_port(), code;
    char settings[256], conf[512], tc[64], ts[64], to[64];
    char *out = NULL;
    json_t *doc;

    snprintf(tc, sizeof(tc), "127.0.0.1:%d", closed);
    snprintf(ts, sizeof(ts), "127.0.0.1:%d", silent->port);
    snprintf(to, sizeof(to), "127.0.0.1:%d", open4->port);
    snprintf(settings, sizeof(settings), "targets = (\"%s\", \"%s\", \"%s\"); expect = \"+OK\";",
             tc, ts, to);
    doc = run_probe(settings, &code);
    assert_has(hint_of(doc, "connect", tc), "nothing listens on that port");
    assert_has(hint_of(doc, "expect", ts), "no answer came");
    assert_has(hint_of(doc, "expect", to), "closed the connection without answering");
    ck_assert_ptr_null(hint_of(doc, "connect", to)); /* ok: nothing to hint */
    ck_assert_int_eq(code, 2);
    json_decref(doc);
    /* on a thread as in a child of its own (the default above) */
    snprintf(settings, sizeof(settings), "targets = (\"%s\"); isolation = \"thread\";", tc);
    doc = run_probe(settings, &code);
    assert_has(hint_of(doc, "connect", tc), "nothing listens on that port");
    json_decref(doc);
    snprintf(settings, sizeof(settings), "targets = (\"%s\", \"%s\", \"%s\"); expect = \"+OK\";",
             tc, ts, to);
    json_decref(run_probe(settings, &code)); /* the text and Nagios runs below read its file */

    snprintf(conf, sizeof(conf), "%s/tcp.conf", workdir);
    code = testlib_run(conf, "--once -f text", &out, NULL);
    ck_assert_int_eq(code, 2);
    /* on the line under the check, labelled */
    assert_has(out, "Connection refused\n            t    hint  ");
    assert_has(out, "  the host answered but nothing listens on that port");
    free(out);
    code = testlib_run(conf, "--once -f nagios --probe t", &out, NULL);
    ck_assert_int_eq(code, 2);
    assert_has(out, ": Connection refused (");
    assert_has(out, ")\n    hint: the host answered but nothing listens on that port");
    free(out);
}
END_TEST

START_TEST(all_open_is_ok)
{
    struct listener *l = listen_on(AF_INET, ACCEPT_CLOSE);
    char settings[256], t[64];
    json_t *doc;
    int code;

    snprintf(t, sizeof(t), "127.0.0.1:%d", l->port);
    snprintf(settings, sizeof(settings), "targets = \"%s, %s\";", t, t);
    doc = run_probe(settings, &code);
    assert_status(doc, "connect", t, "ok");
    ck_assert_int_eq(json_array_size(json_object_get(testlib_probe0(doc), "checks")), 2);
    ck_assert_int_eq(code, 0);
    json_decref(doc);
}
END_TEST

START_TEST(silent_listener_is_critical_at_the_deadline)
{
    struct listener *l = listen_on(AF_INET, SILENT);
    char settings[256], t[64];
    json_t *doc, *c;
    int code;

    snprintf(t, sizeof(t), "127.0.0.1:%d", l->port);
    snprintf(settings, sizeof(settings),
             "targets = (\"%s\"); send = \"PING\\r\\n\"; "
             "expect = \"+PONG\";",
             t);
    doc = run_probe(settings, &code);
    assert_status(doc, "connect", t, "ok");
    assert_status(doc, "expect", t, "critical");
    c = testlib_find_check(doc, "expect", t);
    assert_has(testlib_message(c), "timed out after");
    assert_has(testlib_message(c), "expected \"+PONG\", got \"\"");
    /* The plugin gave up by itself at the deadline: not the core's "run" timeout. */
    ck_assert_int_eq(code, 2);
    json_decref(doc);
}
END_TEST

START_TEST(expect_right_and_wrong)
{
    struct listener *pong = listen_on(AF_INET, PONG);
    struct listener *wrong = listen_on(AF_INET, WRONG);
    char settings[256], tp[64], tw[64];
    json_t *doc, *c;
    int code;

    snprintf(tp, sizeof(tp), "127.0.0.1:%d", pong->port);
    snprintf(tw, sizeof(tw), "127.0.0.1:%d", wrong->port);
    snprintf(settings, sizeof(settings),
             "targets = (\"%s\", \"%s\"); send = \"PING\\r\\n\"; "
             "expect = \"+PONG\";",
             tp, tw);
    doc = run_probe(settings, &code);
    assert_status(doc, "expect", tp, "ok");
    assert_status(doc, "expect", tw, "critical");
    c = testlib_find_check(doc, "expect", tw);
    assert_has(testlib_message(c), "connection closed");
    assert_has(testlib_message(c), "got \"-ERR go away\\x0d\\x0a\"");
    ck_assert_int_eq(code, 2);
    json_decref(doc);
}
END_TEST

START_TEST(expect_skipped_when_not_connected)
{
    int closed = testlib_closed_port(), code;
    char settings[256], t[64];
    json_t *doc;

    snprintf(t, sizeof(t), "127.0.0.1:%d", closed);
    snprintf(settings, sizeof(settings), "targets = (\"%s\"); expect = \"x\";", t);
    doc = run_probe(settings, &code);
    assert_status(doc, "connect", t, "critical");
    assert_status(doc, "expect", t, "skipped");
    json_decref(doc);
}
END_TEST

int main(void)
{
    TCase *tc = tcase_create("tcp");
    int failed;

    workdir = testlib_init("tcp", 0);
    if (!workdir)
        return EXIT_FAILURE;
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, open_and_closed_ports);
    tcase_add_test(tc, all_open_is_ok);
    tcase_add_test(tc, silent_listener_is_critical_at_the_deadline);
    tcase_add_test(tc, expect_right_and_wrong);
    tcase_add_test(tc, expect_skipped_when_not_connected);
    tcase_add_test(tc, refused_and_silent_have_their_hints);
    failed = testlib_run_tcases(CK_NORMAL, tc, NULL);
    if (testlib_cleanup() != 0)
        failed++;
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
