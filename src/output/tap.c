/*
 * --format tap: TAP version 13 as `prove` reads it. A test point per check, described
 * "PROBE CHECK[ TARGET]", followed by a YAML diagnostic block (status, duration, value,
 * message). What is "not ok" is what the --once exit code calls a failure:
 *   ok       -> ok
 *   skipped  -> ok ... # SKIP message
 *   warning  -> not ok: --once exits 1 for it and JUnit reports it as a failure, so a CI
 *               gate reading TAP must fail on it too (a TODO directive would hide it: prove
 *               counts a failing TODO as a pass); the YAML block says "status: warning"
 *   critical, unknown -> not ok (unknown is "we could not tell", never a pass)
 * YAML strings are double-quoted with only the escapes TAP::Parser's YAMLish reader knows
 * (\" \\ \n \r \t \xNN).
 */
#include "config.h"

#include <math.h>

#include "output_util.h"
#include "writers.h"

/* A test point's description or directive text: one line, with '#' and '\' escaped as
 * TAP::Parser unescapes them, so that no '#' starts a directive. */
static void tap_desc(FILE *out, const char *s)
{
    unsigned long cp;
    char buf[4];

    for (s = format_str(s); *s;) {
        s += format_utf8_next(s, &cp);
        if (cp == '#' || cp == '\\')
            fputc('\\', out);
        else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0x2028 || cp == 0x2029)
            cp = ' ';
        fwrite(buf, 1, format_utf8_put(buf, cp), out);
    }
}

/* A double-quoted YAML scalar. */
static void tap_yaml_str(FILE *out, const char *s)
{
    unsigned long cp;
    char buf[4];

    fputc('"', out);
    for (s = format_str(s); *s;) {
        s += format_utf8_next(s, &cp);
        switch (cp) {
        case '"':
            fputs("\\\"", out);
            continue;
        case '\\':
            fputs("\\\\", out);
            continue;
        case '\n':
        case 0x2028: /* line and paragraph separators: line breaks to YAML 1.1 */
        case 0x2029:
            fputs("\\n", out);
            continue;
        case '\r':
            fputs("\\r", out);
            continue;
        case '\t':
            fputs("\\t", out);
            continue;
        }
        if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
            fprintf(out, "\\x%02lx", cp);
        else
            fwrite(buf, 1, format_utf8_put(buf, cp), out);
    }
    fputc('"', out);
}

/* A YAML number: .nan, .inf, -.inf for what is not finite. */
static void tap_yaml_num(FILE *out, double v)
{
    char num[FORMAT_NUMBER_SIZE];

    if (isnan(v)) {
        fputs(".nan", out);
    } else if (isinf(v)) {
        fputs(v > 0 ? ".inf" : "-.inf", out);
    } else {
        format_number(num, sizeof(num), v);
        fputs(num, out);
    }
}

static void tap_point(FILE *out, size_t n, const struct ip_report *p, enum ip_status status,
                      const char *name, const char *target, double duration, const char *message,
                      const struct check_result *c)
{
    status = format_status(status);
    fprintf(out, "%s %zu - ", status == IP_OK || status == IP_SKIPPED ? "ok" : "not ok", n);
    tap_desc(out, p->probe);
    fputc(' ', out);
    tap_desc(out, name);
    if (target) {
        fputc(' ', out);
        tap_desc(out, target);
    }
    if (status == IP_SKIPPED) {
        fputs(" # SKIP ", out);
        tap_desc(out, message && *message ? message : "skipped");
    }
    fputc('\n', out);

    fprintf(out, "  ---\n  status: %s\n  probe: ", ip_status_name(status));
    tap_yaml_str(out, p->probe);
    fputs("\n  plugin: ", out);
    tap_yaml_str(out, p->plugin);
    fputs("\n  check: ", out);
    tap_yaml_str(out, name);
    if (target) {
        fputs("\n  target: ", out);
        tap_yaml_str(out, target);
    }
    fputs("\n  duration_ms: ", out);
    tap_yaml_num(out, round(duration * 1e6) / 1e3);
    if (c && c->has_value) {
        fputs("\n  value: ", out);
        tap_yaml_num(out, c->value);
        if (c->unit) {
            fputs("\n  unit: ", out);
            tap_yaml_str(out, c->unit);
        }
    }
    fputs("\n  message: ", out);
    tap_yaml_str(out, message);
    if (c && c->hint) {
        fputs("\n  hint: ", out);
        tap_yaml_str(out, c->hint);
    }
    fputs("\n  ...\n", out);
}

int format_tap(FILE *out, const struct run_result *run, int colour)
{
    size_t total = 0, n = 0;

    (void)colour;
    for (size_t i = 0; i < run->nprobes; i++)
        total += run->probes[i]->nchecks + (format_probe_extra(run->probes[i]) != IP_OK);

    fputs("TAP version 13\n", out);
    if (total == 0) {
        fputs("1..0 # SKIP no checks\n", out);
        return 0;
    }
    fprintf(out, "1..%zu\n", total);
    for (size_t i = 0; i < run->nprobes; i++) {
        const struct ip_report *p = run->probes[i];
        enum ip_status extra = format_probe_extra(p);

        for (size_t j = 0; j < p->nchecks; j++) {
            const struct check_result *c = &p->checks[j];

            tap_point(out, ++n, p, c->status, c->name, c->target, c->duration, c->message, c);
        }
        if (extra != IP_OK)
            tap_point(out, ++n, p, extra, FORMAT_EXTRA_NAME, NULL, p->duration,
                      format_extra_message(extra), NULL);
    }
    return 0;
}
