/*
 * The typed settings getters of the SDK. Each getter marks its key as read, so that a key
 * nothing read (a typo) is an error at `infraprobe -t` time, never silently ignored; each
 * error names FILE:LINE and the probe, and the getter returns its default so that setup()
 * goes on and every mistake is reported in one pass.
 */
#include "config.h"

#include "probe.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <infraprobe/plugin.h>

#include "expand.h"

/* libconfig's per-setting hook marks a setting read, or already reported as wrong (not to
 * be reported again, nor its keys); the addresses are the marks. */
static const char read_mark, reported_mark;
#define MARK     ((void *)&read_mark)
#define REPORTED ((void *)&reported_mark)

struct owned {
    struct owned *next;
    void *ptr;
};

struct ip_probe {
    struct ip_probe *root;    /* itself, for a probe; the probe, for a group view */
    config_setting_t *group;  /* NULL for an absent group */
    char *path;               /* "" for the probe, "pool." for a group */
    config_setting_t *anchor; /* where errors about absent keys point */
    /* The probe's (root's) own: */
    char *name;
    double timeout;
    int errors;
    struct owned *owned; /* everything handed out, freed by probe_free() */
};

static void *own(struct ip_probe *p, void *ptr)
{
    struct owned *o;

    if (!ptr)
        return NULL;
    o = malloc(sizeof(*o));
    if (!o) {
        free(ptr);
        return NULL;
    }
    o->ptr = ptr;
    o->next = p->root->owned;
    p->root->owned = o;
    return ptr;
}

struct ip_probe *probe_new(config_setting_t *group, const char *name, const char *path,
                           double timeout)
{
    struct ip_probe *p = calloc(1, sizeof(*p));

    if (!p)
        return NULL;
    p->root = p;
    p->group = group;
    p->anchor = group;
    p->name = name ? strdup(name) : NULL;
    p->path = strdup(path ? path : "");
    p->timeout = timeout;
    if ((name && !p->name) || !p->path) {
        probe_free(p);
        return NULL;
    }
    return p;
}

void probe_free(struct ip_probe *p)
{
    struct owned *o, *next;

    if (!p)
        return;
    for (o = p->owned; o; o = next) {
        next = o->next;
        free(o->ptr);
        free(o);
    }
    free(p->name);
    free(p->path);
    free(p);
}

void config_where(FILE *out, const config_setting_t *s)
{
    const char *file = s ? config_setting_source_file(s) : NULL;

    fprintf(out, "%s:%u: ", file ? file : "(config)", s ? config_setting_source_line(s) : 0);
}

static void vreport(struct ip_probe *p, const config_setting_t *s, const char *key, const char *fmt,
                    va_list ap)
{
    flockfile(stderr);
    config_where(stderr, s ? s : p->anchor);
    if (p->root->name)
        fprintf(stderr, "probe \"%s\": ", p->root->name);
    if (key)
        fprintf(stderr, "%s%s", p->path, key);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    funlockfile(stderr);
    p->root->errors++;
}

static void error_at(struct ip_probe *p, const config_setting_t *s, const char *key,
                     const char *fmt, ...) IP_PRINTF(4, 5);
static void error_at(struct ip_probe *p, const config_setting_t *s, const char *key,
                     const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vreport(p, s, key, fmt, ap);
    va_end(ap);
}

void probe_error(struct ip_probe *p, const config_setting_t *s, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vreport(p, s, NULL, fmt, ap);
    va_end(ap);
}

void ip_probe_fail(struct ip_probe *probe, const char *key, const char *fmt, ...)
{
    config_setting_t *s = key && probe->group ? config_setting_get_member(probe->group, key) : NULL;
    char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    error_at(probe, s, key, "%s%s", key ? ": " : "", msg ? msg : fmt);
    free(msg);
}

static config_setting_t *lookup(struct ip_probe *p, const char *key)
{
    config_setting_t *s = p->group ? config_setting_get_member(p->group, key) : NULL;

    if (s)
        config_setting_set_hook(s, MARK);
    return s;
}

