/*
 * The drill framework (ip_drill_execute()): the skeleton every drill shares, so that a plugin
 * writes only what is its backend's (an operation, the question "has it noticed?", reading
 * back, "is it whole again?"). Operations, the fault and the restore go into the report's
 * timeline; acknowledged operations into a ledger, from which the lost and the duplicated
 * are counted; the check carries the recovery time, and every drill records the same metrics.
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <infraprobe/plugin.h>

#include "report.h"

struct ip_drill {
    struct ip_report *report;
    const struct ip_drill_ops *ops;
    void *ctx;
    double deadline, started, fault, last_ok;
    long long next_id;
    pthread_mutex_t lock; /* the ledger: ip_drill_ack() and ip_drill_seen() may come from threads */
    long long *acked;     /* ids, in the order acknowledged */
    int *seen;            /* copies verify() saw, per acked id */
    size_t nacked, cap;
    int detected, recovered;
    char why[512];                 /* the last "not yet" of detected(), or verify()'s failure */
    char op_why[512];              /* the last operation's failure */
    char note[1024];               /* ip_drill_note() */
    char restore[512];             /* why the restore or the rejoin failed; "" when they did not */
    enum ip_status restore_status; /* unknown: the restore failed; critical: no rejoin */
    enum ip_status fail_status;    /* ip_drill_fail() */
    char fail[1024];
    struct ip_drill_result res;
};

struct ip_report *ip_drill_report(const struct ip_drill *d)
{
    return d->report;
}

double ip_drill_deadline(const struct ip_drill *d)
{
    return d->deadline;
}

int ip_drill_ack(struct ip_drill *d, long long id)
{
    int err = 0;

    pthread_mutex_lock(&d->lock);
    if (d->nacked == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        long long *a = realloc(d->acked, cap * sizeof(*a));
        int *s = a ? realloc(d->seen, cap * sizeof(*s)) : NULL;

        if (a)
            d->acked = a;
        if (s)
            d->seen = s;
        if (!a || !s)
            err = IP_ENOMEM;
        else
            d->cap = cap;
    }
    if (!err) {
        d->acked[d->nacked] = id;
        d->seen[d->nacked++] = 0;
    }
    pthread_mutex_unlock(&d->lock);
    return err;
}

const long long *ip_drill_acked(const struct ip_drill *d, size_t *n)
{
    *n = d->nacked;
    return d->acked;
}

void ip_drill_seen(struct ip_drill *d, long long id)
{
    pthread_mutex_lock(&d->lock);
    for (size_t i = 0; i < d->nacked; i++)
        if (d->acked[i] == id) {
            d->seen[i]++;
            break;
        }
    pthread_mutex_unlock(&d->lock);
}

void ip_drill_note(struct ip_drill *d, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(d->note, sizeof(d->note), fmt, ap);
    va_end(ap);
}

void ip_drill_fail(struct ip_drill *d, enum ip_status status, const char *fmt, ...)
{
    va_list ap;

    if (d->fail[0] && ip_status_worst(d->fail_status, status) == d->fail_status)
        return;
    d->fail_status = status;
    va_start(ap, fmt);
    vsnprintf(d->fail, sizeof(d->fail), fmt, ap);
    va_end(ap);
}

static void event(struct ip_drill *d, enum timeline_kind kind, long long id, double t0, double t1,
                  int ok, const char *message)
{
    report_event(d->report, kind, id, t0, t1, ok, message);
}

/* A deadline for one step: op_timeout from now, within the drill's. */
static double step_deadline(const struct ip_drill *d)
{
    double t = ip_clock() + (d->ops->op_timeout > 0 ? d->ops->op_timeout : 1.0);

    return t < d->deadline ? t : d->deadline;
}

/* One operation, timed into the timeline and, when acknowledged, the ledger. */
static int operation(struct ip_drill *d)
{
    long long id = d->next_id++;
    double t0 = ip_clock(), t1;
    char err[512] = "";
    int rc = d->ops->operate(d->ctx, d, id, step_deadline(d), err, sizeof(err));

    t1 = ip_clock();
    event(d, TL_OPERATION, id, t0, t1, rc == 0, rc ? err : NULL);
    if (rc != 0) {
        snprintf(d->op_why, sizeof(d->op_why), "%s", err);
        return rc;
    }
    if (d->fault > 0 && t1 - d->last_ok > d->res.unavailable)
        d->res.unavailable = t1 - d->last_ok;
    d->last_ok = t1;
    return ip_drill_ack(d, id);
}

static void pause_round(const struct ip_drill *d)
{
    double until = ip_clock() + (d->ops->interval > 0 ? d->ops->interval : 0.05);

    ip_sleep_until(until < d->deadline ? until : d->deadline);
}

/* Run the fault (inject) or put it back (restore): the plugin's own step, timed into the
 * timeline, or the probe's fault action, which fault.c times. */
