/*
 * The integration tests' shared helpers: see testlib.h. Check runs each test in a child
 * process, so the temp dir's path, set in main before the tests, is the only state.
 */
#include "config.h"

#include "testlib.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char workdir[256];
static char test_name[64];
static struct timespec test_start;

/* Seconds since testlib_init(). */
static double test_elapsed(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - test_start.tv_sec) +
           (double)(now.tv_nsec - test_start.tv_nsec) / 1e9;
}

static void trace_start(void)
{
    fprintf(stderr, "%s_test: +%.1f s: a case starts\n", test_name, test_elapsed());
}

static void trace_end(void)
{
    fprintf(stderr, "%s_test: +%.1f s: it passed\n", test_name, test_elapsed());
}

void testlib_trace(TCase *tc)
{
    tcase_add_checked_fixture(tc, trace_start, trace_end);
}

int testlib_run_tcases(enum print_output mode, TCase *tc, ...)
{
    Suite *s = suite_create(test_name);
    SRunner *sr;
    va_list ap;
    int failed;

    va_start(ap, tc);
    for (TCase *t = tc; t; t = va_arg(ap, TCase *)) {
        testlib_trace(t);
        suite_add_tcase(s, t);
    }
    va_end(ap);
    sr = srunner_create(s);
    srunner_run_all(sr, mode);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed;
}

const char *testlib_init(const char *name, int sandbox)
{
    if (!getenv("INFRAPROBE") || !getenv("INFRAPROBE_PLUGIN_PATH") ||
        (sandbox && !getenv("top_srcdir"))) {
        fprintf(stderr, "%s_test: run me through make check\n", name);
        return NULL;
    }
    snprintf(test_name, sizeof(test_name), "%s", name);
    clock_gettime(CLOCK_MONOTONIC, &test_start);
    snprintf(workdir, sizeof(workdir), "/tmp/infraprobe-%s-XXXXXX", name);
    if (!mkdtemp(workdir)) {
        fprintf(stderr, "%s_test: %s: cannot make it\n", name, workdir);
        return NULL;
    }
    return workdir;
}

int testlib_cleanup(void)
{
    return testlib_sh("rm -rf '%s'", workdir) == 0 ? 0 : -1;
}

int testlib_sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    int status;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    status = system(cmd);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void testlib_write(const char *path, const char *fmt, ...)
{
    FILE *f = fopen(path, "w");
    va_list ap;

    ck_assert_msg(f != NULL, "%s: cannot write it", path);
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fclose(f);
}

/* All of a stream, NUL-terminated and malloc'd. */
static char *read_all(FILE *f)
{
    size_t cap = 1 << 16, len = 0, n;
    char *buf = malloc(cap);

    ck_assert_ptr_nonnull(buf);
    while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (len + 1 == cap) {
            buf = realloc(buf, cap *= 2);
            ck_assert_ptr_nonnull(buf);
        }
    }
    buf[len] = '\0';
    return buf;
}

int testlib_run(const char *conf, const char *args, char **out, char **err)
{
    char errf[512], cmd[4096];
    FILE *p, *e;
    int status;

    snprintf(errf, sizeof(errf), "%s/stderr", workdir);
    snprintf(cmd, sizeof(cmd), "timeout -s KILL 120 '%s' --plugin-dir '%s' %s -c '%s' 2>'%s'",
             getenv("INFRAPROBE"), getenv("INFRAPROBE_PLUGIN_PATH"), args, conf, errf);
    p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    *out = read_all(p);
    status = pclose(p);
    if (err) {
        e = fopen(errf, "r");
        ck_assert_ptr_nonnull(e);
        *err = read_all(e);
        fclose(e);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

json_t *testlib_run_json(const char *conf, const char *args, int *code, char **out, char **err)
{
    char *o, *e;
    json_error_t jerr;
    json_t *doc;

    *code = testlib_run(conf, args, &o, &e);
    doc = json_loads(o, 0, &jerr);
    ck_assert_msg(doc != NULL, "no JSON report (%s, exit %d): %s / %s", jerr.text, *code, o, e);
    if (out)
        *out = o;
    else
        free(o);
    if (err)
        *err = e;
    else
        free(e);
    return doc;
}

json_t *testlib_load_json(const char *path)
{
    json_error_t e;
    json_t *doc = json_load_file(path, 0, &e);

    ck_assert_msg(doc != NULL, "%s: not JSON: %s (line %d)", path, e.text, e.line);
    return doc;
}

json_t *testlib_probe0(json_t *doc)
{
    return json_array_get(json_object_get(doc, "probes"), 0);
}

void testlib_timeline(json_t *doc, int words, char *out, size_t outlen)
{
    json_t *tl = json_object_get(testlib_probe0(doc), "timeline"), *e;
    size_t i, n = 0;

    out[0] = '\0';
    json_array_foreach(tl, i, e)
    {
        const char *ev = json_string_value(json_object_get(e, "event")), *what = NULL;
        static const char *const fields[] = {"action", "error", "message"};

        if (n >= outlen || !ev)
            break;
        if (!words) {
            if (strcmp(ev, "operation") != 0)
                n += (size_t)snprintf(out + n, outlen - n, "%s%s", n ? " " : "", ev);
            continue;
        }
        for (size_t f = 0; f < 3 && !what; f++)
            what = json_string_value(json_object_get(e, fields[f]));
        n += (size_t)snprintf(out + n, outlen - n, "%s%s/%.*s", n ? " " : "", ev,
                              what ? (int)strcspn(what, " :") : 0, what ? what : "");
    }
}

static json_t *check_named(json_t *doc, const char *name, const char *target)
{
    size_t i;
    json_t *c;

    json_array_foreach(json_object_get(testlib_probe0(doc), "checks"), i, c)
    {
        const char *t = testlib_target(c);

        if (strcmp(json_string_value(json_object_get(c, "name")), name) == 0 &&
            (!target || (t && strcmp(t, target) == 0)))
            return c;
    }
    return NULL;
}

json_t *testlib_find_check(json_t *doc, const char *name, const char *target)
{
    json_t *c = check_named(doc, name, target);

    if (!c && target)
        ck_abort_msg("no check %s for %s", name, target);
    if (!c)
        ck_abort_msg("no check %s", name);
    return c;
}

int testlib_has_check(json_t *doc, const char *name)
{
    return check_named(doc, name, NULL) != NULL;
}

const char *testlib_status(json_t *check)
{
    return json_string_value(json_object_get(check, "status"));
}

const char *testlib_message(json_t *check)
{
    return json_string_value(json_object_get(check, "message"));
}

const char *testlib_target(json_t *check)
{
    return json_string_value(json_object_get(check, "target"));
}

double testlib_metric(json_t *doc, const char *name, const char *label, const char *value)
{
    size_t i;
    json_t *m;

    json_array_foreach(json_object_get(testlib_probe0(doc), "metrics"), i, m)
    {
        const char *lv;

        if (strcmp(json_string_value(json_object_get(m, "name")), name) != 0)
            continue;
        lv = label ? json_string_value(json_object_get(json_object_get(m, "labels"), label)) : NULL;
        if (!label || (lv && strcmp(lv, value) == 0))
            return json_number_value(json_object_get(m, "value"));
    }
    if (label)
        ck_abort_msg("no metric %s{%s=\"%s\"}", name, label, value);
    ck_abort_msg("no metric %s", name);
    return 0;
}

int testlib_closed_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port;

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, len), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    port = ntohs(a.sin_port);
    close(fd);
    return port;
}