config_setting_t *probe_take(struct ip_probe *p, const char *key)
{
    return lookup(p, key);
}

void probe_reported(config_setting_t *s)
{
    config_setting_set_hook(s, REPORTED);
}

const char *ip_probe_name(const struct ip_probe *probe)
{
    return probe->root->name;
}

double ip_probe_timeout(const struct ip_probe *probe)
{
    return probe->root->timeout;
}

int ip_probe_err(const struct ip_probe *probe)
{
    return probe->root->errors;
}

int ip_probe_has(struct ip_probe *probe, const char *key)
{
    return probe->group && config_setting_get_member(probe->group, key) != NULL;
}

/* Expand `in`; an error is reported at `s` about `key`. NULL on error. `flags`: 0, or
 * EXPAND_SECRET for a value that must never be printed. */
static const char *expand(struct ip_probe *p, config_setting_t *s, const char *key, const char *in,
                          int flags)
{
    char err[512];
    char *out;

    if (expand_vars(in, &out, err, sizeof(err), flags) < 0) {
        error_at(p, s, key, ": %s", err);
        return NULL;
    }
    return own(p, out);
}

/* The setting's string after expansion, or NULL (with an error when it is not a string). */
static const char *string_of(struct ip_probe *p, config_setting_t *s, const char *key, int flags)
{
    if (config_setting_type(s) != CONFIG_TYPE_STRING)
        return NULL;
    return expand(p, s, key, config_setting_get_string(s), flags);
}

const char *ip_probe_string(struct ip_probe *probe, const char *key, const char *def)
{
    config_setting_t *s = lookup(probe, key);
    const char *v;

    if (!s)
        return def ? expand(probe, NULL, key, def, 0) : NULL;
    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        error_at(probe, s, key, ": expected a string");
        return def ? expand(probe, NULL, key, def, 0) : NULL;
    }
    v = string_of(probe, s, key, 0);
    return v ? v : def ? expand(probe, NULL, key, def, 0) : NULL;
}

/* Parse a whole string as a base-10 integer; 0 or -1. Base 10 only: "010" is ten, as an
 * operator reads it, never eight, and "0x10" is a mistake, not sixteen. */
static int parse_ll(const char *s, long long *out)
{
    char *end;

    if (!*s || strspn(s, "+-0123456789") != strlen(s))
        return -1;
    errno = 0;
    *out = strtoll(s, &end, 10);
    return errno || end == s || *end ? -1 : 0;
}

/* Parse a whole string as a decimal number; 0 or -1. No hexadecimal ("0x1p3"), no "inf"
 * or "nan": what a config file writes as a number, nothing strtod() would take besides. */
static int parse_double(const char *s, double *out)
{
    char *end;

    if (!*s || strspn(s, "+-.0123456789eE") != strlen(s))
        return -1;
    errno = 0;
    *out = strtod(s, &end);
    return errno || end == s || *end ? -1 : 0;
}

long long ip_probe_int(struct ip_probe *probe, const char *key, long long def, long long min,
                       long long max)
{
    config_setting_t *s = lookup(probe, key);
    const char *str;
    long long v;

    if (!s)
        return def;
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        v = config_setting_get_int64(s);
        break;
    case CONFIG_TYPE_STRING:
        if (!(str = string_of(probe, s, key, 0)))
            return def;
        if (parse_ll(str, &v) < 0) {
            error_at(probe, s, key, " = \"%s\": expected a decimal integer", str);
            return def;
        }
        break;
    default:
        error_at(probe, s, key, ": expected an integer");
        return def;
    }
    if (v < min || v > max) {
        error_at(probe, s, key, " = %lld: must be %lld..%lld", v, min, max);
        return def;
    }
    return v;
}

