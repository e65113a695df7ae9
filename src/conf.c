/*
 * The configuration file (libconfig): the `infraprobe` group, the `probes` list, and the
 * binding of each probe to its plugin. Every mistake is reported with FILE:LINE, and all
 * of them in one pass: an operator fixes a file once, not once per error.
 */
#include "config.h"

#include "conf.h"

#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <infraprobe/plugin.h>

#include "loader.h"
#include "nameset.h"
#include "probe.h"

/* What a configuration may be, checked before libconfig sees it: its flex scanner exits the
 * process on a file it cannot read (`@include ""` names a directory), keeps a string up to
 * its first NUL byte (a password "abc\0def" becomes "abc"), and takes time quadratic in a
 * token's length when it reads a file (a 10 MB string kept `-t` busy for minutes). */
#define CONF_MAX_BYTES  (1024 * 1024) /* the whole configuration, with its @include files */
#define CONF_MAX_LINE   16384
#define CONF_MAX_STRING 65536
#define CONF_MAX_DEPTH  10 /* libconfig's own limit of nested @include */

/* The core's durations, in seconds, in one place (infraprobe.conf(5) lists them): below the
 * minimum a daemon spins (interval = 1e-300 ran at 98 % CPU and never answered SIGTERM),
 * past the maximum a count of milliseconds overflows. */
static const struct {
    const char *key;
    double min, max;
} core_durations[] = {
    {"interval", 0.1, 365.0 * 86400}, /* a probe's and the default */
    {"timeout", 0.01, 86400},         /* a probe's, the default, and a drill's */
    {"action_timeout", 0.01, 86400},  /* a drill's fault action */
    {"shutdown_timeout", 0, 3600},    /* the daemon's grace at SIGTERM */
};

static double core_duration(struct ip_probe *g, const char *key, double def)
{
    size_t i = 0;

    while (strcmp(core_durations[i].key, key) != 0)
        i++;
    return probe_duration(g, key, def, core_durations[i].min, core_durations[i].max);
}

static int file_error(const char *file, const char *what)
{
    fprintf(stderr, "%s: %s\n", file, what);
    return 1;
}

/* isolation = "process" | "thread" */
static enum isolation get_isolation(struct ip_probe *p, enum isolation def)
{
    const char *v = ip_probe_string(p, "isolation", NULL);

    if (!v)
        return def;
    if (!strcmp(v, "process"))
        return ISOLATION_PROCESS;
    if (!strcmp(v, "thread"))
        return ISOLATION_THREAD;
    ip_probe_fail(p, "isolation", "\"%s\": expected \"process\" or \"thread\"", v);
    return def;
}

struct scan {
    const char *dir; /* libconfig's include_dir: an @include names dir/path */
    size_t used;     /* bytes read so far, all files together */
    int errors;
};

static void scan_error(struct scan *sc, const char *file, unsigned line, const char *fmt, ...)
    IP_PRINTF(4, 5);
static void scan_error(struct scan *sc, const char *file, unsigned line, const char *fmt, ...)
{
    va_list ap;

    if (line)
        fprintf(stderr, "%s:%u: ", file, line);
    else
        fprintf(stderr, "%s: ", file);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    sc->errors++;
}

/* The whole of f, within what is left of the budget; NULL after an error. */
static char *slurp(struct scan *sc, FILE *f, const char *file, size_t *n)
{
    size_t left = CONF_MAX_BYTES - sc->used, got = 0;
    char *buf = malloc(left + 2);
    unsigned line = 1;

    if (!buf) {
        scan_error(sc, file, 0, "out of memory");
        return NULL;
    }
    got = fread(buf, 1, left + 1, f);
    if (ferror(f)) {
        scan_error(sc, file, 0, "%s", strerror(errno));
        free(buf);
        return NULL;
    }
    if (got > left) {
        for (size_t i = 0; i < left; i++)
            line += buf[i] == '\n';
        scan_error(sc, file, line,
                   "the configuration passes %d bytes (1 MiB) here, with its @include files",
                   CONF_MAX_BYTES);
        free(buf);
        return NULL;
    }
    buf[got] = '\0';
    sc->used += got;
    *n = got;
    return buf;
}

static void scan_file(struct scan *sc, const char *file, const char *text, size_t n, int depth);

