/*
 * --format prometheus: the text exposition format 0.0.4, as `promtool check metrics`
 * accepts it. The core series describe the run, each probe and each check (one probe and
 * check label pair per series); then come the plugins' metrics, whose names the core has
 * already made (infraprobe_<plugin>_<name>[_<unit>][_total]). The format wants all samples
 * of one name under one HELP/TYPE block, so a metric that several probes record is grouped
 * here, in the order names first appear.
 *
 * Status series hold the Nagios code (0 ok, 1 warning, 2 critical, 3 unknown); a skipped
 * check reads 0, as good as ok, so that `> 0` is a sound alert rule.
 */
#include "config.h"

#include <string.h>

#include "output_util.h"
#include "writers.h"

static const char *const prom_core_names[] = {
    "infraprobe_run_status",   "infraprobe_run_duration_seconds",
    "infraprobe_probe_status", "infraprobe_probe_duration_seconds",
    "infraprobe_check_status", "infraprobe_check_duration_seconds",
    "infraprobe_check_value",
};

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

static void prom_core(FILE *out, const struct run_result *run)
{
    int n, any_value = 0;

    prom_family(out, "infraprobe_run_status", "gauge",
                "Worst status of the run's probes: 0 ok, 1 warning, 2 critical, 3 unknown.");
    fprintf(out, "infraprobe_run_status %d\n", prom_code(run->status));
    prom_family(out, "infraprobe_run_duration_seconds", "gauge", "Time the run took, in seconds.");
    fputs("infraprobe_run_duration_seconds", out);
    prom_value(out, 0, run->duration);
    if (run->nprobes == 0)
        return;

    prom_family(out, "infraprobe_probe_status", "gauge",
                "Worst status of the probe's checks: 0 ok, 1 warning, 2 critical, 3 unknown.");
    for (size_t i = 0; i < run->nprobes; i++) {
        const struct ip_report *p = run->probes[i];

        n = 0;
        fputs("infraprobe_probe_status", out);
        prom_label(out, &n, "probe", p->probe);
        prom_label(out, &n, "plugin", p->plugin);
        prom_value(out, n, prom_code(p->status));
    }
    prom_family(out, "infraprobe_probe_duration_seconds", "gauge",
                "Time the probe's run took, in seconds.");
    for (size_t i = 0; i < run->nprobes; i++) {
        const struct ip_report *p = run->probes[i];

        n = 0;
        fputs("infraprobe_probe_duration_seconds", out);
        prom_label(out, &n, "probe", p->probe);
        prom_label(out, &n, "plugin", p->plugin);
        prom_value(out, n, p->duration);
    }

    size_t nchecks = 0;
    for (size_t i = 0; i < run->nprobes; i++)
        nchecks += run->probes[i]->nchecks;
    if (nchecks == 0)
        return;
    prom_family(out, "infraprobe_check_status", "gauge",
                "Status of the check: 0 ok (or skipped), 1 warning, 2 critical, 3 unknown.");
    for (size_t i = 0; i < run->nprobes; i++)
        for (size_t j = 0; j < run->probes[i]->nchecks; j++) {
            const struct check_result *c = &run->probes[i]->checks[j];

            n = prom_check_labels(out, "infraprobe_check_status", run->probes[i], c);
            prom_value(out, n, prom_code(c->status));
            any_value |= c->has_value;
        }
    prom_family(out, "infraprobe_check_duration_seconds", "gauge",
                "Time the check took, in seconds.");
    for (size_t i = 0; i < run->nprobes; i++)
        for (size_t j = 0; j < run->probes[i]->nchecks; j++) {
            const struct check_result *c = &run->probes[i]->checks[j];

            n = prom_check_labels(out, "infraprobe_check_duration_seconds", run->probes[i], c);
            prom_value(out, n, c->duration);
        }
    if (!any_value)
        return;
    prom_family(out, "infraprobe_check_value", "gauge",
                "Value the check measured, in the unit of the check (see the plugin's "
                "documentation).");
    for (size_t i = 0; i < run->nprobes; i++)
        for (size_t j = 0; j < run->probes[i]->nchecks; j++) {
            const struct check_result *c = &run->probes[i]->checks[j];

            if (!c->has_value)
                continue;
            n = prom_check_labels(out, "infraprobe_check_value", run->probes[i], c);
            prom_value(out, n, c->value);
        }
}

/* A plugin metric that would break the exposition: no name, or a core series' name. */
static int prom_skip(const struct metric_result *m)
{
    if (!m->name || !*m->name)
        return 1;
    for (size_t i = 0; i < sizeof(prom_core_names) / sizeof(prom_core_names[0]); i++)
        if (strcmp(m->name, prom_core_names[i]) == 0)
            return 1;
    return 0;
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

/* Has a metric named `name` appeared before probes[pi]->metrics[mi]? */
static int prom_seen(const struct run_result *run, size_t pi, size_t mi, const char *name)
{
    for (size_t i = 0; i <= pi; i++) {
        const struct ip_report *p = run->probes[i];
        size_t end = i == pi ? mi : p->nmetrics;

        for (size_t j = 0; j < end; j++)
            if (!prom_skip(&p->metrics[j]) && strcmp(p->metrics[j].name, name) == 0)
                return 1;
    }
    return 0;
}

static void prom_plugins(FILE *out, const struct run_result *run)
{
    for (size_t i = 0; i < run->nprobes; i++) {
        const struct ip_report *p = run->probes[i];

        for (size_t j = 0; j < p->nmetrics; j++) {
            const struct metric_result *m = &p->metrics[j];
            char help[256];

            if (prom_skip(m) || prom_seen(run, i, j, m->name))
                continue;
            /* A family's first sample gives its HELP and TYPE; promtool wants a HELP. */
            if (!m->help || !*m->help)
                snprintf(help, sizeof(help), "Metric of the %s plugin.", format_str(p->plugin));
            prom_family(out, m->name, m->type == IP_COUNTER ? "counter" : "gauge",
                        m->help && *m->help ? m->help : help);
            for (size_t k = i; k < run->nprobes; k++) {
                const struct ip_report *q = run->probes[k];

                for (size_t l = k == i ? j : 0; l < q->nmetrics; l++)
                    if (!prom_skip(&q->metrics[l]) && strcmp(q->metrics[l].name, m->name) == 0)
                        prom_sample(out, q, &q->metrics[l]);
            }
        }
    }
}

int format_prometheus(FILE *out, const struct run_result *run, int colour)
{
    (void)colour;
    prom_core(out, run);
    prom_plugins(out, run);
    return 0;
}
