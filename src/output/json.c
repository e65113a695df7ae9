/*
 * --format json: DESIGN.md's document for a run, and in daemon mode one probe object per
 * line (JSON Lines). Written directly into a buffer, token by token, with one fwrite() at the
 * end: building a jansson tree per run cost about 66,000 instructions, eight times the run
 * itself. The output is byte for byte what jansson wrote (JSON_PRESERVE_ORDER, 15 significant
 * digits, JSON_INDENT(2) or JSON_COMPACT), which tests/unit/format_test checks against
 * jansson. Two things JSON cannot hold are mapped rather than lost: a non-finite number
 * becomes null, and invalid UTF-8 in a string (a server's bytes in a message) becomes U+FFFD.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json_writer.h"
#include "output_util.h"
#include "writers.h"

/* When a run started, in RFC 3339 (UTC, milliseconds): JSON Lines readers need to know
 * when each line happened, and the monotonic clock cannot tell them. */
static void put_time(struct jw *w, double wall)
{
    time_t secs = (time_t)wall;
    struct tm tm;
    /* YYYY-MM-DDTHH:MM:SS.mmmZ, digits put in place (strftime and printf cost more than the
     * rest of a probe's line). */
    char buf[] = "0000-00-00T00:00:00.000Z";
    int fields[][3] = {{0, 4, 0},  {5, 2, 0},  {8, 2, 0}, {11, 2, 0},
                       {14, 2, 0}, {17, 2, 0}, {20, 3, 0}};

    if (!gmtime_r(&secs, &tm) || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999) {
        jw_null(w);
        return;
    }
    fields[0][2] = tm.tm_year + 1900;
    fields[1][2] = tm.tm_mon + 1;
    fields[2][2] = tm.tm_mday;
    fields[3][2] = tm.tm_hour;
    fields[4][2] = tm.tm_min;
    fields[5][2] = tm.tm_sec;
    fields[6][2] = (int)((wall - (double)secs) * 1000) % 1000;
    for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++)
        for (int i = fields[f][1] - 1, v = fields[f][2]; i >= 0; i--, v /= 10)
            buf[fields[f][0] + i] = (char)('0' + v % 10);
    jw_string(w, buf);
}

/* Milliseconds from seconds, rounded to the microsecond. */
static void put_ms(struct jw *w, const char *key, double seconds)
{
    jw_key(w, key);
    jw_ms(w, seconds);
}

static void put_str(struct jw *w, const char *key, const char *value)
{
    jw_key(w, key);
    jw_string(w, value);
}

static void put_status(struct jw *w, enum ip_status s)
{
    put_str(w, "status", ip_status_name(format_status(s)));
}

/* thresholds = {warn, crit}: those the check has, none when it has neither. */
static void put_thresholds(struct jw *w, const struct check_result *c)
{
    if (!c->has_warn && !c->has_crit)
        return;
    jw_key(w, "thresholds");
    jw_open(w, '{');
    if (c->has_warn) {
        jw_key(w, "warn");
        jw_number(w, c->warn);
    }
    if (c->has_crit) {
        jw_key(w, "crit");
        jw_number(w, c->crit);
    }
    jw_close(w, '}');
}

static void put_check(struct jw *w, const struct check_result *c)
{
    jw_open(w, '{');
    put_str(w, "name", c->name);
    put_status(w, c->status);
    put_ms(w, "duration_ms", c->duration);
    put_str(w, "message", c->message);
    if (c->target)
        put_str(w, "target", c->target);
    if (c->has_value) {
        jw_key(w, "value");
        jw_number(w, c->value);
    }
    if (c->hint)
        put_str(w, "hint", c->hint);
    put_thresholds(w, c);
    jw_close(w, '}');
}

/* The value of label `name`: the last one of that name, as an object that is set twice keeps
 * the first place and the last value; the target is the label "target". */
static const char *label_value(const struct metric_result *m, const char *name)
{
    const char *v = NULL;

    if (m->target && strcmp(name, "target") == 0)
        return m->target;
    for (char **l = m->labels; l && l[0] && l[1]; l += 2)
        if (strcmp(l[0], name) == 0)
            v = l[1];
    return v;
}