static int action(struct ip_drill *d, int (*fn)(void *, struct ip_drill *, char *, size_t),
                  enum timeline_kind kind, const char *name, char *err, size_t errlen)
{
    double t0 = ip_clock();
    int rc;

    if (!fn)
        return ip_fault(d->report, name, d->ops->vars, err, errlen);
    rc = fn(d->ctx, d, err, errlen);
    event(d, kind, -1, t0, ip_clock(), rc == 0, NULL);
    return rc;
}

/* Watch, until recovery or the deadline: ask detected(), then operate. */
static void watch(struct ip_drill *d)
{
    report_phase(d->report, "detect");
    while (ip_clock() < d->deadline) {
        if (!d->detected && d->ops->detected &&
            d->ops->detected(d->ctx, d, step_deadline(d), d->why, sizeof(d->why)) == 1) {
            d->detected = 1;
            d->res.detect = ip_clock() - d->fault;
            event(d, TL_DETECTED, -1, ip_clock(), ip_clock(), 1, NULL);
            report_phase(d->report, "recover");
        }
        if (operation(d) == 0 && (d->detected || !d->ops->detected)) {
            if (!d->detected) {
                d->detected = 1;
                d->res.detect = d->last_ok - d->fault;
                event(d, TL_DETECTED, -1, d->last_ok, d->last_ok, 1, NULL);
            }
            d->recovered = 1;
            d->res.recover = d->last_ok - d->fault;
            event(d, TL_RECOVERED, -1, d->last_ok, d->last_ok, 1, NULL);
            return;
        }
        pause_round(d);
    }
    /* Still unavailable at the deadline: that window counts too. */
    if (ip_clock() - d->last_ok > d->res.unavailable)
        d->res.unavailable = ip_clock() - d->last_ok;
}

/* Read back what was acknowledged: the lost and the duplicated. */
static int verify(struct ip_drill *d)
{
    if (!d->ops->verify)
        return 0;
    report_phase(d->report, "verify");
    if (d->ops->verify(d->ctx, d, d->deadline, d->why, sizeof(d->why)) != 0)
        return -1;
    d->res.lost = d->res.duplicated = 0;
    for (size_t i = 0; i < d->nacked; i++) {
        d->res.lost += d->seen[i] == 0;
        d->res.duplicated += d->seen[i] > 1;
        /* Which ones: the report's plot and list name them. */
        if (d->seen[i] == 0)
            event(d, TL_LOST, d->acked[i], ip_clock(), ip_clock(), 0,
                  "acknowledged, not found after the drill");
    }
    return 0;
}

/* Put the fault back and, when the drill recovered, wait for the system to be whole. */
static void restore(struct ip_drill *d)
{
    double t0 = ip_clock();
    char why[512] = "not asked";

    d->restore_status = IP_UNKNOWN;
    report_phase(d->report, "restore");
    if (action(d, d->ops->restore, TL_RESTORE, "start", d->restore, sizeof(d->restore)) != 0)
        return;
    d->restore[0] = '\0';
    d->restore_status = IP_CRITICAL;
    if (!d->recovered)
        return;
    if (d->ops->rejoined)
        report_phase(d->report, "rejoin");
    while (d->ops->rejoined &&
           d->ops->rejoined(d->ctx, d, step_deadline(d), why, sizeof(why)) != 1) {
        if (ip_clock() >= d->deadline) {
            snprintf(d->restore, sizeof(d->restore), "not whole again by the deadline: %s", why);
            return;
        }
        pause_round(d);
    }
    d->res.rejoin = ip_clock() - t0;
    event(d, TL_REJOINED, -1, ip_clock(), ip_clock(), 1, NULL);
}

static void metric(struct ip_drill *d, const char *name, const char *unit, const char *help,
                   double v)
{
    if (v >= 0)
        ip_metric(d->report, IP_GAUGE, name, unit, help, d->ops->target, NULL, v);
}

static void metrics(struct ip_drill *d)
{
    const struct ip_drill_result *r = &d->res;

    metric(d, "drill_detect", "seconds", "drill: from the fault until it was detected", r->detect);
    metric(d, "drill_recover", "seconds",
           "drill: from the fault until an operation succeeded once it was detected", r->recover);
    metric(d, "drill_unavailable", "seconds",
           "drill: the longest time with no successful operation, from the fault on",
           d->fault > 0 ? r->unavailable : -1);
    metric(d, "drill_lost_operations", NULL, "drill: acknowledged operations not found after",
           (double)r->lost);
    metric(d, "drill_duplicated_operations", NULL,
           "drill: acknowledged operations found more than once after", (double)r->duplicated);
    metric(d, "drill_rejoin", "seconds",
           "drill: from the start of the restore until the system was whole again", r->rejoin);
}

