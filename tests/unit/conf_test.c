/*
 * The configuration: the core's keys, the probes list, the SDK getters, ${VAR} expansion,
 * secrets, and every error path with its FILE:LINE.
 */
#include "config.h"

#include <check.h>
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <infraprobe/plugin.h>

#include "conf.h"
#include "expand.h"
#include "probe.h"
#include "testutil.h"

/* ---- ${VAR} expansion ---- */

START_TEST(expand_plain_and_defaults)
{
    char err[256], *out;

    setenv("IP_T_SET", "redis:1", 1);
    setenv("IP_T_EMPTY", "", 1);
    unsetenv("IP_T_UNSET");
    ck_assert_int_eq(expand_vars("no vars", &out, err, sizeof(err), 0), 0);
    ck_assert_str_eq(out, "no vars");
    free(out);
    ck_assert_int_eq(expand_vars("a=${IP_T_SET}/b", &out, err, sizeof(err), 0), 0);
    ck_assert_str_eq(out, "a=redis:1/b");
    free(out);
    ck_assert_int_eq(expand_vars("${IP_T_UNSET:-127.0.0.1:6379}", &out, err, sizeof(err), 0), 0);
    ck_assert_str_eq(out, "127.0.0.1:6379");
    free(out);
    ck_assert_int_eq(expand_vars("${IP_T_EMPTY:-dflt}", &out, err, sizeof(err), 0), 0);
    ck_assert_str_eq(out, "dflt");
    free(out);
    ck_assert_int_eq(expand_vars("${IP_T_SET:-dflt}", &out, err, sizeof(err), 0), 0);
    ck_assert_str_eq(out, "redis:1");
    free(out);
    ck_assert_int_eq(expand_vars("${IP_T_EMPTY}", &out, err, sizeof(err), 0), 0);
    ck_assert_str_eq(out, "");
    free(out);
    ck_assert_int_eq(expand_vars("p$$w$rd", &out, err, sizeof(err), 0), 0);
    ck_assert_str_eq(out, "p$w$rd");
    free(out);
}
END_TEST

START_TEST(expand_errors)
{
    char err[256], *out = (char *)"x";

    unsetenv("IP_T_UNSET");
    ck_assert_int_eq(expand_vars("${IP_T_UNSET}", &out, err, sizeof(err), 0), -1);
    ck_assert_ptr_null(out);
    ck_assert_ptr_nonnull(strstr(err, "${IP_T_UNSET} is not set"));
    ck_assert_int_eq(expand_vars("${IP_T_UNSET", &out, err, sizeof(err), 0), -1);
    ck_assert_ptr_nonnull(strstr(err, "unterminated"));
    ck_assert_int_eq(expand_vars("${1BAD}", &out, err, sizeof(err), 0), -1);
    ck_assert_int_eq(expand_vars("${A:=b}", &out, err, sizeof(err), 0), -1);
    ck_assert_ptr_nonnull(strstr(err, "bad variable reference"));
}
END_TEST

/* A secret's reasons name positions, never a byte of the value, nor a variable's name. */
START_TEST(expand_secret_errors_quote_nothing)
{
    static const char *const bad[] = {"hunter2${oops", "hunter2${1oops}", "hunter2${OOPS_UNSET}",
                                      NULL};
    char err[256], *out;

    unsetenv("OOPS_UNSET");
    for (size_t i = 0; bad[i]; i++) {
        err[0] = '\0';
        ck_assert_int_eq(expand_vars(bad[i], &out, err, sizeof(err), EXPAND_SECRET), -1);
        ck_assert_msg(strstr(err, "character 8"), "no position in \"%s\"", err);
        ck_assert_msg(!strstr(err, "hunter") && !strstr(err, "oops") && !strstr(err, "OOPS"),
                      "the secret in \"%s\"", err);
    }
}
END_TEST

/* ---- the getters, over a parsed probe group ---- */

static config_t cfg;
static struct ip_probe *probe;
static char *errors;
static struct capture cap;

/* Parse `text` (one probe group's body) and make a probe over it. */
static void load_group(const char *text)
{
    config_init(&cfg);
    ck_assert_msg(config_read_string(&cfg, text), "libconfig: %s", config_error_text(&cfg));
    probe = probe_new(config_root_setting(&cfg), "p1", NULL, 2.5);
    ck_assert_ptr_nonnull(probe);
    capture_start(&cap);
}

static void finish(void)
{
    errors = capture_end(&cap);
}

static void teardown_group(void)
{
    probe_free(probe);
    config_destroy(&cfg);
    free(errors);
    errors = NULL;
}