const char *testlib_sandbox_tool(void)
{
    static char path[1024];

    snprintf(path, sizeof(path), "%s/tests/sandbox/sandbox", getenv("top_srcdir"));
    return path;
}

int testlib_sandbox_up(struct testlib_sandbox *sb, const char *dir, const char *parts)
{
    char cmd[2048], line[1024];
    size_t len = 0;
    FILE *p;

    memset(sb, 0, sizeof(*sb));
    snprintf(sb->dir, sizeof(sb->dir), "%s", dir);
    snprintf(cmd, sizeof(cmd), "'%s' up --dir '%s' --owner %ld %s", testlib_sandbox_tool(), dir,
             (long)getpid(), parts);
    p = popen(cmd, "r");
    if (!p)
        return -1;
    while (fgets(line, sizeof(line), p)) {
        size_t n = strlen(line);

        if (strncmp(line, "export ", 7) == 0 && len + n < sizeof(sb->exports)) {
            memcpy(sb->exports + len, line, n + 1);
            len += n;
        }
    }
    return pclose(p) == 0 ? 0 : -1;
}

int testlib_sandbox_var(const struct testlib_sandbox *sb, const char *var, char *buf, size_t len)
{
    char key[128];
    const char *v, *end;

    snprintf(key, sizeof(key), "export %s='", var);
    v = strstr(sb->exports, key);
    if (!v)
        return -1;
    v += strlen(key);
    end = strchr(v, '\'');
    if (!end)
        return -1;
    snprintf(buf, len, "%.*s", (int)(end - v), v);
    return 0;
}

int testlib_sandbox(const struct testlib_sandbox *sb, const char *fmt, ...)
{
    char args[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(args, sizeof(args), fmt, ap);
    va_end(ap);
    return testlib_sh("'%s' --dir '%s' %s", testlib_sandbox_tool(), sb->dir, args);
}

void testlib_daemon_start(struct testlib_daemon *d, const char *conf)
{
    int p[2];

    ck_assert_int_eq(pipe(p), 0);
    d->pid = fork();
    ck_assert_int_ge(d->pid, 0);
    if (d->pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        execl(getenv("INFRAPROBE"), "infraprobe", "--plugin-dir", getenv("INFRAPROBE_PLUGIN_PATH"),
              "-f", "json", "-c", conf, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    d->fd = p[0];
    d->len = 0;
}

json_t *testlib_daemon_next(struct testlib_daemon *d, double secs)
{
    struct timespec t0, t;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        char *nl = memchr(d->buf, '\n', d->len);
        struct pollfd pfd = {.fd = d->fd, .events = POLLIN};
        double left;
        ssize_t n;

        if (nl) {
            json_t *doc;

            *nl = '\0';
            doc = json_loads(d->buf, 0, NULL);
            d->len -= (size_t)(nl + 1 - d->buf);
            memmove(d->buf, nl + 1, d->len);
            if (doc)
                return doc;
            continue;
        }
        clock_gettime(CLOCK_MONOTONIC, &t);
        left = secs - (double)(t.tv_sec - t0.tv_sec) - (double)(t.tv_nsec - t0.tv_nsec) / 1e9;
        if (left <= 0 || poll(&pfd, 1, (int)(left * 1000) + 1) <= 0)
            return NULL;
        n = read(d->fd, d->buf + d->len, sizeof(d->buf) - d->len - 1);
        if (n <= 0)
            return NULL;
        d->len += (size_t)n;
    }
}

int testlib_daemon_stop(struct testlib_daemon *d)
{
    int status = -1;

    kill(d->pid, SIGTERM);
    waitpid(d->pid, &status, 0);
    close(d->fd);
    return status;
}

void testlib_assert_code(json_t *doc, int code, int expected)
{
    if (code != expected)
        ck_abort_msg("exit code %d, expected %d: %s", code, expected, json_dumps(doc, 0));
}