/* The words of a drill that went through: what it measured, and the plugin's note. */
static void summary(const struct ip_drill *d, char *out, size_t outlen)
{
    const struct ip_drill_result *r = &d->res;
    int n;

    n = snprintf(out, outlen,
                 "detected after %.2f s, recovered after %.2f s (%.2f s without a successful "
                 "operation); ",
                 r->detect, r->recover, r->unavailable);
    if (n < 0 || (size_t)n >= outlen)
        return;
    if (r->lost >= 0)
        n += snprintf(out + n, outlen - (size_t)n,
                      "%lld of %lld acknowledged operations lost, %lld duplicated; ", r->lost,
                      r->acknowledged, r->duplicated);
    if ((size_t)n < outlen)
        snprintf(out + n, outlen - (size_t)n, "whole again %.2f s after the restore began%s%s",
                 r->rejoin, d->note[0] ? "; " : "", d->note);
}

/* The drill's check, from what happened, worst first. */
static void record(struct ip_drill *d, int verified)
{
    const struct ip_drill_result *r = &d->res;
    const char *check = d->ops->check, *target = d->ops->target;
    double took = ip_clock() - d->started;
    struct ip_report *rep = d->report;
    char words[2048];

    if (!d->detected) {
        /* Without detected(), detection is the first operation that succeeds. */
        ip_check(rep, check, target, IP_CRITICAL, took, "%s by the deadline (%s)%s%s",
                 d->ops->detected ? "not detected" : "no operation succeeded",
                 d->ops->detected ? (d->why[0] ? d->why : "no answer") : d->op_why,
                 d->restore[0] ? "; " : "", d->restore);
        return;
    }
    if (!d->recovered) {
        ip_check(rep, check, target, IP_CRITICAL, took,
                 "detected after %.2f s, but no operation succeeded by the deadline: %s%s%s",
                 r->detect, d->op_why, d->note[0] ? "; " : "", d->note);
        return;
    }
    if (verified != 0)
        ip_check_value(rep, check, target, IP_CRITICAL, took, r->recover,
                       "could not read the acknowledged operations back: %s", d->why);
    else if (r->lost > 0)
        ip_check_value(rep, check, target, IP_CRITICAL, took, r->recover,
                       "%lld of %lld acknowledged operations lost%s%s", r->lost, r->acknowledged,
                       d->note[0] ? "; " : "", d->note);
    else if (d->restore[0])
        ip_check_value(rep, check, target, d->restore_status, took, r->recover, "%s", d->restore);
    else if (d->fail[0])
        ip_check_value(rep, check, target, d->fail_status, took, r->recover, "%s", d->fail);
    else {
        summary(d, words, sizeof(words));
        ip_check_value(rep, check, target, r->duplicated > 0 ? IP_WARNING : IP_OK, took, r->recover,
                       "%s", words);
    }
}

/* Before the fault: operations that must all be acknowledged. */
static int before(struct ip_drill *d)
{
    for (int i = 0; i < d->ops->before; i++)
        if (operation(d) != 0) {
            ip_check(d->report, d->ops->check, d->ops->target, IP_CRITICAL, ip_clock() - d->started,
                     "before the fault: %s; no fault injected", d->op_why);
            return -1;
        }
    return 0;
}

/* Inject the fault; when that fails, the drill is unknown and the restore runs anyway. */
static int inject(struct ip_drill *d)
{
    char err[512], serr[512];

    report_phase(d->report, "inject");
    d->fault = d->last_ok = ip_clock();
    if (action(d, d->ops->inject, TL_FAULT, "stop", err, sizeof(err)) == 0)
        return 0;
    if (action(d, d->ops->restore, TL_RESTORE, "start", serr, sizeof(serr)) != 0)
        ip_check(d->report, d->ops->check, d->ops->target, IP_UNKNOWN, ip_clock() - d->started,
                 "%s; %s", err, serr);
    else
        ip_check(d->report, d->ops->check, d->ops->target, IP_UNKNOWN, ip_clock() - d->started,
                 "%s", err);
    return -1;
}

static void drill_run(struct ip_drill *d)
{
    int verified = 0;

    if (before(d) == 0 && inject(d) == 0) {
        watch(d);
        if (d->recovered)
            verified = verify(d);
        restore(d);
        d->res.acknowledged = (long long)d->nacked;
        record(d, verified);
    }
    if (d->ops->cleanup)
        d->ops->cleanup(d->ctx, d, d->deadline);
    d->res.acknowledged = (long long)d->nacked;
    metrics(d);
}

int ip_drill_execute(struct ip_report *report, const struct ip_drill_ops *ops, void *ctx,
                     struct ip_drill_result *out)
{
    struct ip_drill d = {.report = report, .ops = ops, .ctx = ctx};

    if (!ops || !ops->check || !ops->operate)
        return IP_EINVAL;
    if (!ip_drill(report, &d.deadline))
        return 0;
    d.started = ip_clock();
    d.res = (struct ip_drill_result){-1, -1, 0, -1, 0, -1, -1};
    pthread_mutex_init(&d.lock, NULL);
    drill_run(&d);
    if (out)
        *out = d.res;
    pthread_mutex_destroy(&d.lock);
    free(d.acked);
    free(d.seen);
    return 1;
}