START_TEST(getters_typed_values)
{
    size_t n;
    const char *const *l;

    setenv("IP_T_PORT", "6380", 1);
    setenv("IP_T_RATIO", "0.25", 1);
    load_group("s = \"x\"; i = 7; big = 5000000000L; f = 1.5; fi = 3; d = 2; b = true;\n"
               "si = \"${IP_T_PORT}\"; sf = \"${IP_T_RATIO}\"; sb = \"yes\";\n"
               "l = [\"a\", \"b\"]; ll = (\"c\"); lc = \" a, b ,,c \";\n"
               "g = { x = 1; };\n");
    ck_assert_str_eq(ip_probe_string(probe, "s", "d"), "x");
    ck_assert_int_eq(ip_probe_int(probe, "i", 0, 0, 10), 7);
    ck_assert(ip_probe_int(probe, "big", 0, 0, 10000000000LL) == 5000000000LL);
    ck_assert_double_eq(ip_probe_double(probe, "f", 0, 0, 10), 1.5);
    ck_assert_double_eq(ip_probe_double(probe, "fi", 0, 0, 10), 3.0);
    ck_assert_double_eq(ip_probe_duration(probe, "d", 0), 2.0);
    ck_assert_int_eq(ip_probe_bool(probe, "b", 0), 1);
    ck_assert_int_eq(ip_probe_int(probe, "si", 0, 1, 65535), 6380);
    ck_assert_double_eq(ip_probe_double(probe, "sf", 0, 0, 1), 0.25);
    ck_assert_int_eq(ip_probe_bool(probe, "sb", 0), 1);
    l = ip_probe_strings(probe, "l", &n);
    ck_assert_int_eq(n, 2);
    ck_assert_str_eq(l[0], "a");
    ck_assert_str_eq(l[1], "b");
    ck_assert_ptr_null(l[2]);
    l = ip_probe_strings(probe, "ll", &n);
    ck_assert_int_eq(n, 1);
    ck_assert_str_eq(l[0], "c");
    l = ip_probe_strings(probe, "lc", &n);
    ck_assert_int_eq(n, 3);
    ck_assert_str_eq(l[0], "a");
    ck_assert_str_eq(l[1], "b");
    ck_assert_str_eq(l[2], "c");
    ck_assert_int_eq(ip_probe_int(ip_probe_group(probe, "g"), "x", 0, 0, 9), 1);
    ck_assert_int_eq(probe_unread(probe), 0);
    ck_assert_int_eq(ip_probe_err(probe), 0);
    finish();
    ck_assert_str_eq(errors, "");
}
END_TEST

/* Numbers in strings are decimal: "010" is ten, as an operator reads it, never eight. */
START_TEST(getters_numbers_in_strings_are_decimal)
{
    load_group("i1 = \"010\"; i2 = \"-007\"; i3 = \"0x10\"; i4 = \"1e3\"; i5 = \" 5\";\n"
               "f1 = \"010.5\"; f2 = \"0x1p3\"; f3 = \"inf\"; f4 = \"nan\"; f5 = \"-1.5e-3\";\n");
    ck_assert_int_eq(ip_probe_int(probe, "i1", 0, -100, 100), 10);
    ck_assert_int_eq(ip_probe_int(probe, "i2", 0, -100, 100), -7);
    ck_assert_int_eq(ip_probe_int(probe, "i3", 1, -100, 100), 1);
    ck_assert_int_eq(ip_probe_int(probe, "i4", 2, -10000, 10000), 2);
    ck_assert_int_eq(ip_probe_int(probe, "i5", 3, -100, 100), 3);
    ck_assert_double_eq(ip_probe_double(probe, "f1", 0, -100, 100), 10.5);
    ck_assert_double_eq(ip_probe_double(probe, "f2", 1, -1e300, 1e300), 1);
    ck_assert_double_eq(ip_probe_double(probe, "f3", 2, -1e300, 1e300), 2);
    ck_assert_double_eq(ip_probe_double(probe, "f4", 3, -1e300, 1e300), 3);
    ck_assert_double_eq(ip_probe_double(probe, "f5", 0, -1, 1), -1.5e-3);
    finish();
    ck_assert_int_eq(ip_probe_err(probe), 6);
    ck_assert_msg(strstr(errors, "i3 = \"0x10\": expected a decimal integer\n"), "got: %s", errors);
    ck_assert_msg(strstr(errors, "i4 = \"1e3\": expected a decimal integer\n"), "got: %s", errors);
    ck_assert_msg(strstr(errors, "i5 = \" 5\": expected a decimal integer\n"), "got: %s", errors);
    ck_assert_msg(strstr(errors, "f2 = \"0x1p3\": expected a decimal number\n"), "got: %s", errors);
    ck_assert_msg(strstr(errors, "f3 = \"inf\": expected a decimal number\n"), "got: %s", errors);
    ck_assert_msg(strstr(errors, "f4 = \"nan\": expected a decimal number\n"), "got: %s", errors);
}
END_TEST

