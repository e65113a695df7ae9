/*
 * A probe run's report: what plugins record through ip_check() and ip_metric(), and the
 * thresholds the core applies to it when the run ends.
 */
#include "config.h"

#include "report.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <infraprobe/plugin.h>

/* Fill b with n random bytes, or say why not and exit 3. Never a weaker source: a run id
 * that repeats across hosts would let a plugin remove another run's data as its own.
 * _exit(), not exit(): this runs in a worker thread while other threads are inside
 * plugins, whose libraries' exit handlers must not run under them. */
static void random_bytes(unsigned char *b, size_t n)
{
    size_t got = 0;

    while (got < n) {
        ssize_t r = getrandom(b + got, n - got, 0);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            fprintf(stderr, "infraprobe: cannot make a run id: getrandom: %s\n",
                    r < 0 ? strerror(errno) : "no bytes");
            _exit(3);
        }
        got += (size_t)r;
    }
}

/* A run id must be unique across hosts and restarts: 122 random bits, as in a UUID v4.
 * Written digit by digit: snprintf() with sixteen %02x costs more than the rest of a run. */
static char *new_run_id(void)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[16];
    char *id = malloc(37), *p = id;

    if (!id)
        return NULL;
    random_bytes(b, sizeof(b));
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    for (size_t i = 0; i < sizeof(b); i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hex[b[i] >> 4];
        *p++ = hex[b[i] & 0x0f];
    }
    *p = '\0';
    return id;
}

struct ip_report *report_new(const char *probe, const char *plugin, double deadline)
{
    return report_new_as(probe, plugin, deadline, NULL);
}

/* Reports report_new_as() refuses next, as if memory ran out (report_fail_next()). */
static atomic_int fail_next;

void report_fail_next(int n)
{
    atomic_store(&fail_next, n);
}

struct ip_report *report_new_as(const char *probe, const char *plugin, double deadline,
                                const char *run_id)
{
    struct ip_report *r;
    struct timespec now;

    if (atomic_load(&fail_next) > 0 && atomic_fetch_sub(&fail_next, 1) > 0)
        return NULL;
    if (!(r = calloc(1, sizeof(*r))))
        return NULL;
    r->probe = strdup(probe);
    r->plugin = strdup(plugin);
    r->run_id = run_id ? strdup(run_id) : new_run_id();
    if (!r->probe || !r->plugin || !r->run_id) {
        free(r->probe);
        free(r->plugin);
        free(r->run_id);
        free(r);
        return NULL;
    }
    pthread_mutex_init(&r->lock, NULL);
    r->started = ip_clock();
    clock_gettime(CLOCK_REALTIME, &now);
    r->wall = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
    r->deadline = deadline;
    r->status = IP_UNKNOWN;
    return r;
}

void report_free(struct ip_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nchecks; i++) {
        free(r->checks[i].name);
        free(r->checks[i].target);
        free(r->checks[i].message);
        free(r->checks[i].unit);
        free(r->checks[i].hint);
    }
    for (size_t i = 0; i < r->nmetrics; i++) {
        struct metric_result *m = &r->metrics[i];

        free(m->name);
        free(m->help);
        free(m->target);
        for (size_t j = 0; m->labels && m->labels[j]; j++)
            free(m->labels[j]);
        free(m->labels);
    }
    for (size_t i = 0; i < r->nevents; i++)
        free(r->events[i].message);
    free(r->events);
    free(r->checks);
    free(r->metrics);
    free(r->probe);
    free(r->plugin);
    free(r->run_id);
    free(r->restore.action);
    free(r->restore.command);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

double ip_report_deadline(const struct ip_report *report)
{
    return report->deadline;
}

double ip_report_remaining(const struct ip_report *report)
{
    double left = report->deadline - ip_clock();

    return left > 0 ? left : 0;
}

const char *ip_report_run_id(const struct ip_report *report)
{
    return report->run_id;
}

const struct ip_check_decl *report_decl(const struct ip_report *r, const char *name)
{
    for (const struct ip_check_decl *d = r->decls; d && d->name; d++)
        if (strcmp(d->name, name) == 0)
            return d;
    return NULL;
}

int ip_check_enabled(const struct ip_report *report, const char *name)
{
    const struct ip_check_decl *d = name ? report_decl(report, name) : NULL;

    return !d || !report->disabled || !report->disabled[d - report->decls];
}

