/*
 * --format json: DESIGN.md's document for a run, and in daemon mode one probe object per
 * line (JSON Lines). Built with jansson. Two things jansson refuses are mapped here rather
 * than lost: a non-finite number becomes null, and a string with invalid UTF-8 (a server's
 * bytes in a message) gets U+FFFD in place of the bad bytes.
 */
#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output_util.h"
#include "writers.h"

/* 15 significant digits: what a decimal figure keeps, without 0.41000000000000003. */
#define JSON_FLAGS (JSON_REAL_PRECISION(15) | JSON_PRESERVE_ORDER)

static json_t *json_str(const char *s)
{
    char *clean = format_utf8_dup(s);
    json_t *j;

    if (!clean)
        return NULL;
    j = json_string(clean);
    free(clean);
    return j;
}

/* When a run started, in RFC 3339 (UTC, milliseconds): JSON Lines readers need to know
 * when each line happened, and the monotonic clock cannot tell them. */
static json_t *json_time(double wall)
{
    time_t secs = (time_t)wall;
    struct tm tm;
    char buf[40];

    if (!gmtime_r(&secs, &tm))
        return json_null();
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), ".%03dZ",
             (int)((wall - (double)secs) * 1000) % 1000);
    return json_string(buf);
}

/* A number, or null when it is not finite (JSON has no NaN or Infinity). A whole number
 * is written as one ("value": 3, not 3.0), as long as a double holds it exactly. */
static json_t *json_num(double v)
{
    if (!isfinite(v))
        return json_null();
    if (v == floor(v) && fabs(v) < 9007199254740992.0) /* 2^53 */
        return json_integer((json_int_t)v);
    return json_real(v);
}

/* Milliseconds from seconds, rounded to the microsecond. */
static json_t *json_ms(double seconds)
{
    return json_num(round(seconds * 1e6) / 1e3);
}

/* Set o[key] = v, taking v; non-zero when v is NULL (ENOMEM) or the set failed. */
static int json_put(json_t *o, const char *key, json_t *v)
{
    return json_object_set_new(o, key, v);
}

/* o.thresholds = {warn, crit}: those the check has, none when it has neither. */
static int json_thresholds(json_t *o, const struct check_result *c)
{
    json_t *t;

    if (!c->has_warn && !c->has_crit)
        return 0;
    t = json_object();
    if (json_put(o, "thresholds", t))
        return -1;
    return (c->has_warn && json_put(t, "warn", json_num(c->warn))) ||
           (c->has_crit && json_put(t, "crit", json_num(c->crit)));
}

static json_t *json_check(const struct check_result *c)
{
    json_t *o = json_object();

    if (!o)
        return NULL;
    if (json_put(o, "name", json_str(c->name)) ||
        json_put(o, "status", json_string(ip_status_name(format_status(c->status)))) ||
        json_put(o, "duration_ms", json_ms(c->duration)) ||
        json_put(o, "message", json_str(c->message)))
        goto fail;
    if (c->target && json_put(o, "target", json_str(c->target)))
        goto fail;
    if (c->has_value && json_put(o, "value", json_num(c->value)))
        goto fail;
    if (c->hint && json_put(o, "hint", json_str(c->hint)))
        goto fail;
    if (json_thresholds(o, c))
        goto fail;
    return o;
fail:
    json_decref(o);
    return NULL;
}

static json_t *json_metric(const struct metric_result *m)
{
    json_t *o = json_object(), *labels = json_object();

    if (!o || !labels)
        goto fail2;
    if (json_put(o, "name", json_str(m->name)))
        goto fail2;
    /* The labels Prometheus gets, but "probe": the probe object says it. */
    for (char **l = m->labels; l && l[0] && l[1]; l += 2) {
        char *name;
        int rc;

        if (strcmp(l[0], "probe") == 0)
            continue; /* the core's label, which Prometheus keeps too */
        name = format_utf8_dup(l[0]);
        rc = !name || json_put(labels, name, json_str(l[1]));

        free(name);
        if (rc)
            goto fail2;
    }
    if (m->target && json_put(labels, "target", json_str(m->target)))
        goto fail2;
    if (json_put(o, "labels", labels))
        goto fail; /* labels taken, even on failure */
    if (json_put(o, "value", json_num(m->value)))
        goto fail;
    return o;
fail2:
    json_decref(labels);
fail:
    json_decref(o);
    return NULL;
}

/* A timeline event: times in ms from the probe's start, like its duration_ms. The fault's
 * and the restore's message is the action's name; a failed operation's, its error. */
