/*
 * The Prometheus text exposition format 0.0.4, as `promtool check metrics` accepts it: the
 * one renderer of --format prometheus, the daemon's textfile and its /metrics page. The core
 * series describe the build, the run, each probe and each check (one probe and check label
 * pair per series); then come the plugins' metrics, whose names the core has already made
 * (infraprobe_<plugin>_<name>[_<unit>][_total]). The format wants all samples of one name
 * under one HELP/TYPE block, so a metric that several probes record is grouped here, in the
 * order names first appear.
 *
 * Status series hold the Nagios code (0 ok, 1 warning, 2 critical, 3 unknown); a skipped
 * check reads 0, as good as ok, so that `> 0` is a sound alert rule. A check's value goes to
 * the series of its unit (infraprobe_check_value_seconds, _ratio, _bytes, ...), converted to
 * the base unit (ms as seconds, % as a ratio), so that no graph adds a latency to a
 * percentage.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "output_util.h"
#include "writers.h"

/* The core's series; a plugin metric of one of these names, or under the prefix of the
 * check values, is left out (two families of one name make the exposition invalid). */
static const char *const prom_core_names[] = {
    "infraprobe_build_info",
    "infraprobe_run_status",
    "infraprobe_run_duration_seconds",
    "infraprobe_probe_success",
    "infraprobe_probe_status",
    "infraprobe_probe_duration_seconds",
    "infraprobe_probe_last_run_timestamp_seconds",
    "infraprobe_probe_runs_total",
    "infraprobe_probe_failures_total",
    "infraprobe_check_status",
    "infraprobe_check_duration_seconds",
};
#define PROM_VALUE "infraprobe_check_value"

/* A check's unit as the suffix of its value series, with the factor to the base unit. */
static const struct {
    const char *unit, *suffix;
    double scale;
} prom_units[] = {
    {"s", "seconds", 1},       {"sec", "seconds", 1},
    {"seconds", "seconds", 1}, {"ms", "seconds", 1e-3},
    {"us", "seconds", 1e-6},   {"%", "ratio", 0.01},
    {"ratio", "ratio", 1},     {"B", "bytes", 1},
    {"bytes", "bytes", 1},     {"msg/s", "messages_per_second", 1},
};

/* A unit outside the table as a name's suffix: lower case, "/s" as _per_second, '/' as
 * _per_, anything else as one _. */
static void prom_unit_suffix(const char *unit, char *buf, size_t size)
{
    size_t len = strlen(buf);

    for (const char *u = unit; *u && len + 12 < size; u++) {
        const char *sep = buf[len - 1] == '_' ? "" : "_";

        if (strcmp(u, "/s") == 0) {
            len += (size_t)snprintf(buf + len, size - len, "%sper_second", sep);
            break;
        }
        if (*u == '/')
            len += (size_t)snprintf(buf + len, size - len, "%sper_", sep);
        else if (isalnum((unsigned char)*u) && !(*u & 0x80))
            buf[len++] = (char)tolower((unsigned char)*u);
        else if (*sep)
            buf[len++] = '_';
    }
    while (buf[len - 1] == '_')
        len--;
    buf[len] = '\0';
}

/* The value series of a unit into buf: "infraprobe_check_value_<suffix>"; no unit: the
 * plain name, for counts and other pure numbers. Returns the factor to the base unit. */
static double prom_value_name(const char *unit, char *buf, size_t size)
{
    snprintf(buf, size, "%s", PROM_VALUE);
    if (!unit || !*unit)
        return 1;
    for (size_t i = 0; i < sizeof(prom_units) / sizeof(prom_units[0]); i++)
        if (strcmp(unit, prom_units[i].unit) == 0) {
            snprintf(buf, size, "%s_%s", PROM_VALUE, prom_units[i].suffix);
            return prom_units[i].scale;
        }
    snprintf(buf, size, "%s_", PROM_VALUE);
    prom_unit_suffix(unit, buf, size);
    return 1;
}

/* HELP text escapes \ and newline; a label value also ". Invalid UTF-8 becomes U+FFFD
 * (Prometheus rejects it). */
