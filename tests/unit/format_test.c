/*
 * Unit tests of the output formats (core/format*.c): each format written from the fixture
 * runs of format_fixture.h into memory, and its structure and escaping checked. The real
 * consumers (jq, xmllint, prove, promtool) read the same fixtures in tests/formats.test.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "format_fixture.h"
#include "json_writer.h"
#include "output.h"
#include "output_util.h"
#include "writers.h"

/* ---- helpers ---------------------------------------------------------------------------- */

/* `f` of `run` (or of `probe` in daemon mode when run is NULL) as a string; *rc gets what
 * the writer returned and *err its errno. */
static char *render_ex(enum format f, const struct run_result *run, const struct ip_report *probe,
                       int colour, int *rc, int *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);

    ck_assert_ptr_nonnull(out);
    errno = 0;
    *rc = run ? format_write(f, out, run, colour) : format_write_probe(f, out, probe, colour);
    *err = errno;
    ck_assert_int_eq(fclose(out), 0);
    ck_assert_ptr_nonnull(buf);
    return buf;
}

/* `f` of `run`, which must succeed. */
static char *render(enum format f, const struct run_result *run, int colour)
{
    int rc, err;
    char *s = render_ex(f, run, NULL, colour, &rc, &err);

    ck_assert_int_eq(rc, 0);
    return s;
}

static char *render_probe(enum format f, const struct ip_report *probe, int colour)
{
    int rc, err;
    char *s = render_ex(f, NULL, probe, colour, &rc, &err);

    ck_assert_int_eq(rc, 0);
    return s;
}

static size_t count(const char *haystack, const char *needle)
{
    size_t n = 0;

    for (const char *p = haystack; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Lines of `s` that start with `prefix`. */
static size_t count_lines(const char *s, const char *prefix)
{
    size_t n = 0;

    for (const char *p = s; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, prefix, strlen(prefix)) == 0)
            n++;
    return n;
}

/* Replace a fixture string (malloc'ed, freed by fixture_free()). */
static void set_str(char **field, const char *value)
{
    free(*field);
    *field = value ? strdup(value) : NULL;
    ck_assert(!value || *field);
}

static const enum format all_formats[] = {FORMAT_TEXT, FORMAT_JSON,       FORMAT_JUNIT,
                                          FORMAT_TAP,  FORMAT_PROMETHEUS, FORMAT_NAGIOS,
                                          FORMAT_HTML};
#define NFORMATS (sizeof(all_formats) / sizeof(all_formats[0]))

/* ---- dispatch ----------------------------------------------------------------------------- */

START_TEST(test_parse)
{
    static const char *const names[] = {"text",       "json",   "junit", "tap",
                                        "prometheus", "nagios", "html"};
    enum format f;

    for (size_t i = 0; i < NFORMATS; i++) {
        ck_assert_str_eq(format_name(all_formats[i]), names[i]);
        f = (enum format)99;
        ck_assert_int_eq(format_parse(names[i], &f), 0);
        ck_assert_int_eq(f, all_formats[i]);
    }
    f = FORMAT_TAP;
    ck_assert_int_eq(format_parse("JSON", &f), -1);
    ck_assert_int_eq(format_parse("", &f), -1);
    ck_assert_int_eq(format_parse("jsonl", &f), -1);
    ck_assert_int_eq(format_parse(NULL, &f), -1);
    ck_assert_int_eq(f, FORMAT_TAP); /* untouched on failure */
    ck_assert_str_eq(format_name((enum format)42), "unknown");
}
END_TEST

START_TEST(test_invalid_arguments)
{
    struct run_result *run = fixture_ok();
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);

    errno = 0;
    ck_assert_int_eq(format_write(FORMAT_JSON, NULL, run, 0), -1);
    ck_assert_int_eq(errno, EINVAL);
    errno = 0;
    ck_assert_int_eq(format_write(FORMAT_JSON, out, NULL, 0), -1);
    ck_assert_int_eq(errno, EINVAL);
    errno = 0;
    ck_assert_int_eq(format_write((enum format)42, out, run, 0), -1);
    ck_assert_int_eq(errno, EINVAL);
    errno = 0;
    ck_assert_int_eq(format_write_probe(FORMAT_TEXT, out, NULL, 0), -1);
    ck_assert_int_eq(errno, EINVAL);
    fclose(out);
    ck_assert_uint_eq(len, 0);
    free(buf);
    fixture_free(run);
}
END_TEST

/* A write error, seen only when the buffer is flushed, is reported by every format. */
START_TEST(test_write_error)
{
    struct run_result *rich = fixture_rich(), *one = fixture_one();
    FILE *full = fopen("/dev/full", "w");

    ck_assert_ptr_nonnull(full);
    for (size_t i = 0; i < NFORMATS; i++) {
        enum format f = all_formats[i];

        errno = 0;
        ck_assert_int_eq(format_write(f, full, f == FORMAT_NAGIOS ? one : rich, 0), -1);
        ck_assert_int_eq(errno, ENOSPC);
        clearerr(full);
        errno = 0;
        ck_assert_int_eq(format_write_probe(f, full, rich->probes[0], 0), -1);
        ck_assert_int_eq(errno, ENOSPC);
        clearerr(full);
    }
    fclose(full);
    fixture_free(rich);
    fixture_free(one);
}
END_TEST

/* ---- helpers of output_util.h -------------------------------------------------------------- */

START_TEST(test_utf8)
{
    unsigned long cp;
    char buf[4];

    ck_assert_uint_eq(format_utf8_next("A", &cp), 1);
    ck_assert_uint_eq(cp, 'A');
    ck_assert_uint_eq(format_utf8_next("\xc3\xa9", &cp), 2);
    ck_assert_uint_eq(cp, 0xe9);
    ck_assert_uint_eq(format_utf8_next("\xe2\x9c\x93", &cp), 3);
    ck_assert_uint_eq(cp, 0x2713);
    ck_assert_uint_eq(format_utf8_next("\xf0\x9f\x98\x80", &cp), 4);
    ck_assert_uint_eq(cp, 0x1f600);
    /* invalid: a lone continuation byte, overlong NUL, a surrogate, beyond U+10FFFF, cut */
    ck_assert_uint_eq(format_utf8_next("\x80", &cp), 1);
    ck_assert_uint_eq(cp, 0xfffd);
    ck_assert_uint_eq(format_utf8_next("\xc0\x80", &cp), 1);
    ck_assert_uint_eq(cp, 0xfffd);
    ck_assert_uint_eq(format_utf8_next("\xe0\x80\xaf", &cp), 1);
    ck_assert_uint_eq(cp, 0xfffd);
    ck_assert_uint_eq(format_utf8_next("\xed\xa0\x80", &cp), 1);
    ck_assert_uint_eq(cp, 0xfffd);
    ck_assert_uint_eq(format_utf8_next("\xf4\x90\x80\x80", &cp), 1);
    ck_assert_uint_eq(cp, 0xfffd);
    ck_assert_uint_eq(format_utf8_next("\xe2\x9c", &cp), 1);
    ck_assert_uint_eq(cp, 0xfffd);

    ck_assert_uint_eq(format_utf8_put(buf, 0x1f600), 4);
    ck_assert_mem_eq(buf, "\xf0\x9f\x98\x80", 4);

    char *s = format_utf8_dup("a\xff\x62\xc3\xa9"); /* \x62: b */
    ck_assert_str_eq(s, "a\xef\xbf\xbd\x62\xc3\xa9");
    free(s);
    s = format_utf8_dup(NULL);
    ck_assert_str_eq(s, "");
    free(s);
}
END_TEST

START_TEST(test_number)
{
    static const struct {
        double v;
        const char *s;
    } cases[] = {
        {0.1, "0.1"},
        {100, "100"},
        {15000, "15000"},
        {0.00041, "0.00041"},
        {1e-7, "1e-07"},
        {1e15, "1e+15"},
        {-2.5, "-2.5"},
        {0, "0"},
        {1.0 / 3, "0.3333333333333333"},
        {0.30000000000000004, "0.30000000000000004"},
    };
    char buf[FORMAT_NUMBER_SIZE];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        format_number(buf, sizeof(buf), cases[i].v);
        ck_assert_str_eq(buf, cases[i].s);
        ck_assert(strtod(buf, NULL) == cases[i].v);
    }
    format_number(buf, sizeof(buf), NAN);
    ck_assert_str_eq(buf, "NaN");
    format_number(buf, sizeof(buf), INFINITY);
    ck_assert_str_eq(buf, "+Inf");
    format_number(buf, sizeof(buf), -INFINITY);
    ck_assert_str_eq(buf, "-Inf");
}
END_TEST

