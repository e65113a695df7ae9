/*
 * infraprobe: run the configured probes once (--once, for CI) or forever on their schedule,
 * and report in the format the reader wants. Exit codes are Nagios's: 0 ok, 1 warning,
 * 2 critical, 3 unknown, and 3 for every usage or configuration error.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <infraprobe/plugin.h>

#include "conf.h"
#include "http.h"
#include "isolate.h"
#include "loader.h"
#include "logging.h"
#include "notify.h"
#include "output.h"
#include "progress.h"
#include "published.h"
#include "reload.h"
#include "report.h"
#include "runner.h"
#include "schedule.h"
#include "signals.h"

#define EXIT_USAGE 3

struct options {
    const char *config;
    const char *output;
    const char *plugin_dir;
    const char *listen; /* --listen: overrides the configuration's */
    enum format format;
    int once;
    int drill;
    int test;
    int list;
    int verbose;
    int quiet;
    int syslog;
    const char *run_probe; /* internal: serve this probe as an isolated child */
    const char **only;     /* --probe NAMEs, NULL-terminated; NULL: all */
    size_t nonly;
};

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: infraprobe [OPTION]...\n"
            "Check that the infrastructure under a service is healthy.\n"
            "\n"
            "  -c, --config FILE      configuration (default " SYSCONFDIR
            "/infraprobe/infra.conf)\n"
            "      --once             run every probe once and exit with the worst status\n"
            "      --drill            also run the drills: stop a leader, a master, a broker on\n"
            "                         purpose and measure the recovery (implies --once)\n"
            "  -t, --test             validate the configuration, without network I/O\n"
            "  -f, --format FORMAT    text, json, junit, tap, prometheus, nagios or html\n"
            "                         (default text)\n"
            "  -o, --output FILE      write the report to FILE (replaced atomically)\n"
            "      --listen ADDR      serve /metrics and the status page on ADDR (host:port;\n"
            "                         daemon only; overrides listen)\n"
            "  -p, --probe NAME       run only this probe (repeatable)\n"
            "      --plugin-dir PATH  search these directories (colon-separated) for plugins\n"
            "                         first, then plugin_dir, then " PKGLIBDIR "\n"
            "      --list-plugins     list the plugins found and exit\n"
            "  -v, --verbose          log more: -v info, -vv debug\n"
            "  -q, --quiet            log errors only\n"
            "      --syslog           log to syslog (default: stderr; the journal's priorities\n"
            "                         when stderr is the journal)\n"
            "  -h, --help             show this help and exit\n"
            "  -V, --version          show the version and exit\n"
            "\n"
            "Exit status (--once): 0 ok, 1 warning, 2 critical, 3 unknown or usage error.\n");
}

static void die_usage(const char *fmt, ...) IP_PRINTF(1, 2);
static void die_usage(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "infraprobe: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'infraprobe --help'.\n");
    signals_exiting();
    exit(EXIT_USAGE);
}

static void parse_args(int argc, char **argv, struct options *o)
{
    enum {
        OPT_ONCE = 256,
        OPT_DRILL,
        OPT_PLUGIN_DIR,
        OPT_LIST,
        OPT_RUN_PROBE,
        OPT_LISTEN,
        OPT_SYSLOG
    };
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"once", no_argument, NULL, OPT_ONCE},
        {"drill", no_argument, NULL, OPT_DRILL},
        {"test", no_argument, NULL, 't'},
        {"format", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},
        {"probe", required_argument, NULL, 'p'},
        {"plugin-dir", required_argument, NULL, OPT_PLUGIN_DIR},
        {"list-plugins", no_argument, NULL, OPT_LIST},
        {"run-probe", required_argument, NULL, OPT_RUN_PROBE},
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},
        {"syslog", no_argument, NULL, OPT_SYSLOG},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c, verbose = 0;

    o->config = SYSCONFDIR "/infraprobe/infra.conf";
    o->format = FORMAT_TEXT;
    o->only = calloc((size_t)argc + 1, sizeof(*o->only));
    if (!o->only)
        exit(EXIT_USAGE);
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":c:tf:o:p:vqhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            o->config = optarg;
            break;
        case OPT_ONCE:
            o->once = 1;
            break;
        case OPT_DRILL:
            /* Disruptive: never on a schedule, so it implies --once. */
            o->drill = o->once = 1;
            break;
        case 't':
            o->test = 1;
            break;
        case 'f':
            if (format_parse(optarg, &o->format) < 0)
                die_usage("--format \"%s\": expected text, json, junit, tap, prometheus, "
                          "nagios or html",
                          optarg);
            break;
        case 'o':
            o->output = optarg;
            break;
        case 'p':
            o->only[o->nonly++] = optarg;
            break;
        case OPT_PLUGIN_DIR:
            o->plugin_dir = optarg;
            break;
        case OPT_LIST:
            o->list = 1;
            break;
        case OPT_RUN_PROBE:
            o->run_probe = optarg;
            break;
        case OPT_LISTEN:
            o->listen = optarg;
            break;
        case 'v':
            verbose++;
            break;
        case 'q':
            o->quiet = 1;
            break;
        case OPT_SYSLOG:
            o->syslog = 1;
            break;
        case 'h':
            usage(stdout);
            signals_exiting();
            exit(0);
        case 'V':
            printf("infraprobe %s (plugin ABI %d)\n", PACKAGE_VERSION, IP_PLUGIN_ABI);
            signals_exiting();
            exit(0);
        case ':':
            die_usage("%s: needs a value", argv[optind - 1]);
            break;
        default:
            die_usage("%s: unknown option", argv[optind - 1]);
        }
    }
    if (optind < argc)
        die_usage("\"%s\": unexpected argument", argv[optind]);
    o->verbose = verbose;
    logging_init(verbose, o->quiet, o->syslog);
}

