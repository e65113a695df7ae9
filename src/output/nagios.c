/*
 * --format nagios: one probe's result as a monitoring-plugins plugin prints it, so that
 * Nagios, Icinga and their kin run `infraprobe --once --probe NAME --format nagios` as-is:
 *
 *   REDIS WARNING - 4/6 checks ok, 1 warning, 1 skipped: pool: 3 idle, want 5 | perfdata
 *   [OK] connect 127.0.0.1:6379: connected (0.41 ms)
 *   ...
 *
 * The summary names the first check whose status is the probe's (the one that explains
 * the alert). Perfdata follows the monitoring-plugins guidelines:
 * 'label'=value[UOM];[warn];[crit], one entry per check with the thresholds that applied:
 * a latency check gives its duration in ms; a value check its value, a minimum threshold
 * written "N:" (alert below N), then min and max where the value's unit has them (a percentage
 * 0..100, a ratio 0..1). A '|' in any text would start perfdata: it becomes '/'.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "output_util.h"
#include "writers.h"

static const char *const nagios_states[] = {
    [IP_OK] = "OK",           [IP_WARNING] = "WARNING", [IP_CRITICAL] = "CRITICAL",
    [IP_UNKNOWN] = "UNKNOWN", [IP_SKIPPED] = "OK",
};

/* Text on a plugin output line: one line, no '|', valid UTF-8. */
static void nagios_text(FILE *out, const char *s)
{
    unsigned long cp;
    char buf[4];

    for (s = format_str(s); *s;) {
        s += format_utf8_next(s, &cp);
        if (cp == '|')
            cp = '/';
        else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0x2028 || cp == 0x2029)
            cp = ' ';
        fwrite(buf, 1, format_utf8_put(buf, cp), out);
    }
}

/* Room for "%.6f" of any double. */
#define NAGIOS_NUM_SIZE 400

/* A perfdata number: digits, '-' and '.' only (no exponent), at most `decimals` decimals,
 * no trailing zeros. */
static void nagios_num(char *buf, size_t size, double v, int decimals)
{
    char *dot, *end;

    snprintf(buf, size, "%.*f", decimals, v);
    dot = strchr(buf, '.');
    if (!dot)
        return;
    end = buf + strlen(buf);
    while (end > dot && (end[-1] == '0' || end[-1] == '.'))
        *--end = '\0';
    if (strcmp(buf, "-0") == 0 || !*buf)
        snprintf(buf, size, "0");
}

/* The monitoring-plugins unit of measurement for a value's unit, or "". */
static const char *nagios_uom(const char *unit)
{
    static const struct {
        const char *unit, *uom;
    } map[] = {
        {"bytes", "B"},   {"byte", "B"}, {"B", "B"},   {"seconds", "s"},
        {"second", "s"},  {"s", "s"},    {"ms", "ms"}, {"milliseconds", "ms"},
        {"percent", "%"}, {"%", "%"},
    };

    for (size_t i = 0; unit && i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(unit, map[i].unit) == 0)
            return map[i].uom;
    return "";
}

/* A perfdata label: NAME[_TARGET], single-quoted (with ' doubled) when it holds a space,
 * '=' or a quote; control characters and '|' become '_'. */