START_TEST(test_probe_extra)
{
    struct run_result *run = fixture_rich();

    ck_assert_int_eq(format_probe_extra(run->probes[0]), IP_OK);      /* critical, explained */
    ck_assert_int_eq(format_probe_extra(run->probes[4]), IP_UNKNOWN); /* no check */
    run->probes[2]->status = IP_WARNING;                              /* its only check is ok */
    ck_assert_int_eq(format_probe_extra(run->probes[2]), IP_WARNING);
    run->probes[2]->status = IP_SKIPPED;
    ck_assert_int_eq(format_probe_extra(run->probes[2]), IP_OK);
    run->probes[0]->status = IP_UNKNOWN; /* its worst check is critical */
    ck_assert_int_eq(format_probe_extra(run->probes[0]), IP_OK);
    fixture_free(run);
}
END_TEST

/* ---- text --------------------------------------------------------------------------------- */

START_TEST(test_text)
{
    struct run_result *run = fixture_rich();
    char *s = render(FORMAT_TEXT, run, 0);

    ck_assert_ptr_null(strchr(s, '\033'));
    ck_assert_ptr_null(strchr(s, '\x01'));
    ck_assert_ptr_null(strchr(s, '\x07'));
    ck_assert_uint_eq(count(s, "\n"), 5 + FIXTURE_RICH_TESTS + 1);
    ck_assert(starts_with(s, "redis-main (redis): critical, 6 checks in 3.10 ms\n"));
    /* aligned columns: status, probe (as wide as the longest), check [target], ms */
    ck_assert_ptr_nonnull(strstr(s, "\n  critical  redis-main             write [127.0.0.1:6379]  "
                                    "      12.3 ms  SET timed out after 1.000 s\n"));
    ck_assert_ptr_nonnull(strstr(s, "\n  ok        redis-main             connect [127.0.0.1:6379]"
                                    "     0.410 ms  connected\n"));
    ck_assert_ptr_nonnull(strstr(s, "  ttl 59 s < 60 s second line\n"));
    ck_assert_ptr_nonnull(strstr(s, "INFO said ? bell? bad \xef\xbf\xbd byte, caf\xc3\xa9 "
                                    "\xe2\x9c\x93\n"));
    ck_assert_ptr_nonnull(strstr(s, "mysql-main (mysql): unknown, 0 checks in 5000 ms\n"
                                    "  unknown   mysql-main             probe  "));
    ck_assert_ptr_nonnull(strstr(s, "probe is unknown, and no check says why\n"));
    ck_assert_ptr_nonnull(strstr(s, "\nstatus: critical \xe2\x80\x94 6 ok, 2 warning, 2 critical, "
                                    "3 unknown, 1 skipped in 41.7 ms\n"));
    /* the summary is the last line */
    const char *summary = strstr(s, "\nstatus: ");
    ck_assert_ptr_nonnull(summary);
    ck_assert_ptr_eq(strchr(summary + 1, '\n'), s + strlen(s) - 1);
    free(s);
    fixture_free(run);
}
END_TEST

START_TEST(test_text_colour)
{
    struct run_result *run = fixture_rich();
    char *s = render(FORMAT_TEXT, run, 1);

    ck_assert_ptr_nonnull(strstr(s, "\033[32mok\033[0m      "));
    ck_assert_ptr_nonnull(strstr(s, "\033[33mwarning\033[0m "));
    ck_assert_ptr_nonnull(strstr(s, "\033[31mcritical\033[0m  "));
    ck_assert_ptr_nonnull(strstr(s, "\033[35munknown\033[0m "));
    ck_assert_ptr_nonnull(strstr(s, "\033[2mskipped\033[0m "));
    ck_assert_ptr_nonnull(strstr(s, "redis-main (redis): \033[31mcritical\033[0m, 6 checks"));
    ck_assert_ptr_nonnull(strstr(s, "status: \033[31mcritical\033[0m \xe2\x80\x94 6 ok"));
    free(s);
    fixture_free(run);
}
END_TEST

START_TEST(test_text_probe)
{
    struct run_result *run = fixture_rich();
    char *s = render_probe(FORMAT_TEXT, run->probes[1], 0);

    ck_assert_str_eq(s, "kafka-main (kafka): warning, 3 checks in 15.0 ms\n"
                        "  warning   kafka-main  throughput [#TODO]           1000 ms  "
                        "15000 msg/s < 20000 msg/s\n"
                        "  ok        kafka-main  produce [broker-1:9092]      3.00 ms  produced\n"
                        "  ok        kafka-main  produce [broker-2:9092]      4.00 ms  produced\n");
    free(s);
    fixture_free(run);
}
END_TEST

/* ---- json --------------------------------------------------------------------------------- */

static json_t *path(json_t *root, const char *fmt, ...)
{
    json_t *v = root;
    va_list ap;

    va_start(ap, fmt);
    for (const char *p = fmt; *p && v; p++)
        v = *p == 'k' ? json_object_get(v, va_arg(ap, const char *))
                      : json_array_get(v, va_arg(ap, size_t));
    va_end(ap);
    ck_assert_msg(v != NULL, "no such JSON path");
    return v;
}

START_TEST(test_json)
{
    struct run_result *run = fixture_rich();
    char *s = render(FORMAT_JSON, run, 0);
    json_error_t error;
    json_t *root = json_loads(s, JSON_REJECT_DUPLICATES, &error), *c, *m;

    ck_assert_msg(root != NULL, "invalid JSON: %s (line %d)", error.text, error.line);
    ck_assert_str_eq(json_string_value(path(root, "k", "infraprobe")), PACKAGE_VERSION);
    ck_assert_str_eq(json_string_value(path(root, "k", "status")), "critical");
    ck_assert_double_eq_tol(json_number_value(path(root, "k", "duration_ms")), 41.7, 1e-9);
    ck_assert_uint_eq(json_array_size(path(root, "k", "probes")), 5);
    ck_assert_uint_eq(json_object_size(root), 4);

    ck_assert_str_eq(json_string_value(path(root, "kik", "probes", (size_t)0, "name")),
                     "redis-main");
    ck_assert_str_eq(json_string_value(path(root, "kik", "probes", (size_t)0, "plugin")), "redis");
    c = path(root, "kiki", "probes", (size_t)0, "checks", (size_t)0);
    ck_assert_str_eq(json_string_value(path(c, "k", "name")), "connect");
    ck_assert_str_eq(json_string_value(path(c, "k", "status")), "ok");
    ck_assert_str_eq(json_string_value(path(c, "k", "target")), "127.0.0.1:6379");
    ck_assert_double_eq_tol(json_number_value(path(c, "k", "duration_ms")), 0.41, 1e-12);
    ck_assert_double_eq(json_number_value(path(c, "kk", "thresholds", "warn")), 1);
    ck_assert_double_eq(json_number_value(path(c, "kk", "thresholds", "crit")), 10);
    ck_assert_ptr_null(json_object_get(c, "value"));

    c = path(root, "kiki", "probes", (size_t)0, "checks", (size_t)2);
    ck_assert_str_eq(json_string_value(path(c, "k", "message")),
                     "said \"hi\" <b> & 'q' # not a comment \\ back");
    ck_assert_ptr_null(json_object_get(c, "target"));
    c = path(root, "kiki", "probes", (size_t)0, "checks", (size_t)3);
    ck_assert_str_eq(json_string_value(path(c, "k", "message")), "ttl 59 s < 60 s\nsecond line");
    c = path(root, "kiki", "probes", (size_t)0, "checks", (size_t)4);
    ck_assert_str_eq(json_string_value(path(c, "k", "status")), "skipped");
    ck_assert_ptr_null(json_object_get(c, "thresholds"));
    c = path(root, "kiki", "probes", (size_t)0, "checks", (size_t)5);
    ck_assert_str_eq(json_string_value(path(c, "k", "message")),
                     "INFO said \x01 bell\x07 bad \xef\xbf\xbd byte, caf\xc3\xa9 \xe2\x9c\x93");

    m = path(root, "kiki", "probes", (size_t)0, "metrics", (size_t)0);
    ck_assert_str_eq(json_string_value(path(m, "k", "name")), "infraprobe_redis_connected_clients");
    ck_assert_str_eq(json_string_value(path(m, "kk", "labels", "role")), "master");
    ck_assert_uint_eq(json_object_size(path(m, "k", "labels")), 1); /* no "probe" */
    ck_assert(json_is_integer(path(m, "k", "value")));
    ck_assert_int_eq(json_integer_value(path(m, "k", "value")), 3);
    m = path(root, "kiki", "probes", (size_t)0, "metrics", (size_t)1);
    ck_assert_str_eq(json_string_value(path(m, "kk", "labels", "target")), "127.0.0.1:6379");
    m = path(root, "kiki", "probes", (size_t)0, "metrics", (size_t)2);
    ck_assert(json_is_null(path(m, "k", "value"))); /* NaN */
    ck_assert_str_eq(json_string_value(path(m, "kk", "labels", "note")),
                     "quote \" back \\ nl \n caf\xc3\xa9");
    m = path(root, "kiki", "probes", (size_t)1, "metrics", (size_t)1);
    ck_assert(json_is_null(path(m, "k", "value"))); /* +Inf */

    c = path(root, "kiki", "probes", (size_t)1, "checks", (size_t)0);
    ck_assert_double_eq(json_number_value(path(c, "k", "value")), 15000);
    ck_assert_double_eq(json_number_value(path(c, "kk", "thresholds", "warn")), 20000);
    ck_assert_double_eq(json_number_value(path(c, "kk", "thresholds", "crit")), 10000);
    c = path(root, "kiki", "probes", (size_t)3, "checks", (size_t)2);
    ck_assert(json_is_null(path(c, "k", "value"))); /* NaN */
    ck_assert_str_eq(json_string_value(path(root, "kik", "probes", (size_t)3, "name")),
                     "etcd <eu> & \"west\" #1");

    ck_assert_str_eq(json_string_value(path(root, "kik", "probes", (size_t)4, "status")),
                     "unknown");
    ck_assert_uint_eq(json_array_size(path(root, "kik", "probes", (size_t)4, "checks")), 0);
    ck_assert_uint_eq(json_array_size(path(root, "kik", "probes", (size_t)4, "metrics")), 0);
    json_decref(root);
    free(s);
    fixture_free(run);
}
END_TEST