/* `@include "path"` at file:line: refuse what libconfig would choke on, then scan it. */
static void scan_include(struct scan *sc, const char *file, unsigned line, const char *path,
                         int depth)
{
    struct stat st;
    char *full = NULL, *text;
    FILE *f;
    size_t n;

    if (!*path) {
        scan_error(sc, file, line, "@include \"\": no file name");
        return;
    }
    if (depth >= CONF_MAX_DEPTH) {
        scan_error(sc, file, line, "@include \"%s\": nested more than %d deep (an include loop?)",
                   path, CONF_MAX_DEPTH);
        return;
    }
    /* As libconfig 1.5 opens it: the include directory, a slash, the path as written. */
    if (asprintf(&full, "%s/%s", sc->dir ? sc->dir : ".", path) < 0) {
        scan_error(sc, file, line, "out of memory");
        return;
    }
    /* stat() first: opening a FIFO would wait for a writer. */
    if (stat(full, &st) != 0) {
        scan_error(sc, file, line, "@include \"%s\": %s: %s", path, full, strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        scan_error(sc, file, line, "@include \"%s\": %s: %s", path, full,
                   S_ISDIR(st.st_mode) ? "a directory" : "not a regular file");
    } else if (!(f = fopen(full, "r"))) {
        scan_error(sc, file, line, "@include \"%s\": %s: %s", path, full, strerror(errno));
    } else {
        if ((text = slurp(sc, f, full, &n)))
            scan_file(sc, full, text, n, depth + 1);
        free(text);
        fclose(f);
    }
    free(full);
}

/* Where scan_file is in one file, and what it is in: code, a string or a comment. */
struct scan_at {
    const char *file;
    const char *text;
    size_t n;
    int depth;
    enum { SCAN_CODE, SCAN_STRING, SCAN_COMMENT, SCAN_LINE_COMMENT } state;
    size_t i, bol, string_len;
    unsigned line, string_line, told; /* told: a line already reported */
};

/* The quoted file name of an @include whose '"' is at j. */
static void scan_include_name(struct scan *sc, struct scan_at *a, size_t j)
{
    const char *text = a->text;
    char path[4096];
    size_t k = 0;

    /* libconfig's escapes in a file name: \\ and \" only. */
    for (j++; j < a->n && !strchr("\"\n", text[j]); j++) {
        if (text[j] == '\\' && (text[j + 1] == '\\' || text[j + 1] == '"'))
            j++;
        if (k < sizeof(path) - 1)
            path[k++] = text[j];
    }
    path[k] = '\0';
    if (k == sizeof(path) - 1) {
        scan_error(sc, a->file, a->line, "@include: a file name longer than %zu bytes",
                   sizeof(path) - 2);
        a->i = j - (text[j] != '"');
    } else if (text[j] == '"') {
        scan_include(sc, a->file, a->line, path, a->depth);
        a->i = j;
    } else {
        scan_error(sc, a->file, a->line, "@include: no '\"' after the file name");
        a->i = j - 1; /* its line's end (or NUL) is seen as any other */
    }
}

/* An @include "file" at a line's start, blanks before it allowed; 1 when there is one. */
static int scan_directive(struct scan *sc, struct scan_at *a)
{
    const char *text = a->text;
    size_t j = a->i + strspn(text + a->i, " \t");

    if (strncmp(text + j, "@include", 8) != 0 || !strchr(" \t", text[j + 8]) || !text[j + 8])
        return 0;
    j += 8 + strspn(text + j + 8, " \t");
    if (text[j] != '"')
        return 0;
    scan_include_name(sc, a, j);
    return 1;
}

static void scan_code(struct scan *sc, struct scan_at *a, char ch)
{
    const char *text = a->text;

    if (a->i == a->bol && scan_directive(sc, a))
        return;
    if (ch == '"') {
        a->state = SCAN_STRING;
        a->string_line = a->line;
        a->string_len = 0;
    } else if (ch == '#' || (ch == '/' && text[a->i + 1] == '/')) {
        a->state = SCAN_LINE_COMMENT;
    } else if (ch == '/' && text[a->i + 1] == '*') {
        a->state = SCAN_COMMENT;
        a->i++;
    }
}

static void scan_string(struct scan *sc, struct scan_at *a, char ch)
{
    const char *text = a->text;
    size_t i = a->i;

    if (ch == '"') {
        a->state = SCAN_CODE;
        return;
    }
    if (ch == '\\' && (text[i + 1] == 'x' || text[i + 1] == 'X') && text[i + 2] == '0' &&
        text[i + 3] == '0') {
        scan_error(sc, a->file, a->line, "\"\\x00\" in a string: a string cannot hold a NUL byte");
    }
    if (ch == '\\' && i + 1 < a->n && text[i + 1] != '\0' && text[i + 1] != '\n')
        a->i++;
    if (++a->string_len == CONF_MAX_STRING + 1) {
        scan_error(sc, a->file, a->string_line, "a string longer than %d bytes (from this line)",
                   CONF_MAX_STRING);
        a->told = a->line;
    }
}

/* A line's end: it may have been too long, and it ends a # or // comment. */
static void scan_newline(struct scan *sc, struct scan_at *a)
{
    if (a->i - a->bol > CONF_MAX_LINE && a->told != a->line)
        scan_error(sc, a->file, a->line, "a line longer than %d bytes", CONF_MAX_LINE);
    a->line++;
    a->bol = a->i + 1;
    if (a->state == SCAN_LINE_COMMENT)
        a->state = SCAN_CODE;
}

/* Walk `text` as libconfig's scanner does (strings, comments, @include at a line's start)
 * and report each NUL byte, over-long line or string, and bad @include, with FILE:LINE. */
static void scan_file(struct scan *sc, const char *file, const char *text, size_t n, int depth)
{
    struct scan_at a = {.file = file, .text = text, .n = n, .depth = depth, .line = 1};

    for (a.i = 0; a.i < n; a.i++) {
        char ch = text[a.i];

        if (ch == '\0') {
            if (a.told != a.line)
                scan_error(sc, file, a.line, "a NUL byte (column %zu): a configuration is text",
                           a.i - a.bol + 1);
            a.told = a.line;
            continue;
        }
        if (ch == '\n')
            scan_newline(sc, &a);
        switch (a.state) {
        case SCAN_CODE:
            scan_code(sc, &a, ch);
            break;
        case SCAN_STRING:
            scan_string(sc, &a, ch);
            break;
        case SCAN_COMMENT:
            if (ch == '*' && text[a.i + 1] == '/') {
                a.state = SCAN_CODE;
                a.i++;
            }
            break;
        case SCAN_LINE_COMMENT:
            break;
        }
    }
    if (n - a.bol > CONF_MAX_LINE && a.told != a.line)
        scan_error(sc, file, a.line, "a line longer than %d bytes", CONF_MAX_LINE);
}

static int load_probe(struct conf *c, struct nameset *names, config_setting_t *s, int index)
{
    struct probe_conf *pc = &c->probes[c->nprobes];
    const char *name = NULL;
    size_t first;
    int errors;

    if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
        config_where(stderr, s);
        fprintf(stderr, "probes[%d]: expected a group { name = ...; plugin = ...; }\n", index);
        return 1;
    }
    config_setting_lookup_string(s, "name", &name);
    if (!name || !*name) {
        config_where(stderr, s);
        fprintf(stderr, "probes[%d]: missing name = \"...\"\n", index);
        return 1;
    }
    if ((first = nameset_add(names, name, c->nprobes)) != SIZE_MAX) {
        config_where(stderr, s);
        fprintf(stderr, "probe \"%s\": name already used at line %u\n", name,
                config_setting_source_line(c->probes[first].setting));
        return 1;
    }
    pc->probe = probe_new(s, name, NULL, c->timeout);
    if (!pc->probe)
        return file_error(c->file, "out of memory");
    probe_take(pc->probe, "name");
    pc->name = ip_probe_name(pc->probe);
    pc->setting = s;
    pc->plugin_name = ip_probe_string(pc->probe, "plugin", NULL);
    pc->interval = core_duration(pc->probe, "interval", c->interval);
    pc->timeout = core_duration(pc->probe, "timeout", c->timeout);
    pc->isolation = get_isolation(pc->probe, c->isolation);
    pc->load_every = ip_probe_int(pc->probe, "load_checks_every", c->load_every, 1, 1000000);
    if (!pc->plugin_name && !ip_probe_has(pc->probe, "plugin"))
        probe_error(pc->probe, s, "missing plugin = \"...\"");
    errors = ip_probe_err(pc->probe);
    c->nprobes++;
    return errors;
}

