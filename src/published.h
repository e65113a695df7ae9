/*
 * What the daemon publishes to its readers (the /metrics and status pages, the textfile):
 * per probe, the report of its last COMPLETE run, immutable once published, plus counters
 * and a short history. A reader takes a view (each report referenced under the lock, the
 * lock then released) and renders it while runs go on: it never sees half a run, and a
 * report it holds is freed by whoever drops the last reference.
 */
#ifndef IP_PUBLISHED_H
#define IP_PUBLISHED_H

#include <stddef.h>

#include "report.h"

/* How many past runs of each probe the status page draws. */
#define PUBLISHED_HISTORY 30

struct published;

/* One past run, for the status page's strip. */
struct published_run {
    enum ip_status status;
    double duration; /* seconds */
    double wall;     /* start, seconds since the epoch */
};

/* A consistent copy of what was published, for one reader. run.probes are the probes with
 * a complete run, in configuration order; the arrays are indexed like run.probes. */
struct published_view {
    struct run_result run;
    unsigned long long *runs, *failures;
    struct published_run (*history)[PUBLISHED_HISTORY]; /* oldest first */
    size_t *nhistory;
    void **refs; /* private */
};

/* A store for `nprobes` probes, or NULL (ENOMEM). */
struct published *published_new(size_t nprobes);
/* Free the store; views still held keep their reports alive. */
void published_free(struct published *p);
/* Publish a finished report of probe `i` (ownership passes to the store): from now on
 * readers see it instead of the previous one. Thread-safe. */
void published_put(struct published *p, size_t i, struct ip_report *r);
/* The probes are now `n`: probe i was probe map[i] before, or is new when map[i] is
 * (size_t)-1 (nothing published yet); what the probes that left published is dropped (a
 * reload). 0, or -1 (ENOMEM: nothing changed). Thread-safe. */
int published_remap(struct published *p, size_t n, const size_t *map);
/* Fill *v with what is published now: 0, or -1 (ENOMEM). Thread-safe. */
int published_view(struct published *p, struct published_view *v);
/* Release a view that published_view() filled. */
void published_release(struct published_view *v);

#endif