/* --plugin-dir, then the configuration's plugin_dir, then where `make install` put them. */
static int init_loader(const struct options *o, const char *conf_dir)
{
    char *path = NULL;
    int rc;

    if (asprintf(&path, "%s%s%s%s%s", o->plugin_dir ? o->plugin_dir : "", o->plugin_dir ? ":" : "",
                 conf_dir ? conf_dir : "", conf_dir ? ":" : "", PKGLIBDIR) < 0)
        return -1;
    rc = loader_init(path);
    free(path);
    return rc;
}

/* Write to `path` through a temporary file and rename(), so that a reader (a Prometheus
 * textfile collector, a CI step) never sees half a report. */
struct sink {
    FILE *f;
    char *tmp;
    const char *path;
};

static int sink_open(struct sink *s, const char *path)
{
    int fd;

    memset(s, 0, sizeof(*s));
    s->path = path;
    if (!path) {
        s->f = stdout;
        return 0;
    }
    if (asprintf(&s->tmp, "%s.XXXXXX", path) < 0)
        return -1;
    fd = mkstemp(s->tmp);
    if (fd < 0 || !(s->f = fdopen(fd, "w"))) {
        fprintf(stderr, "infraprobe: --output \"%s\": %s\n", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(s->tmp);
        }
        free(s->tmp);
        return -1;
    }
    fchmod(fd, 0644);
    return 0;
}

static int sink_close(struct sink *s, int ok)
{
    int err = 0;

    if (!s->path) {
        /* A closed pipe or a full disk is an error the caller must hear of, never silence. */
        if (fflush(stdout) == 0 && !ferror(stdout))
            return 0;
        fprintf(stderr, "infraprobe: cannot write the report to stdout: %s\n", strerror(errno));
        return -1;
    }
    if (fclose(s->f) != 0 || !ok)
        err = -1;
    if (!err && rename(s->tmp, s->path) != 0)
        err = -1;
    if (err) {
        fprintf(stderr, "infraprobe: --output \"%s\": %s\n", s->path,
                ok ? strerror(errno) : "not written");
        unlink(s->tmp);
    }
    free(s->tmp);
    return err;
}

/* Can --output be written? Asked before any probe runs: a directory that is missing or not
 * writable is a usage error at start, not an error on every run. */
static int check_output(const char *path)
{
    char *tmp = NULL;
    int fd;

    if (!path)
        return 0;
    if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
        return -1;
    fd = mkstemp(tmp);
    if (fd < 0) {
        fprintf(stderr, "infraprobe: --output \"%s\": %s\n", path, strerror(errno));
        free(tmp);
        return -1;
    }
    close(fd);
    unlink(tmp);
    free(tmp);
    return 0;
}

static int use_colour(const struct sink *s)
{
    const char *no = getenv("NO_COLOR"), *term = getenv("TERM");

    return !s->path && isatty(STDOUT_FILENO) && !(no && *no) && !(term && !strcmp(term, "dumb"));
}

struct once {
    struct run_result run;
    size_t pending;
    struct progress *progress; /* NULL: stderr is no terminal */
};

static void once_done(void *ctx, size_t probe, struct ip_report *report)
{
    struct once *o = ctx;

    o->run.probes[probe] = report;
    o->run.status = ip_status_worst(o->run.status, report ? report->status : IP_UNKNOWN);
    o->pending--;
    if (report)
        progress_probe_done(o->progress, report->probe, report->status);
}

