/*
 * The log sink: see log.h. A line is formatted whole and written with one write(2), so that
 * lines of concurrent probes (and of isolated children, which share our stderr and read the
 * same JOURNAL_STREAM) never interleave inside a line; the probe's name comes first.
 */
#include "config.h"

#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <infraprobe/plugin.h>

#include "report.h"

/* Written once before any thread runs; read-only afterwards. */
static int max_priority = LOG_NOTICE;
static enum log_dest dest = LOG_DEST_STDERR;

int log_stderr_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    char end;

    if (!js || sscanf(js, "%llu:%llu%c", &dev, &ino, &end) != 2)
        return 0;
    return fstat(STDERR_FILENO, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

static void emit(int priority, const char *line, size_t n)
{
    char buf[8192];
    int k = 0;

    if (dest == LOG_DEST_SYSLOG) {
        syslog(priority, "%.*s", (int)n, line);
        return;
    }
    if (dest == LOG_DEST_JOURNAL)
        k = snprintf(buf, sizeof(buf), "<%d>", priority);
    if (n > sizeof(buf) - (size_t)k - 1)
        n = sizeof(buf) - (size_t)k - 1;
    memcpy(buf + k, line, n);
    /* One message, one line: an embedded newline would start a line without a priority. */
    for (size_t i = (size_t)k; i < (size_t)k + n; i++)
        if (buf[i] == '\n')
            buf[i] = ' ';
    buf[k + n] = '\n';
    (void)!write(STDERR_FILENO, buf, (size_t)k + n + 1);
}

/* stderr as a stream into the sink: a line written there by a library or a plugin is taken
 * for an error (what such lines are), and gets its priority like every other. The FILE's
 * lock, held while this runs, guards the partial line. */
static char partial[4096];
static size_t npartial;

static ssize_t stderr_write(void *cookie, const char *buf, size_t size)
{
    (void)cookie;
    for (size_t i = 0; i < size; i++) {
        if (buf[i] == '\n' || npartial == sizeof(partial)) {
            emit(LOG_ERR, partial, npartial);
            npartial = 0;
            if (buf[i] == '\n')
                continue;
        }
        partial[npartial++] = buf[i];
    }
    return (ssize_t)size;
}

void log_setup(int priority, enum log_dest d)
{
    static const cookie_io_functions_t io = {.write = stderr_write};
    FILE *f;

    max_priority = priority;
    dest = d;
    if (d == LOG_DEST_SYSLOG)
        openlog("infraprobe", LOG_PID, LOG_DAEMON);
    if (d != LOG_DEST_STDERR && (f = fopencookie(NULL, "w", io))) {
        /* glibc's stderr is a variable that may be set (the manual says so). */
        setvbuf(f, NULL, _IOLBF, 0);
        stderr = f;
    }
}

enum log_dest log_destination(void)
{
    return dest;
}

int log_enabled(int priority)
{
    return priority <= max_priority;
}

void log_vmsg(int priority, const char *who, const char *fmt, va_list ap)
{
    char line[4096];
    int n = 0;

    if (!log_enabled(priority))
        return;
    /* syslog names us already (openlog's ident): a core line needs no "infraprobe: ". */
    if (who && !(dest == LOG_DEST_SYSLOG && !strcmp(who, "infraprobe")))
        n = snprintf(line, sizeof(line), "%s: ", who);
    vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    emit(priority, line, strlen(line));
}

void log_msg(int priority, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vmsg(priority, "infraprobe", fmt, ap);
    va_end(ap);
}

/* A plugin's line: "probe: level: message", at the syslog priority of its level. */
static void plugin_line(const char *who, enum ip_log_level level, const char *fmt, va_list ap)
{
    static const int priorities[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
    static const char *const names[] = {"error", "warning", "info", "debug"};
    unsigned l = (unsigned)level <= IP_LOG_DEBUG ? (unsigned)level : IP_LOG_DEBUG;
    char where[512];

    if (!log_enabled(priorities[l]))
        return;
    snprintf(where, sizeof(where), "%s: %s", who, names[l]);
    log_vmsg(priorities[l], where, fmt, ap);
}

void ip_log(const struct ip_probe *probe, enum ip_log_level level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    plugin_line(probe ? ip_probe_name(probe) : "infraprobe", level, fmt, ap);
    va_end(ap);
}

void ip_report_log(const struct ip_report *report, enum ip_log_level level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    plugin_line(report ? report->probe : "infraprobe", level, fmt, ap);
    va_end(ap);
}