/* Daemon mode: one probe object on one line. */
START_TEST(test_json_lines)
{
    struct run_result *run = fixture_rich();
    char *s = render_probe(FORMAT_JSON, run->probes[0], 0);
    json_error_t error;
    json_t *o;

    ck_assert_uint_eq(count(s, "\n"), 1);
    ck_assert_int_eq(s[strlen(s) - 1], '\n');
    o = json_loads(s, 0, &error);
    ck_assert_msg(o != NULL, "invalid JSON: %s", error.text);
    ck_assert_str_eq(json_string_value(path(o, "k", "name")), "redis-main");
    ck_assert_str_eq(json_string_value(path(o, "k", "status")), "critical");
    ck_assert_uint_eq(json_array_size(path(o, "k", "checks")), 6);
    ck_assert_uint_eq(json_array_size(path(o, "k", "metrics")), 3);
    ck_assert_ptr_null(json_object_get(o, "infraprobe"));
    json_decref(o);
    free(s);
    fixture_free(run);
}
END_TEST

/* Every allocation the writer makes may fail: it then fails with ENOMEM, writes nothing and
 * frees what it built (LeakSanitizer checks that under --enable-sanitizers). */
START_TEST(test_json_nomem)
{
    struct run_result *run = fixture_rich();
    int rc = -1, err;
    long n;

    for (n = 0; rc != 0 && n < 1000; n++) {
        jw_fail_after(n);
        free(render_ex(FORMAT_JSON, run, NULL, 0, &rc, &err));
        ck_assert(rc == 0 || (rc == -1 && err == ENOMEM));
        jw_fail_after(n);
        free(render_ex(FORMAT_JSON, NULL, run->probes[0], 0, &rc, &err));
        ck_assert(rc == 0 || (rc == -1 && err == ENOMEM));
    }
    jw_fail_after(-1);
    ck_assert_int_eq(rc, 0);
    ck_assert_int_gt(n, 2); /* it did fail while its buffer grew */
    fixture_free(run);
}
END_TEST

/* The writer's strings and numbers are byte for byte jansson's (what json.c wrote before it
 * stopped building a tree per run), for every byte, invalid UTF-8, and numbers of every
 * magnitude. */
static void assert_quote_as_jansson(const char *s)
{
    struct jw w;
    char *clean = format_utf8_dup(s), *want;
    json_t *j = json_string(clean);

    ck_assert_ptr_nonnull(j);
    want = json_dumps(j, JSON_ENCODE_ANY);
    jw_init(&w, 0);
    jw_quote(&w, s);
    ck_assert_int_eq(w.failed, 0);
    ck_assert_msg(w.len == strlen(want) && memcmp(w.buf, want, w.len) == 0,
                  "quoting %zu bytes: got %.*s, jansson %s", strlen(s), (int)w.len, w.buf, want);
    free(w.buf);
    free(want);
    free(clean);
    json_decref(j);
}

START_TEST(test_json_strings_as_jansson)
{
    static const char *const cases[] = {
        "",
        "plain",
        "q\"b\\s/",
        "\x7f\x01\x1f\b\f\n\r\t",
        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
        "\xef\xbf\xbd kept",
        "\xc3",
        "a\xc3(",
        "\xe2\x82",
        "\xed\xa0\x80 surrogate",
        "\xc0\xaf overlong",
        "\xf5\x80\x80\x80 past U+10FFFF",
        "\xff\xfe",
        "x\x80y\xbfz",
    };
    char one[3] = {0};

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_quote_as_jansson(cases[i]);
    for (int c = 1; c < 256; c++) {
        one[0] = (char)c;
        one[1] = (char)(c ^ 0x40);
        assert_quote_as_jansson(one);
    }
}
END_TEST

static void assert_number_as_jansson(double v)
{
    struct jw w;
    json_t *a = json_array();
    char *want;

    /* What json.c handed jansson: null, an integer for a whole number below 2^53, a real. */
    if (!isfinite(v))
        json_array_append_new(a, json_null());
    else if (v == floor(v) && fabs(v) < 9007199254740992.0)
        json_array_append_new(a, json_integer((json_int_t)v));
    else
        json_array_append_new(a, json_real(v));
    want = json_dumps(a, JSON_REAL_PRECISION(15) | JSON_COMPACT);
    jw_init(&w, 0);
    jw_open(&w, '[');
    jw_number(&w, v);
    jw_close(&w, ']');
    ck_assert_msg(w.len == strlen(want) && memcmp(w.buf, want, w.len) == 0,
                  "%.17g: got %.*s, jansson %s", v, (int)w.len, w.buf, want);
    free(w.buf);
    free(want);
    json_decref(a);
}

/* A duration in ms as json.c handed it to jansson: round(s * 1e6) / 1e3. */
static void assert_ms_as_jansson(double seconds)
{
    struct jw w, want;

    jw_init(&w, 0);
    jw_ms(&w, seconds);
    jw_init(&want, 0);
    jw_number(&want, round(seconds * 1e6) / 1e3);
    ck_assert_msg(w.len == want.len && memcmp(w.buf, want.buf, w.len) == 0,
                  "%.17g s: got %.*s, expected %.*s", seconds, (int)w.len, w.buf, (int)want.len,
                  want.buf);
    free(w.buf);
    free(want.buf);
}

