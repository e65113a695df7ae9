/*
 * Logging: lines on stderr, the probe's name first, so that concurrent probes stay readable.
 */
#include "config.h"

#include "log.h"

#include <stdarg.h>
#include <stdio.h>

#include <infraprobe/plugin.h>

/* Written once before any probe runs; read-only afterwards. */
static enum ip_log_level max_level = IP_LOG_WARNING;

void log_set_level(enum ip_log_level level)
{
    max_level = level;
}

void ip_log(const struct ip_probe *probe, enum ip_log_level level, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    va_list ap;

    if (level > max_level)
        return;
    flockfile(stderr);
    fprintf(stderr, "%s: %s: ", probe ? ip_probe_name(probe) : "infraprobe",
            names[level <= IP_LOG_DEBUG ? level : IP_LOG_DEBUG]);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    funlockfile(stderr);
}
