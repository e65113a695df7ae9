/*
 * The plugin loader: libltdl opens each plugin module once, checks its one exported
 * symbol and its ABI, and keeps it loaded for the life of the process, so that an
 * abandoned run can never find its code unmapped. The rest of the program sees every plugin
 * in this build's layout: the loader copies an older or smaller vtable and check table into
 * ours, with the fields they lack as zero, and an ABI 1 plugin's drills flagged by name.
 */
#include "config.h"

#include "loader.h"

#include <dirent.h>
#include <ltdl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <infraprobe/plugin.h>

#include "operate.h"

struct loaded {
    struct loaded *next;
    char *name;
    char *file;
    struct ip_plugin plugin;      /* the plugin's, in this build's layout */
    struct ip_check_decl *checks; /* the same for its check table */
    int init_state;               /* 0: init() not called, 1: succeeded, -1: failed */
};

/* ABI 1's layouts, as tests/plugins/abi1/plugin.h has them. */
struct plugin_abi1 {
    unsigned abi;
    const char *name;
    const char *description;
    const struct ip_check_decl *checks;
    int (*setup)(struct ip_probe *probe, void **state);
    int (*run)(void *state, struct ip_report *report);
    void (*teardown)(void *state);
    int (*metrics)(void *state, struct ip_report *report);
};
#define DECL_ABI1_SIZE offsetof(struct ip_check_decl, flags)
/* The smallest ABI 2 vtable: up to check_size, which says how to read the check table. */
#define PLUGIN_ABI2_MIN (offsetof(struct ip_plugin, check_size) + sizeof(size_t))

/* Loading happens on the main thread before any probe runs, except for ip_operate(), which
 * may load a plugin from a run's thread: the lock orders the two. */
static struct loaded *loaded;
static char *search_path;
static pthread_mutex_t loader_lock = PTHREAD_MUTEX_INITIALIZER;

static operate_fn loader_operate(const char *kind, int *code, char *err, size_t errlen);

int loader_init(const char *path)
{
    free(search_path);
    search_path = strdup(path ? path : "");
    if (!search_path || lt_dlinit() != 0)
        return -1;
    operate_provide(loader_operate);
    return 0;
}

const char *loader_path(void)
{
    return search_path ? search_path : "";
}

/* A plugin name is a file name on the search path: no '/', no dots, no surprises. */
static int valid_name(const char *name)
{
    if (!*name)
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
            return 0;
    return 1;
}

/* The module file for `name` in `dir`: name.so (dlopen follows its DT_NEEDED), else name.la. */
static char *find_module(const char *dir, const char *name)
{
    static const char *const exts[] = {".so", ".la"};

    for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
        char *file = NULL;

        if (asprintf(&file, "%s/%s%s", dir, name, exts[i]) < 0)
            return NULL;
        if (access(file, R_OK) == 0)
            return file;
        free(file);
    }
    return NULL;
}

/* An ABI 1 vtable in ours. Its drills were known by name. */
static void from_abi1(struct ip_plugin *p, const void *sym)
{
    const struct plugin_abi1 *o = sym;

    memset(p, 0, sizeof(*p));
    p->abi = 1;
    p->size = sizeof(*o);
    p->name = o->name;
    p->description = o->description;
    p->checks = o->checks;
    p->setup = o->setup;
    p->run = o->run;
    p->teardown = o->teardown;
    p->metrics = o->metrics;
    p->check_size = DECL_ABI1_SIZE;
}

/* The plugin's vtable `sym` in ours, or -1 with the reason. */
static int read_vtable(struct ip_plugin *p, const void *sym, const char *file, char *err,
                       size_t errlen)
{
    unsigned abi = *(const unsigned *)sym, size;

    if (abi < IP_PLUGIN_ABI_MIN || abi > IP_PLUGIN_ABI) {
        snprintf(err, errlen, "%s: plugin ABI %u, this infraprobe supports %d to %d", file, abi,
                 IP_PLUGIN_ABI_MIN, IP_PLUGIN_ABI);
        return -1;
    }
    if (abi == 1) {
        from_abi1(p, sym);
        return 0;
    }
    size = ((const struct ip_plugin *)sym)->size;
    if (size < PLUGIN_ABI2_MIN || size > sizeof(*p)) {
        snprintf(err, errlen, "%s: plugin ABI %u of size %u, this infraprobe reads %zu to %zu",
                 file, abi, size, PLUGIN_ABI2_MIN, sizeof(*p));
        return -1;
    }
    memset(p, 0, sizeof(*p));
    memcpy(p, sym, size);
    if (p->check_size < DECL_ABI1_SIZE || p->check_size > sizeof(struct ip_check_decl)) {
        snprintf(err, errlen, "%s: check_size %zu, this infraprobe reads %zu to %zu", file,
                 p->check_size, DECL_ABI1_SIZE, sizeof(struct ip_check_decl));
        return -1;
    }
    return 0;
}

