/*
 * The consume and ordering checks: a consumer of the probe's own group, assigned the topic's
 * partitions at the first offsets the produce check's delivery reports gave (no rebalance to
 * wait for), reads until it is past the last of them, counts each message of this run (missing
 * and duplicated) and the sequence order within each partition, then commits its offsets for
 * the group, which the run deletes at its end.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_plugin.h"

struct kafka_reader {
    struct kafka_run *r;
    int parts;
    long long per;      /* messages per partition, at most */
    int *count;         /* per message id (seq * parts + partition) */
    long long *last;    /* per partition: the last sequence seen; -1 none */
    long long *reached; /* per partition: the next offset to read */
    long long out_of_order;
    long long received; /* messages of this run */
    char order_error[256];
};

/* Count one message. */
static void kafka_reader_take(struct kafka_reader *k, const rd_kafka_message_t *m)
{
    int p;
    long long seq;

    if (m->partition >= 0 && m->partition < k->parts && m->offset + 1 > k->reached[m->partition])
        k->reached[m->partition] = m->offset + 1;
    if (kafka_payload_parse(k->r, m->payload, m->len, &p, &seq) != 0 || p != m->partition ||
        p < 0 || p >= k->parts || seq < 0 || seq >= k->per)
        return;
    if (seq <= k->last[p] && !k->count[seq * k->parts + p] && !k->out_of_order++)
        snprintf(k->order_error, sizeof(k->order_error), "partition %d: sequence %lld after %lld",
                 p, seq, k->last[p]);
    k->count[seq * k->parts + p]++;
    k->received++;
    if (seq > k->last[p])
        k->last[p] = seq;
}

/* Has the reader passed every partition's last produced offset? */
static int kafka_reader_done(const struct kafka_reader *k, const struct kafka_delivery *d)
{
    for (int p = 0; p < k->parts; p++)
        if (d->last_offset[p] >= 0 && k->reached[p] <= d->last_offset[p])
            return 0;
    return 1;
}

static rd_kafka_topic_partition_list_t *kafka_assignment(const struct kafka_run *r,
                                                         const struct kafka_delivery *d, int next)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(d->npartitions);

    for (int p = 0; p < d->npartitions; p++)
        if (d->first_offset[p] >= 0)
            rd_kafka_topic_partition_list_add(l, r->st->topic, p)->offset =
                next ? d->last_offset[p] + 1 : d->first_offset[p];
    return l;
}

/* Commit the offsets after what was read, by the deadline: 0, or -1 with err. */
static int kafka_commit(rd_kafka_t *c, rd_kafka_topic_partition_list_t *l, double deadline,
                        char *err, size_t errlen)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(c);
    rd_kafka_event_t *ev;
    int rc = -1;

    rd_kafka_commit_queue(c, l, q, NULL, NULL);
    while (!(ev = rd_kafka_queue_poll(q, kafka_ms(deadline) < 50 ? kafka_ms(deadline) : 50)) &&
           ip_clock() < deadline)
        rd_kafka_poll(c, 0);
    if (!ev)
        snprintf(err, errlen, "commit: no answer by the deadline");
    else if (rd_kafka_event_error(ev))
        snprintf(err, errlen, "commit: %s", rd_kafka_event_error_string(ev));
    else
        rc = 0;
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    return rc;
}

/* Read until past every partition's last offset, or the deadline; the first error in err. */
static void kafka_read(rd_kafka_t *c, struct kafka_reader *k, double deadline, char *err,
                       size_t errlen)
{
    const struct kafka_delivery *d = &k->r->produced;

    while (!kafka_reader_done(k, d) && ip_clock() < deadline) {
        rd_kafka_message_t *m =
            rd_kafka_consumer_poll(c, kafka_ms(deadline) < 100 ? kafka_ms(deadline) : 100);

        if (!m)
            continue;
        if (m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF && !err[0])
            snprintf(err, errlen, "%s", rd_kafka_message_errstr(m));
        else if (!m->err)
            kafka_reader_take(k, m);
        rd_kafka_message_destroy(m);
    }
}

/* missing and duplicated among the acknowledged messages. */
static void kafka_reader_count(const struct kafka_reader *k, long long *missing, long long *dup)
{
    long long n = k->r->st->messages;

    *missing = *dup = 0;
    for (long long id = 0; id < n; id++) {
        if (k->count[id] == 0 && k->r->produced.ok[id])
            (*missing)++;
        else if (k->count[id] > 1)
            *dup += k->count[id] - 1;
    }
}

