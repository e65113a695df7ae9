/*
 * The runner. One slot per probe (a probe never runs twice at once), a FIFO of queued
 * slots, and detached worker threads. The thread that collects results enforces the
 * deadlines: it never waits past the earliest one, so a hung plugin costs its probe an
 * `unknown` and nothing else.
 */
#include "config.h"

#include "runner.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include <infraprobe/plugin.h>

#include "conf.h"
#include "report.h"

enum slot_state { IDLE, QUEUED, RUNNING, DONE, ABANDONED };

struct slot {
    enum slot_state state;
    double started;
    double deadline;
    struct ip_report *running; /* RUNNING: the report the run writes into */
    struct ip_report *result;  /* DONE: the report to hand out */
};

struct runner {
    pthread_mutex_t lock;
    pthread_cond_t work; /* a slot was queued, or stop */
    pthread_cond_t done; /* a run ended */
    struct conf *conf;
    struct slot *slots;
    size_t *queue; /* ring of slot indexes */
    size_t head, count;
    size_t nslots;
    int workers;        /* live workers, stuck ones not counted */
    size_t stuck;       /* abandoned runs not yet returned */
    pthread_t *threads; /* every worker ever started, to join */
    size_t nthreads, threads_cap;
    int stop;
};

static void *worker(void *arg);

/* Workers are joinable, and runner_free() joins them: a thread's own exit work (the
 * thread-local state a backend library frees in its destructors) must end before the
 * process does. A stuck worker is never joined: the process leaves with _exit() then. */
static int spawn_worker(struct runner *r)
{
    pthread_t t;
    int err;

    if (r->nthreads == r->threads_cap) {
        size_t cap = r->threads_cap ? r->threads_cap * 2 : 8;
        pthread_t *n = realloc(r->threads, cap * sizeof(*n));

        if (!n)
            return ENOMEM;
        r->threads = n;
        r->threads_cap = cap;
    }
    err = pthread_create(&t, NULL, worker, r);
    if (err == 0) {
        r->threads[r->nthreads++] = t;
        r->workers++;
    }
    return err;
}

struct runner *runner_new(struct conf *c, int workers)
{
    struct runner *r = calloc(1, sizeof(*r));
    pthread_condattr_t attr;

    if (!r)
        return NULL;
    r->conf = c;
    r->nslots = c->nprobes;
    r->slots = calloc(c->nprobes + 1, sizeof(*r->slots));
    r->queue = calloc(c->nprobes + 1, sizeof(*r->queue));
    if (!r->slots || !r->queue) {
        free(r->slots);
        free(r->queue);
        free(r);
        return NULL;
    }
    pthread_mutex_init(&r->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&r->work, &attr);
    pthread_cond_init(&r->done, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_lock(&r->lock);
    for (int i = 0; i < workers; i++)
        if (spawn_worker(r) != 0)
            break;
    pthread_mutex_unlock(&r->lock);
    if (r->workers == 0) {
        runner_free(r);
        return NULL;
    }
    return r;
}

/* The deadline a plugin sees comes a little before the one the core enforces, so that a
 * plugin that gives up on time has time left to record why and return: its own message
 * ("SET timed out") says more than the core's "timed out". */
static double plugin_deadline(double deadline, double timeout)
{
    double margin = timeout * 0.1;

    return deadline - (margin < 0.1 ? margin : 0.1);
}

/* The report one run of probe `pc` writes into, due by `deadline`. */
static struct ip_report *new_report(struct probe_conf *pc, double deadline, int drill)
{
    struct ip_report *rep = report_new(pc->name, pc->plugin->name, deadline);

