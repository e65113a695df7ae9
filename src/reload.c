/*
 * Reloads: see reload.h. An unchanged probe is told by its settings as parsed (libconfig's
 * tree: names, types and values), not by its text: a comment, a line moved, the keys of a
 * group in another order or 0x10 written for 16 is no change. A secret read from a file
 * (password_file) is read at setup: a new one is taken at a reload only when the probe's settings
 * change too.
 */
#include "config.h"

#include "reload.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <infraprobe/plugin.h>

static int same_scalar(const config_setting_t *a, const config_setting_t *b)
{
    switch (config_setting_type(a)) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        return config_setting_get_int64(a) == config_setting_get_int64(b);
    case CONFIG_TYPE_FLOAT:
        return config_setting_get_float(a) == config_setting_get_float(b);
    case CONFIG_TYPE_BOOL:
        return config_setting_get_bool(a) == config_setting_get_bool(b);
    case CONFIG_TYPE_STRING:
        return strcmp(config_setting_get_string(a), config_setting_get_string(b)) == 0;
    default:
        return 1;
    }
}

/* A type as a reader sees it: 5 and 5L, [ ] and ( ) read alike. */
static int kind(const config_setting_t *s)
{
    int t = config_setting_type(s);

    return t == CONFIG_TYPE_INT64 ? CONFIG_TYPE_INT : t == CONFIG_TYPE_ARRAY ? CONFIG_TYPE_LIST : t;
}

static int same_setting(const config_setting_t *a, const config_setting_t *b)
{
    int n = config_setting_length(a);

    if (kind(a) != kind(b))
        return 0;
    if (!config_setting_is_aggregate(a))
        return same_scalar(a, b);
    if (n != config_setting_length(b))
        return 0;
    for (int i = 0; i < n; i++) {
        const config_setting_t *ea = config_setting_get_elem(a, (unsigned)i);
        /* A group's members by name, in any order; a list's elements in order. */
        const config_setting_t *eb = kind(a) == CONFIG_TYPE_GROUP
                                         ? config_setting_get_member(b, config_setting_name(ea))
                                         : config_setting_get_elem(b, (unsigned)i);

        if (!eb || !same_setting(ea, eb))
            return 0;
    }
    return 1;
}

/* The same probe, set up alike: its own settings and what it inherits from the core's. */
static int same_probe(const struct probe_conf *a, const struct probe_conf *b)
{
    return a->ready && b->ready && a->plugin == b->plugin && a->interval == b->interval &&
           a->timeout == b->timeout && a->isolation == b->isolation &&
           same_setting(a->setting, b->setting);
}

static int by_name(const void *a, const void *b, void *probes)
{
    const struct probe_conf *p = probes;

    return strcmp(p[*(const size_t *)a].name, p[*(const size_t *)b].name);
}

int reload_init(struct reload *rl, struct conf *first)
{
    memset(rl, 0, sizeof(*rl));
    rl->first = first;
    rl->view = *first;
    rl->view.probes = calloc(first->nprobes + 1, sizeof(*rl->view.probes));
    rl->owner = calloc(first->nprobes + 1, sizeof(*rl->owner));
    rl->index = calloc(first->nprobes + 1, sizeof(*rl->index));
    if (!rl->view.probes || !rl->owner || !rl->index) {
        reload_free(rl);
        return -1;
    }
    for (size_t i = 0; i < first->nprobes; i++) {
        rl->view.probes[i] = first->probes[i];
        rl->owner[i] = first;
        rl->index[i] = i;
    }
    return 0;
}

int reload_match(const struct reload *rl, const struct conf *next, size_t *map)
{
    const struct conf *v = &rl->view;
    size_t *sorted = calloc(v->nprobes + 1, sizeof(*sorted));

    if (!sorted)
        return -1;
    /* Sorted by name, so that a reload of many probes is not quadratic. */
    for (size_t i = 0; i < v->nprobes; i++)
        sorted[i] = i;
    qsort_r(sorted, v->nprobes, sizeof(*sorted), by_name, v->probes);
    for (size_t i = 0; i < next->nprobes; i++) {
        size_t lo = 0, hi = v->nprobes;

        map[i] = RELOAD_NEW;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            int c = strcmp(v->probes[sorted[mid]].name, next->probes[i].name);

            if (c == 0) {
                if (same_probe(&v->probes[sorted[mid]], &next->probes[i]))
                    map[i] = sorted[mid];
                break;
            }
            if (c < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
    }
    free(sorted);
    return 0;
}

/* Tear down the probe an owner holds at `i`, once. */
static void tear_down(struct conf *owner, size_t i)
{
    struct probe_conf *pc = &owner->probes[i];

    if (pc->ready)
        pc->plugin->teardown(pc->state);
    pc->ready = 0;
    pc->state = NULL;
}

/* Free every generation that owns no probe of the view any more; but the newest, whose core
 * settings the view reads (its `infraprobe` group, plugin_dir), until the end. */
static void release_unused(struct reload *rl, int all)
{
    size_t kept = 0;

    for (size_t g = 0; g < rl->ngens; g++) {
        int used = !all && g == rl->ngens - 1;

        for (size_t i = 0; i < rl->view.nprobes && !used; i++)
            used = rl->owner[i] == rl->gens[g];
        if (used) {
            rl->gens[kept++] = rl->gens[g];
        } else {
            conf_release(rl->gens[g]);
            free(rl->gens[g]);
        }
    }
    rl->ngens = kept;
}

int reload_commit(struct reload *rl, struct conf *next, const size_t *map)
{
    struct probe_conf *probes = calloc(next->nprobes + 1, sizeof(*probes));
    struct conf **owner = calloc(next->nprobes + 1, sizeof(*owner));
    size_t *index = calloc(next->nprobes + 1, sizeof(*index));
    char *kept = calloc(rl->view.nprobes + 1, 1);
    struct conf **gens = realloc(rl->gens, (rl->ngens + 1) * sizeof(*gens));

    if (gens)
        rl->gens = gens;
    if (!probes || !owner || !index || !kept || !gens) {
        free(probes);
        free(owner);
        free(index);
        free(kept);
        return -1;
    }
    rl->gens[rl->ngens++] = next;
    for (size_t i = 0; i < next->nprobes; i++) {
        size_t j = map[i];

        if (j == RELOAD_NEW) {
            probes[i] = next->probes[i];
            owner[i] = next;
            index[i] = i;
            continue;
        }
        probes[i] = rl->view.probes[j];
        owner[i] = rl->owner[j];
        index[i] = rl->index[j];
        kept[j] = 1;
        tear_down(next, i);
    }
    for (size_t j = 0; j < rl->view.nprobes; j++)
        if (!kept[j])
            tear_down(rl->owner[j], rl->index[j]);
    free(kept);
    free(rl->view.probes);
    free(rl->owner);
    free(rl->index);
    rl->view = *next;
    rl->view.probes = probes;
    rl->owner = owner;
    rl->index = index;
    release_unused(rl, 0);
    return 0;
}

void reload_free(struct reload *rl)
{
    free(rl->view.probes);
    free(rl->owner);
    free(rl->index);
    rl->view.probes = NULL;
    rl->view.nprobes = 0;
    release_unused(rl, 1);
    free(rl->gens);
    rl->gens = NULL;
}