static json_t *json_event(const struct timeline_event *e)
{
    int action = e->kind == TL_FAULT || e->kind == TL_RESTORE;
    json_t *o = json_object();

    if (!o || json_put(o, "event", json_string(report_event_name(e->kind))) ||
        (e->id >= 0 && json_put(o, "id", json_integer(e->id))) ||
        json_put(o, "start_ms", json_ms(e->start)) || json_put(o, "end_ms", json_ms(e->end)) ||
        json_put(o, "ok", json_boolean(e->ok)) ||
        (e->message && json_put(o, action ? "action" : "error", json_str(e->message)))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* A drill's timeline, whole; o gets nothing when there is none. */
static int json_timeline(json_t *o, const struct ip_report *p)
{
    json_t *t;

    if (!p->nevents)
        return 0;
    if (json_put(o, "timeline", t = json_array()))
        return -1;
    for (size_t i = 0; i < p->nevents; i++)
        if (json_array_append_new(t, json_event(&p->events[i])))
            return -1;
    return p->events_dropped && json_put(o, "timeline_dropped", json_integer(p->events_dropped));
}

/* A probe's own fields: those before its checks. */
static int json_probe_head(json_t *o, const struct ip_report *p)
{
    return json_put(o, "name", json_str(p->probe)) || json_put(o, "plugin", json_str(p->plugin)) ||
           json_put(o, "status", json_string(ip_status_name(format_status(p->status)))) ||
           json_put(o, "duration_ms", json_ms(p->duration)) ||
           (p->run_id && json_put(o, "run_id", json_str(p->run_id))) ||
           (p->wall > 0 && json_put(o, "time", json_time(p->wall)));
}

/* Fills the probe's arrays, which its object already owns. */
static int json_probe_arrays(json_t *checks, json_t *metrics, const struct ip_report *p)
{
    for (size_t i = 0; i < p->nchecks; i++)
        if (json_array_append_new(checks, json_check(&p->checks[i])))
            return -1;
    for (size_t i = 0; i < p->nmetrics; i++)
        if (json_array_append_new(metrics, json_metric(&p->metrics[i])))
            return -1;
    return 0;
}

static json_t *json_probe(const struct ip_report *p)
{
    json_t *o = json_object(), *checks = json_array(), *metrics = json_array();

    if (!o || !checks || !metrics || json_probe_head(o, p)) {
        json_decref(checks);
        json_decref(metrics);
        goto fail;
    }
    if (json_put(o, "checks", checks)) {
        json_decref(metrics);
        goto fail;
    }
    if (json_put(o, "metrics", metrics))
        goto fail;
    /* Both arrays are now owned by o and still alive: fill them. */
    if (json_probe_arrays(checks, metrics, p) || json_timeline(o, p))
        goto fail;
    return o;
fail:
    json_decref(o);
    return NULL;
}

static int json_dump(json_t *root, FILE *out, size_t flags)
{
    int rc;

    if (!root) {
        errno = ENOMEM;
        return -1;
    }
    errno = 0;
    rc = json_dumpf(root, out, flags);
    json_decref(root);
    if (rc != 0) {
        /* jansson allocates while it dumps; a write error leaves its mark on `out` */
        if (!ferror(out))
            errno = ENOMEM;
        else if (errno == 0)
            errno = EIO;
        return -1;
    }
    fputc('\n', out);
    return 0;
}

int format_json(FILE *out, const struct run_result *run, int colour)
{
    json_t *root = json_object(), *probes = json_array();

    (void)colour;
    if (!root || !probes) {
        json_decref(probes);
        goto fail;
    }
    if (json_put(root, "infraprobe", json_string(PACKAGE_VERSION)) ||
        json_put(root, "status", json_string(ip_status_name(format_status(run->status)))) ||
        json_put(root, "duration_ms", json_ms(run->duration))) {
        json_decref(probes);
        goto fail;
    }
    if (json_put(root, "probes", probes))
        goto fail;
    for (size_t i = 0; i < run->nprobes; i++)
        if (json_array_append_new(probes, json_probe(run->probes[i])))
            goto fail;
    return json_dump(root, out, JSON_FLAGS | JSON_INDENT(2));
fail:
    json_decref(root);
    errno = ENOMEM;
    return -1;
}

int format_json_probe(FILE *out, const struct ip_report *probe)
{
    /* JSON Lines: compact, so that the object is one line. */
    return json_dump(json_probe(probe), out, JSON_FLAGS | JSON_COMPACT);
}