static int exit_code(enum ip_status s)
{
    return s == IP_SKIPPED ? 0 : (int)s;
}

static void once_stop(void *ctx, int sig)
{
    char why[64];

    snprintf(why, sizeof(why), "interrupted by SIG%s", sigabbrev_np(sig));
    fprintf(stderr, "infraprobe: %s: ending the runs, restoring what drills broke\n", why);
    runner_interrupt(ctx, why);
}

/* Queue every selected probe, the progress line watching (from before the first run starts:
 * a short drill passes its phases at once). */
static void once_submit(struct once *o, struct conf *c, struct runner *r)
{
    size_t n = 0;

    for (size_t i = 0; i < c->nprobes; i++)
        n += c->probes[i].ready;
    if ((o->progress = progress_new(stderr, n)))
        report_watch_phases(progress_phase, o->progress);
    for (size_t i = 0; i < c->nprobes; i++) {
        if (c->probes[i].ready && runner_submit(r, i))
            o->pending++;
    }
}

/* Each selected probe once; the report; the worst status as the exit code. */
static int run_once(struct conf *c, const struct options *opt)
{
    struct once o = {.run.status = IP_SKIPPED};
    struct runner *r = NULL;
    struct sink sink;
    size_t n = 0;
    double t0 = ip_clock();
    int code = EXIT_USAGE;

    o.run.probes = calloc(c->nprobes + 1, sizeof(*o.run.probes));
    r = o.run.probes ? runner_new(c, c->workers) : NULL;
    if (!r || signals_start(once_stop, NULL, r) != 0) {
        fprintf(stderr, "infraprobe: cannot start the workers\n");
        goto out;
    }
    once_submit(&o, c, r);
    while (o.pending > 0)
        runner_collect(r, INFINITY, once_done, &o);
    /* Erased before the report; freed only once no run can pass a phase (one abandoned on a
     * thread may still). */
    report_watch_phases(NULL, NULL);
    progress_end(o.progress);
    /* The report lists probes in configuration order, however they finished. */
    for (size_t i = 0; i < c->nprobes; i++)
        if (o.run.probes[i])
            o.run.probes[n++] = o.run.probes[i];
    o.run.nprobes = n;
    o.run.duration = ip_clock() - t0;
    if (n == 0)
        o.run.status = IP_UNKNOWN;

    if (sink_open(&sink, opt->output) == 0) {
        int ok = format_write(opt->format, sink.f, &o.run, use_colour(&sink)) == 0;

        if (sink_close(&sink, ok) == 0)
            code = exit_code(o.run.status);
    }
    if (runner_stuck(r) > 0) {
        /* A plugin is still running on a thread we cannot stop: leave without running
         * destructors or freeing what it may still touch. */
        fflush(NULL);
        _exit(code);
    }
out:
    signals_stop();
    runner_free(r);
    progress_free(o.progress);
    for (size_t i = 0; i < n; i++)
        report_free(o.run.probes[i]);
    free(o.run.probes);
    return code;
}

struct daemon {
    const struct options *opt;
    struct reload rl;  /* the probes run now, across reloads */
    struct conf *conf; /* &rl.view */
    /* Guards `runner` against the signal thread while a reload replaces it. */
    pthread_mutex_t runner_lock;
    struct runner *runner;
    struct published *pub; /* the last complete run of every probe: /metrics, /, textfile */
    struct http *http;
    char listening[128];   /* the listener's URL, for the startup line; "": none */
    int *last;             /* per probe: its latest status, -1 before its first run */
    int last_changed;      /* a status in `last` changed since STATUS= was last made */
    int colour;            /* the runs on stdout in colour: a terminal, no NO_COLOR */
    int textfile_stale;    /* runs ended since the textfile was last written */
    double textfile_next;  /* not rewritten before then (ip_clock) */
    struct schedule sched; /* when each probe is next due */
    double ping;           /* when the next WATCHDOG=1 is due; 0: no watchdog */
    char status[256];      /* the STATUS= systemd was sent last */
    int failed;
    atomic_int stop_sig; /* the signal that asked the daemon to stop */
    atomic_int reload;   /* SIGHUP: reload at the next turn of the loop */
};