static void prom_escape(FILE *out, const char *s, int label)
{
    unsigned long cp;
    char buf[4];

    for (s = format_str(s); *s;) {
        s += format_utf8_next(s, &cp);
        if (cp == '\\')
            fputs("\\\\", out);
        else if (cp == '\n')
            fputs("\\n", out);
        else if (cp == '"' && label)
            fputs("\\\"", out);
        else
            fwrite(buf, 1, format_utf8_put(buf, cp), out);
    }
}

static void prom_family(FILE *out, const char *name, const char *type, const char *help)
{
    fprintf(out, "# HELP %s ", name);
    prom_escape(out, help, 0);
    fprintf(out, "\n# TYPE %s %s\n", name, type);
}

/* Labels: prom_label() for each, then prom_value() ends the sample. */
static void prom_label(FILE *out, int *n, const char *name, const char *value)
{
    fputc((*n)++ ? ',' : '{', out);
    fprintf(out, "%s=\"", name);
    prom_escape(out, value, 1);
    fputc('"', out);
}

static void prom_value(FILE *out, int n, double v)
{
    char num[FORMAT_NUMBER_SIZE];

    format_number(num, sizeof(num), v);
    fprintf(out, "%s %s\n", n ? "}" : "", num);
}

/* The Nagios code of a status: skipped reads as ok. */
static int prom_code(enum ip_status s)
{
    s = format_status(s);
    return s == IP_SKIPPED ? IP_OK : (int)s;
}

/* A check series' name and labels, up to its value. */
static int prom_check_labels(FILE *out, const char *name, const struct ip_report *p,
                             const struct check_result *c)
{
    int n = 0;

    fputs(name, out);
    prom_label(out, &n, "probe", p->probe);
    prom_label(out, &n, "check", c->name);
    if (c->target)
        prom_label(out, &n, "target", c->target);
    return n;
}

/* A per-probe series: one sample per probe of the run; `k` (the counters) may be NULL. */
enum prom_probe_field { PF_SUCCESS, PF_STATUS, PF_DURATION, PF_LAST_RUN, PF_RUNS, PF_FAILURES };

static double prom_probe_field(const struct ip_report *p, const struct prom_counters *k, size_t i,
                               enum prom_probe_field f)
{
    enum ip_status s = format_status(p->status);

    switch (f) {
    case PF_SUCCESS:
        return s != IP_CRITICAL && s != IP_UNKNOWN;
    case PF_STATUS:
        return prom_code(s);
    case PF_DURATION:
        return p->duration;
    case PF_LAST_RUN:
        return p->wall;
    case PF_RUNS:
        return (double)k->runs[i];
    case PF_FAILURES:
        return (double)k->failures[i];
    }
    return 0;
}

static void prom_probe_series(FILE *out, const struct run_result *run,
                              const struct prom_counters *k, enum prom_probe_field f)
{
    static const struct {
        const char *name, *type, *help;
    } series[] = {
        [PF_SUCCESS] = {"infraprobe_probe_success", "gauge",
                        "Whether the probe's last run succeeded: 1 when its worst check is ok or "
                        "warning, 0 when critical or unknown."},
        [PF_STATUS] = {"infraprobe_probe_status", "gauge",
                       "Worst status of the probe's checks: 0 ok, 1 warning, 2 critical, 3 "
                       "unknown."},
        [PF_DURATION] = {"infraprobe_probe_duration_seconds", "gauge",
                         "Time the probe's run took, in seconds."},
        [PF_LAST_RUN] = {"infraprobe_probe_last_run_timestamp_seconds", "gauge",
                         "When the probe's last complete run started, in seconds since the "
                         "epoch."},
        [PF_RUNS] = {"infraprobe_probe_runs_total", "counter",
                     "Runs of the probe completed since the daemon started."},
        [PF_FAILURES] = {"infraprobe_probe_failures_total", "counter",
                         "Runs of the probe that failed (critical or unknown) since the daemon "
                         "started."},
    };

    prom_family(out, series[f].name, series[f].type, series[f].help);
    for (size_t i = 0; i < run->nprobes; i++) {
        const struct ip_report *p = run->probes[i];
        int n = 0;

        fputs(series[f].name, out);
        prom_label(out, &n, "probe", p->probe);
        prom_label(out, &n, "plugin", p->plugin);
        prom_value(out, n, prom_probe_field(p, k, i, f));
    }
}