/* Settings read from memory have no file: they are the top file's. */
static void name_file(config_setting_t *s, const char *file)
{
    if (!config_setting_source_file(s))
        s->file = file;
    if (config_setting_is_aggregate(s))
        for (int i = 0; i < config_setting_length(s); i++)
            name_file(config_setting_get_elem(s, (unsigned)i), file);
}

/* Read `file` once, checked, and parse it from memory: libconfig's scanner is linear there.
 * Returns the number of errors reported. */
static int conf_read(struct conf *c, const char *file)
{
    struct scan sc = {0};
    char *copy, *text;
    FILE *f;
    size_t n;

    /* Fail with the system's reason, which libconfig's "file I/O error" does not give. */
    if (!(f = fopen(file, "r")))
        return file_error(file, strerror(errno));
    copy = strdup(file);
    sc.dir = copy ? dirname(copy) : NULL;
    config_set_include_dir(&c->cfg, sc.dir);
    text = slurp(&sc, f, file, &n);
    fclose(f);
    if (text)
        scan_file(&sc, file, text, n, 0);
    free(copy);
    if (!text || sc.errors) {
        free(text);
        return sc.errors;
    }
    if (!config_read_string(&c->cfg, text)) {
        fprintf(stderr, "%s:%d: %s\n",
                config_error_file(&c->cfg) ? config_error_file(&c->cfg) : file,
                config_error_line(&c->cfg), config_error_text(&c->cfg));
        free(text);
        return 1;
    }
    free(text);
    return 0;
}

