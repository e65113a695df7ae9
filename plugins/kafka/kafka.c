/*
 * The kafka plugin (librdkafka): connect (metadata, brokers, controller), the probe's topic
 * (created through the Admin API when missing), the whole cluster's partitions verdict,
 * produce / consume / ordering with nothing lost, throughput, consumer-group lag, and under
 * --drill the failover of a partition leader. This file holds the vtable, the settings and
 * the order of a run.
 *
 * Files: kafka_client.c (clients bounded by the deadline), kafka_admin.c (metadata, connect,
 * CreateTopics, DeleteGroups), kafka_topic.c and kafka_health.c (the topic and partitions
 * verdicts), kafka_produce.c (produce, throughput), kafka_consume.c (consume, ordering),
 * kafka_groups.c (lag), kafka_drill.c (the failover drill).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_plugin.h"

static const struct ip_check_decl kafka_checks[] = {
    {.name = "connect",
     .help = "metadata from the cluster: brokers, controller",
     .kind = IP_LATENCY,
     .warn = 100,
     .crit = 1000},
    {.name = "topic",
     .help = "the probe's topic exists (or is created) with its partitions and replicas, led, ISR "
             "full",
     .kind = IP_LATENCY},
    {.name = "partitions",
     .help = "the cluster's partitions: offline critical, under-replicated warning",
     .kind = IP_LATENCY},
    {.name = "produce",
     .help = "messages acknowledged with acks=all by an idempotent producer",
     .kind = IP_LATENCY,
     .warn = 500,
     .crit = 5000,
     .flags = IP_CHECK_WRITES},
    {.name = "consume",
     .help = "every produced message read back once by the probe's group",
     .kind = IP_LATENCY,
     .flags = IP_CHECK_WRITES},
    {.name = "ordering",
     .help = "sequences in order within each partition",
     .kind = IP_LATENCY,
     .flags = IP_CHECK_WRITES},
    /* The guide's target: 10,000 msg/s; the issue makes it the critical floor. */
    {.name = "throughput",
     .help = "throughput_messages small messages acknowledged per second",
     .kind = IP_VALUE_MIN,
     .crit = 10000,
     .unit = "msg/s",
     /* throughput_messages produced as fast as the brokers take them: every tenth run in the
      * daemon (load_checks_every). */
     .flags = IP_CHECK_WRITES | IP_CHECK_LOADS},
    {.name = "groups",
     .help = "a watched consumer group's state and total lag",
     .kind = IP_VALUE_MAX,
     .warn = 10000,
     .crit = 100000,
     .unit = "messages"},
    /* A killed broker is fenced after broker.session.timeout.ms (9 s by default) and a new
     * leader elected at once; a stopped one hands its leadership over in well under a second. */
    {.name = "failover",
     .help = "drill: a partition leader stopped; its value the recovery time",
     .kind = IP_VALUE_MAX,
     .warn = 15,
     .crit = 60,
     .unit = "s",
     .flags = IP_CHECK_DRILL},
    {0},
};

static void kafka_teardown(void *state)
{
    struct kafka_state *st = state;

    if (!st)
        return;
    free(st->brokers);
    free(st->topic_buf);
    free(st->group_buf);
    free(st);
}

/* Each comma-separated item of s is host:port. */
static void kafka_check_brokers(struct ip_probe *probe, const char *s)
{
    char *copy = s ? strdup(s) : NULL, *save = NULL;
    int n = 0;

    for (char *b = copy ? strtok_r(copy, ", ", &save) : NULL; b; b = strtok_r(NULL, ", ", &save)) {
        char host[256];
        int port;

        n++;
        if (ip_hostport(b, host, sizeof(host), &port) != 0)
            ip_probe_fail(probe, "brokers", "\"%s\": expected host:port or [v6addr]:port", b);
    }
    if (copy && !n)
        ip_probe_fail(probe, "brokers", "names no broker");
    free(copy);
}

/* `brokers`: a list or one comma-separated string, default ${KAFKA_ADDR}. */
static void kafka_setup_brokers(struct ip_probe *probe, struct kafka_state *st)
{
    const char *const *list;
    size_t n, len = 1;

    if (!ip_probe_has(probe, "brokers")) {
        const char *def = ip_probe_string(probe, "brokers", "${KAFKA_ADDR}");

        st->brokers = def ? strdup(def) : NULL;
        kafka_check_brokers(probe, st->brokers);
        return;
    }
    list = ip_probe_strings(probe, "brokers", &n);
    for (size_t i = 0; i < n; i++)
        len += strlen(list[i]) + 1;
    st->brokers = calloc(1, len);
    for (size_t i = 0; st->brokers && i < n; i++)
        strcat(strcat(st->brokers, i ? "," : ""), list[i]);
    kafka_check_brokers(probe, st->brokers);
}

