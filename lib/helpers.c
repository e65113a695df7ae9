/*
 * Small helpers that every plugin would otherwise write again (issue #11): the checks that
 * a failed connect leaves unrun, the pool's settings group and its nine metrics, and the
 * tag that marks the data a run writes. Built on the public API only.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <infraprobe/plugin.h>

void ip_skip_checks(struct ip_report *report, const char *target, const char *const *names,
                    const char *fmt, ...)
{
    char why[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    for (; names && *names; names++)
        ip_check(report, *names, target, IP_SKIPPED, 0, "%s", why);
}

/* Connections at most, in a pool and idle in it: more is a typo, not a plan. */
#define POOL_MAX_CONNS 100000

void ip_probe_pool(struct ip_probe *probe, struct ip_pool_config *config)
{
    struct ip_probe *group = ip_probe_group(probe, "pool");

    config->max_open = (int)ip_probe_int(group, "max_open", config->max_open, 0, POOL_MAX_CONNS);
    config->max_idle = (int)ip_probe_int(group, "max_idle", config->max_idle, 0, POOL_MAX_CONNS);
    config->max_lifetime = ip_probe_duration(group, "max_lifetime", config->max_lifetime);
    if (config->max_open > 0 && config->max_idle > config->max_open)
        ip_probe_fail(probe, "pool", "max_idle = %d: must not exceed max_open = %d",
                      config->max_idle, config->max_open);
}

void ip_pool_metrics(struct ip_report *report, const struct ip_pool_stats *s, const char *target)
{
    static const struct {
        enum ip_metric_type type;
        const char *name, *unit, *help;
    } m[] = {
        {IP_GAUGE, "pool_max_open", NULL, "the pool's max_open"},
        {IP_GAUGE, "pool_open", NULL, "pool connections open (in use + idle)"},
        {IP_GAUGE, "pool_in_use", NULL, "pool connections in use"},
        {IP_GAUGE, "pool_idle", NULL, "pool connections idle"},
        {IP_COUNTER, "pool_opened", NULL, "pool connections opened"},
        {IP_COUNTER, "pool_wait_count", NULL, "pool acquisitions that waited"},
        {IP_COUNTER, "pool_wait_duration", "seconds", "time spent waiting for the pool"},
        {IP_COUNTER, "pool_max_idle_closed", NULL,
         "pool connections closed because max_idle was reached"},
        {IP_COUNTER, "pool_max_lifetime_closed", NULL,
         "pool connections closed because they passed max_lifetime"},
    };
    const double v[] = {
        s->max_open,
        s->open,
        s->in_use,
        s->idle,
        (double)s->opened,
        (double)s->wait_count,
        s->wait_duration,
        (double)s->max_idle_closed,
        (double)s->max_lifetime_closed,
    };

    for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
        ip_metric(report, m[i].type, m[i].name, m[i].unit, m[i].help, target, NULL, v[i]);
}

const char *ip_run_tag(const struct ip_report *report, char *buf, size_t len)
{
    const char *id = ip_report_run_id(report);
    size_t j = 0;

    if (!len)
        return buf;
    /* The run id is a UUID; keep only what is safe anywhere, to be sure. */
    for (; id && *id && j + 1 < len; id++)
        if ((*id >= '0' && *id <= '9') || (*id >= 'a' && *id <= 'z') ||
            (*id >= 'A' && *id <= 'Z') || *id == '-')
            buf[j++] = *id;
    buf[j] = '\0';
    return buf;
}