static void nagios_label(FILE *out, const char *name, const char *target, const char *suffix)
{
    const char *parts[3] = {format_str(name), target, suffix};
    int quote = 0;

    for (int i = 0; i < 3; i++)
        if (parts[i] && strpbrk(parts[i], " ='\""))
            quote = 1;
    if (quote)
        fputc('\'', out);
    for (int i = 0; i < 3; i++) {
        unsigned long cp;
        char buf[4];

        if (!parts[i])
            continue;
        if (i > 0)
            fputc('_', out);
        for (const char *s = parts[i]; *s;) {
            s += format_utf8_next(s, &cp);
            if (cp == '\'') {
                fputs("''", out);
                continue;
            }
            if (cp == '|' || cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
                cp = '_';
            fwrite(buf, 1, format_utf8_put(buf, cp), out);
        }
    }
    if (quote)
        fputc('\'', out);
}

/* A threshold: "" for none, "N" for a maximum, "N:" for a minimum. */
static void nagios_threshold(FILE *out, double t, int min)
{
    char num[NAGIOS_NUM_SIZE];

    if (!isfinite(t))
        return;
    nagios_num(num, sizeof(num), t, 6);
    fprintf(out, "%s%s", num, min ? ":" : "");
}

/* The range a value of `unit` lies in, as perfdata's min and max: 1 when it has one. */
static int nagios_bounds(const char *unit, double *lo, double *hi)
{
    if (unit && (strcmp(unit, "%") == 0 || strcmp(unit, "percent") == 0)) {
        *lo = 0;
        *hi = 100;
        return 1;
    }
    if (unit && strcmp(unit, "ratio") == 0) {
        *lo = 0;
        *hi = 1;
        return 1;
    }
    return 0;
}

/* One perfdata entry: value (or U), UOM, warn, crit, min, max (from `unit`); trailing empty
 * fields left out. */
static void nagios_perf(FILE *out, const char *name, const char *target, const char *suffix,
                        int known, double value, int decimals, const char *uom, int has_warn,
                        double warn, int has_crit, double crit, int min, const char *unit)
{
    char num[NAGIOS_NUM_SIZE];
    double lo = 0, hi = 0;
    int bounded = nagios_bounds(unit, &lo, &hi);

    fputc(' ', out);
    nagios_label(out, name, target, suffix);
    if (known && isfinite(value)) {
        nagios_num(num, sizeof(num), value, decimals);
        fprintf(out, "=%s%s", num, uom);
    } else {
        fputs("=U", out);
    }
    if (has_warn || has_crit || bounded) {
        fputc(';', out);
        if (has_warn)
            nagios_threshold(out, warn, min);
    }
    if (has_crit || bounded) {
        fputc(';', out);
        if (has_crit)
            nagios_threshold(out, crit, min);
    }
    if (bounded) {
        nagios_num(num, sizeof(num), lo, 6);
        fprintf(out, ";%s", num);
        nagios_num(num, sizeof(num), hi, 6);
        fprintf(out, ";%s", num);
    }
}

static void nagios_check_perf(FILE *out, const struct check_result *c)
{
    const char *uom = nagios_uom(c->unit);

    if (format_status(c->status) == IP_SKIPPED)
        return;
    if (c->kind == IP_VALUE_MIN || c->kind == IP_VALUE_MAX) {
        nagios_perf(out, c->name, c->target, NULL, c->has_value, c->value, 6, uom, c->has_warn,
                    c->warn, c->has_crit, c->crit, c->kind == IP_VALUE_MIN, c->unit);
        return;
    }
    nagios_perf(out, c->name, c->target, NULL, 1, c->duration * 1000.0, 3, "ms", c->has_warn,
                c->warn, c->has_crit, c->crit, 0, NULL);
    if (c->has_value)
        nagios_perf(out, c->name, c->target, "value", 1, c->value, 6, uom, 0, 0, 0, 0, 0, c->unit);
}

/* NAME[ TARGET]: MESSAGE */
static void nagios_what(FILE *out, const char *name, const char *target, const char *message)
{
    nagios_text(out, name);
    if (target) {
        fputc(' ', out);
        nagios_text(out, target);
    }
    fputs(": ", out);
    nagios_text(out, message);
}

/* The plugin's name upper-cased, as check_tcp prints "TCP". */
static void nagios_service(FILE *out, const char *plugin)
{
    for (const char *s = format_str(plugin); *s; s++) {
        unsigned char ch = (unsigned char)*s;

        if (ch >= 'a' && ch <= 'z')
            ch = (unsigned char)(ch - 'a' + 'A');
        else if (ch == '|' || ch == ' ' || ch < 0x20 || ch == 0x7f)
            ch = '_';
        fputc(ch, out);
    }
}

/* The first line's reason: the core's own problem, else the first check with the status. */
static void nagios_why(FILE *out, const struct ip_report *p, enum ip_status status,
                       enum ip_status extra)
{
    const struct check_result *why = NULL;

    if (extra != IP_OK) {
        fputs(": ", out);
        nagios_what(out, FORMAT_EXTRA_NAME, NULL, format_extra_message(extra));
        return;
    }
    if (status == IP_OK || status == IP_SKIPPED)
        return;
    for (size_t i = 0; i < p->nchecks && !why; i++)
        if (format_status(p->checks[i].status) == status)
            why = &p->checks[i];
    if (why) {
        fputs(": ", out);
        nagios_what(out, why->name, why->target, why->message);
    }
}

/* The performance data after " |": every check that ran. */
static void nagios_perf_data(FILE *out, const struct ip_report *p)
{
    int perf = 0;

    for (size_t i = 0; i < p->nchecks; i++) {
        if (format_status(p->checks[i].status) == IP_SKIPPED)
            continue;
        if (!perf++)
            fputs(" |", out);
        nagios_check_perf(out, &p->checks[i]);
    }
}

/* Long text: a line per check. */
static void nagios_long(FILE *out, const struct ip_report *p, enum ip_status extra)
{
    char ms[NAGIOS_NUM_SIZE];

    for (size_t i = 0; i < p->nchecks; i++) {
        const struct check_result *c = &p->checks[i];

        fprintf(out, "[%s] ",
                format_status(c->status) == IP_SKIPPED ? "SKIPPED"
                                                       : nagios_states[format_status(c->status)]);
        nagios_what(out, c->name, c->target, c->message);
        nagios_num(ms, sizeof(ms), c->duration * 1000.0, 3);
        fprintf(out, " (%s ms)\n", isfinite(c->duration) ? ms : "?");
        if (c->hint) {
            fputs("    hint: ", out);
            nagios_text(out, c->hint);
            fputc('\n', out);
        }
    }
    if (extra != IP_OK) {
        fprintf(out, "[%s] ", nagios_states[extra]);
        nagios_what(out, FORMAT_EXTRA_NAME, NULL, format_extra_message(extra));
        fputc('\n', out);
    }
}

int format_nagios(FILE *out, const struct run_result *run, int colour)
{
    const struct ip_report *p;
    struct format_counts counts;
    enum ip_status status, extra;

    (void)colour;
    if (run->nprobes != 1) {
        errno = EINVAL;
        return -1;
    }
    p = run->probes[0];
    status = format_status(p->status);
    extra = format_probe_extra(p);
    format_count(p, &counts);

    nagios_service(out, p->plugin);
    fprintf(out, " %s - %zu/%zu checks ok", nagios_states[status], counts.n[IP_OK], counts.total);
    for (int s = IP_WARNING; s <= IP_SKIPPED; s++)
        if (s != IP_OK && counts.n[s])
            fprintf(out, ", %zu %s", counts.n[s], ip_status_name((enum ip_status)s));
    nagios_why(out, p, status, extra);
    nagios_perf_data(out, p);
    fputc('\n', out);
    nagios_long(out, p, extra);
    return 0;
}
