/*
 * What the daemon runs across reloads (SIGHUP). A reload loads and binds the file anew; a
 * probe whose settings did not change keeps what it had (its plugin's state and pool, its
 * isolated child), the others come from the new file, and the probes that left are torn down.
 * The probes then come from several loaded configurations ("generations") at once: the view
 * the runner runs holds copies of their entries, and a generation is freed once none of its
 * probes is in the view.
 */
#ifndef IP_CORE_RELOAD_H
#define IP_CORE_RELOAD_H

#include <stddef.h>

#include "conf.h"

#define RELOAD_NEW ((size_t)-1)

struct reload {
    struct conf view;    /* what the daemon runs: the latest file's probes, entries copied */
    struct conf **owner; /* per view probe: the generation that owns (and tears down) it */
    size_t *index;       /* per view probe: its index in its owner */
    struct conf **gens;  /* the generations loaded by reloads, owned here */
    size_t ngens;
    struct conf *first; /* the configuration the daemon started with: the caller's */
};

/* Run on `first` (still the caller's to conf_free() after reload_free()). */
int reload_init(struct reload *rl, struct conf *first);
/* map[i]: the view's index of an unchanged probe of `next` (same name, plugin and settings,
 * same core settings it inherits), or RELOAD_NEW. */
int reload_match(const struct reload *rl, const struct conf *next, size_t *map);
/* Run on `next` (allocated, from conf_load() and conf_bind(); owned here from now on): a
 * mapped probe keeps its view entry (next's own setup of it is torn down at once), the others
 * are next's; the view's probes not kept are torn down. 0, or -1 when out of memory (then
 * nothing changed, and `next` is still the caller's). */
int reload_commit(struct reload *rl, struct conf *next, const size_t *map);
/* Tear down and free the generations loaded by reloads; `first` is left to the caller. */
void reload_free(struct reload *rl);

#endif
