/*
 * The core's log: see logging.h.
 */
#include "config.h"

#include "logging.h"

#include <stdio.h>
#include <string.h>

#include <infraprobe/plugin.h>

void logging_init(int verbose, int quiet, int use_syslog)
{
    int priority = quiet ? LOG_ERR : verbose >= 2 ? LOG_DEBUG : verbose ? LOG_INFO : LOG_NOTICE;
    enum log_dest dest = LOG_DEST_STDERR;

    if (use_syslog)
        dest = LOG_DEST_SYSLOG;
    else if (log_stderr_is_journal())
        dest = LOG_DEST_JOURNAL;
    log_setup(priority, dest);
}

/* Append ", " (unless first) and `s` to buf, as far as it fits. */
static void append(char *buf, size_t size, int first, const char *s)
{
    size_t n = strlen(buf);

    snprintf(buf + n, size - n, "%s%s", first ? "" : ", ", s);
}

void logging_started(const struct conf *c, const char *outputs, const char *listeners)
{
    char probes[1024] = "", plugins[512] = "";
    size_t n = 0, np = 0;

    for (size_t i = 0; i < c->nprobes; i++) {
        const struct probe_conf *pc = &c->probes[i];
        int seen = 0;

        if (!pc->ready)
            continue;
        append(probes, sizeof(probes), n++ == 0, pc->name);
        for (size_t j = 0; j < i; j++)
            seen |= c->probes[j].ready && c->probes[j].plugin == pc->plugin;
        if (!seen)
            append(plugins, sizeof(plugins), np++ == 0, pc->plugin->name);
    }
    log_msg(LOG_NOTICE,
            "infraprobe %s (plugin ABI %d) started: configuration %s; %zu probe%s (%s); "
            "plugin%s %s; output %s; listeners %s",
            PACKAGE_VERSION, IP_PLUGIN_ABI, c->file, n, n == 1 ? "" : "s", probes,
            np == 1 ? "" : "s", np ? plugins : "none", outputs, listeners ? listeners : "none");
}

/* The check that made the run's status (the first of that status): the cause to log. */
static const struct check_result *cause(const struct ip_report *rep)
{
    for (size_t i = 0; i < rep->nchecks; i++)
        if (rep->checks[i].status == rep->status)
            return &rep->checks[i];
    return NULL;
}

/* ok and skipped read alike: a probe whose checks are all skipped is not failing. */
static int healthy(int status)
{
    return status == IP_OK || status == IP_SKIPPED;
}

/* "write 127.0.0.1:6379: SET timed out": the check, its target and its message. */
static void describe(char *buf, size_t size, const struct check_result *c)
{
    if (!c)
        snprintf(buf, size, "no check says why");
    else if (c->target)
        snprintf(buf, size, "%s %s: %s", c->name, c->target, c->message);
    else
        snprintf(buf, size, "%s: %s", c->name, c->message);
}

void logging_status(const char *probe, int before, const struct ip_report *rep)
{
    const char *now = ip_status_name(rep->status);
    char from[32] = "", why[1024];

    if (before == (int)rep->status || (before >= 0 && healthy(before) && healthy(rep->status)))
        return;
    if (before >= 0)
        snprintf(from, sizeof(from), "%s -> ", ip_status_name((enum ip_status)before));
    if (healthy(rep->status)) {
        log_msg(before < 0 ? LOG_INFO : LOG_NOTICE, "probe \"%s\": %s%s", probe, from, now);
        return;
    }
    describe(why, sizeof(why), cause(rep));
    log_msg(rep->status == IP_WARNING ? LOG_WARNING : LOG_ERR, "probe \"%s\": %s%s: %s", probe,
            from, now, why);
}

void logging_summary(char *buf, size_t size, const int *status, size_t n)
{
    static const enum ip_status order[] = {IP_CRITICAL, IP_UNKNOWN, IP_WARNING, IP_OK, IP_SKIPPED};
    size_t count[5] = {0}, waiting = 0;

    for (size_t i = 0; i < n; i++) {
        if (status[i] >= 0 && status[i] <= IP_SKIPPED)
            count[status[i]]++;
        else
            waiting++;
    }
    snprintf(buf, size, "%zu probe%s:", n, n == 1 ? "" : "s");
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        if (count[order[i]]) {
            size_t k = strlen(buf);

            snprintf(buf + k, size - k, " %zu %s,", count[order[i]], ip_status_name(order[i]));
        }
    }
    if (waiting) {
        size_t k = strlen(buf);

        snprintf(buf + k, size - k, " %zu not run yet,", waiting);
    }
    if (buf[strlen(buf) - 1] == ',')
        buf[strlen(buf) - 1] = '\0';
}