/* `prefix` + the probe's name, the default of topic and group. */
static const char *kafka_named(const char *set, const char *prefix, const char *name, char **buf)
{
    if (set)
        return set;
    if (asprintf(buf, "%s%s", prefix, name) < 0)
        *buf = NULL;
    return *buf;
}

static void kafka_setup_topic(struct ip_probe *probe, struct kafka_state *st)
{
    st->topic = kafka_named(ip_probe_string(probe, "topic", NULL), "infraprobe.", st->probe_name,
                            &st->topic_buf);
    st->partitions = (int)ip_probe_int(probe, "partitions", 3, 1, 100000);
    st->replication_factor = (int)ip_probe_int(probe, "replication_factor", 3, 1, 1000);
    st->min_insync = (int)ip_probe_int(probe, "min_insync_replicas", 2, 1, 1000);
    if (st->min_insync > st->replication_factor)
        ip_probe_fail(probe, "min_insync_replicas", "= %d: more than replication_factor = %d",
                      st->min_insync, st->replication_factor);
    st->create_topic = ip_probe_bool(probe, "create_topic", 1);
    st->retention = ip_probe_duration(probe, "retention", 3600.0);
    if (st->retention < 1)
        ip_probe_fail(probe, "retention", "must be at least 1 s");
    st->health_topics = ip_probe_strings(probe, "partition_topics", &st->nhealth_topics);
}

static void kafka_setup_messages(struct ip_probe *probe, struct kafka_state *st)
{
    st->messages = (int)ip_probe_int(probe, "messages", 100, 1, 10000000);
    st->throughput_messages = (int)ip_probe_int(probe, "throughput_messages", 100000, 1, 100000000);
    st->message_size = (int)ip_probe_int(probe, "message_size", 100, 1, 1000000);
    st->group = kafka_named(ip_probe_string(probe, "group", NULL), "infraprobe.", st->probe_name,
                            &st->group_buf);
    st->groups = ip_probe_strings(probe, "groups", &st->ngroups);
    st->partition_lag_warn = ip_probe_int(probe, "partition_lag_warn", -1, -1, 1LL << 62);
    st->partition_lag_crit = ip_probe_int(probe, "partition_lag_crit", -1, -1, 1LL << 62);
    st->expected_brokers = (int)ip_probe_int(probe, "expected_brokers", -1, -1, 100000);
    st->drill_partition = (int)ip_probe_int(probe, "drill_partition", 0, 0, 100000);
    if (st->drill_partition >= st->partitions)
        ip_probe_fail(probe, "drill_partition", "= %d: the topic has partitions 0..%d",
                      st->drill_partition, st->partitions - 1);
}

static int kafka_setup(struct ip_probe *probe, void **statep)
{
    struct kafka_state *st = calloc(1, sizeof(*st));

    if (!st)
        return IP_ENOMEM;
    st->probe_name = ip_probe_name(probe);
    kafka_setup_brokers(probe, st);
    kafka_setup_topic(probe, st);
    kafka_setup_messages(probe, st);
    st->rdkafka = ip_probe_strings(probe, "rdkafka", &st->nrdkafka);
    kafka_conf_validate(probe, st->rdkafka, st->nrdkafka);
    st->sasl_password = ip_probe_secret(probe, "sasl_password");
    st->ssl_key_password = ip_probe_secret(probe, "ssl_key_password");
    if (ip_probe_err(probe) || !st->topic || !st->group) {
        kafka_teardown(st);
        return ip_probe_err(probe) ? IP_ECONFIG : IP_ENOMEM;
    }
    *statep = st;
    return 0;
}

/* One broker's addresses, resolved by the deadline, appended to r->bootstrap. */
static int kafka_resolve_one(struct kafka_run *r, const char *hp, double deadline, char *err,
                             size_t errlen)
{
    char host[256], addrs[4][IP_ADDRSTRLEN];
    int port, n = -1;

    if (ip_hostport(hp, host, sizeof(host), &port) == 0)
        n = ip_resolve(host, deadline, addrs, 4, err, errlen);
    for (int i = 0; i < n; i++) {
        size_t used = strlen(r->bootstrap);

        snprintf(r->bootstrap + used, sizeof(r->bootstrap) - used,
                 strchr(addrs[i], ':') ? "%s[%s]:%d" : "%s%s:%d", used ? "," : "", addrs[i], port);
    }
    return n > 0 ? 0 : -1;
}

/* librdkafka resolves without a deadline: give it numeric addresses. 0, or -1 with err. */
static int kafka_resolve(struct kafka_run *r, double deadline, char *err, size_t errlen)
{
    char *copy = strdup(r->st->brokers), *save = NULL;
    int ok = 0;

    if (!copy)
        return -1;
    r->bootstrap[0] = '\0';
    for (char *b = strtok_r(copy, ", ", &save); b; b = strtok_r(NULL, ", ", &save))
        if (kafka_resolve_one(r, b, deadline, err, errlen) == 0)
            ok = 1;
    free(copy);
    return ok ? 0 : -1;
}

