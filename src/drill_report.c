/*
 * The last drill's report, read back for the status page: drills never run on the daemon's
 * schedule (they break things on purpose), so the daemon shows the JSON report that the
 * last `infraprobe --drill -f json -o FILE` wrote (drill_report = FILE): each probe's
 * verdict, checks, metrics and timeline become reports again, which the page draws as
 * --format html does.
 */
#include "config.h"

#include "drill_report.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* A report past this is not one infraprobe wrote (a timeline holds at most TIMELINE_MAX
 * events). */
#define DRILL_REPORT_MAX (64 * 1024 * 1024)

static enum ip_status dr_status(json_t *o)
{
    const char *s = json_string_value(json_object_get(o, "status"));

    for (enum ip_status st = IP_OK; s && st <= IP_SKIPPED; st++)
        if (strcmp(s, ip_status_name(st)) == 0)
            return st;
    return IP_UNKNOWN;
}

static double dr_seconds(json_t *o, const char *key)
{
    return json_number_value(json_object_get(o, key)) / 1e3;
}

/* "2026-11-29T22:03:47.123Z" as seconds since the epoch; 0 when it is not one. */
static double dr_time(json_t *o)
{
    const char *s = json_string_value(json_object_get(o, "time"));
    struct tm tm = {0};
    const char *rest = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;

    if (!rest)
        return 0;
    return (double)timegm(&tm) + (*rest == '.' ? strtod(rest, NULL) : 0);
}

static int dr_checks(struct ip_report *r, json_t *checks)
{
    size_t i;
    json_t *c;

    json_array_foreach(checks, i, c)
    {
        json_t *v = json_object_get(c, "value");

        if (!json_is_string(json_object_get(c, "name")))
            continue;
        if (report_add_check(r, json_string_value(json_object_get(c, "name")),
                             json_string_value(json_object_get(c, "target")), dr_status(c),
                             dr_seconds(c, "duration_ms"), json_is_number(v),
                             json_is_number(v) ? json_number_value(v) : NAN,
                             json_string_value(json_object_get(c, "message"))) != 0)
            return -1;
        /* A hint is where to look first: a report without it is still the drill's. */
        if (json_is_string(json_object_get(c, "hint")))
            (void)report_set_hint(r, json_string_value(json_object_get(c, "name")),
                                  json_string_value(json_object_get(c, "target")),
                                  json_string_value(json_object_get(c, "hint")));
    }
    return 0;
}

static int dr_metrics(struct ip_report *r, json_t *metrics)
{
    size_t i;
    json_t *m;

    json_array_foreach(metrics, i, m)
    {
        json_t *v = json_object_get(m, "value");
        struct metric_result mr = {.name = (char *)json_string_value(json_object_get(m, "name")),
                                   .value = json_is_number(v) ? json_number_value(v) : NAN};

        if (mr.name && report_add_metric(r, &mr) != 0)
            return -1;
    }
    return 0;
}

static int dr_timeline(struct ip_report *r, json_t *timeline)
{
    size_t i;
    json_t *e;

    json_array_foreach(timeline, i, e)
    {
        const char *kind = json_string_value(json_object_get(e, "event"));
        const char *msg = json_string_value(json_object_get(e, "action"));
        json_t *id = json_object_get(e, "id");
        struct timeline_event ev = {.kind = TL_KIND_MAX + 1,
                                    .id = json_is_integer(id) ? json_integer_value(id) : -1,
                                    .start = dr_seconds(e, "start_ms"),
                                    .end = dr_seconds(e, "end_ms"),
                                    .ok = json_is_true(json_object_get(e, "ok"))};

        for (int k = 0; kind && k <= TL_KIND_MAX; k++)
            if (strcmp(kind, report_event_name((enum timeline_kind)k)) == 0)
                ev.kind = (enum timeline_kind)k;
        if (ev.kind > TL_KIND_MAX)
            continue; /* a kind of a later version */
        if (!msg)
            msg = json_string_value(json_object_get(e, "error"));
        ev.message = (char *)(msg ? msg : json_string_value(json_object_get(e, "message")));
        if (report_add_event(r, &ev) != 0)
            return -1;
    }
    return 0;
}

static struct ip_report *dr_probe(json_t *p)
{
    const char *name = json_string_value(json_object_get(p, "name"));
    const char *plugin = json_string_value(json_object_get(p, "plugin"));
    struct ip_report *r = name && plugin ? report_new(name, plugin, 0) : NULL;

    if (!r)
        return NULL;
    r->status = dr_status(p);
    r->duration = dr_seconds(p, "duration_ms");
    r->wall = dr_time(p);
    if (dr_checks(r, json_object_get(p, "checks")) ||
        dr_metrics(r, json_object_get(p, "metrics")) ||
        dr_timeline(r, json_object_get(p, "timeline"))) {
        report_free(r);
        return NULL;
    }
    return r;
}

/* The probes of a parsed report into run. */
static int dr_run(json_t *root, struct run_result *run, char *err, size_t errlen)
{
    json_t *probes = json_object_get(root, "probes"), *p;
    size_t i;

    if (!json_is_array(probes) || !json_is_string(json_object_get(root, "infraprobe"))) {
        snprintf(err, errlen, "not a report of infraprobe --drill -f json");
        return -1;
    }
    run->status = dr_status(root);
    run->duration = dr_seconds(root, "duration_ms");
    run->probes = calloc(json_array_size(probes) + 1, sizeof(*run->probes));
    if (!run->probes) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    json_array_foreach(probes, i, p)
    {
        if (!(run->probes[run->nprobes] = dr_probe(p))) {
            snprintf(err, errlen, "probe %zu: not a probe of a report (or out of memory)", i + 1);
            return -1;
        }
        run->nprobes++;
    }
    return 0;
}

int drill_report_load(const char *path, struct run_result *run, char *err, size_t errlen)
{
    json_error_t je;
    struct stat st;
    json_t *root;
    int rc;

    memset(run, 0, sizeof(*run));
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > DRILL_REPORT_MAX) {
        snprintf(err, errlen, "%s: not a report (a regular file of at most 64 MiB)", path);
        return -1;
    }
    root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        snprintf(err, errlen, "%s:%d: %s", path, je.line, je.text);
        return -1;
    }
    rc = dr_run(root, run, err, errlen);
    json_decref(root);
    if (rc != 0)
        drill_report_free(run);
    return rc;
}

void drill_report_free(struct run_result *run)
{
    for (size_t i = 0; i < run->nprobes; i++)
        report_free(run->probes[i]);
    free(run->probes);
    memset(run, 0, sizeof(*run));
}
