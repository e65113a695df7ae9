/*
 * The runs of format_fixture.h, built field by field as the core's report would hold them
 * (every string malloc'ed), so that the format tests need no plugin and no clock.
 */
#include "config.h"

#include "format_fixture.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *fx_alloc(size_t n)
{
    void *p = calloc(1, n);

    if (!p) {
        perror("format_fixture");
        abort();
    }
    return p;
}

static char *fx_dup(const char *s)
{
    char *p;

    if (!s)
        return NULL;
    p = fx_alloc(strlen(s) + 1);
    memcpy(p, s, strlen(s) + 1);
    return p;
}

static struct run_result *fx_run(enum ip_status status, double duration)
{
    struct run_result *run = fx_alloc(sizeof(*run));

    run->status = status;
    run->duration = duration;
    run->probes = fx_alloc(8 * sizeof(*run->probes));
    return run;
}

static struct ip_report *fx_probe(struct run_result *run, const char *name, const char *plugin,
                                  enum ip_status status, double duration)
{
    struct ip_report *p = fx_alloc(sizeof(*p));

    p->probe = fx_dup(name);
    p->plugin = fx_dup(plugin);
    p->run_id = fx_dup("00000000-fixture");
    p->status = status;
    p->duration = duration;
    p->checks_cap = 8;
    p->checks = fx_alloc(p->checks_cap * sizeof(*p->checks));
    p->metrics_cap = 8;
    p->metrics = fx_alloc(p->metrics_cap * sizeof(*p->metrics));
    run->probes[run->nprobes++] = p;
    return p;
}

/* A latency check (warn and crit in ms). */
static struct check_result *fx_check(struct ip_report *p, const char *name, const char *target,
                                     enum ip_status status, double seconds, const char *message,
                                     double warn, double crit)
{
    struct check_result *c = &p->checks[p->nchecks++];

    c->name = fx_dup(name);
    c->target = fx_dup(target);
    c->status = status;
    c->duration = seconds;
    c->message = fx_dup(message);
    c->kind = IP_LATENCY;
    c->has_warn = warn != 0;
    c->has_crit = crit != 0;
    c->warn = warn;
    c->crit = crit;
    return c;
}

static void fx_value(struct check_result *c, enum ip_check_kind kind, double value,
                     const char *unit, double warn, double crit)
{
    c->kind = kind;
    c->has_value = 1;
    c->value = value;
    c->unit = fx_dup(unit);
    c->has_warn = warn != 0;
    c->has_crit = crit != 0;
    c->warn = warn;
    c->crit = crit;
}

/* Labels: name, value pairs ending with NULL. */
static void fx_metric(struct ip_report *p, enum ip_metric_type type, const char *name,
                      const char *help, const char *target, double value, ...)
{
    struct metric_result *m = &p->metrics[p->nmetrics++];
    const char *s;
    size_t n = 0;
    va_list ap;

    m->type = type;
    m->name = fx_dup(name);
    m->help = fx_dup(help);
    m->target = fx_dup(target);
    m->value = value;
    va_start(ap, value);
    while ((s = va_arg(ap, const char *)) != NULL) {
        m->labels = realloc(m->labels, (n + 2) * sizeof(*m->labels));
        if (!m->labels)
            abort();
        m->labels[n++] = fx_dup(s);
        m->labels[n] = NULL;
    }
    va_end(ap);
}

struct run_result *fixture_rich(void)
{
    struct run_result *run = fx_run(IP_CRITICAL, 0.0417);
    struct ip_report *p;
    struct check_result *c;

    p = fx_probe(run, "redis-main", "redis", IP_CRITICAL, 0.0031);
    fx_check(p, "connect", "127.0.0.1:6379", IP_OK, 0.00041, "connected", 1, 10);
    fx_check(p, "write", "127.0.0.1:6379", IP_CRITICAL, 0.0123, "SET timed out after 1.000 s", 1,
             10);
    fx_check(p, "read", NULL, IP_OK, 0.0002, "said \"hi\" <b> & 'q' # not a comment \\ back", 1,
             10);
    fx_check(p, "ttl", NULL, IP_WARNING, 0.002, "ttl 59 s < 60 s\nsecond line", 1, 10);
    fx_check(p, "persistence", NULL, IP_SKIPPED, 0, "no persistence # configured", 0, 0);
    fx_check(p, "replication", NULL, IP_UNKNOWN, 0.0007,
             "INFO said \x01 bell\x07 bad \xff byte, caf\xc3\xa9 \xe2\x9c\x93", 0, 0);
    fx_metric(p, IP_GAUGE, "infraprobe_redis_connected_clients", "Clients connected.", NULL, 3,
              "role", "master", NULL);
    fx_metric(p, IP_COUNTER, "infraprobe_redis_commands_total", "Commands processed.",
              "127.0.0.1:6379", 1234, NULL);
    fx_metric(p, IP_GAUGE, "infraprobe_redis_memory_fragmentation_ratio",
              "Fragmentation \\ ratio\nsecond line", NULL, NAN, "note",
              "quote \" back \\ nl \n caf\xc3\xa9", NULL);