static void daemon_done(void *ctx, size_t probe, struct ip_report *report)
{
    struct daemon *d = ctx;

    if (!report)
        return;
    /* The log says when a probe's status changes; each run goes to the outputs. */
    logging_status(report->probe, d->last[probe], report);
    if (d->last[probe] != (int)report->status)
        d->last_changed = 1;
    d->last[probe] = (int)report->status;
    if (d->opt->format != FORMAT_PROMETHEUS && !d->failed &&
        (format_write_probe(d->opt->format, stdout, report, d->colour) < 0 ||
         fflush(stdout) != 0)) {
        log_msg(LOG_ERR, "cannot write to stdout: %s", strerror(errno));
        d->failed = 1;
    }
    /* Complete: from now on what every reader sees of this probe. */
    published_put(d->pub, probe, report);
}

/* The Prometheus textfile: what /metrics shows, replaced atomically. */
static void write_textfile(struct daemon *d)
{
    struct published_view v;
    struct sink sink;

    if (published_view(d->pub, &v) != 0)
        return;
    if (sink_open(&sink, d->opt->output) == 0)
        sink_close(&sink, format_write_page(PAGE_METRICS, sink.f, &v, NULL) == 0);
    published_release(&v);
}

/* At most one rewrite of the textfile a second. A rewrite is every probe's series: once per
 * run, 1,000 probes spread over each second rewrote 700 kB a thousand times a second, where a
 * node exporter reads it once a scrape. */
#define TEXTFILE_PERIOD 1.0

/* `ended`: runs ended just now. The textfile is written when it is stale and its period has
 * passed (or `now` is 0: at the end). */
static void textfile_tick(struct daemon *d, int ended, double now)
{
    if (d->opt->format != FORMAT_PROMETHEUS)
        return;
    d->textfile_stale |= ended;
    if (!d->textfile_stale || (now > 0 && now < d->textfile_next))
        return;
    write_textfile(d);
    d->textfile_stale = 0;
    d->textfile_next = now + TEXTFILE_PERIOD;
}

static void daemon_wake(struct daemon *d)
{
    pthread_mutex_lock(&d->runner_lock);
    if (d->runner)
        runner_wake(d->runner);
    pthread_mutex_unlock(&d->runner_lock);
}

static void daemon_stop(void *ctx, int sig)
{
    struct daemon *d = ctx;

    atomic_store(&d->stop_sig, sig);
    daemon_wake(d);
}

static void daemon_hup(void *ctx)
{
    struct daemon *d = ctx;

    atomic_store(&d->reload, 1);
    daemon_wake(d);
}

/* systemd's one-line STATUS=, sent when it changes. */
static void daemon_status(struct daemon *d)
{
    char status[sizeof(d->status)];

    d->last_changed = 0;
    logging_summary(status, sizeof(status), d->last, d->conf->nprobes);
    if (strcmp(status, d->status) != 0) {
        memcpy(d->status, status, sizeof(status));
        notify_send("STATUS=%s", status);
    }
}

static void daemon_collect(struct daemon *d, double until)
{
    int ended;

    if (d->ping > 0 && until > d->ping)
        until = d->ping;
    if (d->textfile_stale && until > d->textfile_next)
        until = d->textfile_next;
    ended = runner_collect(d->runner, until, daemon_done, d) > 0;
    textfile_tick(d, ended, ip_clock());
    /* A scan of every probe: only when one's status changed, not after every run. */
    if (ended && d->last_changed)
        daemon_status(d);
    /* From the loop that schedules, so that a daemon stuck anywhere misses its watchdog. */
    if (d->ping > 0 && ip_clock() >= d->ping) {
        notify_send("WATCHDOG=1");
        d->ping = ip_clock() + notify_watchdog_interval();
    }
}

/* How long running probes may finish at SIGTERM: shutdown_timeout, or the largest probe
 * timeout, at most 10 s. */
static double grace(const struct conf *c)
{
    double g = 0;

    if (c->shutdown_timeout >= 0)
        return c->shutdown_timeout;
    for (size_t i = 0; i < c->nprobes; i++)
        if (c->probes[i].ready && c->probes[i].timeout > g)
            g = c->probes[i].timeout;
    return g < 10 ? g : 10;
}

/* Stop scheduling; let running probes finish within the grace period, then give up on the
 * rest; every output is written before the process ends, within the grace period + 1 s. */
