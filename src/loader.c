/*
 * The plugin loader: libltdl opens each plugin module once, checks its one exported
 * symbol and its ABI, and keeps it loaded for the life of the process, so that an
 * abandoned run can never find its code unmapped.
 */
#include "config.h"

#include "loader.h"

#include <dirent.h>
#include <ltdl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <infraprobe/plugin.h>

struct loaded {
    struct loaded *next;
    char *name;
    char *file;
    const struct ip_plugin *plugin;
};

/* Loading happens on the main thread before any probe runs. */
static struct loaded *loaded;
static char *search_path;

int loader_init(const char *path)
{
    free(search_path);
    search_path = strdup(path ? path : "");
    if (!search_path || lt_dlinit() != 0)
        return -1;
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

/* Open `file` and check its symbol and ABI; NULL with the reason (naming the file). */
static const struct ip_plugin *open_module(const char *file, char *err, size_t errlen)
{
    lt_dladvise advise;
    lt_dlhandle h;
    const struct ip_plugin *p;

    /* Local symbols: two plugins may link different versions of one library. */
    lt_dladvise_init(&advise);
    lt_dladvise_local(&advise);
    h = lt_dlopenadvise(file, advise);
    lt_dladvise_destroy(&advise);
    if (!h) {
        snprintf(err, errlen, "%s: cannot load: %s", file, lt_dlerror());
        return NULL;
    }
    p = lt_dlsym(h, "infraprobe_plugin");
    if (!p) {
        snprintf(err, errlen, "%s: not an infraprobe plugin: no symbol infraprobe_plugin", file);
        goto fail;
    }
    if (p->abi != IP_PLUGIN_ABI) {
        snprintf(err, errlen, "%s: plugin ABI %u, expected %u", file, p->abi, IP_PLUGIN_ABI);
        goto fail;
    }
    if (!p->name || !p->setup || !p->run || !p->teardown || !p->checks) {
        snprintf(err, errlen,
                 "%s: incomplete plugin: name, checks, setup, run and teardown "
                 "are required",
                 file);
        goto fail;
    }
    return p;
fail:
    lt_dlclose(h);
    return NULL;
}

const struct ip_plugin *loader_get(const char *name, char *err, size_t errlen)
{
    const struct ip_plugin *p = NULL;
    struct loaded *l;
    char *path, *save = NULL, *file = NULL;

    for (l = loaded; l; l = l->next)
        if (strcmp(l->name, name) == 0)
            return l->plugin;
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
    p = open_module(file, err, errlen);
    if (p && strcmp(p->name, name) != 0) {
        snprintf(err, errlen, "%s: plugin calls itself \"%s\", expected \"%s\"", file, p->name,
                 name);
        p = NULL;
    }
    l = p ? calloc(1, sizeof(*l)) : NULL;
    if (p && l) {
        l->name = strdup(name);
        l->file = file;
        l->plugin = p;
        l->next = loaded;
        loaded = l;
        file = NULL;
    } else if (p) {
        snprintf(err, errlen, "out of memory");
        p = NULL;
    }
    free(file);
    return p;
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
            for (l = loaded; l && l->plugin != p; l = l->next)
                ;
            fprintf(out, "%-12s %-48s %s\n", p->name, p->description ? p->description : "",
                    l ? l->file : "");
        }
        if (d)
            closedir(d);
    }
    free(path);
    return failed;
}