/* Has a label before `at` the name at `at`? (Names compare as written: invalid bytes in two
 * names could map to one, which only a broken plugin would send.) */
static int label_seen(const struct metric_result *m, char **at)
{
    for (char **l = m->labels; l != at; l += 2)
        if (strcmp(l[0], at[0]) == 0)
            return 1;
    return 0;
}

static void put_metric(struct jw *w, const struct metric_result *m)
{
    int target_done = 0;

    jw_open(w, '{');
    put_str(w, "name", m->name);
    jw_key(w, "labels");
    jw_open(w, '{');
    /* The labels Prometheus gets, but "probe": the probe object says it. */
    for (char **l = m->labels; l && l[0] && l[1]; l += 2) {
        if (strcmp(l[0], "probe") == 0 || label_seen(m, l))
            continue;
        target_done |= strcmp(l[0], "target") == 0;
        jw_key_quoted(w, l[0]);
        jw_string(w, label_value(m, l[0]));
    }
    if (m->target && !target_done)
        put_str(w, "target", m->target);
    jw_close(w, '}');
    jw_key(w, "value");
    jw_number(w, m->value);
    jw_close(w, '}');
}

/* A timeline event: times in ms from the probe's start, like its duration_ms. The fault's
 * and the restore's message is the action's name (or the fault's: "blackhole redis://..."); a
 * failed operation's and a lost one's, its error; a moment's, what it was. */
static void put_event(struct jw *w, const struct timeline_event *e)
{
    const char *key = e->kind == TL_FAULT || e->kind == TL_RESTORE    ? "action"
                      : e->kind == TL_OPERATION || e->kind == TL_LOST ? "error"
                                                                      : "message";

    jw_open(w, '{');
    put_str(w, "event", report_event_name(e->kind));
    if (e->id >= 0) {
        jw_key(w, "id");
        jw_integer(w, e->id);
    }
    put_ms(w, "start_ms", e->start);
    put_ms(w, "end_ms", e->end);
    jw_key(w, "ok");
    jw_bool(w, e->ok);
    if (e->message)
        put_str(w, key, e->message);
    jw_close(w, '}');
}

static void put_probe(struct jw *w, const struct ip_report *p)
{
    jw_open(w, '{');
    put_str(w, "name", p->probe);
    put_str(w, "plugin", p->plugin);
    put_status(w, p->status);
    put_ms(w, "duration_ms", p->duration);
    if (p->run_id)
        put_str(w, "run_id", p->run_id);
    if (p->wall > 0) {
        jw_key(w, "time");
        put_time(w, p->wall);
    }
    jw_key(w, "checks");
    jw_open(w, '[');
    for (size_t i = 0; i < p->nchecks; i++)
        put_check(w, &p->checks[i]);
    jw_close(w, ']');
    jw_key(w, "metrics");
    jw_open(w, '[');
    for (size_t i = 0; i < p->nmetrics; i++)
        put_metric(w, &p->metrics[i]);
    jw_close(w, ']');
    /* A drill's timeline, whole. */
    if (p->nevents) {
        jw_key(w, "timeline");
        jw_open(w, '[');
        for (size_t i = 0; i < p->nevents; i++)
            put_event(w, &p->events[i]);
        jw_close(w, ']');
        if (p->events_dropped) {
            jw_key(w, "timeline_dropped");
            jw_integer(w, p->events_dropped);
        }
    }
    jw_close(w, '}');
}

int format_json(FILE *out, const struct run_result *run, int colour)
{
    struct jw w;

    (void)colour;
    jw_init(&w, 2);
    jw_open(&w, '{');
    put_str(&w, "infraprobe", PACKAGE_VERSION);
    put_status(&w, run->status);
    put_ms(&w, "duration_ms", run->duration);
    jw_key(&w, "probes");
    jw_open(&w, '[');
    for (size_t i = 0; i < run->nprobes; i++)
        put_probe(&w, run->probes[i]);
    jw_close(&w, ']');
    jw_close(&w, '}');
    return jw_finish(&w, out);
}

int format_json_probe(FILE *out, const struct ip_report *probe)
{
    struct jw w;

    /* JSON Lines: compact, so that the object is one line. */
    jw_init(&w, 0);
    put_probe(&w, probe);
    return jw_finish(&w, out);
}
