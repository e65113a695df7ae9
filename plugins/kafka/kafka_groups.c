/*
 * The groups check: for each watched consumer group, its state (DescribeConsumerGroups) and its
 * lag per partition, the committed offset (ListConsumerGroupOffsets, one group per request in
 * librdkafka 2.0.2) against the partition's high watermark, as Burrow and kafka_exporter report
 * it. The check's value is the group's total lag; the worst partition's lag has thresholds of
 * its own (partition_lag_warn, partition_lag_crit).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_plugin.h"

struct kafka_lag {
    long long total, worst;
    char worst_at[300]; /* topic/partition */
    int partitions;
    char err[512]; /* the first partition whose lag is unknown */
};

static void kafka_describe_fn(rd_kafka_t *rk, void *arg, const rd_kafka_AdminOptions_t *o,
                              rd_kafka_queue_t *q)
{
    rd_kafka_DescribeConsumerGroups(rk, (const char **)arg, 1, o, q);
}

static void kafka_offsets_fn(rd_kafka_t *rk, void *arg, const rd_kafka_AdminOptions_t *o,
                             rd_kafka_queue_t *q)
{
    rd_kafka_ListConsumerGroupOffsets(rk, (rd_kafka_ListConsumerGroupOffsets_t **)arg, 1, o, q);
}

/* The group's state name, or -1 with why in err. */
static int kafka_group_state(struct kafka_run *r, const char *group, double deadline, char *state,
                             size_t len, char *err, size_t errlen)
{
    rd_kafka_event_t *ev =
        kafka_admin_call(r, "DescribeConsumerGroups", RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS,
                         deadline, 0, kafka_describe_fn, &group, err, errlen);
    const rd_kafka_ConsumerGroupDescription_t **g = NULL;
    const rd_kafka_error_t *ge = NULL;
    size_t n = 0;
    int rc = -1;

    if (ev && !rd_kafka_event_error(ev)) {
        g = rd_kafka_DescribeConsumerGroups_result_groups(
            rd_kafka_event_DescribeConsumerGroups_result(ev), &n);
        ge = n ? rd_kafka_ConsumerGroupDescription_error(g[0]) : NULL;
        if (!n || ge)
            snprintf(err, errlen, "DescribeConsumerGroups: %s",
                     ge ? rd_kafka_error_string(ge) : "no result");
        else
            rc = 0;
    }
    if (rc == 0)
        snprintf(state, len, "%s",
                 rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(g[0])));
    if (ev)
        rd_kafka_event_destroy(ev);
    return rc;
}

/* The group's committed offsets (a copy the caller destroys), or NULL with why in err. */
static rd_kafka_topic_partition_list_t *kafka_group_offsets(struct kafka_run *r, const char *group,
                                                            double deadline, char *err,
                                                            size_t errlen)
{
    rd_kafka_ListConsumerGroupOffsets_t *req = rd_kafka_ListConsumerGroupOffsets_new(group, NULL);
    rd_kafka_event_t *ev =
        kafka_admin_call(r, "ListConsumerGroupOffsets", RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS,
                         deadline, 0, kafka_offsets_fn, &req, err, errlen);
    rd_kafka_topic_partition_list_t *l = NULL;

    if (ev && !rd_kafka_event_error(ev)) {
        size_t n = 0;
        const rd_kafka_group_result_t **gr = rd_kafka_ListConsumerGroupOffsets_result_groups(
            rd_kafka_event_ListConsumerGroupOffsets_result(ev), &n);
        const rd_kafka_error_t *ge = n ? rd_kafka_group_result_error(gr[0]) : NULL;

        if (!n || ge)
            snprintf(err, errlen, "ListConsumerGroupOffsets: %s",
                     ge ? rd_kafka_error_string(ge) : "no result");
        else
            l = rd_kafka_topic_partition_list_copy(rd_kafka_group_result_partitions(gr[0]));
    }
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_ListConsumerGroupOffsets_destroy(req);
    return l;
}