static void daemon_shutdown(struct daemon *d)
{
    int sig = atomic_load(&d->stop_sig);
    const char *name = sig ? sigabbrev_np(sig) : NULL;
    /* Without a signal, the output failed: no grace, nothing more can be written anyway. */
    double end = ip_clock() + (name ? grace(d->conf) : 0);
    char why[64];

    notify_send("STOPPING=1");
    if (name)
        log_msg(LOG_NOTICE, "SIG%s: stopping", name);
    if (!d->runner) /* a reload could not start the new one */
        return;
    while (runner_pending(d->runner) > 0 && ip_clock() < end)
        daemon_collect(d, end);
    if (runner_pending(d->runner) > 0) {
        if (name)
            snprintf(why, sizeof(why), "abandoned at shutdown (SIG%s)", name);
        else
            snprintf(why, sizeof(why), "abandoned at shutdown (the output failed)");
        runner_interrupt(d->runner, why);
        end = ip_clock() + 0.5;
        while (runner_pending(d->runner) > 0 && ip_clock() < end)
            daemon_collect(d, end);
    }
    textfile_tick(d, 0, 0); /* what ended within the last period */
    fflush(stdout);
}

/* The per-probe state for `n` probes: a kept probe's (map[i], its old index) moves, with its
 * place on the schedule; a new one is due at its own phase of its interval and has published
 * nothing yet; what the probes that left published is dropped. */
static int daemon_remap(struct daemon *d, size_t n, const size_t *map)
{
    int *last = calloc(n + 1, sizeof(*last));

    if (!last || (map && published_remap(d->pub, n, map) != 0) ||
        schedule_remap(&d->sched, &d->rl.view, map, ip_clock(), schedule_wall()) != 0) {
        free(last);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        size_t j = map ? map[i] : RELOAD_NEW;

        last[i] = j == RELOAD_NEW ? -1 : d->last[j];
    }
    free(d->last);
    d->last = last;
    return 0;
}
static int daemon_start_runner(struct daemon *d, struct child **kids)
{
    struct runner *r = runner_new(d->conf, d->conf->workers);

    if (!r) {
        log_msg(LOG_ERR, "cannot start the workers");
        return -1;
    }
    for (size_t i = 0; kids && i < d->conf->nprobes; i++)
        runner_adopt_child(r, i, kids[i]);
    pthread_mutex_lock(&d->runner_lock);
    d->runner = r;
    pthread_mutex_unlock(&d->runner_lock);
    return 0;
}

static void daemon_stop_runner(struct daemon *d)
{
    struct runner *r = d->runner;

    pthread_mutex_lock(&d->runner_lock);
    d->runner = NULL;
    pthread_mutex_unlock(&d->runner_lock);
    runner_free(r);
}

/* Let the runs under way end (their results go out as usual), within their deadlines; 0
 * when the runner is idle and can be replaced. */
static int daemon_drain(struct daemon *d)
{
    while (runner_pending(d->runner) > 0 && !atomic_load(&d->stop_sig) && !d->failed)
        daemon_collect(d, INFINITY);
    if (runner_pending(d->runner) > 0)
        return -1;
    if (runner_stuck(d->runner) > 0) {
        log_msg(LOG_ERR,
                "SIGHUP: not reloaded: %zu run%s abandoned at the deadline still running "
                "(isolation = \"thread\"); still on the previous configuration; a restart "
                "applies the new one",
                runner_stuck(d->runner), runner_stuck(d->runner) == 1 ? "" : "s");
        return -1;
    }
    return 0;
}

static int load(const struct options *opt, struct conf *conf);
static int init_loader(const struct options *o, const char *conf_dir);

/* Replace the runner with one over the new view: kept probes keep their children, the others'
 * are reaped with the old runner. */
static int daemon_switch(struct daemon *d, struct conf *next, const size_t *map)
{
    struct child **kids = calloc(next->nprobes + 1, sizeof(*kids));
    size_t kept = 0;

    if (!kids)
        return -1;
    for (size_t i = 0; i < next->nprobes; i++)
        if (map[i] != RELOAD_NEW) {
            kids[i] = runner_take_child(d->runner, map[i]);
            kept++;
        }
    daemon_stop_runner(d);
    if (reload_commit(&d->rl, next, map) != 0) {
        /* The view did not change: the same probes run on, in new children. */
        log_msg(LOG_ERR, "SIGHUP: out of memory: still on the previous configuration");
        for (size_t i = 0; i < next->nprobes; i++)
            child_free(kids[i], ip_clock());
        free(kids);
        if (daemon_start_runner(d, NULL) != 0)
            d->failed = 1;
        return -1;
    }
    /* From here `next` is the reload's. Its users (and none of the verdicts cached for the
     * old ones) guard the listener. */
    if (http_set_users(d->http, next->http.users, next->http.nusers) != 0)
        log_msg(LOG_ERR, "SIGHUP: out of memory: the listener keeps its previous listen_users");
    if (daemon_remap(d, next->nprobes, map) != 0) {
        log_msg(LOG_ERR, "SIGHUP: out of memory");
        d->failed = 1;
    }
    if (d->failed || daemon_start_runner(d, kids) != 0) {
        for (size_t i = 0; i < next->nprobes; i++)
            child_free(kids[i], ip_clock());
        d->failed = 1;
    }
    log_msg(LOG_NOTICE, "SIGHUP: reloaded %s: %zu probe%s, %zu unchanged", d->opt->config,
            next->nprobes, next->nprobes == 1 ? "" : "s", kept);
    free(kids);
    return 0;
}

