/*
 * The mysql plugin against the sandbox's real MariaDB, through the infraprobe program: every
 * check ok with its figures, the pool's limits and lifetime, the server-share warning, the
 * exhaustion drill, and bad input and faults (a malformed DSN at -t, a wrong password, an
 * unknown database, an unreachable server, a paused server, a server restarted under a
 * running daemon). The password is never in anything infraprobe prints.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <mysql.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#define PASSWORD "im_pass"

static const char *workdir;
static struct testlib_sandbox sbx;
static char dsn[256];
static int port;

static void sandbox_up(void)
{
    char dir[600];

    snprintf(dir, sizeof(dir), "%s/sandbox", workdir);
    if (testlib_sandbox_up(&sbx, dir, "mysql") != 0 ||
        testlib_sandbox_var(&sbx, "MYSQL_ADDR", dsn, sizeof(dsn)) != 0 ||
        !strstr(dsn, "tcp(127.0.0.1:")) {
        fprintf(stderr, "mysql_test: the sandbox did not start mysql (dsn \"%s\")\n", dsn);
        exit(EXIT_FAILURE);
    }
    port = atoi(strstr(dsn, "tcp(127.0.0.1:") + strlen("tcp(127.0.0.1:"));
}

static void sandbox_do(const char *what)
{
    ck_assert_int_eq(testlib_sandbox(&sbx, "%s mysql >/dev/null", what), 0);
}

/* Root, through the sandbox's socket, for the test's own setup. */
static MYSQL *root_conn(void)
{
    char sock[600];
    MYSQL *m = mysql_init(NULL);

    snprintf(sock, sizeof(sock), "%s/mysql/data/mysqld.sock", sbx.dir);
    ck_assert_msg(mysql_real_connect(m, "localhost", "root", NULL, NULL, 0, sock, 0) != NULL,
                  "root via %s: %s", sock, mysql_error(m));
    return m;
}

static void root_sql(const char *sql)
{
    MYSQL *m = root_conn();

    ck_assert_msg(mysql_query(m, sql) == 0, "%s: %s", sql, mysql_error(m));
    mysql_close(m);
}

static long root_value(const char *sql)
{
    MYSQL *m = root_conn();
    MYSQL_RES *res;
    MYSQL_ROW row;
    long v;

    ck_assert_msg(mysql_query(m, sql) == 0, "%s: %s", sql, mysql_error(m));
    res = mysql_store_result(m);
    ck_assert_ptr_nonnull(res);
    row = mysql_fetch_row(res);
    ck_assert_ptr_nonnull(row);
    v = atol(row[0]);
    mysql_free_result(res);
    mysql_close(m);
    return v;
}

static void write_conf(const char *path, const char *settings, double timeout)
{
    /* Loose: the tests run under sanitizers and on busy machines too. */
    testlib_write(path,
                  "infraprobe = { interval = 1.0; };\n"
                  "probes = ( { name = \"m\"; plugin = \"mysql\"; timeout = %.3f; %s\n%s } );\n",
                  timeout, settings,
                  strstr(settings, "thresholds")
                      ? ""
                      : "  thresholds = { connect = { warn_ms = 2000.0; crit_ms = 4000.0; }; };");
}

/* Run infraprobe with `args` on a config of one mysql probe; stdout into *out (malloc'd),
 * stderr into *errout; the exit code. */
static int run_raw(const char *settings, double timeout, const char *args, char **out,
                   char **errout)
{
    char conf[400];

    snprintf(conf, sizeof(conf), "%s/mysql.conf", workdir);
    write_conf(conf, settings, timeout);
    return testlib_run(conf, args, out, errout);
}

/* --once -f json; the parsed report. The password must not be in anything printed. */
static json_t *run_json(const char *settings, double timeout, const char *extra, int *code)
{
    char conf[400], args[256], *out, *err;
    json_t *doc;

    snprintf(conf, sizeof(conf), "%s/mysql.conf", workdir);
    write_conf(conf, settings, timeout);
    snprintf(args, sizeof(args), "--once -f json %s", extra ? extra : "");
    doc = testlib_run_json(conf, args, code, &out, &err);
    ck_assert_msg(!strstr(out, PASSWORD) && !strstr(err, PASSWORD),
                  "the password was printed: stdout \"%s\", stderr \"%s\"", out, err);
    free(out);
    free(err);
    return doc;
}

/* A check's status and message. */
static const char *status_of(json_t *doc, const char *name)
{
    return testlib_status(testlib_find_check(doc, name, NULL));
}