/* A plugin's duration: 0, or a millisecond to a year; the default after any other value. */
START_TEST(getters_duration_bounds)
{
    load_group("d0 = 0; d1 = 0.001; d2 = 31536000; d3 = \"2.5\";\n" /* 1: valid */
               "e1 = 1e-300;\n"                                     /* 2 */
               "e2 = -1.0;\n"                                       /* 3 */
               "e3 = 1e999;\n"                                      /* 4: infinite */
               "e4 = 0.0005;\n"                                     /* 5 */
               "e5 = 31536001;\n"                                   /* 6 */
               "e6 = \"nan\";\n"                                    /* 7 */
               "e7 = true;\n");                                     /* 8 */
    ck_assert_double_eq(ip_probe_duration(probe, "d0", 9), 0);
    ck_assert_double_eq(ip_probe_duration(probe, "d1", 9), 0.001);
    ck_assert_double_eq(ip_probe_duration(probe, "d2", 9), 31536000);
    ck_assert_double_eq(ip_probe_duration(probe, "d3", 9), 2.5);
    for (int i = 1; i <= 7; i++) {
        char key[8];

        snprintf(key, sizeof(key), "e%d", i);
        ck_assert_msg(ip_probe_duration(probe, key, 9) == 9, "%s: not the default", key);
    }
    finish();
    ck_assert_int_eq(ip_probe_err(probe), 7);
    ck_assert_msg(strstr(errors, ":2: probe \"p1\": e1 = 1e-300: must be 0 or 0.001 to 31536000 "
                                 "seconds\n"),
                  "got: %s", errors);
    ck_assert_msg(strstr(errors, ":3: probe \"p1\": e2 = -1: must be 0 or 0.001"), "got: %s",
                  errors);
    ck_assert_msg(strstr(errors, ":4: probe \"p1\": e3 = inf: must be 0 or 0.001"), "got: %s",
                  errors);
    ck_assert_msg(strstr(errors, ":5: probe \"p1\": e4 = 0.0005: must be"), "got: %s", errors);
    ck_assert_msg(strstr(errors, ":6: probe \"p1\": e5 = 3.1536e+07: must be"), "got: %s", errors);
    ck_assert_msg(strstr(errors, ":7: probe \"p1\": e6 = \"nan\": expected a decimal number"),
                  "got: %s", errors);
    ck_assert_msg(strstr(errors, ":8: probe \"p1\": e7: expected a number"), "got: %s", errors);
}
END_TEST

START_TEST(getters_defaults_when_absent)
{
    size_t n = 99;

    unsetenv("IP_T_ADDR");
    load_group("x = 1;");
    probe_take(probe, "x");
    ck_assert_str_eq(ip_probe_string(probe, "addr", "${IP_T_ADDR:-127.0.0.1:6379}"),
                     "127.0.0.1:6379");
    ck_assert_ptr_null(ip_probe_string(probe, "nothing", NULL));
    ck_assert_int_eq(ip_probe_int(probe, "i", 42, 0, 100), 42);
    ck_assert_double_eq(ip_probe_duration(probe, "d", 1.5), 1.5);
    ck_assert_int_eq(ip_probe_bool(probe, "b", 1), 1);
    ck_assert_ptr_null(ip_probe_strings(probe, "l", &n)[0]);
    ck_assert_int_eq(n, 0);
    ck_assert_ptr_null(ip_probe_secret(probe, "password"));
    ck_assert_int_eq(ip_probe_int(ip_probe_group(probe, "pool"), "max_open", 10, 1, 99), 10);
    ck_assert_double_eq(ip_probe_timeout(probe), 2.5);
    ck_assert_str_eq(ip_probe_name(probe), "p1");
    ck_assert_int_eq(ip_probe_err(probe), 0);
    finish();
}
END_TEST