/* A run's start time, as strftime() wrote it before the digits were put in place by hand. */
START_TEST(test_json_time)
{
    static const double walls[] = {1.5,           951782400.999, 1798761599.0005, 1800000000.123456,
                                   4102444800.25, 253402300799.9};
    struct run_result *run = fixture_rich();
    int rc, err;

    for (size_t i = 0; i < sizeof(walls) / sizeof(walls[0]); i++) {
        time_t secs = (time_t)walls[i];
        struct tm tm;
        char want[64], stamp[40], *s;

        ck_assert_ptr_nonnull(gmtime_r(&secs, &tm));
        strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(want, sizeof(want), "\"time\":\"%s.%03dZ\"", stamp,
                 (int)((walls[i] - (double)secs) * 1000) % 1000);
        run->probes[0]->wall = walls[i];
        s = render_ex(FORMAT_JSON, NULL, run->probes[0], 0, &rc, &err);
        ck_assert_int_eq(rc, 0);
        ck_assert_msg(strstr(s, want), "wall %.6f: expected %s in %s", walls[i], want, s);
        free(s);
    }
    fixture_free(run);
}
END_TEST

START_TEST(test_json_numbers_as_jansson)
{
    static const double cases[] = {0.0,      -0.0,
                                   1,        -1,
                                   0.41,     0.1 + 0.2,
                                   1e15,     1e15 + 0.5,
                                   1e16,     9007199254740992.0,
                                   1e20,     1e21,
                                   1e-5,     2.5e-7,
                                   1e-300,   123456.789012345678,
                                   -3.5e100, 1.7976931348623157e308,
                                   4.9e-324, NAN,
                                   INFINITY, -INFINITY};
    unsigned long long x = 88172645463325252ULL;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_number_as_jansson(cases[i]);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_ms_as_jansson(cases[i] / 1e3);
    /* Random bit patterns: every exponent, both signs, NaNs and infinities too. */
    for (int i = 0; i < 3000; i++) {
        double v;

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        memcpy(&v, &x, sizeof(v));
        assert_number_as_jansson(v);
        assert_number_as_jansson((double)(x % 100000000) / 1000.0); /* milliseconds */
        assert_ms_as_jansson(v);
        assert_ms_as_jansson((double)(x % 100000000) / 1e7 - 3); /* seconds, both signs */
        assert_ms_as_jansson(ldexp((double)(x % 1000), (int)(x % 80) - 40));
    }
}
END_TEST

/* jw_real writes most reals without printf (printf only where it cannot be sure of the last
 * digit): byte for byte what jansson writes with printf, for random bit patterns,
 * milliseconds, times of day, and 15-digit decimals that end in 5 at the 16th digit (the
 * halfway cases, which printf rounds from the double's exact value). */
START_TEST(test_json_real_as_printf)
{
    unsigned long long x = 2463534242ULL;

    for (int i = 0; i < 100000; i++) {
        double v;

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        switch (i % 4) {
        case 0:
            memcpy(&v, &x, sizeof(v));
            break;
        case 1:
            v = (double)(x % 100000000) / 1000.0 + 1.79e9 * (double)(i & 1);
            break;
        case 2:
            v = ((double)(x % 1000000000000000ULL) + 0.5) * pow(10, (int)(x % 40) - 25);
            break;
        default:
            v = ldexp((double)(x % (1ULL << 53)), (int)(x % 120) - 100) * ((x & 1) ? -1 : 1);
        }
        assert_number_as_jansson(v);
    }
}
END_TEST

/* ---- junit -------------------------------------------------------------------------------- */