    p = fx_probe(run, "kafka-main", "kafka", IP_WARNING, 0.0150);
    /* An unescaped '#' here would make TAP read a "TODO" directive, and prove a pass. */
    c = fx_check(p, "throughput", "#TODO", IP_WARNING, 1.0, "15000 msg/s < 20000 msg/s", 0, 0);
    fx_value(c, IP_VALUE_MIN, 15000, "msg/s", 20000, 10000);
    fx_check(p, "produce", "broker-1:9092", IP_OK, 0.003, "produced", 10, 100);
    fx_check(p, "produce", "broker-2:9092", IP_OK, 0.004, "produced", 10, 100);
    fx_metric(p, IP_COUNTER, "infraprobe_kafka_produced_messages_total", "Messages produced.",
              "broker-1:9092", 100, NULL);
    /* no help */
    fx_metric(p, IP_GAUGE, "infraprobe_kafka_lag_seconds", NULL, NULL, INFINITY, NULL);

    p = fx_probe(run, "redis-replica", "redis", IP_OK, 0.001);
    fx_check(p, "connect", "127.0.0.1:6380", IP_OK, 0.0003, "connected", 1, 10);
    fx_metric(p, IP_GAUGE, "infraprobe_redis_connected_clients", "Clients connected.", NULL, 1,
              "role", "replica", NULL);

    p = fx_probe(run, "etcd <eu> & \"west\" #1", "etcd", IP_CRITICAL, 0.02);
    fx_check(p, "leader", NULL, IP_UNKNOWN, 0.005, "no leader: \"context deadline exceeded\"", 5,
             50);
    c = fx_check(p, "members", NULL, IP_CRITICAL, 0.001, "1 of 3 members healthy", 0, 0);
    fx_value(c, IP_VALUE_MIN, 1, NULL, 3, 2);
    c = fx_check(p, "watch", "host#1:2379", IP_OK, 0.002, "watch ok", 10, 100);
    c->has_value = 1;
    c->value = NAN;

    /* A run abandoned at its deadline: unknown, and no check says so. */
    fx_probe(run, "mysql-main", "mysql", IP_UNKNOWN, 5.0);
    return run;
}

struct run_result *fixture_ok(void)
{
    struct run_result *run = fx_run(IP_OK, 0.002);
    struct ip_report *p = fx_probe(run, "tcp-local", "tcp", IP_OK, 0.0015);

    fx_check(p, "connect", "127.0.0.1:22", IP_OK, 0.0012, "connected", 100, 1000);
    fx_check(p, "expect", "127.0.0.1:22", IP_SKIPPED, 0, "no expect configured", 0, 0);
    fx_metric(p, IP_GAUGE, "infraprobe_tcp_connect_seconds", "Time to connect.", "127.0.0.1:22",
              0.0012, NULL);
    return run;
}

struct run_result *fixture_one(void)
{
    struct run_result *run = fx_run(IP_WARNING, 0.004);
    struct ip_report *p = fx_probe(run, "redis-main", "redis", IP_WARNING, 0.0031);
    struct check_result *c;

    fx_check(p, "connect", "127.0.0.1:6379", IP_OK, 0.00041, "connected", 1, 10);
    fx_check(p, "write", NULL, IP_OK, 0.0005, "SET ok", 1, 10);
    fx_check(p, "read", "it's here=1", IP_OK, 0.0002, "GET ok", 1, 10);
    c = fx_check(p, "pool", NULL, IP_WARNING, 0.0001, "3 idle connections, want 5", 0, 0);
    fx_value(c, IP_VALUE_MIN, 3, NULL, 5, 2);
    c = fx_check(p, "persistence", NULL, IP_OK, 0.0003, "rdb 2048 bytes", 0, 0);
    fx_value(c, IP_VALUE_MAX, 2048, "bytes", 1048576, 0);
    fx_check(p, "ttl", NULL, IP_SKIPPED, 0, "no ttl | configured", 1, 10);
    return run;
}

void fixture_free(struct run_result *run)
{
    if (!run)
        return;
    for (size_t i = 0; i < run->nprobes; i++) {
        struct ip_report *p = run->probes[i];

        for (size_t j = 0; j < p->nchecks; j++) {
            free(p->checks[j].name);
            free(p->checks[j].target);
            free(p->checks[j].message);
            free(p->checks[j].unit);
            free(p->checks[j].hint);
        }
        for (size_t j = 0; j < p->nmetrics; j++) {
            free(p->metrics[j].name);
            free(p->metrics[j].help);
            free(p->metrics[j].target);
            for (char **l = p->metrics[j].labels; l && *l; l++)
                free(*l);
            free(p->metrics[j].labels);
        }
        free(p->checks);
        free(p->metrics);
        free(p->probe);
        free(p->plugin);
        free(p->run_id);
        free(p);
    }
    free(run->probes);
    free(run);
}
