/*
 * The runner. One slot per probe (a probe never runs twice at once), a FIFO of queued
 * slots, and worker threads. The thread that collects results enforces the deadlines: it
 * never waits past the earliest one, so a hung plugin costs its probe an `unknown` and
 * nothing else. A probe isolated in a process is killed at its deadline by its worker; one on
 * a thread can only be abandoned: its worker leaves the pool, and detaches itself when the run
 * finally returns, so that an abandoned run holds its thread only while it is stuck.
 */
#include "config.h"

#include "runner.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <infraprobe/plugin.h>

#include "conf.h"
#include "isolate.h"
#include "probe_run.h"
#include "report.h"

enum slot_state { IDLE, QUEUED, RUNNING, DONE, ABANDONED };

/* How long a finished run may wait to be handed out, seconds. */
#define HANDOUT_DELAY 0.005

struct slot {
    enum slot_state state;
    double started;
    double deadline;
    int drill;
    unsigned long long runs;   /* started so far: one of every load_every is whole */
    struct ip_report *running; /* RUNNING: the report the run writes into */
    struct ip_report *result;  /* DONE: the report to hand out (NULL: out of memory) */
    struct child *child;       /* isolation "process": the probe's supervised child */
    size_t active;             /* RUNNING: where it is in runner.active */
};

struct runner {
    pthread_mutex_t lock;
    pthread_cond_t work; /* a slot was queued, or stop */
    pthread_cond_t done; /* a run ended, or an interrupt */
    struct conf *conf;
    struct slot *slots;
    size_t *queue; /* ring of slot indexes */
    size_t head, count;
    size_t nslots;
    /* What the collector looks at, so that it never scans every slot: the runs that ended
     * and wait to be handed out (a ring), and those running, whose deadlines it keeps. */
    size_t *finished;
    size_t fhead, fcount;
    size_t *active;
    size_t nactive;
    int workers;        /* live workers, stuck ones not counted */
    size_t stuck;       /* abandoned runs not yet returned */
    pthread_t *threads; /* the workers to join: stuck ones leave it */
    size_t nthreads, threads_cap;
    int stop;
    int woken;   /* runner_wake(): runner_collect() returns */
    int waiting; /* the collector waits on `done`, until sleeps_until (ip_clock()) */
    double sleeps_until;
    char interrupt[96]; /* non-empty: end every run now, with this as the reason */
};

static void *worker(void *arg);

/* Workers are joinable, and runner_free() joins them: a thread's own exit work (the
 * thread-local state a backend library frees in its destructors) must end before the
 * process does. A stuck worker detaches itself when its run returns. */
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