/* Lag of each committed partition against its high watermark, with a metric each. */
static void kafka_lag_of(struct kafka_run *r, const char *group,
                         const rd_kafka_topic_partition_list_t *l, double deadline,
                         struct kafka_lag *lag)
{
    for (int i = 0; i < l->cnt; i++) {
        const rd_kafka_topic_partition_t *p = &l->elems[i];
        int64_t lo, hi;
        rd_kafka_resp_err_t e;
        char part[16];
        long long v;

        if (p->offset < 0 || p->err)
            continue; /* nothing committed there */
        e = rd_kafka_query_watermark_offsets(r->rk, p->topic, p->partition, &lo, &hi,
                                             kafka_ms(deadline));
        if (e) {
            if (!lag->err[0])
                snprintf(lag->err, sizeof(lag->err), "%s/%d: high watermark: %s", p->topic,
                         p->partition, rd_kafka_err2str(e));
            continue;
        }
        v = hi > p->offset ? (long long)(hi - p->offset) : 0;
        lag->total += v;
        lag->partitions++;
        if (v > lag->worst || !lag->worst_at[0]) {
            lag->worst = v;
            snprintf(lag->worst_at, sizeof(lag->worst_at), "%s/%d", p->topic, p->partition);
        }
        snprintf(part, sizeof(part), "%d", p->partition);
        ip_metric(r->rep, IP_GAUGE, "group_lag", NULL,
                  "messages between a group's committed offset and the high watermark", group,
                  (const char *[]){"topic", p->topic, "partition", part, NULL}, (double)v);
    }
}

static enum ip_status kafka_lag_status(const struct kafka_state *st, const struct kafka_lag *lag)
{
    if (st->partition_lag_crit >= 0 && lag->worst > st->partition_lag_crit)
        return IP_CRITICAL;
    if (st->partition_lag_warn >= 0 && lag->worst > st->partition_lag_warn)
        return IP_WARNING;
    return lag->err[0] ? IP_UNKNOWN : IP_OK;
}

static void kafka_group_check(struct kafka_run *r, const char *group)
{
    double t0 = ip_clock(), deadline = kafka_end(r);
    struct kafka_lag lag = {0};
    rd_kafka_topic_partition_list_t *l;
    char state[64], err[1024];

    if (kafka_group_state(r, group, deadline, state, sizeof(state), err, sizeof(err)) != 0 ||
        !(l = kafka_group_offsets(r, group, deadline, err, sizeof(err)))) {
        ip_check(r->rep, "groups", group, IP_CRITICAL, ip_clock() - t0, "%s: %s", group, err);
        return;
    }
    kafka_lag_of(r, group, l, deadline, &lag);
    rd_kafka_topic_partition_list_destroy(l);
    if (strcmp(state, "Dead") == 0 && !lag.partitions) {
        ip_check(r->rep, "groups", group, IP_CRITICAL, ip_clock() - t0,
                 "%s: no such group (state Dead, no committed offsets)", group);
        return;
    }
    ip_check_value(r->rep, "groups", group, kafka_lag_status(r->st, &lag), ip_clock() - t0,
                   (double)lag.total,
                   "%s: state %s, lag %lld over %d partitions, worst %lld (%s)%s%s", group, state,
                   lag.total, lag.partitions, lag.worst, lag.worst_at[0] ? lag.worst_at : "-",
                   lag.err[0] ? "; " : "", lag.err);
    ip_metric(r->rep, IP_GAUGE, "group_lag_total", NULL, "a group's lag over all its partitions",
              group, NULL, (double)lag.total);
    ip_metric(r->rep, IP_GAUGE, "group_lag_max", NULL, "a group's worst partition's lag", group,
              NULL, (double)lag.worst);
}

void kafka_groups_check(struct kafka_run *r)
{
    for (size_t i = 0; i < r->st->ngroups; i++)
        kafka_group_check(r, r->st->groups[i]);
}