/* listen, listen_tls_cert, listen_tls_key, listen_users, drill_report: checked here, without I/O,
 * so that -t finds their mistakes; the daemon binds and reads the files. */
static void load_listen(struct conf *c)
{
    struct http_conf *h = &c->http;
    struct sockaddr_storage sa;
    socklen_t len;
    char err[256];

    h->listen = ip_probe_string(c->core, "listen", NULL);
    if (h->listen && http_parse_listen(h->listen, &sa, &len, err, sizeof(err)) != 0)
        ip_probe_fail(c->core, "listen", "\"%s\": %s", h->listen, err);
    h->tls_cert = ip_probe_string(c->core, "listen_tls_cert", NULL);
    h->tls_key = ip_probe_string(c->core, "listen_tls_key", NULL);
    if (!h->tls_cert != !h->tls_key)
        ip_probe_fail(c->core, h->tls_cert ? "listen_tls_cert" : "listen_tls_key",
                      "TLS needs both listen_tls_cert and listen_tls_key");
    h->drill_report = ip_probe_string(c->core, "drill_report", NULL);
    h->users = ip_probe_strings(c->core, "listen_users", &h->nusers);
    for (size_t i = 0; i < h->nusers; i++)
        if (http_check_user(h->users[i], err, sizeof(err)) != 0)
            ip_probe_fail(c->core, "listen_users", "entry %zu: %s", i + 1, err);
}

/* The infraprobe = { ... } group: the defaults of every probe. Returns the number of errors
 * reported, or -1 when out of memory. */
static int load_core(struct conf *c, config_setting_t *root)
{
    config_setting_t *core = config_setting_get_member(root, "infraprobe");
    int errors = 0;

    if (core && config_setting_type(core) != CONFIG_TYPE_GROUP) {
        config_where(stderr, core);
        fprintf(stderr, "infraprobe: expected a group { ... }\n");
        errors++;
        core = NULL;
    }
    c->core = probe_new(core, NULL, "infraprobe.", 0);
    if (!c->core)
        return -1;
    c->interval = core_duration(c->core, "interval", 10.0);
    c->timeout = core_duration(c->core, "timeout", 5.0);
    c->workers = (int)ip_probe_int(c->core, "workers", 4, 1, 1024);
    c->plugin_dir = ip_probe_string(c->core, "plugin_dir", NULL);
    c->isolation = get_isolation(c->core, ISOLATION_PROCESS);
    c->load_every = ip_probe_int(c->core, "load_checks_every", 10, 1, 1000000);
    c->shutdown_timeout = ip_probe_has(c->core, "shutdown_timeout")
                              ? core_duration(c->core, "shutdown_timeout", 10.0)
                              : -1;
    load_listen(c);
    probe_unread(c->core);
    return errors + ip_probe_err(c->core);
}