/* The number at `key`: 1 with *v set, 0 when absent, -1 after reporting a mistake. */
static int number(struct ip_probe *probe, const char *key, config_setting_t **sp, double *v)
{
    config_setting_t *s = *sp = lookup(probe, key);
    const char *str;

    if (!s)
        return 0;
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        *v = (double)config_setting_get_int64(s);
        return 1;
    case CONFIG_TYPE_FLOAT:
        *v = config_setting_get_float(s);
        return 1;
    case CONFIG_TYPE_STRING:
        if (!(str = string_of(probe, s, key, 0)))
            return -1;
        if (parse_double(str, v) < 0) {
            error_at(probe, s, key, " = \"%s\": expected a decimal number", str);
            return -1;
        }
        return 1;
    default:
        error_at(probe, s, key, ": expected a number");
        return -1;
    }
}

double ip_probe_double(struct ip_probe *probe, const char *key, double def, double min, double max)
{
    config_setting_t *s;
    double v;

    if (number(probe, key, &s, &v) <= 0)
        return def;
    if (!(v >= min && v <= max)) {
        error_at(probe, s, key, " = %g: must be %g..%g", v, min, max);
        return def;
    }
    return v;
}

/* A duration in [min, max] seconds, or 0 when zero_ok; never NaN nor an infinity. */
static double duration(struct ip_probe *probe, const char *key, double def, double min, double max,
                       int zero_ok)
{
    config_setting_t *s;
    double v;

    if (number(probe, key, &s, &v) <= 0)
        return def;
    if (!(v >= min && v <= max) && !(zero_ok && v == 0)) {
        error_at(probe, s, key, " = %g: must be %s%.15g to %.15g seconds", v,
                 zero_ok ? "0 or " : "", min, max);
        return def;
    }
    return v;
}

double probe_duration(struct ip_probe *probe, const char *key, double def, double min, double max)
{
    return duration(probe, key, def, min, max, 0);
}

double ip_probe_duration(struct ip_probe *probe, const char *key, double def)
{
    /* Below a millisecond, a poll() timeout rounds to 0 and a loop spins; beyond a year is a
     * typo in a monitoring tool, and would overflow a count of milliseconds. */
    return duration(probe, key, def, 0.001, 365.0 * 86400, 1);
}

int ip_probe_bool(struct ip_probe *probe, const char *key, int def)
{
    static const char *const yes[] = {"true", "yes", "on", "1", NULL};
    static const char *const no[] = {"false", "no", "off", "0", NULL};
    config_setting_t *s = lookup(probe, key);
    const char *str;

    if (!s)
        return def;
    if (config_setting_type(s) == CONFIG_TYPE_BOOL)
        return config_setting_get_bool(s);
    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        error_at(probe, s, key, ": expected true or false");
        return def;
    }
    if (!(str = string_of(probe, s, key, 0)))
        return def;
    for (int i = 0; yes[i]; i++) {
        if (strcasecmp(str, yes[i]) == 0)
            return 1;
        if (strcasecmp(str, no[i]) == 0)
            return 0;
    }
    error_at(probe, s, key, " = \"%s\": expected true or false", str);
    return def;
}

/* Split one comma-separated string into owned, trimmed, non-empty items. */
static const char *const *split(struct ip_probe *p, const char *str, size_t *n)
{
    size_t cap = 1, count = 0;
    const char **v;
    char *copy = own(p, strdup(str));

    for (const char *q = str; *q; q++)
        cap += *q == ',';
    v = own(p, calloc(cap + 1, sizeof(*v)));
    if (!v || !copy)
        return NULL;
    for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char *end;

        while (*tok == ' ')
            tok++;
        end = tok + strlen(tok);
        while (end > tok && end[-1] == ' ')
            *--end = '\0';
        if (*tok)
            v[count++] = tok;
    }
    *n = count;
    return v;
}