/* A per-check series: status or duration. */
static void prom_check_series(FILE *out, const struct run_result *run, int duration)
{
    const char *name = duration ? "infraprobe_check_duration_seconds" : "infraprobe_check_status";

    if (duration)
        prom_family(out, name, "gauge", "Time the check took, in seconds.");
    else
        prom_family(out, name, "gauge",
                    "Status of the check: 0 ok (or skipped), 1 warning, 2 critical, 3 unknown.");
    for (size_t i = 0; i < run->nprobes; i++)
        for (size_t j = 0; j < run->probes[i]->nchecks; j++) {
            const struct check_result *c = &run->probes[i]->checks[j];
            int n = prom_check_labels(out, name, run->probes[i], c);

            prom_value(out, n, duration ? c->duration : prom_code(c->status));
        }
}

static int prom_values(FILE *out, const struct run_result *run);

static int prom_core(FILE *out, const struct run_result *run, const struct prom_counters *k)
{
    size_t nchecks = 0;

    prom_family(out, "infraprobe_build_info", "gauge",
                "The version of infraprobe and of its plugin ABI; always 1.");
    fprintf(out, "infraprobe_build_info{version=\"%s\",abi=\"%d\"} 1\n", PACKAGE_VERSION,
            IP_PLUGIN_ABI);
    prom_family(out, "infraprobe_run_status", "gauge",
                "Worst status of the run's probes: 0 ok, 1 warning, 2 critical, 3 unknown.");
    fprintf(out, "infraprobe_run_status %d\n", prom_code(run->status));
    /* The daemon has no run of all probes, only each probe's. */
    if (!k) {
        prom_family(out, "infraprobe_run_duration_seconds", "gauge",
                    "Time the run took, in seconds.");
        fputs("infraprobe_run_duration_seconds", out);
        prom_value(out, 0, run->duration);
    }
    if (run->nprobes == 0)
        return 0;
    for (enum prom_probe_field f = PF_SUCCESS; f <= (k ? PF_FAILURES : PF_LAST_RUN); f++)
        prom_probe_series(out, run, k, f);
    for (size_t i = 0; i < run->nprobes; i++)
        nchecks += run->probes[i]->nchecks;
    if (nchecks == 0)
        return 0;
    prom_check_series(out, run, 0);
    prom_check_series(out, run, 1);
    return prom_values(out, run);
}

/* A plugin metric that would break the exposition: no name, or a core series' name. */
static int prom_skip(const struct metric_result *m)
{
    if (!m->name || !*m->name)
        return 1;
    for (size_t i = 0; i < sizeof(prom_core_names) / sizeof(prom_core_names[0]); i++)
        if (strcmp(m->name, prom_core_names[i]) == 0)
            return 1;
    return strncmp(m->name, PROM_VALUE, strlen(PROM_VALUE)) == 0;
}

static void prom_sample(FILE *out, const struct ip_report *p, const struct metric_result *m)
{
    int n = 0;

    fputs(m->name, out);
    prom_label(out, &n, "probe", p->probe);
    if (m->target)
        prom_label(out, &n, "target", m->target);
    for (char **l = m->labels; l && l[0] && l[1]; l += 2) {
        /* The core's labels win: a label name twice makes the whole exposition invalid. */
        if (strcmp(l[0], "probe") == 0 || (m->target && strcmp(l[0], "target") == 0))
            continue;
        prom_label(out, &n, l[0], l[1]);
    }
    prom_value(out, n, m->value);
}

/* A sample of a family (a plugin metric, or a check's value), where it is in the run, and
 * where its family first appears. Families are made by sorting, not searching, so that a
 * scrape of thousands of probes costs n log n. */
struct prom_ref {
    const struct ip_report *p;
    const void *item; /* struct metric_result or struct check_result */
    const char *name; /* a metric's; NULL: buf (which moves with the struct as it is sorted) */
    double scale;
    size_t order, first;
    char buf[96]; /* a value series' name */
};

static const char *prom_ref_name(const struct prom_ref *r)
{
    return r->name ? r->name : r->buf;
}

static int prom_by_name(const void *a, const void *b)
{
    const struct prom_ref *x = a, *y = b;
    int c = strcmp(prom_ref_name(x), prom_ref_name(y));

    return c ? c : (x->order > y->order) - (x->order < y->order);
}

