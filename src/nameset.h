/*
 * A set of names, each with the index of what it names (a probe), found in constant time:
 * the duplicate-name check of a configuration with tens of thousands of probes must not be
 * quadratic. The hash is also the probe's stable phase in the schedule (schedule.c).
 */
#ifndef IP_CORE_NAMESET_H
#define IP_CORE_NAMESET_H

#include <stddef.h>
#include <stdint.h>

struct nameset {
    const char **names; /* borrowed; NULL: an empty bucket */
    size_t *index;
    size_t cap; /* a power of two, at least twice what it holds */
};

/* FNV-1a, 64 bits: fixed here, because a probe's phase must not change between versions. */
uint64_t nameset_hash(const char *s);
/* A set for up to `n` names; 0, or -1 when out of memory. */
int nameset_init(struct nameset *set, size_t n);
/* Add `name` (borrowed) for `index`: SIZE_MAX when it was new, else the index it had. */
size_t nameset_add(struct nameset *set, const char *name, size_t index);
void nameset_free(struct nameset *set);

#endif
