/*
 * Logging: lines on stderr, the probe's name first, so that concurrent probes stay readable:
 * ip_log() at setup time, ip_report_log() at run time (an isolated child's stderr is ours, and
 * it gets our -v, so its lines read alike).
 */
#include "config.h"

#include "log.h"

#include <stdarg.h>
#include <stdio.h>

#include <infraprobe/plugin.h>

#include "report.h"

/* Written once before any probe runs; read-only afterwards. */
static enum ip_log_level max_level = IP_LOG_WARNING;

void log_set_level(enum ip_log_level level)
{
    max_level = level;
}

static void vlog(const char *who, enum ip_log_level level, const char *fmt, va_list ap)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};

    if ((unsigned)level > (unsigned)max_level)
        return;
    flockfile(stderr);
    fprintf(stderr, "%s: %s: ", who, names[level <= IP_LOG_DEBUG ? level : IP_LOG_DEBUG]);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    funlockfile(stderr);
}

void ip_log(const struct ip_probe *probe, enum ip_log_level level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vlog(probe ? ip_probe_name(probe) : "infraprobe", level, fmt, ap);
    va_end(ap);
}

void ip_report_log(const struct ip_report *report, enum ip_log_level level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vlog(report ? report->probe : "infraprobe", level, fmt, ap);
    va_end(ap);
}