/* The top level holds infraprobe and probes, nothing else. */
static int unknown_keys(config_setting_t *root)
{
    int errors = 0;

    for (int i = 0; i < config_setting_length(root); i++) {
        config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
        const char *name = config_setting_name(s);

        if (strcmp(name, "infraprobe") != 0 && strcmp(name, "probes") != 0) {
            config_where(stderr, s);
            fprintf(stderr, "unknown key \"%s\" (expected infraprobe and probes)\n", name);
            errors++;
        }
    }
    return errors;
}

int conf_load(struct conf *c, const char *file)
{
    config_setting_t *root, *probes;
    struct nameset names;
    int errors, n;

    memset(c, 0, sizeof(*c));
    c->file = file;
    config_init(&c->cfg);
    if ((errors = conf_read(c, file)))
        return errors;
    name_file(config_root_setting(&c->cfg), file);
    root = config_root_setting(&c->cfg);
    if ((errors = load_core(c, root)) < 0)
        return file_error(file, "out of memory");
    errors += unknown_keys(root);
    probes = config_setting_get_member(root, "probes");
    if (!probes) {
        fprintf(stderr, "%s: no probes = ( ... ) list\n", file);
        return errors + 1;
    }
    if (config_setting_type(probes) != CONFIG_TYPE_LIST) {
        config_where(stderr, probes);
        fprintf(stderr, "probes: expected a list ( { ... }, { ... } )\n");
        return errors + 1;
    }
    n = config_setting_length(probes);
    c->probes = calloc((size_t)n + 1, sizeof(*c->probes));
    if (!c->probes || nameset_init(&names, (size_t)n) < 0)
        return file_error(file, "out of memory");
    for (int i = 0; i < n; i++)
        errors += load_probe(c, &names, config_setting_get_elem(probes, (unsigned)i), i);
    nameset_free(&names);
    return errors;
}

/* thresholds.CHECK names a check the plugin does not have: say which it has. */
static void unknown_check(struct probe_conf *pc, config_setting_t *s, const char *check)
{
    char list[512] = "";

    for (const struct ip_check_decl *d = pc->plugin->checks; d->name; d++)
        snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", *list ? ", " : "",
                 d->name);
    probe_error(pc->probe, s, "thresholds.%s: plugin %s has no check \"%s\" (it has %s)", check,
                pc->plugin->name, check, list);
    probe_reported(s);
}

/* One check's { warn_ms = ...; crit_ms = ...; } (its kind's keys) in thresholds group tg. */
static void bind_threshold(struct probe_conf *pc, struct ip_probe *tg, config_setting_t *s)
{
    static const char *const keys[][2] = {
        [IP_LATENCY] = {"warn_ms", "crit_ms"},
        [IP_VALUE_MAX] = {"warn_max", "crit_max"},
        [IP_VALUE_MIN] = {"warn_min", "crit_min"},
    };
    const char *check = config_setting_name(s);
    const struct ip_check_decl *d = pc->plugin->checks;
    struct threshold *th = &pc->thresholds[pc->nthresholds];
    struct ip_probe *g;
    const char *const *k;

    while (d->name && strcmp(d->name, check) != 0)
        d++;
    if (!d->name) {
        unknown_check(pc, s, check);
        return;
    }
    k = keys[d->kind <= IP_VALUE_MIN ? d->kind : IP_LATENCY];
    g = ip_probe_group(tg, check);
    th->check = d->name;
    th->has_warn = ip_probe_has(g, k[0]);
    th->has_crit = ip_probe_has(g, k[1]);
    th->warn = ip_probe_double(g, k[0], d->warn, 0, 1e300);
    th->crit = ip_probe_double(g, k[1], d->crit, 0, 1e300);
    if ((th->has_warn || d->warn) && (th->has_crit || d->crit) &&
        (d->kind == IP_VALUE_MIN ? th->warn < th->crit : th->warn > th->crit))
        ip_probe_fail(g, k[0], "%g is past %s = %g: warning must come before critical", th->warn,
                      k[1], th->crit);
    pc->nthresholds++;
}

/* A check's thresholds = { name = { warn_ms = ...; crit_ms = ...; }; } for this plugin. */
static int bind_thresholds(struct probe_conf *pc)
{
    config_setting_t *t = probe_take(pc->probe, "thresholds");
    struct ip_probe *tg;
    int n, before = ip_probe_err(pc->probe);

    if (!t)
        return 0;
    tg = ip_probe_group(pc->probe, "thresholds");
    if (config_setting_type(t) != CONFIG_TYPE_GROUP)
        return 1;
    n = config_setting_length(t);
    pc->thresholds = calloc((size_t)n + 1, sizeof(*pc->thresholds));
    if (!pc->thresholds) {
        probe_error(pc->probe, t, "out of memory");
        return 1;
    }
    for (int i = 0; i < n; i++)
        bind_threshold(pc, tg, config_setting_get_elem(t, (unsigned)i));
    return ip_probe_err(pc->probe) - before;
}

