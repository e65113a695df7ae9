/*
 * What the integration tests (Check programs run by make check) share: their temp dir, the
 * infraprobe program run on a config file with its JSON report parsed, accessors over that
 * report, a closed port, and the sandbox's servers. A helper that fails fails the test.
 */
#ifndef INFRAPROBE_TESTLIB_H
#define INFRAPROBE_TESTLIB_H

#include <check.h>
#include <jansson.h>
#include <stddef.h>

/* Check make check's environment (INFRAPROBE, INFRAPROBE_PLUGIN_PATH, and top_srcdir when
 * `sandbox` is set) and make the temp dir /tmp/infraprobe-NAME-XXXXXX: its path, or NULL
 * after a message. */
const char *testlib_init(const char *name, int sandbox);

/* Remove the temp dir: 0 or -1. */
int testlib_cleanup(void);

/* Say on stderr, in the test's log, when each case of tc starts and passes, in seconds since
 * testlib_init(): where a slow or stuck case spent its time shows in the log CI keeps. */
void testlib_trace(TCase *tc);

/* Run the cases of tc and of the NULL-terminated TCases after it, in one suite named after the
 * test, each traced (testlib_trace()), with Check's output `mode`: the number that failed. */
int testlib_run_tcases(enum print_output mode, TCase *tc, ...);

/* Run the shell command printf(fmt, ...): its exit status, -1 when it did not exit. */
int testlib_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Write printf(fmt, ...) to the file `path`, or fail. */
void testlib_write(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Run `infraprobe --plugin-dir $INFRAPROBE_PLUGIN_PATH ARGS -c CONF` (killed after 120 s):
 * its stdout into *out and its stderr into *err (malloc'd, the caller frees; err may be
 * NULL), its exit code. */
int testlib_run(const char *conf, const char *args, char **out, char **err);

/* testlib_run, its stdout parsed as one JSON document (the caller decrefs), or fail. */
json_t *testlib_run_json(const char *conf, const char *args, int *code, char **out, char **err);

/* The JSON document in the file `path` (the caller decrefs), or fail naming the file and why. */
json_t *testlib_load_json(const char *path);

/* Over a `--format json` report: the first probe. */
json_t *testlib_probe0(json_t *doc);

/* The first probe's timeline in one line into out: its events' names, operations left out;
 * with `words`, every event as EVENT/WORD, WORD the first word of its action, error or
 * message ("fault/partition operation/ETIMEDOUT detected/blackhole"). */
void testlib_timeline(json_t *doc, int words, char *out, size_t outlen);

/* The first probe's check `name` (on `target`, unless NULL), or fail. */
json_t *testlib_find_check(json_t *doc, const char *name, const char *target);

/* Whether the first probe has a check `name`. */
int testlib_has_check(json_t *doc, const char *name);

/* `sub` is in the string `m`: else fail, showing the string. */
#define assert_has(m, sub)                                                                         \
    do {                                                                                           \
        const char *m_ = (m);                                                                      \
        ck_assert_msg(m_ &&strstr(m_, (sub)), "\"%s\" not in \"%s\"", (sub), m_ ? m_ : "(none)");  \
    } while (0)

/* The exit code is `expected`: else fail, showing the report. */
void testlib_assert_code(json_t *doc, int code, int expected);

/* A check's (or probe's) status, message, target; NULL when absent. */
const char *testlib_status(json_t *check);
const char *testlib_message(json_t *check);
const char *testlib_target(json_t *check);

/* The value of the first probe's metric `name` (whose labels include `label`=`value` unless
 * label is NULL), or fail. */
double testlib_metric(json_t *doc, const char *name, const char *label, const char *value);

/* A port on 127.0.0.1 that nothing listens on: bound, then closed. */
int testlib_closed_port(void);

/* A tests/sandbox/sandbox of its own, in a dir of the temp dir. */
struct testlib_sandbox {
    char dir[512];
    char exports[4096]; /* its `export VAR='...'` lines */
};

/* The path of tests/sandbox/sandbox. */
const char *testlib_sandbox_tool(void);

/* `sandbox up --dir DIR --owner PID PARTS`, PID this process: 0, or -1 when it failed. */
int testlib_sandbox_up(struct testlib_sandbox *sb, const char *dir, const char *parts);

/* The value of the sandbox's `export VAR='...'` into buf: 0, or -1 when it has none. */
int testlib_sandbox_var(const struct testlib_sandbox *sb, const char *var, char *buf, size_t len);

/* Run `sandbox --dir DIR` followed by printf(fmt, ...), shell text: its exit status. */
int testlib_sandbox(const struct testlib_sandbox *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* `infraprobe -f json -c CONF` as a daemon, its stdout (one JSON line per probe run) read
 * through a pipe. */
struct testlib_daemon {
    int pid;
    int fd;
    char buf[1 << 16];
    size_t len;
};

/* Start it, or fail. */
void testlib_daemon_start(struct testlib_daemon *d, const char *conf);

/* The next probe report (one JSON line; the caller decrefs), or NULL after `secs`. */
json_t *testlib_daemon_next(struct testlib_daemon *d, double secs);

/* SIGTERM, reaped: its wait status. */
int testlib_daemon_stop(struct testlib_daemon *d);

#endif