START_TEST(getters_report_every_mistake_with_its_line)
{
    unsetenv("IP_T_UNSET");
    load_group("port = 70000;\n"                     /* 1 */
               "host = 5;\n"                         /* 2 */
               "n = \"12x\";\n"                      /* 3 */
               "addr = \"${IP_T_UNSET}\";\n"         /* 4 */
               "flag = \"maybe\";\n"                 /* 5 */
               "items = [1, 2];\n"                   /* 6 */
               "pool = 3;\n"                         /* 7 */
               "hots = \"typo\";\n"                  /* 8 */
               "g = { known = 1; unknwn = 2; };\n"); /* 9 */
    ck_assert_int_eq(ip_probe_int(probe, "port", 6379, 1, 65535), 6379);
    ck_assert_str_eq(ip_probe_string(probe, "host", "h"), "h");
    ck_assert_int_eq(ip_probe_int(probe, "n", 5, 0, 100), 5);
    ck_assert_ptr_null(ip_probe_string(probe, "addr", NULL));
    ck_assert_int_eq(ip_probe_bool(probe, "flag", 0), 0);
    ip_probe_strings(probe, "items", NULL);
    ip_probe_group(probe, "pool");
    ip_probe_int(ip_probe_group(probe, "g"), "known", 0, 0, 9);
    ck_assert_int_eq(probe_unread(probe), 2);
    ck_assert_int_eq(ip_probe_err(probe), 9);
    finish();
    ck_assert_int_eq(count_lines(errors), 9);
    ck_assert_ptr_nonnull(strstr(errors, ":1: probe \"p1\": port = 70000: must be 1..65535\n"));
    ck_assert_ptr_nonnull(strstr(errors, ":2: probe \"p1\": host: expected a string\n"));
    ck_assert_ptr_nonnull(
        strstr(errors, ":3: probe \"p1\": n = \"12x\": expected a decimal integer\n"));
    ck_assert_ptr_nonnull(strstr(errors, ":4: probe \"p1\": addr: ${IP_T_UNSET} is not set"));
    ck_assert_ptr_nonnull(strstr(errors, ":5: probe \"p1\": flag = \"maybe\": expected true"));
    ck_assert_ptr_nonnull(strstr(errors, ":6: probe \"p1\": items[0]: expected a string\n"));
    ck_assert_ptr_nonnull(strstr(errors, ":7: probe \"p1\": pool: expected a group"));
    ck_assert_ptr_nonnull(strstr(errors, ":8: probe \"p1\": unknown key \"hots\"\n"));
    ck_assert_ptr_nonnull(strstr(errors, ":9: probe \"p1\": unknown key \"g.unknwn\"\n"));
}
END_TEST

START_TEST(secrets_from_key_or_file)
{
    char *file = write_temp("s3cret\nsecond line\n");
    char text[512];

    snprintf(text, sizeof(text), "password_file = \"%s\"; token = \"t0k\";", file);
    load_group(text);
    ck_assert_str_eq(ip_probe_secret(probe, "password"), "s3cret");
    ck_assert_str_eq(ip_probe_secret(probe, "token"), "t0k");
    ck_assert_int_eq(probe_unread(probe), 0);
    ck_assert_int_eq(ip_probe_err(probe), 0);
    finish();
    unlink(file);
    free(file);
}
END_TEST

START_TEST(secrets_both_set_or_unreadable)
{
    load_group("password = \"a\"; password_file = \"/etc/x\";\n"
               "token_file = \"/nonexistent/secret\";\n");
    ck_assert_ptr_null(ip_probe_secret(probe, "password"));
    ck_assert_ptr_null(ip_probe_secret(probe, "token"));
    ck_assert_int_eq(ip_probe_err(probe), 2);
    finish();
    ck_assert_ptr_nonnull(strstr(errors, ":1: probe \"p1\": password_file: password is set too"));
    ck_assert_ptr_nonnull(
        strstr(errors, ":2: probe \"p1\": token_file: cannot read \"/nonexistent/secret\""));
    /* The secret's value is never printed. */
    ck_assert_ptr_null(strstr(errors, "\"a\""));
}
END_TEST

START_TEST(secret_never_echoed_in_an_expansion_error)
{
    unsetenv("IP_T_UNSET");
    load_group("password = \"hunter2${oops\";\n"
               "token = \"s3cr3t${IP_T_UNSET}\";\n"
               "dsn = \"u:pa55${\";\n");
    ck_assert_ptr_null(ip_probe_secret(probe, "password"));
    ck_assert_ptr_null(ip_probe_secret(probe, "token"));
    ck_assert_ptr_null(ip_probe_secret(probe, "dsn"));
    ck_assert_int_eq(ip_probe_err(probe), 3);
    finish();
    ck_assert_msg(strstr(errors, ":1: probe \"p1\": password: unterminated \"${\" at character 8"),
                  "got: %s", errors);
    ck_assert_msg(strstr(errors, ":2: probe \"p1\": token: the variable at character 7 is not set"),
                  "got: %s", errors);
    ck_assert_msg(strstr(errors, ":3: probe \"p1\": dsn: unterminated"), "got: %s", errors);
    ck_assert_msg(!strstr(errors, "hunter2") && !strstr(errors, "s3cr3t") &&
                      !strstr(errors, "IP_T_UNSET") && !strstr(errors, "pa55"),
                  "a secret in: %s", errors);
}
END_TEST

START_TEST(plugin_validation_error_names_the_key_line)
{
    load_group("x = 1;\ndsn = \"bad\";\n");
    ip_probe_string(probe, "dsn", NULL);
    ip_probe_fail(probe, "dsn", "malformed: expected user:password@tcp(host:port)/db");
    finish();
    ck_assert_int_eq(ip_probe_err(probe), 1);
    ck_assert_ptr_nonnull(strstr(errors, ":2: probe \"p1\": dsn: malformed: expected user"));
}
END_TEST

/* ---- conf_load: the file ---- */