/* A fault command's placeholders must be %{name} or %%; what names exist, the plugin says
 * when it runs the action. */
static int check_placeholders(struct ip_probe *g, const char *key, const char *cmd)
{
    for (const char *p = cmd; *p; p++) {
        const char *q;

        if (p[0] != '%')
            continue;
        if (p[1] == '%') {
            p++;
            continue;
        }
        if (p[1] != '{')
            continue;
        for (q = p + 2; (*q >= 'a' && *q <= 'z') || *q == '_'; q++)
            ;
        if (*q != '}' || q == p + 2) {
            ip_probe_fail(g, key, "\"%s\": a placeholder is %%{name} (a-z and _)", cmd);
            return -1;
        }
        p = q;
    }
    return 0;
}

/* failover = { stop = "..."; start = "..."; timeout = 30.0; action_timeout = 10.0; } */
static void bind_drill(struct probe_conf *pc)
{
    config_setting_t *f = probe_take(pc->probe, "failover");
    struct ip_probe *g;
    int n;

    /* Declared, never guessed from a name (the loader flags an ABI 1 plugin's by name). */
    for (const struct ip_check_decl *d = pc->plugin->checks; d->name; d++)
        if (d->flags & IP_CHECK_DRILL)
            pc->drills = 1;
    pc->drill.timeout = 30.0;
    pc->drill.action_timeout = 10.0;
    if (!f)
        return;
    g = ip_probe_group(pc->probe, "failover");
    if (config_setting_type(f) != CONFIG_TYPE_GROUP)
        return;
    if (!pc->drills) {
        probe_error(pc->probe, f, "failover: plugin %s has no drill", pc->plugin->name);
        probe_reported(f);
        return;
    }
    pc->drill.timeout = core_duration(g, "timeout", 30.0);
    pc->drill.action_timeout = core_duration(g, "action_timeout", 10.0);
    n = config_setting_length(f);
    pc->actions = calloc((size_t)n + 1, sizeof(*pc->actions));
    for (int i = 0; pc->actions && i < n; i++) {
        config_setting_t *s = config_setting_get_elem(f, (unsigned)i);
        const char *name = config_setting_name(s), *cmd;

        if (!strcmp(name, "timeout") || !strcmp(name, "action_timeout"))
            continue;
        if (config_setting_type(s) != CONFIG_TYPE_STRING) {
            ip_probe_fail(g, name, "expected a shell command");
            probe_reported(s);
            continue;
        }
        cmd = ip_probe_string(g, name, NULL);
        if (cmd && check_placeholders(g, name, cmd) == 0) {
            pc->actions[pc->drill.nactions].name = name;
            pc->actions[pc->drill.nactions].command = cmd;
            pc->drill.nactions++;
        }
    }
    pc->drill.actions = pc->actions;
}

static int in_list(const char *const *list, const char *name)
{
    while (list && *list && strcmp(*list, name) != 0)
        list++;
    return list && *list;
}

/* The list `key` (checks or skip), each name one the plugin declares; NULL when unset. */
static const char *const *check_list(struct probe_conf *pc, const char *key,
                                     config_setting_t **where)
{
    config_setting_t *s = config_setting_get_member(pc->setting, key);
    const char *const *names = ip_probe_strings(pc->probe, key, NULL);

    *where = s;
    if (!s)
        return NULL;
    if (!names[0])
        probe_error(pc->probe, s, "%s: an empty list", key);
    for (size_t i = 0; names[i]; i++) {
        const struct ip_check_decl *d = pc->plugin->checks;

        while (d->name && strcmp(d->name, names[i]) != 0)
            d++;
        if (!d->name)
            probe_error(pc->probe, s, "%s: plugin %s has no check \"%s\"", key, pc->plugin->name,
                        names[i]);
    }
    return names;
}

/* read_only = true; checks = [ ... ] or skip = [ ... ]: which declared checks the probe's runs
 * skip, and why. */