static const char *const kafka_after_connect[] = {"topic",    "partitions", "produce", "consume",
                                                  "ordering", "throughput", "groups",  NULL};
static const char *const kafka_after_topic[] = {"produce", "consume", "ordering", "throughput",
                                                NULL};

/* The checks that write to the probe's topic, in order, after the read-only ones. */
static void kafka_writing_checks(struct kafka_run *r)
{
    if (r->topic_ok <= 0) {
        if (r->topic_ok == 0)
            ip_skip_checks(r->rep, r->st->topic, kafka_after_topic, "the topic is not usable");
        return;
    }
    if (ip_check_enabled(r->rep, "produce")) {
        kafka_produce_check(r);
        if (r->produced.acked && ip_check_enabled(r->rep, "consume"))
            kafka_consume_checks(r);
        else if (!r->produced.acked)
            ip_skip_checks(r->rep, r->st->topic, (const char *const[]){"consume", "ordering", NULL},
                           "nothing was acknowledged");
    }
    if (ip_check_enabled(r->rep, "throughput"))
        kafka_throughput_check(r);
}

static void kafka_run_checks(struct kafka_run *r)
{
    char err[1024];

    if (kafka_resolve(r, kafka_end(r), err, sizeof(err)) != 0) {
        ip_check(r->rep, "connect", NULL, IP_CRITICAL, 0, "%s", err);
        ip_skip_checks(r->rep, NULL, kafka_after_connect, "not connected");
        return;
    }
    if (!(r->rk = kafka_producer_new(r, kafka_end(r), err, sizeof(err)))) {
        ip_check(r->rep, "connect", NULL, IP_UNKNOWN, 0, "client: %s", err);
        return;
    }
    kafka_connect_check(r);
    if (!r->nbrokers) {
        ip_skip_checks(r->rep, NULL, kafka_after_connect, "not connected");
        return;
    }
    r->topic_ok = -1;
    if (ip_check_enabled(r->rep, "topic"))
        kafka_topic_check(r);
    if (ip_check_enabled(r->rep, "partitions"))
        kafka_partitions_check(r);
    if (r->st->ngroups && ip_check_enabled(r->rep, "groups"))
        kafka_groups_check(r);
    kafka_writing_checks(r);
    kafka_drill(r);
}

/* The probe's group goes at the end of each run: its offsets were this run's only. */
static void kafka_forget_group(struct kafka_run *r)
{
    char err[512];

    if (!r->rk || !r->group_used) {
        ip_report_log(r->rep, IP_LOG_DEBUG, "group %s: nothing committed", r->st->group);
        return;
    }
    /* After a drill, within the drill's deadline: the core gave the run that much more. */
    if (kafka_delete_group(r, r->st->group,
                           r->drill_end > 0 ? r->drill_end : ip_report_deadline(r->rep), err,
                           sizeof(err)) != 0)
        ip_report_log(r->rep, IP_LOG_WARNING, "group %s not deleted: %s", r->st->group, err);
    else
        ip_report_log(r->rep, IP_LOG_DEBUG, "group %s deleted", r->st->group);
}

static int kafka_run(void *state, struct ip_report *rep)
{
    struct kafka_state *st = state;
    struct kafka_run r = {.st = st, .rep = rep, .controller = -1, .warm_up = -1};
    double now = ip_clock(), left = ip_report_deadline(rep) - now;

    r.end = now + left - (left * 0.1 < 1.0 ? left * 0.1 : 1.0);

    pthread_mutex_init(&r.lock, NULL);
    ip_run_tag(rep, r.tag, sizeof(r.tag));
    kafka_run_checks(&r);
    kafka_forget_group(&r);
    kafka_client_free(r.rk);
    kafka_delivery_free(&r.produced);
    free(r.brokers);
    free(r.leaders);
    pthread_mutex_destroy(&r.lock);
    st->runs++;
    return 0;
}

static int kafka_metrics(void *state, struct ip_report *rep)
{
    const struct kafka_state *st = state;

    ip_metric(rep, IP_COUNTER, "runs", NULL, "runs since start", NULL, NULL, (double)st->runs);
    return 0;
}

IP_EXPORT const struct ip_plugin infraprobe_plugin = {
    IP_PLUGIN_HEADER,
    .name = "kafka",
    .description = "Apache Kafka: cluster health, produce/consume/ordering/throughput, group lag, "
                   "leader failover drill (librdkafka)",
    .checks = kafka_checks,
    .setup = kafka_setup,
    .run = kafka_run,
    .teardown = kafka_teardown,
    .metrics = kafka_metrics,
    .operate = kafka_operate,
};
