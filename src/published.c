/*
 * The daemon's published results: a report per probe, swapped whole under a lock and
 * reference-counted, so that a scrape during a run renders the previous complete run
 * without holding the lock while it writes (a slow client never delays the scheduler).
 */
#include "config.h"

#include "published.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* A published report and the readers holding it. A reference is taken under the store's
 * lock (the slot cannot be swapped meanwhile) and dropped anywhere: a view outlives the
 * store. */
struct snap {
    struct ip_report *report;
    atomic_uint refs;
};

struct slot {
    struct snap *snap; /* NULL: no complete run yet */
    unsigned long long runs, failures;
    struct published_run history[PUBLISHED_HISTORY]; /* a ring */
    size_t nhistory, next;
};

struct published {
    pthread_mutex_t lock;
    size_t nprobes;
    struct slot *slots;
};

struct published *published_new(size_t nprobes)
{
    struct published *p = calloc(1, sizeof(*p));

    if (!p)
        return NULL;
    p->slots = calloc(nprobes + 1, sizeof(*p->slots));
    if (!p->slots) {
        free(p);
        return NULL;
    }
    p->nprobes = nprobes;
    pthread_mutex_init(&p->lock, NULL);
    return p;
}

static void snap_unref(struct snap *s)
{
    if (s && atomic_fetch_sub(&s->refs, 1) == 1) {
        report_free(s->report);
        free(s);
    }
}

void published_free(struct published *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nprobes; i++)
        snap_unref(p->slots[i].snap);
    pthread_mutex_destroy(&p->lock);
    free(p->slots);
    free(p);
}

void published_put(struct published *p, size_t i, struct ip_report *r)
{
    struct snap *s = r ? calloc(1, sizeof(*s)) : NULL, *old;
    enum ip_status st = r ? r->status : IP_UNKNOWN;

    if (!s || i >= p->nprobes) {
        /* Out of memory: readers keep the previous run, which is complete. */
        report_free(r);
        free(s);
        return;
    }
    s->report = r;
    atomic_init(&s->refs, 1);
    pthread_mutex_lock(&p->lock);
    struct slot *sl = &p->slots[i];
    old = sl->snap;
    sl->snap = s;
    sl->runs++;
    sl->failures += st == IP_CRITICAL || st == IP_UNKNOWN;
    sl->history[sl->next] = (struct published_run){st, r->duration, r->wall};
    sl->next = (sl->next + 1) % PUBLISHED_HISTORY;
    if (sl->nhistory < PUBLISHED_HISTORY)
        sl->nhistory++;
    pthread_mutex_unlock(&p->lock);
    snap_unref(old);
}

int published_remap(struct published *p, size_t n, const size_t *map)
{
    struct slot *slots = calloc(n + 1, sizeof(*slots)), *old;
    size_t nold;

    if (!slots)
        return -1;
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < n; i++) {
        if (map[i] < p->nprobes) {
            slots[i] = p->slots[map[i]];
            p->slots[map[i]].snap = NULL;
        }
    }
    old = p->slots;
    nold = p->nprobes;
    p->slots = slots;
    p->nprobes = n;
    pthread_mutex_unlock(&p->lock);
    for (size_t j = 0; j < nold; j++)
        snap_unref(old[j].snap);
    free(old);
    return 0;
}

static int view_alloc(struct published_view *v, size_t n)
{
    memset(v, 0, sizeof(*v));
    v->run.probes = calloc(n + 1, sizeof(*v->run.probes));
    v->runs = calloc(n + 1, sizeof(*v->runs));
    v->failures = calloc(n + 1, sizeof(*v->failures));
    v->history = calloc(n + 1, sizeof(*v->history));
    v->nhistory = calloc(n + 1, sizeof(*v->nhistory));
    v->refs = calloc(n + 1, sizeof(*v->refs));
    if (v->run.probes && v->runs && v->failures && v->history && v->nhistory && v->refs)
        return 0;
    published_release(v);
    return -1;
}

/* Copy slot `sl` into entry k of the view (under the lock). */
static void view_take(struct published_view *v, size_t k, struct slot *sl)
{
    size_t first = (sl->next + PUBLISHED_HISTORY - sl->nhistory) % PUBLISHED_HISTORY;

    atomic_fetch_add(&sl->snap->refs, 1);
    v->refs[k] = sl->snap;
    v->run.probes[k] = sl->snap->report;
    v->runs[k] = sl->runs;
    v->failures[k] = sl->failures;
    v->nhistory[k] = sl->nhistory;
    for (size_t h = 0; h < sl->nhistory; h++)
        v->history[k][h] = sl->history[(first + h) % PUBLISHED_HISTORY];
}

int published_view(struct published *p, struct published_view *v)
{
    size_t n = 0;

    /* Sized under the lock: a reload may remap the store to more probes meanwhile. */
    pthread_mutex_lock(&p->lock);
    if (view_alloc(v, p->nprobes) != 0) {
        pthread_mutex_unlock(&p->lock);
        return -1;
    }
    v->run.status = IP_SKIPPED;
    for (size_t i = 0; i < p->nprobes; i++) {
        struct slot *sl = &p->slots[i];

        if (!sl->snap)
            continue;
        view_take(v, n, sl);
        v->run.status = ip_status_worst(v->run.status, sl->snap->report->status);
        if (sl->snap->report->duration > v->run.duration)
            v->run.duration = sl->snap->report->duration;
        n++;
    }
    pthread_mutex_unlock(&p->lock);
    v->run.nprobes = n;
    return 0;
}

void published_release(struct published_view *v)
{
    for (size_t i = 0; v->refs && i < v->run.nprobes; i++)
        snap_unref(v->refs[i]);
    free(v->run.probes);
    free(v->runs);
    free(v->failures);
    free(v->history);
    free(v->nhistory);
    free(v->refs);
    memset(v, 0, sizeof(*v));
}