static int prom_by_family(const void *a, const void *b)
{
    const struct prom_ref *x = a, *y = b;

    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    return (x->order > y->order) - (x->order < y->order);
}

/* Group refs[0..n) by name, families in the order names first appear. */
static void prom_group(struct prom_ref *refs, size_t n)
{
    qsort(refs, n, sizeof(*refs), prom_by_name);
    for (size_t i = 0; i < n; i++)
        refs[i].first = i && !strcmp(prom_ref_name(&refs[i]), prom_ref_name(&refs[i - 1]))
                            ? refs[i - 1].first
                            : refs[i].order;
    qsort(refs, n, sizeof(*refs), prom_by_family);
}

/* Every plugin metric (values = 0) or every check's value (values = 1), grouped. */
static struct prom_ref *prom_refs(const struct run_result *run, int values, size_t *n)
{
    size_t total = 0;
    struct prom_ref *refs;

    for (size_t i = 0; i < run->nprobes; i++)
        total += values ? run->probes[i]->nchecks : run->probes[i]->nmetrics;
    if (!(refs = calloc(total + 1, sizeof(*refs))))
        return NULL;
    *n = 0;
    for (size_t i = 0; i < run->nprobes; i++) {
        const struct ip_report *p = run->probes[i];

        for (size_t j = 0; j < (values ? p->nchecks : p->nmetrics); j++) {
            struct prom_ref *r = &refs[*n];

            if (values ? !p->checks[j].has_value : prom_skip(&p->metrics[j]))
                continue;
            *r = (struct prom_ref){.p = p, .order = *n, .scale = 1};
            r->item = values ? (const void *)&p->checks[j] : (const void *)&p->metrics[j];
            if (values)
                r->scale = prom_value_name(p->checks[j].unit, r->buf, sizeof(r->buf));
            r->name = values ? NULL : p->metrics[j].name;
            (*n)++;
        }
    }
    prom_group(refs, *n);
    return refs;
}

static int prom_new_family(const struct prom_ref *refs, size_t i)
{
    return i == 0 || refs[i].first != refs[i - 1].first;
}

/* The checks' values: one family per unit, in the order units first appear. */
static int prom_values(FILE *out, const struct run_result *run)
{
    size_t n = 0;
    struct prom_ref *refs = prom_refs(run, 1, &n);
    char help[256];

    if (!refs)
        return -1; /* ENOMEM */
    for (size_t i = 0; i < n; i++) {
        const struct check_result *c = refs[i].item;
        const char *name = prom_ref_name(&refs[i]);

        if (prom_new_family(refs, i)) {
            if (strcmp(name, PROM_VALUE) == 0)
                snprintf(help, sizeof(help), "Value the check measured, a pure number.");
            else
                snprintf(help, sizeof(help), "Value the check measured, in base unit: %s.",
                         name + strlen(PROM_VALUE) + 1);
            prom_family(out, name, "gauge", help);
        }
        prom_value(out, prom_check_labels(out, name, refs[i].p, c), c->value * refs[i].scale);
    }
    free(refs);
    return 0;
}

static int prom_plugins(FILE *out, const struct run_result *run)
{
    size_t n = 0;
    struct prom_ref *refs = prom_refs(run, 0, &n);

    if (!refs)
        return -1; /* ENOMEM */
    for (size_t i = 0; i < n; i++) {
        const struct metric_result *m = refs[i].item;
        char help[256];

        if (prom_new_family(refs, i)) {
            /* A family's first sample gives its HELP and TYPE; promtool wants a HELP. */
            if (!m->help || !*m->help)
                snprintf(help, sizeof(help), "Metric of the %s plugin.",
                         format_str(refs[i].p->plugin));
            prom_family(out, m->name, m->type == IP_COUNTER ? "counter" : "gauge",
                        m->help && *m->help ? m->help : help);
        }
        prom_sample(out, refs[i].p, m);
    }
    free(refs);
    return 0;
}

int prom_render(FILE *out, const struct run_result *run, const struct prom_counters *k)
{
    if (prom_core(out, run, k) != 0)
        return -1;
    return prom_plugins(out, run);
}

int format_prometheus(FILE *out, const struct run_result *run, int colour)
{
    (void)colour;
    return prom_render(out, run, NULL);
}
