/*
 * A set of names with open addressing and linear probing: it is filled once, while a
 * configuration loads, and never shrinks, so it needs neither removal nor resizing.
 */
#include "config.h"

#include "nameset.h"

#include <stdlib.h>
#include <string.h>

uint64_t nameset_hash(const char *s)
{
    uint64_t h = 14695981039346656037ULL;

    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    return h;
}

int nameset_init(struct nameset *set, size_t n)
{
    size_t cap = 16;

    while (cap < 2 * n)
        cap *= 2;
    set->cap = cap;
    set->names = calloc(cap, sizeof(*set->names));
    set->index = calloc(cap, sizeof(*set->index));
    if (!set->names || !set->index) {
        nameset_free(set);
        return -1;
    }
    return 0;
}

size_t nameset_add(struct nameset *set, const char *name, size_t index)
{
    size_t i = (size_t)nameset_hash(name) & (set->cap - 1);

    /* Never full: init made room for twice what it is told it will hold. */
    while (set->names[i]) {
        if (strcmp(set->names[i], name) == 0)
            return set->index[i];
        i = (i + 1) & (set->cap - 1);
    }
    set->names[i] = name;
    set->index[i] = index;
    return SIZE_MAX;
}

void nameset_free(struct nameset *set)
{
    free(set->names);
    free(set->index);
    set->names = NULL;
    set->index = NULL;
    set->cap = 0;
}