/* The calling worker leaves the table of threads to join. */
static void forget_self(struct runner *r)
{
    pthread_t self = pthread_self();

    for (size_t i = 0; i < r->nthreads; i++) {
        if (pthread_equal(r->threads[i], self)) {
            r->threads[i] = r->threads[--r->nthreads];
            break;
        }
    }
    pthread_detach(self);
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
    r->finished = calloc(c->nprobes + 1, sizeof(*r->finished));
    r->active = calloc(c->nprobes + 1, sizeof(*r->active));
    if (!r->slots || !r->queue || !r->finished || !r->active) {
        free(r->slots);
        free(r->queue);
        free(r->finished);
        free(r->active);
        free(r);
        return NULL;
    }
    pthread_mutex_init(&r->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&r->work, &attr);
    pthread_cond_init(&r->done, &attr);
    pthread_condattr_destroy(&attr);
    for (size_t i = 0; i < r->nslots; i++) {
        if (c->probes[i].ready && c->probes[i].isolation == ISOLATION_PROCESS &&
            !(r->slots[i].child = child_new(&c->probes[i]))) {
            runner_free(r);
            return NULL;
        }
    }
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

/* Slot i starts running, or stops (it ended, or was given up on). */
static void active_add(struct runner *r, size_t i)
{
    r->slots[i].active = r->nactive;
    r->active[r->nactive++] = i;
}

static void active_remove(struct runner *r, size_t i)
{
    size_t k = r->slots[i].active, last = r->active[--r->nactive];

    r->active[k] = last;
    r->slots[last].active = k;
}

/* Take the first queued slot and start its run, with the lock held: its index, and the report
 * the run writes into in s->running (NULL: out of memory). */
static size_t start_run(struct runner *r)
{
    size_t i = r->queue[r->head];
    struct slot *s = &r->slots[i];
    struct probe_conf *pc = &r->conf->probes[i];
    int light;

    r->head = (r->head + 1) % (r->nslots + 1);
    r->count--;
    s->drill = r->conf->drill && pc->drills;
    light =
        !r->conf->once && pc->light_disabled && s->runs++ % (unsigned long long)pc->load_every != 0;
    s->state = RUNNING;
    active_add(r, i);
    s->started = ip_clock();
    s->deadline = probe_run_deadline(pc, s->started, s->drill);
    s->running =
        probe_run_report(pc, probe_run_plugin_deadline(s->started + pc->timeout, pc->timeout),
                         s->drill, light, NULL);
    /* A collector asleep past this run's deadline must wake to enforce it; one that wakes
     * before it anyway is left alone (with thousands of probes, waking it for every run that
     * starts doubled the context switches). */
    if (r->waiting && s->deadline < r->sleeps_until)
        pthread_cond_broadcast(&r->done);
    return i;
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

        /* After an interrupt, what is queued is the collector's to report, never to run. */
        while (!r->stop && (r->count == 0 || r->interrupt[0]))
            pthread_cond_wait(&r->work, &r->lock);
        if (r->stop)
            break;
        i = start_run(r);
        s = &r->slots[i];
        pc = &r->conf->probes[i];
        rep = s->running;
        pthread_mutex_unlock(&r->lock);

        if (rep && s->child)
            child_run(s->child, rep, s->deadline);
        else if (rep)
            probe_run(pc, rep);
        if (rep)
            report_finish(rep);

        pthread_mutex_lock(&r->lock);
        s->running = NULL;
        if (s->state == ABANDONED) {
            /* Reported long ago, and a new worker took this one's place: leave. */
            report_free(rep);
            s->state = IDLE;
            r->stuck--;
            forget_self(r);
            pthread_cond_broadcast(&r->done);
            pthread_mutex_unlock(&r->lock);
            return NULL;
        }
        active_remove(r, i);
        s->result = rep;
        s->state = DONE;
        r->finished[(r->fhead + r->fcount++) % (r->nslots + 1)] = i;
        /* A collector that wakes within HANDOUT_DELAY anyway (the daemon's, for the next
         * probe due) hands this run out then: with a thousand runs a second, waking it for
         * each one that ends tripled the daemon's CPU. */
        if (r->waiting && r->sleeps_until > ip_clock() + HANDOUT_DELAY)
            pthread_cond_broadcast(&r->done);
    }
    r->workers--;
    pthread_cond_broadcast(&r->done);
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

int runner_submit(struct runner *r, size_t i)
{
    int queued = 0;

    pthread_mutex_lock(&r->lock);
    if (i < r->nslots && r->slots[i].state == IDLE && !r->interrupt[0]) {
        r->slots[i].state = QUEUED;
        r->queue[(r->head + r->count) % (r->nslots + 1)] = i;
        r->count++;
        queued = 1;
        pthread_cond_signal(&r->work);
    }
    pthread_mutex_unlock(&r->lock);
    return queued;
}

int runner_busy(struct runner *r, size_t i)
{
    int busy;

    pthread_mutex_lock(&r->lock);
    busy = r->slots[i].state != IDLE;
    pthread_mutex_unlock(&r->lock);
    return busy;
}

size_t runner_pending(struct runner *r)
{
    size_t n = 0;

    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < r->nslots; i++)
        n += r->slots[i].state != IDLE && r->slots[i].state != ABANDONED;
    pthread_mutex_unlock(&r->lock);
    return n;
}

size_t runner_threads(struct runner *r)
{
    size_t n;

    pthread_mutex_lock(&r->lock);
    n = r->nthreads; /* a stuck run's thread leaves the table when it returns */
    pthread_mutex_unlock(&r->lock);
    return n;
}

size_t runner_stuck(struct runner *r)
{
    size_t n;

    pthread_mutex_lock(&r->lock);
    n = r->stuck;
    pthread_mutex_unlock(&r->lock);
    return n;
}