static const char *message_of(json_t *doc, const char *name)
{
    return testlib_message(testlib_find_check(doc, name, NULL));
}

/* A check's status, with its message when it is not the one expected. */
static void assert_status(json_t *doc, const char *check, const char *expected)
{
    const char *got = status_of(doc, check);

    ck_assert_msg(strcmp(got, expected) == 0, "%s: %s, expected %s: %s", check, got, expected,
                  message_of(doc, check));
}

/* A metric's value against a bound, with the value when it fails. */
#define assert_metric(doc, name, op, bound)                                                        \
    do {                                                                                           \
        double v_ = testlib_metric((doc), (name), NULL, NULL);                                     \
        ck_assert_msg(v_ op(bound), "%s = %g, expected %s %g", (name), v_, #op, (double)(bound));  \
    } while (0)

static void settings_dsn(char *buf, size_t len, const char *more)
{
    snprintf(buf, len, "dsn = \"%s\"; %s", dsn, more ? more : "");
}

START_TEST(all_checks_ok)
{
    char s[512];
    json_t *doc;
    int code;

    settings_dsn(s, sizeof(s), NULL);
    doc = run_json(s, 5.0, NULL, &code);
    testlib_assert_code(doc, code, 0);
    assert_status(doc, "connect", "ok");
    assert_has(message_of(doc, "connect"), "SELECT 1 in");
    assert_has(message_of(doc, "connect"), "MariaDB");
    assert_status(doc, "reuse", "ok");
    assert_has(message_of(doc, "reuse"), "10 sequential queries on connection");
    assert_has(message_of(doc, "reuse"), "none opened");
    assert_status(doc, "concurrency", "ok");
    assert_has(message_of(doc, "concurrency"),
               "50 concurrent INSERTs, 50 rows counted and removed");
    assert_status(doc, "pool", "ok");
    assert_has(message_of(doc, "pool"), "(max_open 25)");
    assert_has(message_of(doc, "pool"), "(max_idle 5)");
    assert_status(doc, "timeout", "ok");
    assert_has(message_of(doc, "timeout"), "interrupted after");
    assert_has(message_of(doc, "timeout"), "by max_statement_time");
    assert_has(message_of(doc, "timeout"), "error 1969");
    assert_has(message_of(doc, "timeout"), "the next query worked");
    assert_status(doc, "stats", "ok");
    assert_has(message_of(doc, "stats"), "of max_connections 500");
    /* The figures, as metrics. */
    assert_metric(doc, "infraprobe_mysql_max_connections", ==, 500);
    assert_metric(doc, "infraprobe_mysql_threads_connected", >=, 1);
    assert_metric(doc, "infraprobe_mysql_slow_query_log", ==, 1);
    assert_metric(doc, "infraprobe_mysql_max_used_connections", >=, 1);
    testlib_metric(doc, "infraprobe_mysql_slow_queries_total", NULL, NULL);
    assert_metric(doc, "infraprobe_mysql_pool_max_open", ==, 25);
    assert_metric(doc, "infraprobe_mysql_pool_open", <=, 25);
    assert_metric(doc, "infraprobe_mysql_pool_idle", <=, 5);
    assert_metric(doc, "infraprobe_mysql_pool_in_use", ==, 0);
    testlib_metric(doc, "infraprobe_mysql_pool_wait_count_total", NULL, NULL);
    testlib_metric(doc, "infraprobe_mysql_pool_wait_duration_seconds_total", NULL, NULL);
    testlib_metric(doc, "infraprobe_mysql_pool_max_idle_closed_total", NULL, NULL);
    testlib_metric(doc, "infraprobe_mysql_pool_max_lifetime_closed_total", NULL, NULL);
    /* The probe's rows are gone; its table stays. */
    ck_assert_int_eq(root_value("SELECT COUNT(*) FROM im_chat.infraprobe_probe"), 0);
    json_decref(doc);
}
END_TEST

/* The discrete settings, a password from a file, and a small pool under a burst. */
START_TEST(pool_limits_hold)
{
    char s[1024], pw[400];
    FILE *f;
    json_t *doc;
    int code;

    snprintf(pw, sizeof(pw), "%s/pw", workdir);
    f = fopen(pw, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "%s\n", PASSWORD);
    fclose(f);
    snprintf(s, sizeof(s),
             "host = \"127.0.0.1\"; port = %d; user = \"im\"; password_file = \"%s\"; "
             "database = \"im_chat\"; concurrency = 20; "
             "pool = { max_open = 3; max_idle = 1; max_lifetime = 300.0; };",
             port, pw);
    doc = run_json(s, 5.0, NULL, &code);
    assert_status(doc, "concurrency", "ok");
    assert_has(message_of(doc, "concurrency"), "20 concurrent INSERTs, 20 rows");
    assert_status(doc, "pool", "ok");
    assert_has(message_of(doc, "pool"), "1 idle (max_idle 1)");
    assert_metric(doc, "infraprobe_mysql_pool_open", <=, 3);
    assert_metric(doc, "infraprobe_mysql_pool_idle", <=, 1);
    /* 20 at once on 3 connections: most waited, and the surplus was closed on release. */
    assert_metric(doc, "infraprobe_mysql_pool_wait_count_total", >, 0);
    testlib_assert_code(doc, code, 0);
    json_decref(doc);
}
END_TEST

START_TEST(short_lifetime_replaces_connections)
{
    char s[512];
    json_t *doc;
    int code;

    settings_dsn(s, sizeof(s), "pool = { max_lifetime = 0.5; };");
    doc = run_json(s, 5.0, NULL, &code);
    assert_status(doc, "pool", "ok");
    assert_has(message_of(doc, "pool"), "closed after max_lifetime 0.500 s and replaced by");
    assert_metric(doc, "infraprobe_mysql_pool_max_lifetime_closed_total", >=, 1);
    json_decref(doc);
}
END_TEST

static const char *hint_of(json_t *doc, const char *name)
{
    return json_string_value(json_object_get(testlib_find_check(doc, name, NULL), "hint"));
}

/* A server at max_connections refuses the probe's account ("Too many connections"): the hint
 * names max_connections and leaks, in JSON, text and Nagios. root (SUPER) holds every slot
 * and keeps the one MariaDB reserves for it, to put the limit back. */
START_TEST(max_connections_reached_hint)
{
    char s[512], *text = NULL, *nagios = NULL;
    MYSQL *held[10];
    json_t *doc;
    int code, tcode, ncode;

    root_sql("SET GLOBAL max_connections = 10");
    for (int i = 0; i < 10; i++)
        held[i] = root_conn();
    settings_dsn(s, sizeof(s), "concurrency = 1; pool = { max_open = 2; max_idle = 2; };");
    doc = run_json(s, 5.0, NULL, &code);
    tcode = run_raw(s, 5.0, "--once -f text", &text, NULL);
    ncode = run_raw(s, 5.0, "--once -f nagios --probe m", &nagios, NULL);
    for (int i = 0; i < 10; i++)
        mysql_close(held[i]);
    root_sql("SET GLOBAL max_connections = 500");
    assert_status(doc, "connect", "critical");
    assert_has(message_of(doc, "connect"), "Too many connections");
    ck_assert_ptr_nonnull(hint_of(doc, "connect"));
    assert_has(hint_of(doc, "connect"), "the server is at max_connections: look for connection "
                                        "leaks");
    testlib_assert_code(doc, code, 2);
    ck_assert_int_eq(tcode, 2);
    ck_assert_int_eq(ncode, 2);
    assert_has(text, "the server is at max_connections");
    assert_has(nagios, "\n    hint: the server is at max_connections");
    free(text);
    free(nagios);
    json_decref(doc);
}
END_TEST

/* Threads_connected over 80 % of max_connections is a warning, by default and settable. */
START_TEST(stats_warns_near_max_connections)
{
    char s[512];
    json_t *doc;
    int code;

    MYSQL *held[8];

    /* MariaDB's least max_connections is 10: the test holds 8, the probe 1 or 2: 90 %. */
    root_sql("SET GLOBAL max_connections = 10");
    for (int i = 0; i < 8; i++)
        held[i] = root_conn();
    settings_dsn(s, sizeof(s), "concurrency = 1; pool = { max_open = 2; max_idle = 2; };");
    doc = run_json(s, 5.0, NULL, &code);
    for (int i = 0; i < 8; i++)
        mysql_close(held[i]);
    root_sql("SET GLOBAL max_connections = 500");
    assert_status(doc, "stats", "warning");
    assert_has(message_of(doc, "stats"), "of max_connections 10");
    ck_assert_ptr_nonnull(hint_of(doc, "stats"));
    assert_has(hint_of(doc, "stats"), "of max_connections 10 in use");
    ck_assert_ptr_null(hint_of(doc, "connect")); /* ok: its hint in case was dropped */
    testlib_assert_code(doc, code, 1);
    json_decref(doc);

    settings_dsn(s, sizeof(s),
                 "thresholds = { stats = { warn_max = 0.01; }; "
                 "connect = { warn_ms = 2000.0; crit_ms = 4000.0; }; };");
    doc = run_json(s, 5.0, NULL, &code);
    assert_status(doc, "stats", "warning");
    json_decref(doc);
}
END_TEST

START_TEST(short_query_timeout)
{
    char s[512];
    json_t *doc;
    int code;

    settings_dsn(s, sizeof(s), "query_timeout = 0.3;");
    doc = run_json(s, 5.0, NULL, &code);
    assert_status(doc, "timeout", "ok");
    assert_has(message_of(doc, "timeout"), "SELECT SLEEP(2.300) interrupted after");
    assert_has(message_of(doc, "timeout"), "(query_timeout 0.300 s)");
    testlib_assert_code(doc, code, 0);
    json_decref(doc);
}
END_TEST

START_TEST(exhaustion_drill)
{
    char phases[256];
    json_t *chk;
    char s[512];
    json_t *doc;
    int code;

    settings_dsn(s, sizeof(s), NULL);
    doc = run_json(s, 5.0, "--drill", &code);
    assert_status(doc, "exhaustion", "ok");
    assert_has(message_of(doc, "exhaustion"), "40 concurrent queries, max_open 25");
    assert_has(message_of(doc, "exhaustion"), "all completed");
    assert_has(message_of(doc, "exhaustion"), "long query: SELECT SLEEP");
    assert_metric(doc, "infraprobe_mysql_exhaustion_max_server_connections", <=, 25);
    assert_metric(doc, "infraprobe_mysql_exhaustion_max_server_connections", >=, 1);
    assert_metric(doc, "infraprobe_mysql_exhaustion_wait_count", >, 0);
    assert_metric(doc, "infraprobe_mysql_exhaustion_completed", ==, 40);
    assert_metric(doc, "infraprobe_mysql_exhaustion_leaked_connections", ==, 0);
    /* On the drill framework: detected when an acquisition waited, recovered when a query
     * queued behind the burst completed (the check's value), whole again without a leak. */
    assert_metric(doc, "infraprobe_mysql_drill_detect_seconds", >, 0);
    assert_metric(doc, "infraprobe_mysql_drill_recover_seconds", >, 0);
    assert_metric(doc, "infraprobe_mysql_drill_unavailable_seconds", >, 0);
    assert_metric(doc, "infraprobe_mysql_drill_rejoin_seconds", >=, 0);
    chk = testlib_find_check(doc, "exhaustion", NULL);
    ck_assert_double_eq(json_number_value(json_object_get(chk, "value")),
                        testlib_metric(doc, "infraprobe_mysql_drill_recover_seconds", NULL, NULL));
    testlib_timeline(doc, 0, phases, sizeof(phases));
    ck_assert_msg(strcmp(phases, "fault detected recovered restore rejoined") == 0,
                  "timeline phases: %s", phases);
    testlib_assert_code(doc, code, 0);
    json_decref(doc);
}
END_TEST

START_TEST(malformed_dsn_at_test_time)
{
    char *out, *err;
    int code;

    code = run_raw("dsn = \"im:" PASSWORD "@tcp(127.0.0.1:3306/im_chat\";", 5.0, "-t", &out, &err);
    ck_assert_msg(code == 3, "-t: exit %d, expected 3: %s", code, err);
    assert_has(err, "mysql.conf:2: probe \"m\": dsn: ");
    ck_assert_msg(!strstr(err, PASSWORD) && !strstr(out, PASSWORD), "password in \"%s\"", err);
    free(out);
    free(err);
    code = run_raw("dsn = \"im:" PASSWORD "@tcp(127.0.0.1:3306)/im_chat?timout=1s\";", 5.0, "-t",
                   &out, &err);
    ck_assert_msg(code == 3, "-t: exit %d, expected 3: %s", code, err);
    assert_has(err, "unknown parameter \"timout\"");
    ck_assert_msg(!strstr(err, PASSWORD), "password in \"%s\"", err);
    free(out);
    free(err);
}
END_TEST

/* read_only = true, with an account that may only SELECT: every check that can run is ok, the
 * one that creates a table and INSERTs is skipped, saying why, and no table appears. */
START_TEST(read_only_with_a_read_only_account)
{
    char s[512];
    json_t *doc;
    int code;

    root_sql("CREATE USER IF NOT EXISTS 'imro'@'127.0.0.1' IDENTIFIED BY 'ro_pass'");
    root_sql("GRANT SELECT ON im_chat.* TO 'imro'@'127.0.0.1'");
    snprintf(s, sizeof(s),
             "dsn = \"imro:ro_pass@tcp(127.0.0.1:%d)/im_chat\"; table = \"infraprobe_ro\"; "
             "read_only = true;",
             port);
    doc = run_json(s, 5.0, NULL, &code);
    assert_status(doc, "connect", "ok");
    assert_status(doc, "reuse", "ok");
    assert_status(doc, "pool", "ok");
    assert_status(doc, "concurrency", "skipped");
    assert_has(message_of(doc, "concurrency"), "read_only = true");
    testlib_assert_code(doc, code, 0);
    ck_assert_int_eq(root_value("SELECT COUNT(*) FROM information_schema.tables WHERE "
                                "table_schema = 'im_chat' AND table_name = 'infraprobe_ro'"),
                     0);
    json_decref(doc);
}
END_TEST

START_TEST(wrong_password)
{
    char s[512], *dump;
    json_t *doc;
    int code;

    snprintf(s, sizeof(s), "dsn = \"im:Wr0ngPass@tcp(127.0.0.1:%d)/im_chat\";", port);
    doc = run_json(s, 5.0, NULL, &code);
    assert_status(doc, "connect", "critical");
    assert_has(message_of(doc, "connect"), "Access denied for user 'im'");
    ck_assert_ptr_nonnull(hint_of(doc, "connect"));
    assert_has(hint_of(doc, "connect"), "SHOW GRANTS");
    dump = json_dumps(doc, 0);
    ck_assert_msg(!strstr(dump, "Wr0ngPass"), "the password is in the report: %s", dump);
    free(dump);
    assert_status(doc, "concurrency", "skipped");
    testlib_assert_code(doc, code, 2);
    json_decref(doc);
}
END_TEST

START_TEST(unknown_database)
{
    char s[512];
    json_t *doc;
    int code;

    snprintf(s, sizeof(s), "dsn = \"im:%s@tcp(127.0.0.1:%d)/no_such_db\";", PASSWORD, port);
    doc = run_json(s, 5.0, NULL, &code);
    assert_status(doc, "connect", "critical");
    assert_has(message_of(doc, "connect"), "no_such_db");
    testlib_assert_code(doc, code, 2);
    json_decref(doc);
}
END_TEST

START_TEST(unreachable_server)
{
    char s[512];
    json_t *doc;
    int code;

    /* A reserved port nobody listens on: port 1 on 127.0.0.1. */
    snprintf(s, sizeof(s), "dsn = \"im:%s@tcp(127.0.0.1:1)/im_chat?timeout=1s\";", PASSWORD);
    doc = run_json(s, 5.0, NULL, &code);
    assert_status(doc, "connect", "critical");
    assert_has(message_of(doc, "connect"), "127.0.0.1:1: ");
    assert_has(message_of(doc, "connect"), "Can't connect");
    testlib_assert_code(doc, code, 2);
    json_decref(doc);
}
END_TEST

/* SIGSTOP: the TCP handshake succeeds, the server's never comes. Critical at the connect
 * timeout, reported by the plugin itself, not the core's "timed out"; the message says which
 * limit it hit (asserted instead of the time it took). */
START_TEST(paused_server)
{
    char s[512];
    json_t *doc;
    int code;

    snprintf(s, sizeof(s), "dsn = \"%s?timeout=1s\";", dsn);
    sandbox_do("pause");
    doc = run_json(s, 3.0, NULL, &code);
    sandbox_do("resume");
    assert_status(doc, "connect", "critical");
    assert_has(message_of(doc, "connect"), "connect timed out after ");
    assert_has(message_of(doc, "connect"), "(connect timeout 1.000 s)");
    ck_assert_str_eq(testlib_status(testlib_probe0(doc)), "critical");
    testlib_assert_code(doc, code, 2);
    json_decref(doc);

    /* Paused with no connect timeout: critical at the run's deadline, no hang. */
    settings_dsn(s, sizeof(s), NULL);
    sandbox_do("pause");
    doc = run_json(s, 1.5, NULL, &code);
    sandbox_do("resume");
    assert_status(doc, "connect", "critical");
    assert_has(message_of(doc, "connect"), "connect timed out after ");
    assert_has(message_of(doc, "connect"), "(the run's deadline)");
    testlib_assert_code(doc, code, 2);
    json_decref(doc);
}
END_TEST

/* A daemon whose pool holds connections to a server that restarts: the next runs drop the
 * dead ones and recover. */
static void daemon_start(struct testlib_daemon *d, const char *settings)
{
    char conf[400];

    snprintf(conf, sizeof(conf), "%s/daemon.conf", workdir);
    write_conf(conf, settings, 3.0);
    testlib_daemon_start(d, conf);
}

/* A JSON line's check status: a line is one probe object. */
static const char *line_status(json_t *line, const char *check)
{
    json_t *c;
    size_t i;

    json_array_foreach(json_object_get(line, "checks"), i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "name")), check) == 0)
            return json_string_value(json_object_get(c, "status"));
    }
    return "absent";
}