/* Messages are one line: reports are read line by line (text, Nagios, TAP). */
static char *one_line(const char *fmt, va_list ap)
{
    char *s = NULL;

    if (vasprintf(&s, fmt, ap) < 0)
        return NULL;
    for (char *p = s; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    return s;
}

static int add_check(struct ip_report *r, const char *name, const char *target,
                     enum ip_status status, double seconds, int has_value, double value,
                     char *message)
{
    struct check_result *c;
    int err = 0;

    pthread_mutex_lock(&r->lock);
    if (r->nchecks == r->checks_cap) {
        size_t cap = r->checks_cap ? r->checks_cap * 2 : 8;
        struct check_result *n = realloc(r->checks, cap * sizeof(*n));

        if (!n) {
            err = IP_ENOMEM;
            goto out;
        }
        r->checks = n;
        r->checks_cap = cap;
    }
    c = &r->checks[r->nchecks];
    memset(c, 0, sizeof(*c));
    c->name = strdup(name);
    c->target = target ? strdup(target) : NULL;
    if (!c->name || (target && !c->target)) {
        free(c->name);
        free(c->target);
        err = IP_ENOMEM;
        goto out;
    }
    c->status = status;
    c->duration = seconds > 0 ? seconds : 0;
    c->has_value = has_value;
    c->value = value;
    c->message = message;
    message = NULL;
    r->nchecks++;
    if (r->hooks && r->hooks->check)
        r->hooks->check(r->hooks->ctx, c);
out:
    pthread_mutex_unlock(&r->lock);
    free(message);
    return err;
}

static int vcheck(struct ip_report *r, const char *name, const char *target, enum ip_status st,
                  double seconds, int has_value, double value, const char *fmt, va_list ap)
{
    char *msg;

    if (!name || !report_decl(r, name)) {
        /* Recorded, not dropped: no caller checks the return, and a check that goes missing
         * hides the bug. */
        if (name && asprintf(&msg, "plugin bug: undeclared check \"%s\"", name) >= 0)
            add_check(r, name, target, IP_UNKNOWN, seconds, 0, 0, msg);
        else
            report_run_check(r, IP_UNKNOWN, "plugin bug: a check without a name");
        return IP_EINVAL;
    }
    if ((unsigned)st > IP_SKIPPED)
        return IP_EINVAL;
    msg = one_line(fmt ? fmt : "", ap);
    if (!msg)
        return IP_ENOMEM;
    return add_check(r, name, target, st, seconds, has_value, value, msg);
}

int ip_check(struct ip_report *report, const char *name, const char *target, enum ip_status status,
             double seconds, const char *fmt, ...)
{
    va_list ap;
    int err;

    va_start(ap, fmt);
    err = vcheck(report, name, target, status, seconds, 0, 0, fmt, ap);
    va_end(ap);
    return err;
}

int ip_check_value(struct ip_report *report, const char *name, const char *target,
                   enum ip_status status, double seconds, double value, const char *fmt, ...)
{
    va_list ap;
    int err;

    va_start(ap, fmt);
    err = vcheck(report, name, target, status, seconds, 1, value, fmt, ap);
    va_end(ap);
    return err;
}

static int same_target(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Takes `hint` (freed on failure). */
static int set_hint(struct ip_report *r, const char *name, const char *target, char *hint)
{
    struct check_result *c = NULL;

    pthread_mutex_lock(&r->lock);
    for (size_t i = r->nchecks; i > 0 && !c; i--)
        if (strcmp(r->checks[i - 1].name, name) == 0 &&
            same_target(r->checks[i - 1].target, target))
            c = &r->checks[i - 1];
    if (c) {
        free(c->hint);
        c->hint = hint;
        hint = NULL;
        if (r->hooks && r->hooks->hint)
            r->hooks->hint(r->hooks->ctx, c);
    }
    pthread_mutex_unlock(&r->lock);
    free(hint);
    return c ? 0 : IP_EINVAL;
}

int ip_check_hint(struct ip_report *report, const char *name, const char *target, const char *fmt,
                  ...)
{
    va_list ap;
    char *hint;

    if (!report || !name || !fmt)
        return IP_EINVAL;
    va_start(ap, fmt);
    hint = one_line(fmt, ap);
    va_end(ap);
    if (!hint)
        return IP_ENOMEM;
    return set_hint(report, name, target, hint);
}

int report_set_hint(struct ip_report *r, const char *name, const char *target, const char *hint)
{
    char *copy;

    if (!name || !hint)
        return IP_EINVAL;
    if (!(copy = strdup(hint)))
        return IP_ENOMEM;
    return set_hint(r, name, target, copy);
}

/* Has the run recorded check `name`? */
static int recorded(struct ip_report *r, const char *name)
{
    int found = 0;

    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < r->nchecks && !found; i++)
        found = strcmp(r->checks[i].name, name) == 0;
    pthread_mutex_unlock(&r->lock);
    return found;
}

void report_skip_disabled(struct ip_report *r)
{
    for (size_t i = 0; r->disabled && r->decls && r->decls[i].name; i++) {
        const struct ip_check_decl *d = &r->decls[i];
        char *msg;

        /* A drill's check exists only in a drill run. */
        if (!r->disabled[i] || ((d->flags & IP_CHECK_DRILL) && !r->drill) || recorded(r, d->name))
            continue;
        if ((msg = strdup(r->disabled[i])))
            add_check(r, d->name, NULL, IP_SKIPPED, 0, 0, 0, msg);
    }
}

int report_copy_checks(struct ip_report *dst, struct ip_report *src)
{
    int err = 0;

    pthread_mutex_lock(&src->lock);
    for (size_t i = 0; i < src->nchecks && err == 0; i++) {
        const struct check_result *c = &src->checks[i];
        char *msg = strdup(c->message);

        err = msg ? add_check(dst, c->name, c->target, c->status, c->duration, c->has_value,
                              c->value, msg)
                  : IP_ENOMEM;
        if (err == 0 && c->hint)
            err = report_set_hint(dst, c->name, c->target, c->hint);
    }
    for (size_t i = 0; i < src->nevents && err == 0; i++)
        err = report_add_event(dst, &src->events[i]);
    pthread_mutex_unlock(&src->lock);
    return err;
}

int report_add_check(struct ip_report *r, const char *name, const char *target,
                     enum ip_status status, double seconds, int has_value, double value,
                     const char *message)
{
    char *msg = strdup(message ? message : "");

    if (!msg || !name || (unsigned)status > IP_SKIPPED) {
        free(msg);
        return msg ? IP_EINVAL : IP_ENOMEM;
    }
    return add_check(r, name, target, status, seconds, has_value, value, msg);
}

int report_add_event(struct ip_report *r, const struct timeline_event *e)
{
    struct timeline_event *n;
    int err = 0;

    pthread_mutex_lock(&r->lock);
    if (r->nevents >= TIMELINE_MAX) {
        r->events_dropped++;
        goto out;
    }
    if (r->nevents == r->events_cap) {
        size_t cap = r->events_cap ? r->events_cap * 2 : 64;

        if (!(n = realloc(r->events, cap * sizeof(*n)))) {
            err = IP_ENOMEM;
            goto out;
        }
        r->events = n;
        r->events_cap = cap;
    }
    n = &r->events[r->nevents];
    *n = *e;
    if (e->message && !(n->message = strdup(e->message))) {
        err = IP_ENOMEM;
        goto out;
    }
    r->nevents++;
    if (r->hooks && r->hooks->event)
        r->hooks->event(r->hooks->ctx, n);
out:
    pthread_mutex_unlock(&r->lock);
    return err;
}

int report_event(struct ip_report *r, enum timeline_kind kind, long long id, double t0, double t1,
                 int ok, const char *message)
{
    struct timeline_event e = {.kind = kind,
                               .id = id,
                               .start = t0 - r->started,
                               .end = t1 - r->started,
                               .ok = ok != 0,
                               .message = (char *)message};

    if ((unsigned)kind > TL_KIND_MAX || !isfinite(t0) || !isfinite(t1))
        return IP_EINVAL;
    return report_add_event(r, &e);
}

int ip_event(struct ip_report *report, enum ip_event_kind kind, long long id, double start,
             double end, int ok, const char *message)
{
    if (!report)
        return IP_EINVAL;
    return report_event(report, (enum timeline_kind)kind, id < 0 ? -1 : id, start, end, ok,
                        message);
}

const char *report_event_name(enum timeline_kind kind)
{
    static const char *const names[] = {
        [TL_OPERATION] = "operation", [TL_FAULT] = "fault",         [TL_RESTORE] = "restore",
        [TL_DETECTED] = "detected",   [TL_RECOVERED] = "recovered", [TL_REJOINED] = "rejoined",
        [TL_LOST] = "lost",
    };

    return (unsigned)kind <= TL_KIND_MAX ? names[kind] : "unknown";
}

static _Atomic(report_phase_fn) phase_fn;
static void *_Atomic phase_ctx;

void report_watch_phases(report_phase_fn fn, void *ctx)
{
    atomic_store(&phase_ctx, ctx);
    atomic_store(&phase_fn, fn);
}

void report_phase(struct ip_report *r, const char *phase)
{
    report_phase_fn fn;

    if (r->hooks && r->hooks->phase)
        r->hooks->phase(r->hooks->ctx, phase);
    else if ((fn = atomic_load(&phase_fn)))
        fn(atomic_load(&phase_ctx), r->probe, phase);
}

int report_run_check(struct ip_report *r, enum ip_status status, const char *fmt, ...)
{
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    msg = one_line(fmt, ap);
    va_end(ap);
    if (!msg)
        return IP_ENOMEM;
    return add_check(r, "run", NULL, status, ip_clock() - r->started, 0, 0, msg);
}

static int valid_name(const char *s)
{
    if (!s || !(isalpha((unsigned char)*s) || *s == '_'))
        return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_'))
            return 0;
    return 1;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n > m && s[n - m - 1] == '_' && strcmp(s + n - m, suffix) == 0;
}

/* infraprobe_<plugin>_<name>[_<unit>][_total]: Prometheus naming, whatever the plugin wrote.
 * Pieces copied, not asprintf(): its format parsing cost 1,900 instructions, per metric and
 * run. */
static char *metric_name(const char *plugin, const char *name, const char *unit,
                         enum ip_metric_type type)
{
    int add_unit = unit && *unit && !ends_with(name, unit);
    int add_total = type == IP_COUNTER && !ends_with(name, "total");
    const char *part[] = {"infraprobe_",
                          plugin,
                          "_",
                          name,
                          add_unit ? "_" : "",
                          add_unit ? unit : "",
                          add_total ? "_total" : ""};
    size_t len[sizeof(part) / sizeof(part[0])], total = 1;
    char *s, *p;

    for (size_t i = 0; i < sizeof(part) / sizeof(part[0]); i++)
        total += len[i] = strlen(part[i]);
    if (!(s = p = malloc(total)))
        return NULL;
    for (size_t i = 0; i < sizeof(part) / sizeof(part[0]); i++)
        p = (char *)memcpy(p, part[i], len[i]) + len[i];
    *p = '\0';
    return s;
}

static void free_metric(struct metric_result *m)
{
    free(m->name);
    free(m->help);
    free(m->target);
    for (size_t i = 0; m->labels && m->labels[i]; i++)
        free(m->labels[i]);
    free(m->labels);
}

/* Append `m`, which the report then owns. */
static int append_metric(struct ip_report *report, struct metric_result *m)
{
    pthread_mutex_lock(&report->lock);
    if (report->nmetrics == report->metrics_cap) {
        size_t cap = report->metrics_cap ? report->metrics_cap * 2 : 8;
        struct metric_result *n = realloc(report->metrics, cap * sizeof(*n));

        if (!n) {
            pthread_mutex_unlock(&report->lock);
            return IP_ENOMEM;
        }
        report->metrics = n;
        report->metrics_cap = cap;
    }
    report->metrics[report->nmetrics++] = *m;
    pthread_mutex_unlock(&report->lock);
    return 0;
}

/* A label pair is a valid name and a value; probe and target are the report's own labels. */
static int valid_label(const char *const *pair)
{
    return valid_name(pair[0]) && pair[1] && strcmp(pair[0], "probe") && strcmp(pair[0], "target");
}

/* Checks ip_metric's arguments and counts its labels' names and values into `nlabels`. */
static int valid_metric(enum ip_metric_type type, const char *name, const char *unit,
                        const char *const *labels, size_t *nlabels)
{
    if (!valid_name(name) || (unit && *unit && !valid_name(unit)) ||
        (type != IP_GAUGE && type != IP_COUNTER))
        return 0;
    for (*nlabels = 0; labels && labels[*nlabels]; *nlabels += 2)
        if (!valid_label(labels + *nlabels))
            return 0;
    return 1;
}

/* A NULL-terminated copy of `n` labels, or NULL when out of memory. */
static char **copy_labels(const char *const *labels, size_t n)
{
    char **copy = calloc(n + 1, sizeof(*copy));

    for (size_t i = 0; copy && i < n; i++) {
        if (!(copy[i] = strdup(labels[i]))) {
            for (size_t j = 0; j < i; j++)
                free(copy[j]);
            free(copy);
            return NULL;
        }
    }
    return copy;
}

int ip_metric(struct ip_report *report, enum ip_metric_type type, const char *name,
              const char *unit, const char *help, const char *target, const char *const *labels,
              double value)
{
    struct metric_result m = {.type = type, .value = value};
    size_t nlabels = 0;

    if (!valid_metric(type, name, unit, labels, &nlabels))
        return IP_EINVAL;
    m.name = metric_name(report->plugin, name, unit, type);
    m.help = strdup(help && *help ? help : name);
    m.target = target ? strdup(target) : NULL;
    m.labels = nlabels ? copy_labels(labels, nlabels) : NULL;
    if (m.name && m.help && (!target || m.target) && (!nlabels || m.labels) &&
        append_metric(report, &m) == 0)
        return 0;
    free_metric(&m);
    return IP_ENOMEM;
}

int report_add_metric(struct ip_report *r, const struct metric_result *src)
{
    struct metric_result m = {.type = src->type, .value = src->value};
    size_t n = 0;

    while (src->labels && src->labels[n])
        n++;
    m.name = src->name ? strdup(src->name) : NULL;
    m.help = strdup(src->help ? src->help : "");
    m.target = src->target ? strdup(src->target) : NULL;
    m.labels = n ? copy_labels((const char *const *)src->labels, n) : NULL;
    if (m.name && m.help && (!src->target || m.target) && (!n || m.labels) &&
        append_metric(r, &m) == 0)
        return 0;
    free_metric(&m);
    return IP_ENOMEM;
}

static const struct threshold * override(const struct ip_report *r, const char *check)
{
    for (size_t i = 0; i < r->nthresholds; i++)
        if (strcmp(r->thresholds[i].check, check) == 0)
            return &r->thresholds[i];
    return NULL;
}

/* Is `x` past threshold `limit` in the direction of `kind`? */
static int past(enum ip_check_kind kind, double x, int has, double limit)
{
    if (!has)
        return 0;
    return kind == IP_VALUE_MIN ? x < limit : x > limit;
}

/* A configured threshold wins over the plugin's default; a default of 0 means none, a
 * configured 0 is a threshold. */
static void set_limits(struct check_result *c, const struct ip_check_decl *d,
                       const struct threshold *o)
{
    c->kind = d->kind;
    c->has_warn = o && o->has_warn ? 1 : d->warn != 0;
    c->has_crit = o && o->has_crit ? 1 : d->crit != 0;
    c->warn = o && o->has_warn ? o->warn : d->warn;
    c->crit = o && o->has_crit ? o->crit : d->crit;
}

/* How far past its threshold `x` is, appended to the check's message. */
static void explain_threshold(struct check_result *c, enum ip_check_kind kind, double x,
                              enum ip_status st)
{
    const char *unit = kind == IP_LATENCY ? " ms" : "";
    char *msg;

    if (asprintf(&msg, "%s (%s %g%s %s %s %g%s)", c->message, kind == IP_LATENCY ? "took" : "value",
                 x, unit, kind == IP_VALUE_MIN ? "<" : ">",
                 st == IP_CRITICAL ? "critical" : "warning", st == IP_CRITICAL ? c->crit : c->warn,
                 unit) >= 0) {
        free(c->message);
        c->message = msg;
    }
}

static void apply_thresholds(struct ip_report *r, struct check_result *c)
{
    const struct ip_check_decl *d = report_decl(r, c->name);
    enum ip_status st = IP_OK;
    double x;

    if (!d)
        return;
    set_limits(c, d, override(r, c->name));
    if (d->unit && !c->unit)
        c->unit = strdup(d->unit);
    /* A failed check's duration says nothing about the backend's speed. */
    if (c->status != IP_OK && c->status != IP_WARNING)
        return;
    if (d->kind != IP_LATENCY && !c->has_value)
        return;
    x = d->kind == IP_LATENCY ? c->duration * 1e3 : c->value;
    if (past(d->kind, x, c->has_crit, c->crit))
        st = IP_CRITICAL;
    else if (past(d->kind, x, c->has_warn, c->warn))
        st = IP_WARNING;
    if (st == IP_OK)
        return;
    explain_threshold(c, d->kind, x, st);
    c->status = ip_status_worst(c->status, st);
}

void report_finish(struct ip_report *r)
{
    enum ip_status st = IP_SKIPPED;

    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < r->nchecks; i++) {
        struct check_result *c = &r->checks[i];

        apply_thresholds(r, c);
        /* A hint is for a check that failed; one given in case a threshold fails it goes. */
        if (c->hint && (c->status == IP_OK || c->status == IP_SKIPPED)) {
            free(c->hint);
            c->hint = NULL;
        }
        st = ip_status_worst(st, c->status);
    }
    r->status = r->nchecks ? st : IP_UNKNOWN;
    r->duration = ip_clock() - r->started;
    pthread_mutex_unlock(&r->lock);
}