static struct conf conf;
static char *path;

static int load(const char *text)
{
    int n;

    path = write_temp(text);
    capture_start(&cap);
    n = conf_load(&conf, path);
    errors = capture_end(&cap);
    return n;
}

static void teardown_file(void)
{
    conf_free(&conf);
    if (path)
        unlink(path);
    free(path);
    free(errors);
    path = NULL;
    errors = NULL;
}

START_TEST(conf_valid_file)
{
    ck_assert_int_eq(
        load("infraprobe: { interval = 3.0; timeout = 1; workers = 2;\n"
             "  plugin_dir = \"/a:/b\"; };\n"
             "probes = ( { name = \"one\"; plugin = \"tcp\"; },\n"
             "  { name = \"two\"; plugin = \"tcp\"; timeout = 0.5; interval = 7; } );\n"),
        0);
    ck_assert_str_eq(errors, "");
    ck_assert_double_eq(conf.interval, 3.0);
    ck_assert_double_eq(conf.timeout, 1.0);
    ck_assert_int_eq(conf.workers, 2);
    ck_assert_str_eq(conf.plugin_dir, "/a:/b");
    ck_assert_int_eq(conf.nprobes, 2);
    ck_assert_str_eq(conf.probes[0].name, "one");
    ck_assert_str_eq(conf.probes[0].plugin_name, "tcp");
    ck_assert_double_eq(conf.probes[0].timeout, 1.0);
    ck_assert_double_eq(conf.probes[0].interval, 3.0);
    ck_assert_double_eq(conf.probes[1].timeout, 0.5);
    ck_assert_double_eq(conf.probes[1].interval, 7.0);
}
END_TEST

START_TEST(conf_defaults)
{
    ck_assert_int_eq(load("probes = ( { name = \"one\"; plugin = \"tcp\"; } );\n"), 0);
    ck_assert_double_eq(conf.interval, 10.0);
    ck_assert_double_eq(conf.timeout, 5.0);
    ck_assert_int_eq(conf.workers, 4);
    ck_assert_ptr_null(conf.plugin_dir);
}
END_TEST

START_TEST(conf_missing_file)
{
    capture_start(&cap);
    ck_assert_int_eq(conf_load(&conf, "/nonexistent/infra.conf"), 1);
    errors = capture_end(&cap);
    ck_assert_str_eq(errors, "/nonexistent/infra.conf: No such file or directory\n");
}
END_TEST

START_TEST(conf_syntax_error_has_file_and_line)
{
    char want[512];

    ck_assert_int_eq(load("probes = (\n  { name = ; plugin = \"tcp\"; }\n);\n"), 1);
    snprintf(want, sizeof(want), "%s:2: ", path);
    ck_assert_msg(strncmp(errors, want, strlen(want)) == 0, "got: %s", errors);
}
END_TEST

START_TEST(conf_reports_each_mistake_once)
{
    char want[512];

    ck_assert_int_eq(load("infraprobe: { workers = 0; intervall = 3; };\n"           /* 1: two */
                          "extra = 1;\n"                                             /* 2 */
                          "probes = (\n"                                             /* 3 */
                          "  { plugin = \"tcp\"; },\n"                               /* 4 */
                          "  { name = \"a\"; },\n"                                   /* 5 */
                          "  { name = \"b\"; plugin = \"tcp\"; timeout = -1.0; },\n" /* 6 */
                          "  { name = \"b\"; plugin = \"tcp\"; }\n"                  /* 7 */
                          ");\n"),
                     7);
    ck_assert_int_eq(count_lines(errors), 7);
    snprintf(want, sizeof(want), "%s:1: infraprobe.workers = 0: must be 1..1024\n", path);
    ck_assert_ptr_nonnull(strstr(errors, want));
    snprintf(want, sizeof(want), "%s:1: unknown key \"intervall\"\n", path);
    ck_assert_ptr_nonnull(strstr(errors, want));
    snprintf(want, sizeof(want), "%s:2: unknown key \"extra\"", path);
    ck_assert_ptr_nonnull(strstr(errors, want));
    snprintf(want, sizeof(want), "%s:4: probes[0]: missing name", path);
    ck_assert_ptr_nonnull(strstr(errors, want));
    snprintf(want, sizeof(want), "%s:5: probe \"a\": missing plugin", path);
    ck_assert_ptr_nonnull(strstr(errors, want));
    snprintf(want, sizeof(want), "%s:6: probe \"b\": timeout = -1: must be", path);
    ck_assert_ptr_nonnull(strstr(errors, want));
    snprintf(want, sizeof(want), "%s:7: probe \"b\": name already used at line 6", path);
    ck_assert_ptr_nonnull(strstr(errors, want));
}
END_TEST

/* The core's durations have floors where a daemon would spin (interval = 1e-300 ran at 98 %
 * CPU and ignored SIGTERM) and ceilings where milliseconds overflow. */