const char *const *ip_probe_strings(struct ip_probe *probe, const char *key, size_t *n)
{
    static const char *const empty[] = {NULL};
    config_setting_t *s = lookup(probe, key);
    const char *const *v = NULL;
    size_t count = 0;

    if (!s)
        goto out;
    if (config_setting_type(s) == CONFIG_TYPE_STRING) {
        const char *str = string_of(probe, s, key, 0);

        v = str ? split(probe, str, &count) : NULL;
    } else if (config_setting_is_aggregate(s) && config_setting_type(s) != CONFIG_TYPE_GROUP) {
        int len = config_setting_length(s);
        const char **items = own(probe, calloc((size_t)len + 1, sizeof(*items)));

        for (int i = 0; items && i < len; i++) {
            config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

            if (config_setting_type(e) != CONFIG_TYPE_STRING) {
                error_at(probe, e, key, "[%d]: expected a string", i);
                count = 0;
                items = NULL;
                break;
            }
            if (!(items[count] = string_of(probe, e, key, 0)))
                continue;
            count++;
        }
        v = items;
    } else {
        error_at(probe, s, key, ": expected a list of strings");
    }
out:
    if (!v)
        count = 0;
    if (n)
        *n = count;
    return v ? v : empty;
}

/* The first line of a file: how secrets reach a probe without sitting in its config. */
static const char *read_secret(struct ip_probe *p, config_setting_t *s, const char *key,
                               const char *path)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;

    if (!f) {
        error_at(p, s, key, ": cannot read \"%s\": %s", path, strerror(errno));
        return NULL;
    }
    n = getline(&line, &cap, f);
    fclose(f);
    if (n < 0) {
        free(line);
        error_at(p, s, key, ": \"%s\" is empty", path);
        return NULL;
    }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    return own(p, line);
}

const char *ip_probe_secret(struct ip_probe *probe, const char *key)
{
    char file_key[128];
    config_setting_t *s, *f;

    snprintf(file_key, sizeof(file_key), "%s_file", key);
    s = lookup(probe, key);
    f = lookup(probe, file_key);
    if (s && f) {
        error_at(probe, f, file_key, ": %s%s is set too: set one of them", probe->path, key);
        return NULL;
    }
    if (s) {
        if (config_setting_type(s) != CONFIG_TYPE_STRING) {
            error_at(probe, s, key, ": expected a string");
            return NULL;
        }
        return string_of(probe, s, key, EXPAND_SECRET);
    }
    if (f) {
        const char *path = ip_probe_string(probe, file_key, NULL);

        return path ? read_secret(probe, f, file_key, path) : NULL;
    }
    return NULL;
}

struct ip_probe *ip_probe_group(struct ip_probe *probe, const char *key)
{
    config_setting_t *s = lookup(probe, key);
    struct ip_probe *g;
    char *path = NULL;

    if (s && config_setting_type(s) != CONFIG_TYPE_GROUP) {
        error_at(probe, s, key, ": expected a group { ... }");
        s = NULL;
    }
    g = own(probe, calloc(1, sizeof(*g)));
    if (!g || asprintf(&path, "%s%s.", probe->path, key) < 0 || !own(probe, path)) {
        /* Out of memory in setup: counted, so that setup fails; the probe stands in. */
        probe->root->errors++;
        return probe;
    }
    g->root = probe->root;
    g->group = s;
    g->anchor = s ? s : probe->anchor;
    g->path = path;
    return g;
}

/* Unread keys of `group`, recursing into groups that were read. */
static int unread(struct ip_probe *p, config_setting_t *group, const char *prefix)
{
    int n = 0;

    for (int i = 0; i < config_setting_length(group); i++) {
        config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
        const char *name = config_setting_name(s);

        if (config_setting_get_hook(s) == REPORTED)
            continue;
        if (config_setting_get_hook(s) != MARK) {
            error_at(p, s, NULL, "unknown key \"%s%s\"", prefix, name);
            n++;
        } else if (config_setting_type(s) == CONFIG_TYPE_GROUP) {
            char sub[256];

            snprintf(sub, sizeof(sub), "%s%s.", prefix, name);
            n += unread(p, s, sub);
        }
    }
    return n;
}

int probe_unread(struct ip_probe *p)
{
    return p->group ? unread(p, p->group, "") : 0;
}