/* SIGHUP: the file is loaded and checked first; a file with mistakes (each logged with
 * FILE:LINE) changes nothing. */
static void daemon_reload(struct daemon *d)
{
    struct conf *next = calloc(1, sizeof(*next));
    size_t *map = NULL;
    struct timespec now;

    atomic_store(&d->reload, 0);
    clock_gettime(CLOCK_MONOTONIC, &now);
    notify_send("RELOADING=1\nMONOTONIC_USEC=%llu", (unsigned long long)now.tv_sec * 1000000ULL +
                                                        (unsigned long long)now.tv_nsec / 1000);
    log_msg(LOG_NOTICE, "SIGHUP: reloading %s", d->opt->config);
    if (!next || load(d->opt, next) != 0) {
        log_msg(LOG_ERR, "SIGHUP: %s not reloaded: still on the previous configuration",
                d->opt->config);
        /* The plugins of the running configuration are searched where they were. */
        init_loader(d->opt, d->conf->plugin_dir);
        free(next);
        notify_send("READY=1\nSTATUS=reload failed: %s has errors; still on the previous "
                    "configuration",
                    d->opt->config);
        d->status[0] = '\0';
        return;
    }
    map = calloc(next->nprobes + 1, sizeof(*map));
    if (!map || reload_match(&d->rl, next, map) != 0 || daemon_drain(d) != 0) {
        if (!atomic_load(&d->stop_sig) && !d->failed)
            log_msg(LOG_ERR, "SIGHUP: %s not reloaded", d->opt->config);
        conf_release(next);
        free(next);
    } else if (daemon_switch(d, next, map) != 0) {
        conf_release(next);
        free(next);
    } else if (d->opt->format == FORMAT_PROMETHEUS) {
        write_textfile(d); /* without the probes that left */
    }
    free(map);
    d->status[0] = '\0';
    notify_send("READY=1");
    daemon_status(d);
}

/* The status page reloads itself about as often as the quickest probe runs. */
static int refresh_period(const struct conf *c)
{
    double r = 300;

    for (size_t i = 0; i < c->nprobes; i++)
        if (c->probes[i].ready && c->probes[i].interval < r)
            r = c->probes[i].interval;
    return r < 2 ? 2 : (int)r;
}

/* The listener, when one is configured: 0, or -1 once the reason is said. It serves with the
 * configuration the daemon started with (which lives until the end): a reload changes the
 * probes and the listener's users (daemon_switch), not its address or TLS. */
static int start_listener(struct daemon *d)
{
    struct http_conf *h = &d->rl.first->http;
    char bound[80] = "", err[512];

    if (d->opt->listen)
        h->listen = d->opt->listen;
    if (!h->listen)
        return 0;
    h->refresh = refresh_period(d->rl.first);
    d->http = http_start(h, d->pub, bound, sizeof(bound), err, sizeof(err));
    if (!d->http) {
        log_msg(LOG_ERR, "listen \"%s\": %s", h->listen, err);
        return -1;
    }
    snprintf(d->listening, sizeof(d->listening), "%s://%s/ (/metrics and the status page)",
             h->tls_cert ? "https" : "http", bound);
    log_msg(LOG_NOTICE, "listening on %s", d->listening);
    return 0;
}

/* Everything the daemon holds, however far it got; its runner only when none is stuck. */
static void daemon_free(struct daemon *d)
{
    http_stop(d->http);
    if (d->runner)
        daemon_stop_runner(d);
    published_free(d->pub);
    reload_free(&d->rl);
    free(d->last);
    schedule_free(&d->sched);
    pthread_mutex_destroy(&d->runner_lock);
}

/* The start line of the log: what the runs go to, and where it listens. */
static void daemon_started(struct daemon *d, const struct conf *c)
{
    const struct options *opt = d->opt;
    char outputs[512];

    if (opt->format == FORMAT_PROMETHEUS)
        snprintf(outputs, sizeof(outputs), "prometheus textfile %s",
                 opt->output ? opt->output : "none");
    else
        snprintf(outputs, sizeof(outputs), "%s to stdout", format_name(opt->format));
    logging_started(c, outputs, d->listening[0] ? d->listening : NULL);
    if (notify_watchdog_interval() > 0)
        d->ping = ip_clock() + notify_watchdog_interval();
    notify_send("READY=1");
    daemon_status(d);
}