void runner_interrupt(struct runner *r, const char *why)
{
    pthread_mutex_lock(&r->lock);
    if (!r->interrupt[0]) {
        snprintf(r->interrupt, sizeof(r->interrupt), "%s", why);
        /* A child dies now; its worker reports why and runs the restore it owes. */
        for (size_t i = 0; i < r->nslots; i++)
            if (r->slots[i].state == RUNNING && r->slots[i].child)
                child_kill(r->slots[i].child, why);
    }
    pthread_cond_broadcast(&r->done);
    pthread_mutex_unlock(&r->lock);
}

void runner_wake(struct runner *r)
{
    pthread_mutex_lock(&r->lock);
    r->woken = 1;
    pthread_cond_broadcast(&r->done);
    pthread_mutex_unlock(&r->lock);
}

/* The report of a run that is given up on (it overran, or the run was interrupted): the probe
 * is unknown, not critical (we could not tell), with the checks the run had recorded by then,
 * and the restore its drill owes, which it takes over. Called with the runner locked, so the
 * run cannot free its report meanwhile. */
static struct ip_report *given_up(struct probe_conf *pc, struct slot *s, const char *why)
{
    struct ip_report *rep = report_new(pc->name, pc->plugin->name, s->deadline);
    struct pending_restore owed = {0}, none = {0};

    if (!rep)
        return NULL;
    rep->wall -= rep->started - s->started; /* when the run began, not now */
    rep->started = s->started;
    rep->decls = pc->plugin->checks;
    rep->thresholds = pc->thresholds;
    rep->nthresholds = pc->nthresholds;
    if (s->running) {
        report_copy_checks(rep, s->running);
        pthread_mutex_lock(&s->running->lock);
        owed = s->running->restore;
        s->running->restore = none;
        pthread_mutex_unlock(&s->running->lock);
        fault_owe(rep, &owed);
        free(owed.action);
        free(owed.command);
    }
    report_run_check(rep, IP_UNKNOWN, "%s", why);
    return rep;
}

/* The report to hand out for slot `i` now, with the lock held: 0 when it has none yet, 1
 * for a finished one, 2 for one given up on, which hand_out() finishes. */
static int take_report(struct runner *r, size_t i, double now, double *wake, struct ip_report **out)
{
    struct slot *s = &r->slots[i];
    struct probe_conf *pc = &r->conf->probes[i];
    char why[128];

    if (s->state == DONE) {
        *out = s->result;
        s->result = NULL;
        s->state = IDLE;
        return 1;
    }
    if (s->state != RUNNING)
        return 0;
    /* A child is killed by its own worker at the deadline, which then reports; the core
     * gives up on it only if that worker is itself stuck. */
    double limit = s->deadline + (s->child ? 2.0 + (s->drill ? pc->drill.action_timeout : 0) : 0);

    if (limit > now && !(r->interrupt[0] && !s->child)) {
        if (limit < *wake)
            *wake = limit;
        return 0;
    }
    if (r->interrupt[0] && limit > now)
        snprintf(why, sizeof(why), "%s", r->interrupt);
    else
        snprintf(why, sizeof(why), "timed out after %.3f s", s->deadline - s->started);
    *out = given_up(pc, s, why);
    active_remove(r, i);
    s->state = ABANDONED;
    r->stuck++;
    r->workers--;
    /* Keep the pool at strength: queued probes must not wait on a hung one. */
    if (!r->interrupt[0])
        spawn_worker(r);
    return 2;
}

/* Hand out `rep` (NULL when it could not be made); one given up on is finished here, after
 * the restore it owes, unlocked: a restore may take its action_timeout. */
static void hand_out(struct runner *r, size_t i, struct ip_report *rep, int given_up,
                     void (*done)(void *ctx, size_t probe, struct ip_report *report), void *ctx)
{
    struct probe_conf *pc = &r->conf->probes[i];

    if (!rep) {
        /* The run is accounted for even without memory for its report. */
        rep = report_new(pc->name, pc->plugin->name, ip_clock());
        if (rep)
            report_run_check(rep, IP_UNKNOWN, "out of memory");
        given_up = 1;
    }
    if (rep && given_up) {
        char why[128] = "";

        if (rep->nchecks)
            snprintf(why, sizeof(why), "%s", rep->checks[rep->nchecks - 1].message);
        fault_restore(rep, why);
        report_finish(rep);
    }
    done(ctx, i, rep);
}