START_TEST(test_junit)
{
    struct run_result *run = fixture_rich();
    char *s = render(FORMAT_JUNIT, run, 0);

    ck_assert(starts_with(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
    ck_assert_ptr_nonnull(strstr(s, "<testsuites name=\"infraprobe\" tests=\"14\" failures=\"4\" "
                                    "errors=\"3\" time=\"0.041700\">\n"));
    /* the fixture's start is unknown (0): no timestamp; the host that ran it always */
    ck_assert_ptr_null(strstr(s, "timestamp="));
    ck_assert_uint_eq(count(s, " hostname=\""), 5);
    ck_assert_uint_eq(count(s, "<testsuite "), 5);
    ck_assert_uint_eq(count(s, "</testsuite>"), 5);
    ck_assert_uint_eq(count(s, "<testcase "), FIXTURE_RICH_TESTS);
    ck_assert_uint_eq(count(s, "</testcase>"), FIXTURE_RICH_TESTS);
    ck_assert_ptr_nonnull(strstr(s, "<testsuite name=\"redis-main\" tests=\"6\" failures=\"2\" "
                                    "errors=\"1\" skipped=\"1\" time=\"0.003100\" hostname=\""));
    ck_assert_ptr_nonnull(strstr(s, "<testcase classname=\"redis.redis-main\" "
                                    "name=\"write 127.0.0.1:6379\" time=\"0.012300\">\n"
                                    "      <failure message=\"SET timed out after 1.000 s\" "
                                    "type=\"critical\">"));
    ck_assert_ptr_nonnull(strstr(s, "<failure message=\"ttl 59 s &lt; 60 s&#10;second line\" "
                                    "type=\"warning\">"));
    ck_assert_ptr_nonnull(strstr(s, "<skipped message=\"no persistence # configured\"/>"));
    ck_assert_ptr_nonnull(strstr(s, "<error message=\"INFO said \xef\xbf\xbd bell\xef\xbf\xbd bad "
                                    "\xef\xbf\xbd byte, caf\xc3\xa9 \xe2\x9c\x93\" "
                                    "type=\"unknown\">"));
    ck_assert_ptr_nonnull(strstr(s, "<system-out>said &quot;hi&quot; &lt;b&gt; &amp; &apos;q&apos; "
                                    "# not a comment \\ back</system-out>"));
    ck_assert_ptr_nonnull(strstr(s, "<testsuite name=\"etcd &lt;eu&gt; &amp; &quot;west&quot; "
                                    "#1\" tests=\"3\" failures=\"1\" errors=\"1\""));
    ck_assert_ptr_nonnull(strstr(s, "classname=\"etcd.etcd &lt;eu&gt; &amp; &quot;west&quot; #1\" "
                                    "name=\"watch host#1:2379\""));
    ck_assert_ptr_nonnull(strstr(s, "name=\"produce broker-1:9092\""));
    ck_assert_ptr_nonnull(strstr(s, "name=\"produce broker-2:9092\""));
    ck_assert_ptr_nonnull(strstr(s, "<system-out>15000 msg/s &lt; 20000 msg/s&#10;"
                                    "value: 15000 msg/s</system-out>"));
    /* the timed-out probe is an error, not an empty (passing) suite */
    ck_assert_ptr_nonnull(strstr(s, "<testsuite name=\"mysql-main\" tests=\"1\" failures=\"0\" "
                                    "errors=\"1\" skipped=\"0\""));
    ck_assert_ptr_nonnull(strstr(s, "<testcase classname=\"mysql.mysql-main\" name=\"probe\""));
    ck_assert_ptr_null(strchr(s, '\x01'));
    ck_assert_ptr_null(strchr(s, '\x07'));
    ck_assert_ptr_null(strstr(s, "\xff"));
    ck_assert(strcmp(s + strlen(s) - 14, "</testsuites>\n") == 0);
    free(s);
    fixture_free(run);
}
END_TEST

/* Two checks with one name and target still make two testcases of distinct names. */
START_TEST(test_junit_unique)
{
    struct run_result *run = fixture_one();
    struct check_result *c = &run->probes[0]->checks[1];
    char *s;

    set_str(&c->name, "connect");
    set_str(&c->target, "127.0.0.1:6379");
    s = render(FORMAT_JUNIT, run, 0);
    ck_assert_uint_eq(count(s, "name=\"connect 127.0.0.1:6379\""), 1);
    ck_assert_uint_eq(count(s, "name=\"connect 127.0.0.1:6379 (2)\""), 1);
    free(s);
    fixture_free(run);
}
END_TEST

/* ---- tap ---------------------------------------------------------------------------------- */

/* In a test line, every '#' is escaped but the one that starts a SKIP directive. */
static void assert_tap_hashes(const char *s)
{
    for (const char *line = s; *line; line = strchr(line, '\n') + 1) {
        const char *end = strchr(line, '\n');

        ck_assert_ptr_nonnull(end);
        if (strncmp(line, "ok ", 3) != 0 && strncmp(line, "not ok ", 7) != 0)
            continue;
        const char *skip = strstr(line, " # SKIP ");
        for (const char *p = line; p < end; p++) {
            if (*p == '\\') {
                p++; /* an escape: \# or \\ */
                continue;
            }
            ck_assert_msg(*p != '#' || p == skip + 1, "unescaped '#' in: %.*s", (int)(end - line),
                          line);
        }
    }
}

START_TEST(test_tap)
{
    struct run_result *run = fixture_rich();
    char *s = render(FORMAT_TAP, run, 0);

    ck_assert(starts_with(s, "TAP version 13\n1..14\n"));
    ck_assert_uint_eq(count_lines(s, "not ok "), FIXTURE_RICH_FAILED);
    ck_assert_uint_eq(count_lines(s, "ok "), FIXTURE_RICH_TESTS - FIXTURE_RICH_FAILED);
    ck_assert_uint_eq(count_lines(s, "  ---"), FIXTURE_RICH_TESTS);
    ck_assert_uint_eq(count_lines(s, "  ..."), FIXTURE_RICH_TESTS);
    ck_assert_ptr_nonnull(strstr(s, "\nok 1 - redis-main connect 127.0.0.1:6379\n  ---\n"
                                    "  status: ok\n  probe: \"redis-main\"\n  plugin: \"redis\"\n"
                                    "  check: \"connect\"\n  target: \"127.0.0.1:6379\"\n"
                                    "  duration_ms: 0.41\n  message: \"connected\"\n  ...\n"));
    ck_assert_ptr_nonnull(strstr(s, "\nnot ok 2 - redis-main write 127.0.0.1:6379\n"));
    ck_assert_ptr_nonnull(strstr(s, "\nok 3 - redis-main read\n"));
    ck_assert_ptr_nonnull(
        strstr(s, "  message: \"said \\\"hi\\\" <b> & 'q' # not a comment \\\\ back\"\n"));
    /* a warning fails, like --once's exit code 1 and JUnit's failure */
    ck_assert_ptr_nonnull(strstr(s, "\nnot ok 4 - redis-main ttl\n  ---\n  status: warning\n"));
    ck_assert_ptr_nonnull(strstr(s, "  message: \"ttl 59 s < 60 s\\nsecond line\"\n"));
    ck_assert_ptr_nonnull(
        strstr(s, "\nok 5 - redis-main persistence # SKIP no persistence \\# configured\n"));
    ck_assert_ptr_nonnull(strstr(s, "\nnot ok 6 - redis-main replication\n"));
    ck_assert_ptr_nonnull(strstr(s, "  message: \"INFO said \\x01 bell\\x07 bad \xef\xbf\xbd "
                                    "byte, caf\xc3\xa9 \xe2\x9c\x93\"\n"));
    ck_assert_ptr_nonnull(strstr(s, "\nnot ok 7 - kafka-main throughput \\#TODO\n"));
    ck_assert_ptr_nonnull(strstr(s, "  duration_ms: 1000\n  value: 15000\n  unit: \"msg/s\"\n"));
    ck_assert_ptr_nonnull(strstr(s, "\nnot ok 11 - etcd <eu> & \"west\" \\#1 leader\n"));
    ck_assert_ptr_nonnull(strstr(s, "  probe: \"etcd <eu> & \\\"west\\\" #1\"\n"));
    ck_assert_ptr_nonnull(strstr(s, "\nok 13 - etcd <eu> & \"west\" \\#1 watch host\\#1:2379\n"));
    ck_assert_ptr_nonnull(strstr(s, "  value: .nan\n"));
    ck_assert_ptr_nonnull(strstr(s, "\nnot ok 14 - mysql-main probe\n  ---\n  status: unknown\n"));
    ck_assert_ptr_null(strchr(s, '\x01'));
    assert_tap_hashes(s);
    free(s);
    fixture_free(run);
}
END_TEST

START_TEST(test_tap_empty)
{
    struct run_result run = {.status = IP_OK, .duration = 0, .probes = NULL, .nprobes = 0};
    char *s = render(FORMAT_TAP, &run, 0);

    ck_assert_str_eq(s, "TAP version 13\n1..0 # SKIP no checks\n");
    free(s);
}
END_TEST

/* ---- html ------------------------------------------------------------------------------- */

/* Every probe and check, escaped; the unknown probe no check explains gets its row; nothing
 * fetched from elsewhere, no script. */
START_TEST(test_html)
{
    struct run_result *run = fixture_rich();
    char *s;

    set_str(&run->probes[0]->checks[0].message, "ctl\x01 bad\xff <b>");
    set_str(&run->probes[0]->checks[0].hint, "check maxmemory & the eviction policy");
    s = render(FORMAT_HTML, run, 0);
    ck_assert_ptr_nonnull(strstr(
        s, "<br><span class=\"hint\">hint: check maxmemory &amp; the eviction policy</span>"));
    ck_assert(strncmp(s, "<!DOCTYPE html>\n<html lang=\"en\">", 31) == 0);
    ck_assert_ptr_nonnull(strstr(s, "<h2>etcd &lt;eu&gt; &amp; &quot;west&quot; #1 "
                                    "<span class=\"badge critical\">critical</span></h2>"));
    ck_assert_ptr_nonnull(strstr(s, "ctl\xef\xbf\xbd bad\xef\xbf\xbd &lt;b&gt;"));
    ck_assert_ptr_nonnull(strstr(s, "<tr class=\"check unknown\"><td>probe</td>"));
    ck_assert_ptr_nonnull(strstr(s, "15000 msg/s"));
    ck_assert_uint_eq(count(s, "<section class=\"probe\">"), 5);
    ck_assert_uint_eq(count(s, "<tr class=\"check "), 14); /* 13 checks and mysql-main's */
    ck_assert_ptr_null(strstr(s, "<script"));
    ck_assert_ptr_null(strstr(s, "src="));
    ck_assert_ptr_null(strstr(s, "href="));
    ck_assert_ptr_null(strstr(s, "url("));
    ck_assert_ptr_null(strstr(s, "<svg")); /* no drill, no timeline */
    free(s);
    fixture_free(run);
}
END_TEST

/* A drill's timeline: a mark per operation in the row of its outcome, the lost one named,
 * fault and restore lines, the spans until detected and until recovered. */
START_TEST(test_html_timeline)
{
    struct timeline_event ev[] = {
        {TL_OPERATION, 0, 0.10, 0.11, 1, NULL},   {TL_OPERATION, 1, 0.20, 0.21, 1, NULL},
        {TL_FAULT, -1, 0.30, 0.35, 1, "stop"},    {TL_OPERATION, 2, 0.40, 0.41, 0, "refused <x>"},
        {TL_DETECTED, -1, 0.45, 0.45, 1, NULL},   {TL_OPERATION, 3, 0.60, 0.61, 1, NULL},
        {TL_RECOVERED, -1, 0.61, 0.61, 1, NULL},  {TL_RESTORE, -1, 0.70, 0.72, 1, "start"},
        {TL_LOST, 1, 0.80, 0.80, 0, "not found"},
    };
    struct run_result *run = fixture_ok();
    struct ip_report *p = run->probes[0];
    char *s;

    p->events = ev;
    p->nevents = sizeof(ev) / sizeof(ev[0]);
    s = render(FORMAT_HTML, run, 0);
    ck_assert_uint_eq(count(s, "<svg class=\"timeline\""), 1);
    ck_assert_uint_eq(count(s, "<circle class=\"op acked\""), 2);
    ck_assert_uint_eq(count(s, "<circle class=\"op failed\""), 1);
    ck_assert_uint_eq(count(s, "<circle class=\"op lost\""), 1);
    ck_assert_ptr_nonnull(strstr(s, "<title>operation 1 at 0.200 s: lost</title>"));
    ck_assert_ptr_nonnull(strstr(s, "<title>operation 2 at 0.400 s: failed: refused &lt;x&gt;"));
    ck_assert_uint_eq(count(s, "<line class=\"fault\""), 1);
    ck_assert_uint_eq(count(s, "<line class=\"restore\""), 1);
    ck_assert_ptr_nonnull(strstr(s, "<title>fault stop at 0.300 s for 0.050 s</title>"));
    /* detect from the fault (0.30) to 0.45, recover from there to 0.61 */
    ck_assert_ptr_nonnull(strstr(s, "<title>until the fault was detected: 0.150 s</title>"));
    ck_assert_ptr_nonnull(strstr(s, "<title>until the service recovered: 0.160 s</title>"));
    ck_assert_ptr_nonnull(strstr(s, "<li>operation 1, acknowledged at 0.210 s</li>"));
    free(s);
    p->events = NULL;
    p->nevents = 0;
    fixture_free(run);
}
END_TEST

/* A timeline of several faults (netpart's partitions in turn): a text line and a plot per
 * fault, each labelled with it, its spans from its own fault to its own detection and recovery,
 * and its ticks telling apart the milliseconds of a short partition late in the run. */
START_TEST(test_timeline_episodes)
{
    struct timeline_event ev[] = {
        {TL_FAULT, -1, 0.10, 0.11, 1, "blackhole redis://h:1"},
        {TL_OPERATION, 0, 0.12, 1.12, 0, "ETIMEDOUT: PING"},
        {TL_DETECTED, -1, 1.12, 1.12, 1, "blackhole redis://h:1: ETIMEDOUT"},
        {TL_RESTORE, -1, 1.13, 1.14, 1, "blackhole redis://h:1"},
        {TL_OPERATION, 1, 1.15, 1.16, 1, NULL},
        {TL_RECOVERED, -1, 1.16, 1.16, 1, "blackhole redis://h:1"},
        {TL_FAULT, -1, 2.0000, 2.0004, 1, "reject redis://h:1"},
        {TL_OPERATION, 2, 2.0005, 2.0006, 0, "ECONNRESET: PING"},
        {TL_DETECTED, -1, 2.0006, 2.0006, 1, "reject redis://h:1: ECONNRESET"},
        {TL_RESTORE, -1, 2.0007, 2.0009, 1, "reject redis://h:1"},
        {TL_OPERATION, 3, 2.0010, 2.0012, 1, NULL},
        {TL_RECOVERED, -1, 2.0012, 2.0012, 1, "reject redis://h:1"},
    };
    struct run_result *run = fixture_ok();
    struct ip_report *p = run->probes[0];
    char *s;

    p->events = ev;
    p->nevents = sizeof(ev) / sizeof(ev[0]);
    s = render(FORMAT_TEXT, run, 0);
    ck_assert_uint_eq(count(s, " timeline "), 2);
    ck_assert_ptr_nonnull(strstr(s, "  fault blackhole redis://h:1 at 0.100 s for 0.010 s; "
                                    "1 operation, 0 ok, 1 failed; detected at 1.120 s; restore "
                                    "blackhole redis://h:1 at 1.130 s for 0.010 s; 1 operation, 1 "
                                    "ok, 0 failed; recovered at 1.160 s\n"));
    ck_assert_ptr_nonnull(strstr(s, "  fault reject redis://h:1 at 2.000 s"));
    free(s);
    s = render(FORMAT_HTML, run, 0);
    ck_assert_uint_eq(count(s, "<svg class=\"timeline\""), 2);
    ck_assert_ptr_nonnull(strstr(s, "aria-label=\"fault 1 of 2: blackhole redis://h:1\""));
    ck_assert_ptr_nonnull(strstr(s, "<figcaption>Fault 2 of 2, reject redis://h:1:"));
    ck_assert_uint_eq(count(s, "<line class=\"fault\""), 2);
    ck_assert_uint_eq(count(s, "<line class=\"restore\""), 2);
    ck_assert_uint_eq(count(s, "<circle class=\"op failed\""), 2);
    ck_assert_uint_eq(count(s, "<circle class=\"op acked\""), 2);
    /* Each span runs from its own fault: 1.02 s to the first detection, 0.6 ms to the second. */
    ck_assert_ptr_nonnull(strstr(s, "<title>until the fault was detected: 1.020 s</title>"));
    ck_assert_ptr_nonnull(strstr(s, "<title>until the fault was detected: 0.001 s</title>"));
    ck_assert_ptr_nonnull(strstr(s, "<title>until the service recovered: 0.040 s</title>"));
    ck_assert_ptr_nonnull(strstr(s, ">2.0002 s</text>"));
    free(s);
    p->events = NULL;
    p->nevents = 0;
    fixture_free(run);
}
END_TEST

/* ---- prometheus --------------------------------------------------------------------------- */

/*
 * The structure promtool wants: every HELP once, followed by its TYPE; every sample under
 * the HELP/TYPE of its own name. Returns the number of samples.
 */
static size_t assert_prometheus_groups(const char *s)
{
    char names[64][128];
    size_t nnames = 0, samples = 0;
    char family[128] = "";

    for (const char *line = s; *line; line = strchr(line, '\n') + 1) {
        const char *end = strchr(line, '\n');
        size_t len;

        ck_assert_ptr_nonnull(end);
        if (strncmp(line, "# HELP ", 7) == 0) {
            len = strcspn(line + 7, " \n");
            ck_assert_uint_lt(len, sizeof(family));
            memcpy(family, line + 7, len);
            family[len] = '\0';
            for (size_t i = 0; i < nnames; i++)
                ck_assert_msg(strcmp(names[i], family) != 0, "HELP %s twice", family);
            ck_assert_uint_lt(nnames, 64);
            strcpy(names[nnames++], family);
            /* the next line is its TYPE */
            ck_assert(strncmp(end + 1, "# TYPE ", 7) == 0);
            ck_assert(strncmp(end + 8, family, len) == 0 && end[8 + len] == ' ');
            continue;
        }
        if (line[0] == '#')
            continue;
        len = strcspn(line, "{ ");
        ck_assert_msg(strlen(family) == len && strncmp(line, family, len) == 0,
                      "sample %.*s outside its family (in %s)", (int)len, line, family);
        samples++;
    }
    return samples;
}

START_TEST(test_prometheus)
{
    struct run_result *run = fixture_rich();
    char *s = render(FORMAT_PROMETHEUS, run, 0);

    /* 1 build, 2 run, 5+5+5+5 probe, 13+13 check, 3 value, 2+1+1 redis and 2 kafka samples */
    ck_assert_uint_eq(assert_prometheus_groups(s), 58);
    ck_assert_ptr_nonnull(
        strstr(s, "\ninfraprobe_build_info{version=\"" PACKAGE_VERSION "\",abi=\""));
    ck_assert_ptr_nonnull(strstr(s, "\ninfraprobe_probe_success{probe=\"kafka-main\","
                                    "plugin=\"kafka\"} 1\n")); /* a warning */
    ck_assert_ptr_nonnull(strstr(s, "\ninfraprobe_probe_success{probe=\"mysql-main\","
                                    "plugin=\"mysql\"} 0\n")); /* unknown */
    /* --once has no counters: only the daemon counts runs. */
    ck_assert_ptr_null(strstr(s, "infraprobe_probe_runs_total"));
    ck_assert_uint_eq(count(s, "# HELP infraprobe_redis_connected_clients "), 1);
    ck_assert_ptr_nonnull(strstr(s, "# TYPE infraprobe_redis_connected_clients gauge\n"
                                    "infraprobe_redis_connected_clients{probe=\"redis-main\","
                                    "role=\"master\"} 3\n"
                                    "infraprobe_redis_connected_clients{probe=\"redis-replica\","
                                    "role=\"replica\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(s, "\ninfraprobe_run_status 2\n"));
    ck_assert_ptr_nonnull(strstr(s, "\ninfraprobe_run_duration_seconds 0.0417\n"));
    ck_assert_ptr_nonnull(strstr(s, "\ninfraprobe_probe_status{probe=\"mysql-main\","
                                    "plugin=\"mysql\"} 3\n"));
    ck_assert_ptr_nonnull(strstr(s, "\ninfraprobe_probe_status{probe=\"etcd <eu> & \\\"west\\\" "
                                    "#1\",plugin=\"etcd\"} 2\n"));
    ck_assert_ptr_nonnull(strstr(s, "\ninfraprobe_check_status{probe=\"redis-main\","
                                    "check=\"write\",target=\"127.0.0.1:6379\"} 2\n"));
    ck_assert_ptr_nonnull(strstr(s, "\ninfraprobe_check_status{probe=\"redis-main\","
                                    "check=\"persistence\"} 0\n")); /* skipped */
    ck_assert_ptr_nonnull(strstr(s, "\ninfraprobe_check_duration_seconds{probe=\"redis-main\","
                                    "check=\"connect\",target=\"127.0.0.1:6379\"} 0.00041\n"));
    ck_assert_ptr_nonnull(strstr(s, "\ninfraprobe_check_value_messages_per_second{probe=\"kafka-"
                                    "main\",check=\"throughput\",target=\"#TODO\"} 15000\n"));
    ck_assert_ptr_nonnull(strstr(s, "\ninfraprobe_check_value{probe=\"etcd <eu> & \\\"west\\\" "
                                    "#1\",check=\"members\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(s, "check=\"watch\",target=\"host#1:2379\"} NaN\n"));
    ck_assert_ptr_null(strstr(s, "infraprobe_check_value{probe=\"redis-main\""));
    ck_assert_ptr_nonnull(strstr(s, "# TYPE infraprobe_redis_commands_total counter\n"));
    ck_assert_ptr_nonnull(strstr(s, "\ninfraprobe_redis_commands_total{probe=\"redis-main\","
                                    "target=\"127.0.0.1:6379\"} 1234\n"));
    ck_assert_ptr_nonnull(strstr(s, "# HELP infraprobe_redis_memory_fragmentation_ratio "
                                    "Fragmentation \\\\ ratio\\nsecond line\n"));
    ck_assert_ptr_nonnull(strstr(s, "{probe=\"redis-main\",note=\"quote \\\" back \\\\ nl \\n "
                                    "caf\xc3\xa9\"} NaN\n"));
    ck_assert_ptr_nonnull(strstr(s, "\ninfraprobe_kafka_lag_seconds{probe=\"kafka-main\"} +Inf\n"));
    ck_assert_ptr_nonnull(strstr(s, "# HELP infraprobe_kafka_lag_seconds Metric of the kafka "
                                    "plugin.\n"));
    free(s);
    fixture_free(run);
}
END_TEST

/* One value series per unit, in base units: a graph never adds a latency to a percentage. */
START_TEST(test_prometheus_units)
{
    static const struct {
        const char *unit;
        double value;
        const char *sample;
    } cases[] = {
        {"s", 0.25, "infraprobe_check_value_seconds{probe=\"tcp-local\",check=\"c0\"} 0.25\n"},
        {"ms", 250, "infraprobe_check_value_seconds{probe=\"tcp-local\",check=\"c1\"} 0.25\n"},
        {"%", 50, "infraprobe_check_value_ratio{probe=\"tcp-local\",check=\"c2\"} 0.5\n"},
        {"bytes", 7, "infraprobe_check_value_bytes{probe=\"tcp-local\",check=\"c3\"} 7\n"},
        {"Req/s", 3, "infraprobe_check_value_req_per_second{probe=\"tcp-local\",check=\"c4\"} 3\n"},
        {"\xe2\x82\xac per-k", 2,
         "infraprobe_check_value_per_k{probe=\"tcp-local\",check=\"c5\"} 2\n"},
        {NULL, 9, "infraprobe_check_value{probe=\"tcp-local\",check=\"c6\"} 9\n"},
    };
    struct run_result *run = fixture_ok();
    struct ip_report *p = run->probes[0];
    size_t n = sizeof(cases) / sizeof(cases[0]);
    char *s;

    p->checks = realloc(p->checks, n * sizeof(*p->checks));
    ck_assert_ptr_nonnull(p->checks);
    for (size_t i = p->nchecks; i < n; i++)
        memset(&p->checks[i], 0, sizeof(p->checks[i]));
    p->nchecks = n;
    for (size_t i = 0; i < n; i++) {
        char name[8];

        snprintf(name, sizeof(name), "c%zu", i);
        set_str(&p->checks[i].name, name);
        set_str(&p->checks[i].target, NULL);
        set_str(&p->checks[i].unit, cases[i].unit);
        p->checks[i].has_value = 1;
        p->checks[i].value = cases[i].value;
    }
    s = render(FORMAT_PROMETHEUS, run, 0);
    assert_prometheus_groups(s);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(strstr(s, cases[i].sample), "no %s in\n%s", cases[i].sample, s);
    /* seconds from s and ms under one HELP: one family per unit */
    ck_assert_uint_eq(count(s, "# TYPE infraprobe_check_value_seconds gauge\n"), 1);
    ck_assert_uint_eq(count(s, "# TYPE infraprobe_check_value"), 6);
    free(s);
    fixture_free(run);
}
END_TEST

/* A plugin metric must not break the exposition: its labels named like the core's are
 * dropped, a metric named like a core series is left out, and no HELP is ever empty. */
START_TEST(test_prometheus_collisions)
{
    struct run_result *run = fixture_ok();
    struct metric_result *m = &run->probes[0]->metrics[0];
    char *s;

    m->labels = calloc(5, sizeof(*m->labels));
    ck_assert_ptr_nonnull(m->labels);
    set_str(&m->labels[0], "probe");
    set_str(&m->labels[1], "evil");
    set_str(&m->labels[2], "zone");
    set_str(&m->labels[3], "a");
    set_str(&m->help, NULL);
    s = render(FORMAT_PROMETHEUS, run, 0);
    assert_prometheus_groups(s);
    ck_assert_ptr_nonnull(strstr(s, "# HELP infraprobe_tcp_connect_seconds Metric of the tcp "
                                    "plugin.\n"));
    ck_assert_ptr_nonnull(strstr(s, "\ninfraprobe_tcp_connect_seconds{probe=\"tcp-local\","
                                    "target=\"127.0.0.1:22\",zone=\"a\"} 0.0012\n"));
    ck_assert_ptr_null(strstr(s, "evil"));
    free(s);
    s = render(FORMAT_JSON, run, 0);
    ck_assert_ptr_nonnull(
        strstr(s, "\"labels\": {\n            \"zone\": \"a\",\n            \"target\": "
                  "\"127.0.0.1:22\"\n          }"));
    ck_assert_ptr_null(strstr(s, "evil"));
    free(s);

    set_str(&m->name, "infraprobe_check_status");
    s = render(FORMAT_PROMETHEUS, run, 0);
    assert_prometheus_groups(s);
    ck_assert_uint_eq(count(s, "# HELP infraprobe_check_status "), 1);
    ck_assert_uint_eq(count(s, "\ninfraprobe_check_status{"), 2); /* the two checks' */
    ck_assert_ptr_null(strstr(s, "infraprobe_check_status{probe=\"tcp-local\",target="));
    free(s);
    fixture_free(run);
}
END_TEST

/* ---- nagios ------------------------------------------------------------------------------- */

START_TEST(test_nagios)
{
    struct run_result *run = fixture_one();
    char *s = render(FORMAT_NAGIOS, run, 0);

    ck_assert_str_eq(s, "REDIS WARNING - 4/6 checks ok, 1 warning, 1 skipped: "
                        "pool: 3 idle connections, want 5 | "
                        "connect_127.0.0.1:6379=0.41ms;1;10 write=0.5ms;1;10 "
                        "'read_it''s here=1'=0.2ms;1;10 pool=3;5:;2: persistence=2048B;1048576\n"
                        "[OK] connect 127.0.0.1:6379: connected (0.41 ms)\n"
                        "[OK] write: SET ok (0.5 ms)\n"
                        "[OK] read it's here=1: GET ok (0.2 ms)\n"
                        "[WARNING] pool: 3 idle connections, want 5 (0.1 ms)\n"
                        "[OK] persistence: rdb 2048 bytes (0.3 ms)\n"
                        "[SKIPPED] ttl: no ttl / configured (0 ms)\n");
    free(s);
    fixture_free(run);
}
END_TEST

START_TEST(test_nagios_not_one_probe)
{
    struct run_result *rich = fixture_rich();
    struct run_result none = {.status = IP_OK, .duration = 0, .probes = NULL, .nprobes = 0};
    int rc, err;
    char *s = render_ex(FORMAT_NAGIOS, rich, NULL, 0, &rc, &err);

    ck_assert_int_eq(rc, -1);
    ck_assert_int_eq(err, EINVAL);
    ck_assert_str_eq(s, ""); /* nothing for Nagios to misread */
    free(s);
    s = render_ex(FORMAT_NAGIOS, &none, NULL, 0, &rc, &err);
    ck_assert_int_eq(rc, -1);
    ck_assert_int_eq(err, EINVAL);
    free(s);
    fixture_free(rich);
}
END_TEST

/* Each testsuite says when its probe started (UTC) and on which host; the testsuites element
 * the earliest start. */
START_TEST(test_junit_timestamp_hostname)
{
    struct run_result *run = fixture_rich();
    char host[256] = "", want[400];
    char *s;

    run->probes[0]->wall = 1796076303.75; /* 2026-11-30T22:05:03Z */
    run->probes[1]->wall = 1796076302.5;
    s = render(FORMAT_JUNIT, run, 0);
    ck_assert_msg(strstr(s, "time=\"0.041700\" timestamp=\"2026-11-30T22:05:02Z\">\n"), "got: %s",
                  s);
    ck_assert_msg(strstr(s, "time=\"0.003100\" timestamp=\"2026-11-30T22:05:03Z\" hostname=\""),
                  "got: %s", s);
    ck_assert_uint_eq(count(s, " timestamp=\""), 3);
    ck_assert_int_eq(gethostname(host, sizeof(host) - 1), 0);
    snprintf(want, sizeof(want), " hostname=\"%s\">", host);
    ck_assert_uint_eq(count(s, want), 5);
    free(s);
    fixture_free(run);
}
END_TEST

/* Perfdata's min and max where the value's unit bounds it: a percentage, a ratio. */
START_TEST(test_nagios_min_max)
{
    struct run_result *run = fixture_one();
    struct check_result *pool = &run->probes[0]->checks[3];
    char *s;

    ck_assert_str_eq(pool->name, "pool");
    set_str(&pool->unit, "%");
    pool->value = 42.5;
    s = render(FORMAT_NAGIOS, run, 0);
    ck_assert_msg(strstr(s, " pool=42.5%;5:;2:;0;100 "), "got: %s", s);
    free(s);
    set_str(&pool->unit, "ratio");
    pool->value = 0.25;
    pool->has_crit = 0;
    s = render(FORMAT_NAGIOS, run, 0);
    ck_assert_msg(strstr(s, " pool=0.25;5:;;0;1 "), "got: %s", s);
    free(s);
    pool->has_warn = 0;
    s = render(FORMAT_NAGIOS, run, 0);
    ck_assert_msg(strstr(s, " pool=0.25;;;0;1 "), "got: %s", s);
    free(s);
    /* a latency, or a value without bounds, has none */
    ck_assert_msg(strstr(s = render(FORMAT_NAGIOS, run, 0), " persistence=2048B;1048576\n"),
                  "got: %s", s);
    free(s);
    fixture_free(run);
}
END_TEST

/* A check's hint travels in every human and machine format, escaped as its message is. */
START_TEST(test_hint)
{
    struct run_result *run = fixture_rich();
    struct check_result *write = &run->probes[0]->checks[1];
    char *s;

    ck_assert_str_eq(write->name, "write");
    set_str(&write->hint, "slow \"disk\" | <io> & \x01"
                          "bell");
    s = render(FORMAT_TEXT, run, 0);
    ck_assert_msg(strstr(s, "SET timed out after 1.000 s\n"
                            "            redis-main               hint                    "
                            "slow \"disk\" | <io> & ?bell\n"),
                  "got: %s", s);
    ck_assert_uint_eq(count(s, "  hint  "), 1);
    free(s);
    s = render(FORMAT_JSON, run, 0);
    ck_assert_ptr_nonnull(strstr(s, "\"hint\": \"slow \\\"disk\\\" | <io> & \\u0001bell\""));
    ck_assert_uint_eq(count(s, "\"hint\""), 1);
    free(s);
    s = render_probe(FORMAT_NAGIOS, run->probes[0], 0);
    ck_assert_msg(strstr(s, "\n[CRITICAL] write 127.0.0.1:6379: SET timed out after 1.000 s "
                            "(12.3 ms)\n    hint: slow \"disk\" / <io> &  bell\n"),
                  "got: %s", s);
    free(s);
    s = render(FORMAT_JUNIT, run, 0);
    ck_assert_ptr_nonnull(strstr(s, "&#10;hint: slow &quot;disk&quot; | &lt;io&gt; &amp; "));
    free(s);
    s = render(FORMAT_TAP, run, 0);
    ck_assert_ptr_nonnull(strstr(s, "\n  hint: "));
    free(s);
    fixture_free(run);
}
END_TEST

/* The summary names the check that explains the probe's status. */
START_TEST(test_nagios_probes)
{
    struct run_result *run = fixture_rich();
    char *s = render_probe(FORMAT_NAGIOS, run->probes[0], 0);

    const char *first = "REDIS CRITICAL - 2/6 checks ok, 1 warning, 1 critical, 1 unknown, 1 "
                        "skipped: write 127.0.0.1:6379: SET timed out after 1.000 s | "
                        "connect_127.0.0.1:6379=0.41ms;1;10 write_127.0.0.1:6379=12.3ms;1;10 "
                        "read=0.2ms;1;10 ttl=2ms;1;10 replication=0.7ms\n";

    ck_assert_msg(starts_with(s, first), "got: %s", s);
    ck_assert_ptr_nonnull(strstr(s, "\n[WARNING] ttl: ttl 59 s < 60 s second line (2 ms)\n"));
    ck_assert_ptr_nonnull(strstr(s, "\n[UNKNOWN] replication: INFO said   bell  bad "));
    ck_assert_uint_eq(count(s, "\n"), 7);
    free(s);

    s = render_probe(FORMAT_NAGIOS, run->probes[3], 0);
    ck_assert_str_eq(s, "ETCD CRITICAL - 1/3 checks ok, 1 critical, 1 unknown: members: 1 of 3 "
                        "members healthy | leader=5ms;5;50 members=1;3:;2: "
                        "watch_host#1:2379=2ms;10;100 watch_host#1:2379_value=U\n"
                        "[UNKNOWN] leader: no leader: \"context deadline exceeded\" (5 ms)\n"
                        "[CRITICAL] members: 1 of 3 members healthy (1 ms)\n"
                        "[OK] watch host#1:2379: watch ok (2 ms)\n");
    free(s);

    s = render_probe(FORMAT_NAGIOS, run->probes[4], 0);
    ck_assert_str_eq(s, "MYSQL UNKNOWN - 0/0 checks ok: probe: probe is unknown, and no check "
                        "says why\n"
                        "[UNKNOWN] probe: probe is unknown, and no check says why\n");
    free(s);
    fixture_free(run);
}
END_TEST

static Suite *format_suite(void)
{
    Suite *s = suite_create("format");
    TCase *tc = tcase_create("core");

    /* The jansson comparisons format some 30,000 numbers and strings: a fraction of a second,
     * but more than Check's default 4 s on a loaded machine under the sanitizers. */
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_parse);
    tcase_add_test(tc, test_invalid_arguments);
    tcase_add_test(tc, test_write_error);
    tcase_add_test(tc, test_utf8);
    tcase_add_test(tc, test_number);
    tcase_add_test(tc, test_probe_extra);
    tcase_add_test(tc, test_text);
    tcase_add_test(tc, test_text_colour);
    tcase_add_test(tc, test_text_probe);
    tcase_add_test(tc, test_json);
    tcase_add_test(tc, test_json_lines);
    tcase_add_test(tc, test_json_nomem);
    tcase_add_test(tc, test_json_strings_as_jansson);
    tcase_add_test(tc, test_json_numbers_as_jansson);
    tcase_add_test(tc, test_json_real_as_printf);
    tcase_add_test(tc, test_json_time);
    tcase_add_test(tc, test_junit);
    tcase_add_test(tc, test_junit_unique);
    tcase_add_test(tc, test_tap);
    tcase_add_test(tc, test_tap_empty);
    tcase_add_test(tc, test_prometheus);
    tcase_add_test(tc, test_prometheus_collisions);
    tcase_add_test(tc, test_prometheus_units);
    tcase_add_test(tc, test_html);
    tcase_add_test(tc, test_html_timeline);
    tcase_add_test(tc, test_timeline_episodes);
    tcase_add_test(tc, test_nagios);
    tcase_add_test(tc, test_nagios_not_one_probe);
    tcase_add_test(tc, test_nagios_probes);
    tcase_add_test(tc, test_hint);
    tcase_add_test(tc, test_nagios_min_max);
    tcase_add_test(tc, test_junit_timestamp_hostname);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(format_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