    if (!rep)
        return NULL;
    rep->decls = pc->plugin->checks;
    rep->thresholds = pc->thresholds;
    rep->nthresholds = pc->nthresholds;
    if (drill && pc->drills)
        rep->drill = &pc->drill;
    return rep;
}

/* One run of probe `pc` into `rep`: plain data out, whatever the plugin did. */
static void run_probe(struct probe_conf *pc, struct ip_report *rep)
{
    int rc = pc->plugin->run(pc->state, rep);

    if (rc != 0)
        report_run_check(rep, IP_UNKNOWN, "plugin %s failed: %s", pc->plugin->name,
                         ip_strerror(rc));
    if (pc->plugin->metrics)
        pc->plugin->metrics(pc->state, rep);
    if (rep->nchecks == 0)
        report_run_check(rep, IP_UNKNOWN, "plugin %s recorded no check", pc->plugin->name);
    report_finish(rep);
}

static void *worker(void *arg)
{
    struct runner *r = arg;

    pthread_mutex_lock(&r->lock);
    for (;;) {
        struct slot *s;
        struct probe_conf *pc;
        struct ip_report *rep;
        size_t i;
        int drill;

        while (!r->stop && r->count == 0)
            pthread_cond_wait(&r->work, &r->lock);
        if (r->stop)
            break;
        i = r->queue[r->head];
        r->head = (r->head + 1) % (r->nslots + 1);
        r->count--;
        s = &r->slots[i];
        pc = &r->conf->probes[i];
        drill = r->conf->drill && pc->drills;
        s->state = RUNNING;
        s->started = ip_clock();
        /* A drill has its own budget, after the regular checks'. */
        s->deadline = s->started + pc->timeout + (drill ? pc->drill.timeout : 0);
        s->running = new_report(pc, plugin_deadline(s->started + pc->timeout, pc->timeout), drill);
        rep = s->running;
        /* The collector may be waiting with no deadline in sight: it has one now. */
        pthread_cond_broadcast(&r->done);
        pthread_mutex_unlock(&r->lock);

        if (rep)
            run_probe(pc, rep);

        pthread_mutex_lock(&r->lock);
        s->running = NULL;
        if (s->state == ABANDONED) {
            /* Reported long ago, and a new worker took this one's place: leave. */
            report_free(rep);
            s->state = IDLE;
            r->stuck--;
            pthread_cond_broadcast(&r->done);
            pthread_mutex_unlock(&r->lock);
            return NULL;
        }
        s->result = rep;
        s->state = DONE;
        pthread_cond_broadcast(&r->done);
    }
    r->workers--;
    pthread_cond_broadcast(&r->done);
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

void runner_submit(struct runner *r, size_t i)
{
    pthread_mutex_lock(&r->lock);
    if (i < r->nslots && r->slots[i].state == IDLE) {
        r->slots[i].state = QUEUED;
        r->queue[(r->head + r->count) % (r->nslots + 1)] = i;
        r->count++;
        pthread_cond_signal(&r->work);
    }
    pthread_mutex_unlock(&r->lock);
}

int runner_busy(struct runner *r, size_t i)
{
    int busy;

    pthread_mutex_lock(&r->lock);
    busy = r->slots[i].state != IDLE;
    pthread_mutex_unlock(&r->lock);
    return busy;
}

size_t runner_stuck(struct runner *r)
{
    size_t n;

    pthread_mutex_lock(&r->lock);
    n = r->stuck;
    pthread_mutex_unlock(&r->lock);
    return n;
}

static struct timespec to_timespec(double t)
{
    struct timespec ts;

    ts.tv_sec = (time_t)t;
    ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* The report of a run that overran: the probe is unknown, not critical (we could not tell),
 * with the checks the run had recorded by then. Called with the runner locked, so the run
 * cannot free its report meanwhile. */
static struct ip_report *timed_out(struct probe_conf *pc, const struct slot *s)
{
    struct ip_report *rep = report_new(pc->name, pc->plugin->name, s->deadline);

    if (!rep)
        return NULL;
    rep->wall -= rep->started - s->started; /* when the run began, not now */
    rep->started = s->started;
    rep->decls = pc->plugin->checks;
    rep->thresholds = pc->thresholds;
    rep->nthresholds = pc->nthresholds;
    if (s->running)
        report_copy_checks(rep, s->running);
    report_run_check(rep, IP_UNKNOWN, "timed out after %.3f s", s->deadline - s->started);
    report_finish(rep);
    return rep;
}

size_t runner_collect(struct runner *r, double until,
                      void (*done)(void *ctx, size_t probe, struct ip_report *report), void *ctx)
{
    size_t handed = 0;

    pthread_mutex_lock(&r->lock);
    for (;;) {
        double now = ip_clock(), wake = until;

        for (size_t i = 0; i < r->nslots; i++) {
            struct slot *s = &r->slots[i];
            struct ip_report *rep = NULL;

            if (s->state == DONE) {
                rep = s->result;
                s->result = NULL;
                s->state = IDLE;
            } else if (s->state == RUNNING && s->deadline <= now) {
                rep = timed_out(&r->conf->probes[i], s);
                s->state = ABANDONED;
                r->stuck++;
                r->workers--;
                /* Keep the pool at strength: queued probes must not wait on a hung one. */
                spawn_worker(r);
            } else {
                if (s->state == RUNNING && s->deadline < wake)
                    wake = s->deadline;
                continue;
            }
            pthread_mutex_unlock(&r->lock);
            if (rep)
                done(ctx, i, rep);
            handed++;
            pthread_mutex_lock(&r->lock);
        }
        /* No thread could be made to replace a stuck one: what is queued would wait for
         * ever. Say so instead. */
        while (r->workers == 0 && r->count > 0) {
            size_t i = r->queue[r->head];
            struct probe_conf *pc = &r->conf->probes[i];
            struct ip_report *rep = report_new(pc->name, pc->plugin->name, now);

            r->head = (r->head + 1) % (r->nslots + 1);
            r->count--;
            r->slots[i].state = IDLE;
            if (rep) {
                report_run_check(rep, IP_UNKNOWN, "not run: no worker thread could be started");
                report_finish(rep);
            }
            pthread_mutex_unlock(&r->lock);
            done(ctx, i, rep);
            handed++;
            pthread_mutex_lock(&r->lock);
        }
        if (handed || now >= until)
            break;
        if (isinf(wake)) {
            pthread_cond_wait(&r->done, &r->lock);
        } else {
            struct timespec ts = to_timespec(wake);

            pthread_cond_timedwait(&r->done, &r->lock, &ts);
        }
    }
    pthread_mutex_unlock(&r->lock);
    return handed;
}

void runner_free(struct runner *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    r->stop = 1;
    pthread_cond_broadcast(&r->work);
    while (r->workers > 0 || r->stuck > 0)
        pthread_cond_wait(&r->done, &r->lock);
    pthread_mutex_unlock(&r->lock);
    for (size_t i = 0; i < r->nthreads; i++)
        pthread_join(r->threads[i], NULL);
    free(r->threads);
    for (size_t i = 0; i < r->nslots; i++)
        report_free(r->slots[i].result);
    pthread_cond_destroy(&r->work);
    pthread_cond_destroy(&r->done);
    pthread_mutex_destroy(&r->lock);
    free(r->slots);
    free(r->queue);
    free(r);
}