static void bind_selection(struct probe_conf *pc)
{
    int read_only = ip_probe_bool(pc->probe, "read_only", 0);
    config_setting_t *cs, *ss;
    const char *const *only = check_list(pc, "checks", &cs);
    const char *const *skip = check_list(pc, "skip", &ss);
    size_t n = 0;

    if (cs && ss)
        probe_error(pc->probe, ss, "skip: set checks or skip, not both");
    if (!read_only && !cs && !ss)
        return;
    while (pc->plugin->checks[n].name)
        n++;
    pc->disabled = calloc(n + 1, sizeof(*pc->disabled));
    for (size_t i = 0; pc->disabled && i < n; i++) {
        const struct ip_check_decl *d = &pc->plugin->checks[i];

        if (only && !in_list(only, d->name))
            pc->disabled[i] = "not in the probe's checks = [ ... ]";
        else if (in_list(skip, d->name))
            pc->disabled[i] = "in the probe's skip = [ ... ]";
        else if (read_only && (d->flags & IP_CHECK_WRITES))
            pc->disabled[i] = "read_only = true (the check writes to the backend)";
    }
    if (!pc->disabled)
        probe_error(pc->probe, NULL, "out of memory");
}

/* The checks a light run skips: those every run skips, and those that load the backend. */
static void bind_light(struct probe_conf *pc)
{
    size_t n = 0, loads = 0;

    for (; pc->plugin->checks[n].name; n++)
        loads += (pc->plugin->checks[n].flags & IP_CHECK_LOADS) != 0;
    if (!loads || pc->load_every <= 1)
        return;
    pc->light_disabled = calloc(n + 1, sizeof(*pc->light_disabled));
    if (!pc->light_disabled ||
        asprintf(&pc->light_reason,
                 "loads the backend: runs in one daemon run of %lld (load_checks_every = %lld)",
                 pc->load_every, pc->load_every) < 0) {
        pc->light_reason = NULL;
        probe_error(pc->probe, NULL, "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        pc->light_disabled[i] = pc->disabled ? pc->disabled[i] : NULL;
        if (!pc->light_disabled[i] && (pc->plugin->checks[i].flags & IP_CHECK_LOADS))
            pc->light_disabled[i] = pc->light_reason;
    }
}

int conf_bind(struct conf *c, const char *const *only)
{
    int errors = 0;

    for (size_t i = 0; i < c->nprobes; i++) {
        struct probe_conf *pc = &c->probes[i];
        config_setting_t *ps = config_setting_get_member(pc->setting, "plugin");
        char err[1024];
        int before = ip_probe_err(pc->probe);

        if (only) {
            size_t j = 0;

            while (only[j] && strcmp(only[j], pc->name) != 0)
                j++;
            if (!only[j])
                continue;
        }
        if (!pc->plugin_name)
            continue;
        pc->plugin = loader_get(pc->plugin_name, err, sizeof(err));
        if (!pc->plugin) {
            probe_error(pc->probe, ps, "%s", err);
            errors++;
            continue;
        }
        if (pc->plugin->flags & IP_PLUGIN_OWN_PROCESS)
            pc->isolation = ISOLATION_PROCESS;
        bind_thresholds(pc);
        bind_drill(pc);
        bind_selection(pc);
        bind_light(pc);
        if (loader_setup(pc->plugin, pc->probe, &pc->state) != 0) {
            if (ip_probe_err(pc->probe) == before) /* never fail without a word */
                probe_error(pc->probe, NULL, "plugin %s: setup failed", pc->plugin->name);
            pc->state = NULL;
        } else if (ip_probe_err(pc->probe) != before) {
            pc->plugin->teardown(pc->state);
            pc->state = NULL;
        } else {
            pc->ready = 1;
        }
        probe_unread(pc->probe);
        errors += ip_probe_err(pc->probe) - before;
    }
    return errors;
}

void conf_release(struct conf *c)
{
    for (size_t i = 0; i < c->nprobes; i++) {
        struct probe_conf *pc = &c->probes[i];

        if (pc->ready)
            pc->plugin->teardown(pc->state);
        free(pc->thresholds);
        free(pc->actions);
        free(pc->disabled);
        free(pc->light_disabled);
        free(pc->light_reason);
        probe_free(pc->probe);
    }
    free(c->probes);
    probe_free(c->core);
    config_destroy(&c->cfg);
}

void conf_free(struct conf *c)
{
    conf_release(c);
    loader_shutdown();
}
