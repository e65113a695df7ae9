/*
 * The daemon's schedule: when each probe is next due. Each probe runs on a grid of its own,
 * every `interval`, at a phase within the interval taken from a hash of its name (as
 * Prometheus spreads its scrape targets): a thousand probes at 1 s are a run every
 * millisecond, not a burst of a thousand each second. The phase is counted from the wall
 * clock's multiples of the interval, so a restarted daemon keeps it.
 */
#ifndef IP_CORE_SCHEDULE_H
#define IP_CORE_SCHEDULE_H

#include <stddef.h>

#include "conf.h"
#include "runner.h"

struct schedule_entry {
    double due; /* ip_clock() */
    size_t probe;
};

struct schedule {
    struct schedule_entry *heap; /* a binary min-heap on due */
    size_t n;
    size_t skipped; /* runs not started because the probe's last one had not ended */
};

/* The wall clock, in seconds since the epoch. */
double schedule_wall(void);
/* Probe `name`'s phase within `interval`: in [0, interval), the same in every process. */
double schedule_phase(const char *name, double interval);
/* The schedule of c's ready probes; `now` is ip_clock(), `wall` the same instant in seconds
 * since the epoch. 0, or -1 when out of memory. */
int schedule_init(struct schedule *s, const struct conf *c, double now, double wall);
/* The schedule of c's ready probes after a reload: probe i, when map[i] is not SIZE_MAX, is
 * the probe that was map[i] and keeps its due time; the others (all, when map is NULL) are due
 * at their phase. 0, or -1 when out of memory (the schedule is then unchanged). */
int schedule_remap(struct schedule *s, const struct conf *c, const size_t *map, double now,
                   double wall);
/* When the next probe is due (ip_clock()); INFINITY when none is scheduled. */
double schedule_next(const struct schedule *s);
/* The probe due first, when it is due by `now`: its index, with its due time in *due, taken
 * off the schedule; SIZE_MAX when none is due. */
size_t schedule_pop(struct schedule *s, double now, double *due);
/* Put probe `probe` back on the schedule at `due`. */
void schedule_push(struct schedule *s, size_t probe, double due);
/* Submit to `r` every probe of `c` due by `now`, each put back at its next time on its grid
 * after `now`; a probe whose last run has not ended skips this one (counted in skipped).
 * Returns when the next one is due. */
double schedule_run(struct schedule *s, const struct conf *c, struct runner *r, double now);
void schedule_free(struct schedule *s);

#endif