/* Hand out what ended, first, then what overran; with the lock held, which a hand-out drops
 * for a while, so the list of running slots is walked again from its start after each. */
static size_t hand_out_ready(struct runner *r, double now, double *wake,
                             void (*done)(void *ctx, size_t probe, struct ip_report *report),
                             void *ctx)
{
    size_t handed = 0;

    for (size_t k = 0; r->fcount > 0 || k < r->nactive;) {
        int ended = r->fcount > 0;
        size_t i = ended ? r->finished[r->fhead] : r->active[k];
        struct ip_report *rep = NULL;
        int taken;

        if (ended) {
            r->fhead = (r->fhead + 1) % (r->nslots + 1);
            r->fcount--;
        }
        taken = take_report(r, i, now, wake, &rep);
        if (!taken) {
            k += !ended;
            continue;
        }
        pthread_mutex_unlock(&r->lock);
        hand_out(r, i, rep, taken == 2, done, ctx);
        handed++;
        pthread_mutex_lock(&r->lock);
        k = 0;
    }
    return handed;
}

size_t runner_collect(struct runner *r, double until,
                      void (*done)(void *ctx, size_t probe, struct ip_report *report), void *ctx)
{
    size_t handed = 0;

    pthread_mutex_lock(&r->lock);
    for (;;) {
        double now = ip_clock(), wake = until;

        handed += hand_out_ready(r, now, &wake, done, ctx);
        /* No thread could be made to replace a stuck one, or the run was interrupted: what
         * is queued would wait for ever. Say so instead. */
        while ((r->workers == 0 || r->interrupt[0]) && r->count > 0) {
            size_t i = r->queue[r->head];
            struct probe_conf *pc = &r->conf->probes[i];
            struct ip_report *rep = report_new(pc->name, pc->plugin->name, now);

            r->head = (r->head + 1) % (r->nslots + 1);
            r->count--;
            r->slots[i].state = IDLE;
            if (rep)
                report_run_check(rep, IP_UNKNOWN, "not run: %s",
                                 r->interrupt[0] ? r->interrupt
                                                 : "no worker thread could be started");
            pthread_mutex_unlock(&r->lock);
            hand_out(r, i, rep, 1, done, ctx);
            handed++;
            pthread_mutex_lock(&r->lock);
        }
        if (handed || now >= until || r->woken)
            break;
        r->waiting = 1;
        r->sleeps_until = wake;
        if (isinf(wake)) {
            pthread_cond_wait(&r->done, &r->lock);
        } else {
            struct timespec ts = ip_deadline_timespec(wake);

            pthread_cond_timedwait(&r->done, &r->lock, &ts);
        }
        r->waiting = 0;
    }
    r->woken = 0;
    pthread_mutex_unlock(&r->lock);
    return handed;
}

struct child *runner_take_child(struct runner *r, size_t i)
{
    struct child *ch;

    pthread_mutex_lock(&r->lock);
    ch = r->slots[i].child;
    r->slots[i].child = NULL;
    pthread_mutex_unlock(&r->lock);
    return ch;
}

void runner_adopt_child(struct runner *r, size_t i, struct child *ch)
{
    struct child *unused;

    if (!ch)
        return;
    pthread_mutex_lock(&r->lock);
    unused = r->slots[i].child;
    r->slots[i].child = ch;
    pthread_mutex_unlock(&r->lock);
    child_rebind(ch, &r->conf->probes[i]);
    child_free(unused, ip_clock()); /* never started: nothing to wait for */
}

void runner_free(struct runner *r)
{
    double deadline;

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
    /* Each child tears its probe down, all within one bound: the daemon's shutdown promises
     * its grace period plus a second, and a teardown that hangs is killed with its child. */
    deadline = ip_clock() + 0.5;
    for (size_t i = 0; i < r->nslots; i++)
        child_hangup(r->slots[i].child);
    for (size_t i = 0; i < r->nslots; i++) {
        report_free(r->slots[i].result);
        child_free(r->slots[i].child, deadline);
    }
    pthread_cond_destroy(&r->work);
    pthread_cond_destroy(&r->done);
    pthread_mutex_destroy(&r->lock);
    free(r->slots);
    free(r->queue);
    free(r->finished);
    free(r->active);
    free(r);
}