/* Everything the daemon needs before its first run: 0, or -1 once the reason is said. */
static int daemon_start(struct daemon *d, struct conf *c)
{
    pthread_mutex_init(&d->runner_lock, NULL);
    d->colour = use_colour(&(struct sink){0}); /* once: getenv and isatty() per run cost */
    if (reload_init(&d->rl, c) != 0 || !(d->pub = published_new(c->nprobes)) ||
        daemon_remap(d, c->nprobes, NULL) != 0) {
        fprintf(stderr, "infraprobe: out of memory\n");
        return -1;
    }
    d->conf = &d->rl.view;
    if (start_listener(d) != 0 || daemon_start_runner(d, NULL) != 0)
        return -1;
    if (signals_start(daemon_stop, daemon_hup, d) != 0) {
        fprintf(stderr, "infraprobe: cannot start the workers\n");
        return -1;
    }
    daemon_started(d, c);
    return 0;
}

/* Forever: each probe every `interval`, never two runs of one probe at once; SIGHUP reloads. */
static int run_daemon(struct conf *c, const struct options *opt)
{
    struct daemon d = {.opt = opt};
    int code;

    /* One malloc arena, before the workers start. A run's report is made on a worker and freed
     * by the collector, and with glibc's arena per thread the daemon's RSS kept growing (1,000
     * probes at 1 s: 10 MB to 16 MB in a minute; 10,000: 58 MB to 103 MB in 90 s) where one
     * arena stays flat (62 MB at 10,000); each thread's tcache still serves its small
     * allocations without the arena's lock. */
    mallopt(M_ARENA_MAX, 1);
    if (daemon_start(&d, c) != 0) {
        daemon_free(&d);
        return EXIT_USAGE;
    }
    while (!atomic_load(&d.stop_sig) && !d.failed) {
        if (atomic_load(&d.reload))
            daemon_reload(&d);
        else
            daemon_collect(&d, schedule_run(&d.sched, d.conf, d.runner, ip_clock()));
    }
    /* Also when stdout failed: running probes are ended within the bound, their restores
     * run, and what can still be written is. */
    daemon_shutdown(&d);
    signals_stop();
    code = d.failed ? EXIT_USAGE : 0;
    if (d.runner && runner_stuck(d.runner) > 0) {
        fflush(NULL);
        _exit(code);
    }
    daemon_free(&d);
    return code;
}

/* The child's side of isolation: `infraprobe --run-probe NAME -c FILE`. */
static int serve_probe(const struct options *opt)
{
    const char *only[] = {opt->run_probe, NULL};
    struct conf conf;
    int errors, code = EXIT_USAGE;

    errors = conf_load(&conf, opt->config);
    if (init_loader(opt, conf.plugin_dir) < 0)
        errors++;
    else
        errors += conf_bind(&conf, only);
    if (errors == 0)
        code = isolate_serve(&conf, opt->run_probe);
    conf_free(&conf);
    return code;
}

/* What a child is started with: the same configuration and plugin path, and -v. */
static int init_isolation(const struct options *o)
{
    const char *argv[10] = {"-c", o->config};
    size_t n = 2;

    if (o->plugin_dir) {
        argv[n++] = "--plugin-dir";
        argv[n++] = o->plugin_dir;
    }
    if (o->verbose)
        argv[n++] = o->verbose >= 2 ? "-vv" : "-v";
    if (o->quiet)
        argv[n++] = "-q";
    if (o->syslog)
        argv[n++] = "--syslog";
    return isolate_init("infraprobe", argv);
}

/* A closed stdout must be said, not silently become whatever file is opened next; 0 and 2
 * get /dev/null so that no file we open ever lands on them. */
static int check_std_fds(const struct options *o)
{
    int closed_out = fcntl(STDOUT_FILENO, F_GETFD) < 0;

    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) < 0) {
            int n = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);

            if (n >= 0 && n != fd) {
                dup2(n, fd);
                close(n);
            }
        }
    }
    if (closed_out && !o->output && !o->test && !o->run_probe) {
        fprintf(stderr, "infraprobe: cannot write the report to stdout: it is closed\n");
        return -1;
    }
    return 0;
}