START_TEST(conf_duration_bounds)
{
    char want[512];

    ck_assert_int_eq(load("infraprobe: { interval = 1e-300; timeout = 1e999; };\n"    /* 1 */
                          "probes = (\n"                                              /* 2 */
                          "  { name = \"a\"; plugin = \"tcp\"; interval = 0.05; },\n" /* 3 */
                          "  { name = \"b\"; plugin = \"tcp\"; timeout = 0.001; },\n" /* 4 */
                          "  { name = \"c\"; plugin = \"tcp\"; timeout = 86401; },\n" /* 5 */
                          "  { name = \"d\"; plugin = \"tcp\"; interval = 0.1; timeout = 0.01; }\n"
                          ");\n"),
                     5);
    ck_assert_int_eq(count_lines(errors), 5);
    snprintf(want, sizeof(want),
             "%s:1: infraprobe.interval = 1e-300: must be 0.1 to 31536000 seconds\n", path);
    ck_assert_msg(strstr(errors, want), "got: %s", errors);
    snprintf(want, sizeof(want), "%s:1: infraprobe.timeout = inf: must be 0.01 to 86400 seconds\n",
             path);
    ck_assert_msg(strstr(errors, want), "got: %s", errors);
    snprintf(want, sizeof(want), "%s:3: probe \"a\": interval = 0.05: must be 0.1 to", path);
    ck_assert_msg(strstr(errors, want), "got: %s", errors);
    snprintf(want, sizeof(want), "%s:4: probe \"b\": timeout = 0.001: must be 0.01 to", path);
    ck_assert_msg(strstr(errors, want), "got: %s", errors);
    snprintf(want, sizeof(want), "%s:5: probe \"c\": timeout = 86401: must be 0.01 to", path);
    ck_assert_msg(strstr(errors, want), "got: %s", errors);
    /* A mistake gives the default, never the absurd value. */
    ck_assert_double_eq(conf.interval, 10.0);
    ck_assert_double_eq(conf.timeout, 5.0);
    ck_assert_double_eq(conf.probes[0].interval, 10.0);
    ck_assert_double_eq(conf.probes[3].interval, 0.1);
    ck_assert_double_eq(conf.probes[3].timeout, 0.01);
}
END_TEST

START_TEST(conf_probes_must_be_a_list)
{
    ck_assert_int_eq(load("probes = { name = \"x\"; };\n"), 1);
    ck_assert_ptr_nonnull(strstr(errors, ":1: probes: expected a list"));
    teardown_file();
    ck_assert_int_eq(load("infraprobe: { timeout = 1.0; };\n"), 1);
    ck_assert_ptr_nonnull(strstr(errors, "no probes = ( ... ) list"));
}
END_TEST

/* ---- what libconfig never sees: checked before it parses ---- */

static char dir[64];

/* Write `len` bytes of `text` (NUL bytes included) to dir/name; returns the path. */
static char *put(const char *name, const char *text, size_t len)
{
    char *file;
    FILE *f;

    if (!*dir) {
        strcpy(dir, "/tmp/infraprobe-scan-XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(dir));
    }
    ck_assert_int_ge(asprintf(&file, "%s/%s", dir, name), 0);
    f = fopen(file, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, len, f), len);
    fclose(f);
    return file;
}

/* Forget the last load (its files stay until the test ends). */
static void unload(void)
{
    conf_free(&conf);
    memset(&conf, 0, sizeof(conf));
    free(path);
    free(errors);
    path = errors = NULL;
}

/* conf_load() of dir/main.conf holding `len` bytes of `text`. */
static int load_main(const char *text, size_t len)
{
    int n;

    unload();
    path = put("main.conf", text, len);
    capture_start(&cap);
    n = conf_load(&conf, path);
    errors = capture_end(&cap);
    return n;
}

static void teardown_scan(void)
{
    char cmd[128];

    unload();
    if (*dir) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        ck_assert_int_eq(system(cmd), 0);
    }
    *dir = '\0';
}

#define PROBE "probes = ( { name = \"a\"; plugin = \"tcp\"; } );\n"

/* errors holds "dir/FILE:LINE: what". */
static void expect_error(const char *file, int line, const char *what)
{
    char want[512];

    snprintf(want, sizeof(want), "%s/%s:%d: %s", dir, file, line, what);
    ck_assert_msg(strstr(errors, want), "no \"%s\" in: %s", want, errors);
}

/* libconfig's scanner exited the process with status 2 ("input in flex scanner failed"). */
START_TEST(scan_include_without_a_name)
{
    static const char text[] = "x = 1;\n@include \"\"\n" PROBE;

    ck_assert_int_eq(load_main(text, sizeof(text) - 1), 1);
    expect_error("main.conf", 2, "@include \"\": no file name\n");
}
END_TEST