/* The plugin's check table in ours (its stride is check_size), NULL-name terminated. */
static struct ip_check_decl *read_checks(const struct ip_plugin *p)
{
    const char *at = (const char *)p->checks;
    struct ip_check_decl *d;
    size_t n = 0;

    while (((const struct ip_check_decl *)(const void *)(at + n * p->check_size))->name)
        n++;
    d = calloc(n + 1, sizeof(*d));
    for (size_t i = 0; d && i < n; i++) {
        memcpy(&d[i], at + i * p->check_size, p->check_size);
        if (p->abi == 1 && (!strcmp(d[i].name, "failover") || !strcmp(d[i].name, "exhaustion")))
            d[i].flags |= IP_CHECK_DRILL;
    }
    return d;
}

/* Open `file` and check its symbol and ABI into `l`; -1 with the reason (naming the file). */
static int open_module(struct loaded *l, const char *file, char *err, size_t errlen)
{
    struct ip_plugin *p = &l->plugin;
    lt_dladvise advise;
    lt_dlhandle h;
    const void *sym;

    /* Local symbols: two plugins may link different versions of one library. */
    lt_dladvise_init(&advise);
    lt_dladvise_local(&advise);
    h = lt_dlopenadvise(file, advise);
    lt_dladvise_destroy(&advise);
    if (!h) {
        snprintf(err, errlen, "%s: cannot load: %s", file, lt_dlerror());
        return -1;
    }
    sym = lt_dlsym(h, "infraprobe_plugin");
    if (!sym) {
        snprintf(err, errlen, "%s: not an infraprobe plugin: no symbol infraprobe_plugin", file);
        goto fail;
    }
    if (read_vtable(p, sym, file, err, errlen) != 0)
        goto fail;
    if (!p->name || !p->setup || !p->run || !p->teardown || !p->checks) {
        snprintf(err, errlen,
                 "%s: incomplete plugin: name, checks, setup, run and teardown "
                 "are required",
                 file);
        goto fail;
    }
    if (!(l->checks = read_checks(p))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    p->checks = l->checks;
    return 0;
fail:
    lt_dlclose(h);
    return -1;
}

static struct loaded *find_loaded(const struct ip_plugin *p)
{
    struct loaded *l = loaded;

    while (l && &l->plugin != p)
        l = l->next;
    return l;
}

/* Open `file` as plugin `name`; NULL with the reason. */
static struct loaded *load(const char *name, char *file, char *err, size_t errlen)
{
    struct loaded *l = calloc(1, sizeof(*l));

    if (!l || !(l->name = strdup(name))) {
        snprintf(err, errlen, "out of memory");
        free(l);
        return NULL;
    }
    if (open_module(l, file, err, errlen) != 0) {
        free(l->name);
        free(l);
        return NULL;
    }
    if (strcmp(l->plugin.name, name) != 0) {
        /* Kept loaded all the same: nothing refers to its code, and dlclose is no gain. */
        snprintf(err, errlen, "%s: plugin calls itself \"%s\", expected \"%s\"", file,
                 l->plugin.name, name);
        free(l->checks);
        free(l->name);
        free(l);
        return NULL;
    }
    l->file = file;
    l->next = loaded;
    loaded = l;
    return l;
}

static const struct ip_plugin *get_locked(const char *name, char *err, size_t errlen)
{
    struct loaded *l;
    char *path, *save = NULL, *file = NULL;

    for (l = loaded; l; l = l->next)
        if (strcmp(l->name, name) == 0)
            return &l->plugin;
    if (!valid_name(name)) {
        snprintf(err, errlen, "plugin \"%s\": not a plugin name (a-z, 0-9, _ and -)", name);
        return NULL;
    }
    /* infraprobe_probe_*, _check_* and _run_* are the core's own metric names. */
    if (!strcmp(name, "probe") || !strcmp(name, "check") || !strcmp(name, "run")) {
        snprintf(err, errlen, "plugin \"%s\": a name the core reserves", name);
        return NULL;
    }
    path = strdup(loader_path());
    for (char *dir = strtok_r(path, ":", &save); path && dir && !file;
         dir = strtok_r(NULL, ":", &save))
        file = find_module(dir, name);
    free(path);
    if (!file) {
        snprintf(err, errlen,
                 "plugin \"%s\": not found in %s (is it installed? --plugin-dir and plugin_dir "
                 "add directories)",
                 name, loader_path());
        return NULL;
    }
    if (!(l = load(name, file, err, errlen))) {
        free(file);
        return NULL;
    }
    return &l->plugin;
}

const struct ip_plugin *loader_get(const char *name, char *err, size_t errlen)
{
    const struct ip_plugin *p;

    pthread_mutex_lock(&loader_lock);
    p = get_locked(name, err, errlen);
    pthread_mutex_unlock(&loader_lock);
    return p;
}

/* init() of `l` once per process; 1 when it succeeded (or there is none), -1 when it failed. */
static int init_once(struct loaded *l)
{
    int state;

    pthread_mutex_lock(&loader_lock);
    if (l->init_state == 0)
        l->init_state = !l->plugin.init || l->plugin.init() == 0 ? 1 : -1;
    state = l->init_state;
    pthread_mutex_unlock(&loader_lock);
    return state;
}

/* ip_operate()'s provider: plugin `kind`'s operate hook, the plugin loaded and initialised. */
static operate_fn loader_operate(const char *kind, int *code, char *err, size_t errlen)
{
    const struct ip_plugin *p = loader_get(kind, err, errlen);
    struct loaded *l;

    *code = IP_EINVAL;
    if (!p)
        return NULL;
    if (!p->operate) {
        snprintf(err, errlen, "plugin %s has no operation for other plugins to use", kind);
        *code = IP_ENOTSUP;
        return NULL;
    }
    pthread_mutex_lock(&loader_lock);
    l = find_loaded(p);
    pthread_mutex_unlock(&loader_lock);
    if (l && init_once(l) < 0) {
        snprintf(err, errlen, "plugin %s: init() failed", kind);
        return NULL;
    }
    return p->operate;
}

int loader_setup(const struct ip_plugin *p, struct ip_probe *probe, void **state)
{
    struct loaded *l;

    pthread_mutex_lock(&loader_lock);
    l = find_loaded(p);
    pthread_mutex_unlock(&loader_lock);
    /* Plugins the loader did not open (the unit tests' own) have no hooks to call. */
    if (l && init_once(l) < 0) {
        ip_probe_fail(probe, NULL, "plugin %s: init() failed", p->name);
        return IP_ECONFIG;
    }
    return p->setup(probe, state);
}

void loader_shutdown(void)
{
    pthread_mutex_lock(&loader_lock);
    for (struct loaded *l = loaded; l; l = l->next) {
        if (l->init_state > 0 && l->plugin.shutdown)
            l->plugin.shutdown();
        l->init_state = 0; /* a later setup() calls init() again */
    }
    pthread_mutex_unlock(&loader_lock);
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n > m && strcmp(s + n - m, suffix) == 0;
}

int loader_list(FILE *out)
{
    char *path = strdup(loader_path()), *save = NULL;
    int failed = 0;

    for (char *dir = strtok_r(path, ":", &save); path && dir; dir = strtok_r(NULL, ":", &save)) {
        DIR *d = opendir(dir);
        struct dirent *e;

        while (d && (e = readdir(d))) {
            char name[256], err[1024];
            const struct ip_plugin *p;
            struct loaded *l;
            size_t len;

            if (!has_suffix(e->d_name, ".so") || strlen(e->d_name) >= sizeof(name))
                continue;
            len = strlen(e->d_name) - 3;
            memcpy(name, e->d_name, len);
            name[len] = '\0';
            /* The first directory that has a name wins, as in loader_get(). */
            for (l = loaded; l; l = l->next)
                if (strcmp(l->name, name) == 0)
                    break;
            if (l || !valid_name(name))
                continue;
            if (!(p = loader_get(name, err, sizeof(err)))) {
                fprintf(stderr, "infraprobe: %s\n", err);
                failed++;
                continue;
            }
            l = find_loaded(p);
            fprintf(out, "%-12s %-48s %s\n", p->name, p->description ? p->description : "",
                    l ? l->file : "");
        }
        if (d)
            closedir(d);
    }
    free(path);
    return failed;
}