/* KILL every connection of the user im. */
static void kill_user_connections(void)
{
    MYSQL *m = root_conn();
    MYSQL_RES *res;
    MYSQL_ROW row;
    int killed = 0;

    ck_assert_int_eq(
        mysql_query(m, "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = 'im'"), 0);
    res = mysql_store_result(m);
    ck_assert_ptr_nonnull(res);
    while ((row = mysql_fetch_row(res))) {
        char sql[64];

        snprintf(sql, sizeof(sql), "KILL %s", row[0]);
        if (mysql_query(m, sql) == 0)
            killed++;
    }
    mysql_free_result(res);
    mysql_close(m);
    ck_assert_int_gt(killed, 0);
}

START_TEST(server_restarted_between_runs)
{
    struct testlib_daemon d;
    char s[512];
    json_t *line;
    int ok_after = 0;

    /* Every run takes its connections again: the checks that load the server too. */
    settings_dsn(s, sizeof(s), "query_timeout = 0.5; load_checks_every = 1;");
    daemon_start(&d, s);
    line = testlib_daemon_next(&d, 20);
    ck_assert_msg(line != NULL, "no report from the daemon within 20 s");
    ck_assert_str_eq(line_status(line, "connect"), "ok");
    json_decref(line);
    /* The server drops every pooled connection: the run after the one under way must not
     * notice (a dead idle connection is discarded and the query retried). */
    kill_user_connections();
    json_decref(testlib_daemon_next(&d, 20));
    line = testlib_daemon_next(&d, 20);
    ck_assert_msg(line != NULL, "no report from the daemon within 20 s");
    ck_assert_str_eq(line_status(line, "connect"), "ok");
    ck_assert_str_eq(line_status(line, "reuse"), "ok");
    ck_assert_str_eq(line_status(line, "concurrency"), "ok");
    json_decref(line);
    sandbox_do("stop");
    sandbox_do("start");
    /* Every run from now on finds its idle connections dead (the server closed them). */
    for (int i = 0; i < 10 && !ok_after; i++) {
        line = testlib_daemon_next(&d, 20);
        ck_assert_msg(line != NULL, "no report from the daemon within 20 s");
        ok_after = strcmp(line_status(line, "connect"), "ok") == 0 &&
                   strcmp(line_status(line, "concurrency"), "ok") == 0;
        json_decref(line);
    }
    testlib_daemon_stop(&d);
    ck_assert_msg(ok_after, "no healthy run after the restart");
}
END_TEST

int main(void)
{
    TCase *tc = tcase_create("mysql");
    int failed;

    workdir = testlib_init("mysql", 1);
    if (!workdir)
        return EXIT_FAILURE;
    sandbox_up();
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, all_checks_ok);
    tcase_add_test(tc, pool_limits_hold);
    tcase_add_test(tc, short_lifetime_replaces_connections);
    tcase_add_test(tc, stats_warns_near_max_connections);
    tcase_add_test(tc, max_connections_reached_hint);
    tcase_add_test(tc, short_query_timeout);
    tcase_add_test(tc, exhaustion_drill);
    tcase_add_test(tc, malformed_dsn_at_test_time);
    tcase_add_test(tc, read_only_with_a_read_only_account);
    tcase_add_test(tc, wrong_password);
    tcase_add_test(tc, unknown_database);
    tcase_add_test(tc, unreachable_server);
    tcase_add_test(tc, paused_server);
    tcase_add_test(tc, server_restarted_between_runs);
    failed = testlib_run_tcases(CK_NORMAL, tc, NULL);
    if (testlib_sandbox(&sbx, "down >/dev/null") != 0)
        failed++;
    if (testlib_cleanup() != 0)
        failed++;
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