START_TEST(scan_includes_checked)
{
    static const char text[] = "@include \"sub\"\n"         /* 1: a directory */
                               "@include \"missing\"\n"     /* 2 */
                               "  @include \"loop.inc\"\n"  /* 3: includes itself */
                               "@include \"nul.inc\"\n"     /* 4 */
                               "/*\n@include \"\"\n*/\n"    /* 5-7: a comment */
                               "x = \"\n@include \"\"\";\n" /* 8-9: a string */
                               "@include \"ok.inc\"\n"      /* 10 */
                               "@include \"fifo\"\n";       /* 11: would wait for a writer */
    static const char loop[] = "@include \"loop.inc\"\n";
    static const char nul[] = "a = 1;\nb = \"abc\0def\";\n";
    char sub[128];

    free(put("loop.inc", loop, sizeof(loop) - 1));
    free(put("nul.inc", nul, sizeof(nul) - 1));
    free(put("ok.inc", PROBE, strlen(PROBE)));
    snprintf(sub, sizeof(sub), "%s/sub", dir);
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    snprintf(sub, sizeof(sub), "%s/fifo", dir);
    ck_assert_int_eq(mkfifo(sub, 0600), 0);
    ck_assert_int_eq(load_main(text, sizeof(text) - 1), 5);
    ck_assert_msg(count_lines(errors) == 5, "got: %s", errors);
    expect_error("main.conf", 11, "@include \"fifo\": ");
    ck_assert_msg(strstr(errors, "/fifo: not a regular file\n"), "got: %s", errors);
    expect_error("main.conf", 1, "@include \"sub\": ");
    ck_assert_msg(strstr(errors, "/sub: a directory\n"), "got: %s", errors);
    expect_error("main.conf", 2, "@include \"missing\": ");
    ck_assert_msg(strstr(errors, "/missing: No such file or directory\n"), "got: %s", errors);
    ck_assert_msg(strstr(errors, "/loop.inc:1: @include \"loop.inc\": nested more than 10"),
                  "got: %s", errors);
    ck_assert_msg(strstr(errors, "/nul.inc:2: a NUL byte (column 9)"), "got: %s", errors);
}
END_TEST

START_TEST(scan_include_that_works)
{
    static const char text[] = "infraprobe: { workers = 2; };\n@include \"ok.inc\"\n";

    free(put("ok.inc", PROBE, strlen(PROBE)));
    ck_assert_int_eq(load_main(text, sizeof(text) - 1), 0);
    ck_assert_str_eq(errors, "");
    ck_assert_int_eq(conf.nprobes, 1);
    ck_assert_int_eq(conf.workers, 2);
}
END_TEST

/* A password "abc\0def" was silently cut to "abc". */
START_TEST(scan_nul_byte)
{
    static const char text[] = "probes = ( { name = \"a\"; plugin = \"tcp\";\n"
                               "  password = \"abc\0def\"; } );\n";

    ck_assert_int_eq(load_main(text, sizeof(text) - 1), 1);
    expect_error("main.conf", 2, "a NUL byte (column 18): a configuration is text\n");
}
END_TEST

/* libconfig drops "\x00" from a string without a word. */
START_TEST(scan_nul_escape)
{
    static const char text[] = "probes = ( { name = \"a\"; plugin = \"tcp\";\n"
                               "  password = \"abc\\x00def\"; } );\n";

    ck_assert_int_eq(load_main(text, sizeof(text) - 1), 1);
    expect_error("main.conf", 2, "\"\\x00\" in a string: a string cannot hold a NUL byte\n");
}
END_TEST

/* PROBE, then `lines` comment lines of `width` bytes, newline included. */
static char *filler(size_t lines, size_t width)
{
    size_t n = strlen(PROBE);
    char *text = malloc(n + lines * width + 1);

    ck_assert_ptr_nonnull(text);
    memcpy(text, PROBE, n);
    for (size_t i = 0; i < lines; i++) {
        char *l = text + n + i * width;

        memset(l, 'x', width - 1);
        l[0] = '#';
        l[width - 1] = '\n';
    }
    text[n + lines * width] = '\0';
    return text;
}