static void kafka_consume_verdict(struct kafka_run *r, const struct kafka_reader *k, double t0,
                                  const char *err)
{
    long long missing, dup;

    kafka_reader_count(k, &missing, &dup);
    r->consume_missing = missing;
    r->consume_duplicated = dup;
    r->out_of_order = k->out_of_order;
    snprintf(r->order_error, sizeof(r->order_error), "%s", k->order_error);
    if (!missing && !dup)
        ip_check(r->rep, "consume", r->st->topic, IP_OK, ip_clock() - t0,
                 "group %s read all %lld acknowledged messages back, each once%s%s", r->st->group,
                 r->produced.acked, err[0] ? "; " : "", err);
    else
        ip_check(r->rep, "consume", r->st->topic, IP_CRITICAL, ip_clock() - t0,
                 "group %s: %lld of %lld acknowledged messages missing, %lld duplicated%s%s",
                 r->st->group, missing, r->produced.acked, dup, err[0] ? ": " : "", err);
    ip_metric(r->rep, IP_GAUGE, "consume_missing_messages", NULL,
              "consume: acknowledged messages not read back", r->st->topic, NULL, (double)missing);
    ip_metric(r->rep, IP_GAUGE, "consume_duplicated_messages", NULL,
              "consume: messages read back more than once", r->st->topic, NULL, (double)dup);
}

static void kafka_ordering_verdict(struct kafka_run *r, const struct kafka_reader *k,
                                   double seconds)
{
    if (!k->received)
        ip_check(r->rep, "ordering", r->st->topic, IP_UNKNOWN, seconds, "nothing read back");
    else if (!r->out_of_order)
        ip_check(r->rep, "ordering", r->st->topic, IP_OK, seconds,
                 "sequences in order in each of %d partitions", r->topic_partitions);
    else
        ip_check(r->rep, "ordering", r->st->topic, IP_CRITICAL, seconds,
                 "%lld messages out of order; first: %s", r->out_of_order, r->order_error);
    ip_metric(r->rep, IP_GAUGE, "out_of_order_messages", NULL,
              "ordering: messages whose sequence was not above their partition's last",
              r->st->topic, NULL, (double)r->out_of_order);
}

static int kafka_reader_init(struct kafka_reader *k, struct kafka_run *r)
{
    memset(k, 0, sizeof(*k));
    k->r = r;
    k->parts = r->topic_partitions;
    k->per = (r->st->messages + k->parts - 1) / k->parts;
    k->count = calloc((size_t)(k->per * k->parts) + 1, sizeof(*k->count));
    k->last = malloc(sizeof(long long) * (size_t)k->parts);
    k->reached = calloc((size_t)k->parts, sizeof(long long));
    if (!k->count || !k->last || !k->reached)
        return -1;
    for (int p = 0; p < k->parts; p++)
        k->last[p] = -1;
    return 0;
}

static void kafka_reader_free(struct kafka_reader *k)
{
    free(k->count);
    free(k->last);
    free(k->reached);
}

/* A consumer of the probe's group for this run. */
rd_kafka_t *kafka_consumer_new(struct kafka_run *r, double deadline, char *err, size_t errlen)
{
    const char *extra[] = {"group.id",
                           r->st->group,
                           "enable.auto.commit",
                           "false",
                           "enable.auto.offset.store",
                           "false",
                           "allow.auto.create.topics",
                           "false",
                           "fetch.wait.max.ms",
                           "50",
                           "enable.partition.eof",
                           "false",
                           "auto.offset.reset",
                           "earliest",
                           NULL};

    return kafka_client_new(r, RD_KAFKA_CONSUMER, deadline, extra, err, errlen);
}

void kafka_consume_checks(struct kafka_run *r)
{
    /* Half of what is left; the rest is for throughput. */
    double t0 = ip_clock(), deadline = kafka_share(r, 0.5);
    struct kafka_reader k;
    rd_kafka_topic_partition_list_t *l;
    char err[512] = "", why[512];
    rd_kafka_t *c;

    if (kafka_reader_init(&k, r) != 0 || !(c = kafka_consumer_new(r, deadline, why, sizeof(why)))) {
        ip_check(r->rep, "consume", r->st->topic, IP_UNKNOWN, 0, "consumer: %s",
                 k.count ? why : "out of memory");
        kafka_reader_free(&k);
        return;
    }
    l = kafka_assignment(r, &r->produced, 0);
    rd_kafka_assign(c, l);
    rd_kafka_topic_partition_list_destroy(l);
    kafka_read(c, &k, deadline, err, sizeof(err));
    l = kafka_assignment(r, &r->produced, 1);
    if (kafka_reader_done(&k, &r->produced)) {
        if (kafka_commit(c, l, deadline, why, sizeof(why)) == 0)
            r->group_used = 1;
        else if (!err[0])
            snprintf(err, sizeof(err), "%s", why);
    }
    rd_kafka_topic_partition_list_destroy(l);
    kafka_consume_verdict(r, &k, t0, err);
    if (ip_check_enabled(r->rep, "ordering"))
        kafka_ordering_verdict(r, &k, ip_clock() - t0);
    kafka_reader_free(&k);
    kafka_client_free(c);
}