/* --format html and --listen: each in its mode; a bad address said at once. */
static void check_listen(const struct options *opt)
{
    struct sockaddr_storage sa;
    socklen_t len;
    char err[256];

    if (!opt->once && !opt->test && opt->format == FORMAT_HTML)
        die_usage("--format html: needs --once or --drill (it is one document per run)");
    if (opt->listen && opt->once)
        die_usage("--listen: only in daemon mode (without --once or --drill)");
    if (opt->listen && http_parse_listen(opt->listen, &sa, &len, err, sizeof(err)) != 0)
        die_usage("--listen \"%s\": %s", opt->listen, err);
}

/* The combinations of options that make no sense: a usage error, exit 3. */
static void check_modes(const struct options *opt)
{
    if (!opt->once && !opt->test) {
        if (opt->format == FORMAT_JUNIT || opt->format == FORMAT_TAP ||
            opt->format == FORMAT_NAGIOS)
            die_usage("--format %s: needs --once (it is one document per run)",
                      format_name(opt->format));
        if (opt->format != FORMAT_PROMETHEUS && opt->output)
            die_usage("--output: with --format %s, only with --once (the daemon writes a "
                      "probe run per line to stdout)",
                      format_name(opt->format));
        if (opt->format == FORMAT_PROMETHEUS && !opt->output)
            die_usage("--format %s: needs --output FILE (a textfile) when not --once",
                      format_name(opt->format));
    }
    check_listen(opt);
    if (opt->format == FORMAT_NAGIOS && opt->nonly != 1)
        die_usage("--format %s: needs exactly one --probe NAME", "nagios");
}

/* Each --probe NAME must name a probe of the file; returns the mistakes. */
static int check_only(const struct options *opt, const struct conf *conf)
{
    int errors = 0;

    for (size_t i = 0; i < opt->nonly; i++) {
        size_t j = 0;

        while (j < conf->nprobes && strcmp(conf->probes[j].name, opt->only[i]) != 0)
            j++;
        if (j == conf->nprobes) {
            fprintf(stderr, "infraprobe: --probe \"%s\": no such probe in %s\n", opt->only[i],
                    opt->config);
            errors++;
        }
    }
    return errors;
}

/* Load, bind and check the configuration; 0, or EXIT_USAGE once every mistake is said. */
static int load(const struct options *opt, struct conf *conf)
{
    int errors = conf_load(conf, opt->config);

    if (init_loader(opt, conf->plugin_dir) < 0) {
        fprintf(stderr, "infraprobe: cannot initialise the plugin loader\n");
        conf_release(conf);
        return EXIT_USAGE;
    }
    errors += check_only(opt, conf);
    conf->drill = opt->drill;
    conf->once = opt->once;
    /* The plugins' settings are checked even when the core's have mistakes: every mistake
     * is reported in one pass. */
    errors += conf_bind(conf, opt->nonly ? opt->only : NULL);
    if (errors > 0) {
        fprintf(stderr, "%s: %d error%s\n", opt->config, errors, errors == 1 ? "" : "s");
        /* The plugins stay initialised: at a reload, the running configuration uses them. */
        conf_release(conf);
        return EXIT_USAGE;
    }
    return 0;
}

/* -t, --once, --drill or the daemon, on a configuration that loaded. */
static int run(const struct options *opt, struct conf *conf)
{
    size_t n = 0;

    if (opt->test) {
        for (size_t i = 0; i < conf->nprobes; i++)
            n += conf->probes[i].ready;
        printf("%s: ok, %zu probe%s\n", opt->config, n, n == 1 ? "" : "s");
        return 0;
    }
    if (init_isolation(opt) < 0) {
        fprintf(stderr, "infraprobe: out of memory\n");
        return EXIT_USAGE;
    }
    signals_trap_plugins();
    return opt->once ? run_once(conf, opt) : run_daemon(conf, opt);
}

static int infraprobe(struct options *opt)
{
    struct conf conf;
    int code;

    if (check_std_fds(opt) < 0)
        return EXIT_USAGE;
    if (opt->run_probe)
        return serve_probe(opt);
    if (opt->list)
        return init_loader(opt, NULL) < 0 || loader_list(stdout) ? EXIT_USAGE : 0;
    check_modes(opt);
    if (!opt->test && check_output(opt->output) < 0)
        return EXIT_USAGE;
    if (load(opt, &conf) != 0) {
        loader_shutdown();
        return EXIT_USAGE;
    }
    code = run(opt, &conf);
    signals_exiting();
    conf_free(&conf);
    isolate_cleanup();
    return code;
}

int main(int argc, char **argv)
{
    struct options opt = {0};
    int code;

    signals_init();
    notify_init();
    parse_args(argc, argv, &opt);
    code = infraprobe(&opt);
    signals_exiting();
    free(opt.only);
    return code;
}