/* A 10 MB string kept `infraprobe -t` busy for minutes: libconfig's scanner is quadratic. */
START_TEST(scan_size_limit)
{
    static const char twice[] = "@include \"big.inc\"\n# again:\n@include \"big.inc\"\n";
    char *text = filler(1048576 / 64, 64); /* more than 1 MiB */
    int line = 1;

    text[1048575] = '\n'; /* libconfig wants a comment's line to end */
    ck_assert_int_eq(load_main(text, 1048576), 0);
    ck_assert_str_eq(errors, "");
    /* One byte more is refused, at the line of that byte. */
    ck_assert_int_eq(load_main(text, 1048577), 1);
    for (size_t i = 0; i < 1048576; i++)
        line += text[i] == '\n';
    expect_error("main.conf", line,
                 "the configuration passes 1048576 bytes (1 MiB) here, with its @include files\n");
    free(text);
    /* A 10 MB string. */
    text = malloc(10 * 1048576 + 16);
    ck_assert_ptr_nonnull(text);
    memcpy(text, "s = \"", 5);
    memset(text + 5, 'x', 10 * 1048576);
    memcpy(text + 5 + 10 * 1048576, "\";\n", 4);
    ck_assert_int_eq(load_main(text, strlen(text)), 1);
    expect_error("main.conf", 1, "the configuration passes 1048576 bytes");
    free(text);
    /* The budget is for all the files together. */
    text = filler(600000 / 64, 64);
    free(put("big.inc", text, strlen(text)));
    free(text);
    ck_assert_int_eq(load_main(twice, strlen(twice)), 1);
    ck_assert_msg(strstr(errors, "/big.inc:"), "got: %s", errors);
    ck_assert_msg(strstr(errors, ": the configuration passes 1048576 bytes"), "got: %s", errors);
}
END_TEST

START_TEST(scan_line_and_string_limits)
{
    char *text = filler(1, 16385); /* line 2: 16384 bytes and its newline */

    ck_assert_int_eq(load_main(text, strlen(text)), 0);
    ck_assert_str_eq(errors, "");
    free(text);
    text = filler(2, 16386); /* lines 2 and 3: 16385 bytes */
    ck_assert_int_eq(load_main(text, strlen(text)), 2);
    expect_error("main.conf", 2, "a line longer than 16384 bytes\n");
    expect_error("main.conf", 3, "a line longer than 16384 bytes\n");
    free(text);

    /* A string of 65536 bytes passes, 65537 not, even on several lines. */
    for (size_t len = 65536; len <= 65537; len++) {
        char *s = malloc(len + 128);
        size_t n;

        ck_assert_ptr_nonnull(s);
        strcpy(s, PROBE "#\ns = \"");
        n = strlen(s);
        for (size_t i = 0; i < len; i++)
            s[n + i] = i % 100 == 99 ? '\n' : 'y';
        strcpy(s + n + len, "\";\n");
        if (len == 65536) {
            ck_assert_int_eq(load_main(s, strlen(s)), 1);
            ck_assert_msg(strstr(errors, "unknown key \"s\""), "got: %s", errors);
        } else {
            ck_assert_int_eq(load_main(s, strlen(s)), 1);
            expect_error("main.conf", 3, "a string longer than 65536 bytes (from this line)\n");
        }
        free(s);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("conf");
    TCase *tc;
    SRunner *sr;
    int failed;

    tc = tcase_create("expand");
    tcase_add_test(tc, expand_plain_and_defaults);
    tcase_add_test(tc, expand_errors);
    tcase_add_test(tc, expand_secret_errors_quote_nothing);
    suite_add_tcase(s, tc);

    tc = tcase_create("getters");
    tcase_add_checked_fixture(tc, NULL, teardown_group);
    tcase_add_test(tc, getters_typed_values);
    tcase_add_test(tc, getters_numbers_in_strings_are_decimal);
    tcase_add_test(tc, getters_duration_bounds);
    tcase_add_test(tc, getters_defaults_when_absent);
    tcase_add_test(tc, getters_report_every_mistake_with_its_line);
    tcase_add_test(tc, secrets_from_key_or_file);
    tcase_add_test(tc, secrets_both_set_or_unreadable);
    tcase_add_test(tc, secret_never_echoed_in_an_expansion_error);
    tcase_add_test(tc, plugin_validation_error_names_the_key_line);
    suite_add_tcase(s, tc);

    tc = tcase_create("file");
    tcase_add_checked_fixture(tc, NULL, teardown_file);
    tcase_add_test(tc, conf_valid_file);
    tcase_add_test(tc, conf_defaults);
    tcase_add_test(tc, conf_missing_file);
    tcase_add_test(tc, conf_syntax_error_has_file_and_line);
    tcase_add_test(tc, conf_reports_each_mistake_once);
    tcase_add_test(tc, conf_probes_must_be_a_list);
    tcase_add_test(tc, conf_duration_bounds);
    suite_add_tcase(s, tc);

    tc = tcase_create("scan");
    tcase_add_checked_fixture(tc, NULL, teardown_scan);
    tcase_add_test(tc, scan_include_without_a_name);
    tcase_add_test(tc, scan_includes_checked);
    tcase_add_test(tc, scan_include_that_works);
    tcase_add_test(tc, scan_nul_byte);
    tcase_add_test(tc, scan_nul_escape);
    tcase_add_test(tc, scan_size_limit);
    tcase_add_test(tc, scan_line_and_string_limits);
    suite_add_tcase(s, tc);

    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
