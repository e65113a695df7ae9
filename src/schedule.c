/*
 * The daemon's schedule, a binary heap of due times: finding the probes due now costs
 * log(probes) each, so the loop that starts runs stays cheap with ten thousand probes (a scan
 * of every probe per wake-up took a core at that count and skipped runs).
 */
#include "config.h"

#include "schedule.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nameset.h"

double schedule_wall(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double schedule_phase(const char *name, double interval)
{
    uint64_t h = nameset_hash(name);
    double frac, phase;

    /* FNV-1a leaves the top bits of names that differ in their last character alike (probe-1,
     * probe-2, ...): MurmurHash3's finaliser spreads every bit over all of them. */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    /* The top 53 bits, a fraction in [0, 1) that a double holds exactly. */
    frac = (double)(h >> 11) * 0x1p-53;
    phase = frac * interval;
    return phase < interval ? phase : 0;
}

static void sift_up(struct schedule *s, size_t k)
{
    struct schedule_entry e = s->heap[k];

    while (k > 0 && s->heap[(k - 1) / 2].due > e.due) {
        s->heap[k] = s->heap[(k - 1) / 2];
        k = (k - 1) / 2;
    }
    s->heap[k] = e;
}

static void sift_down(struct schedule *s, size_t k)
{
    struct schedule_entry e = s->heap[k];

    for (;;) {
        size_t c = 2 * k + 1;

        if (c >= s->n)
            break;
        if (c + 1 < s->n && s->heap[c + 1].due < s->heap[c].due)
            c++;
        if (s->heap[c].due >= e.due)
            break;
        s->heap[k] = s->heap[c];
        k = c;
    }
    s->heap[k] = e;
}

void schedule_push(struct schedule *s, size_t probe, double due)
{
    s->heap[s->n].due = due;
    s->heap[s->n].probe = probe;
    sift_up(s, s->n++);
}

int schedule_init(struct schedule *s, const struct conf *c, double now, double wall)
{
    memset(s, 0, sizeof(*s));
    return schedule_remap(s, c, NULL, now, wall);
}

/* Until the wall clock is next at this probe's phase of its interval. */
static double first_due(const struct probe_conf *pc, double now, double wall)
{
    double wait = schedule_phase(pc->name, pc->interval) - fmod(wall, pc->interval);

    return now + (wait < 0 ? wait + pc->interval : wait);
}

int schedule_remap(struct schedule *s, const struct conf *c, const size_t *map, double now,
                   double wall)
{
    struct schedule next = {.skipped = s->skipped};
    size_t nold = 0;
    double *old;

    for (size_t k = 0; k < s->n; k++)
        if (s->heap[k].probe + 1 > nold)
            nold = s->heap[k].probe + 1;
    next.heap = calloc(c->nprobes + 1, sizeof(*next.heap));
    old = calloc(nold + 1, sizeof(*old));
    if (!next.heap || !old) {
        free(next.heap);
        free(old);
        return -1;
    }
    for (size_t j = 0; j < nold; j++)
        old[j] = NAN;
    for (size_t k = 0; k < s->n; k++)
        old[s->heap[k].probe] = s->heap[k].due;
    for (size_t i = 0; i < c->nprobes; i++) {
        size_t j = map ? map[i] : SIZE_MAX;

        if (c->probes[i].ready)
            schedule_push(&next, i,
                          j < nold && !isnan(old[j]) ? old[j]
                                                     : first_due(&c->probes[i], now, wall));
    }
    free(old);
    free(s->heap);
    *s = next;
    return 0;
}

double schedule_next(const struct schedule *s)
{
    return s->n ? s->heap[0].due : INFINITY;
}

size_t schedule_pop(struct schedule *s, double now, double *due)
{
    size_t probe;

    if (!s->n || s->heap[0].due > now)
        return SIZE_MAX;
    probe = s->heap[0].probe;
    *due = s->heap[0].due;
    s->heap[0] = s->heap[--s->n];
    if (s->n)
        sift_down(s, 0);
    return probe;
}

double schedule_run(struct schedule *s, const struct conf *c, struct runner *r, double now)
{
    size_t i;
    double due;

    while ((i = schedule_pop(s, now, &due)) != SIZE_MAX) {
        double interval = c->probes[i].interval;

        if (!runner_submit(r, i))
            s->skipped++;
        /* On the grid, never drifting by how late this run started. */
        due += interval * (floor((now - due) / interval) + 1);
        schedule_push(s, i, due);
    }
    return schedule_next(s);
}

void schedule_free(struct schedule *s)
{
    free(s->heap);
    s->heap = NULL;
    s->n = 0;
}
