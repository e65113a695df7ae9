/*
 * Messages through the cluster: the produce check (`messages` messages, acks=all and
 * idempotent, each tagged with the run id and a per-partition sequence, every delivery report
 * a success), the consume and ordering checks (a consumer of the probe's group reads them back
 * from the offsets the reports gave: each exactly once, in order within its partition), and the
 * throughput check. Every wait is a poll bounded by the run's deadline.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_plugin.h"

/* The first and last offsets acknowledged in each partition. */
static void kafka_dr_offsets(struct kafka_delivery *d, const rd_kafka_message_t *m)
{
    if (!d->first_offset || m->partition < 0 || m->partition >= d->npartitions)
        return;
    if (d->first_offset[m->partition] < 0 || m->offset < d->first_offset[m->partition])
        d->first_offset[m->partition] = m->offset;
    if (m->offset > d->last_offset[m->partition])
        d->last_offset[m->partition] = m->offset;
}

void kafka_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    struct kafka_run *r = opaque;
    struct kafka_delivery *d = r->delivery;
    long long id;

    (void)rk;
    if (!d)
        return;
    id = (long long)(intptr_t)m->_private - d->base;
    if (id < 0 || id >= d->limit)
        return; /* a late report of an earlier batch */
    d->done++;
    if (d->report)
        d->report(d->ctx, id, m);
    if (m->err) {
        if (!d->failed++)
            snprintf(d->first_error, sizeof(d->first_error), "%s", rd_kafka_err2str(m->err));
        return;
    }
    d->acked++;
    if (d->ok)
        d->ok[id] = 1;
    if (d->sent) {
        double lat = ip_clock() - d->sent[id];

        d->latency_sum += lat;
        if (lat > d->latency_max)
            d->latency_max = lat;
    }
    kafka_dr_offsets(d, m);
}

int kafka_payload(const struct kafka_run *r, int partition, long long seq, char *buf, size_t len)
{
    return snprintf(buf, len, "%s:%d:%lld", r->tag, partition, seq);
}

int kafka_payload_parse(const struct kafka_run *r, const void *buf, size_t len, int *partition,
                        long long *seq)
{
    size_t tl = strlen(r->tag);
    char s[96];

    if (!buf || len <= tl || memcmp(buf, r->tag, tl) != 0 || ((const char *)buf)[tl] != ':')
        return -1;
    len -= tl + 1;
    if (len >= sizeof(s))
        len = sizeof(s) - 1;
    memcpy(s, (const char *)buf + tl + 1, len);
    s[len] = '\0';
    return sscanf(s, "%d:%lld", partition, seq) == 2 ? 0 : -1;
}

/* Produce one message to `partition`, waiting (by polling) while the local queue is full. */
static rd_kafka_resp_err_t kafka_send(struct kafka_run *r, int partition, const void *val,
                                      size_t len, long long id, double deadline)
{
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            r->rk, RD_KAFKA_V_TOPIC(r->st->topic), RD_KAFKA_V_PARTITION(partition),
            RD_KAFKA_V_VALUE((void *)val, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_OPAQUE((void *)(intptr_t)id), RD_KAFKA_V_END);

        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL || ip_clock() >= deadline)
            return e;
        rd_kafka_poll(r->rk, 5);
    }
}

/* Poll until every produced message has its report or the deadline passes. */
static void kafka_wait_reports(struct kafka_run *r, const struct kafka_delivery *d, long long n,
                               double deadline)
{
    while (d->done < n && ip_clock() < deadline)
        rd_kafka_poll(r->rk, kafka_ms(deadline) < 10 ? kafka_ms(deadline) : 10);
}

/* Produce the produce check's n messages round-robin over the partitions, one call each (its
 * latency is per message, from that call), reports into d; how many were handed to
 * librdkafka. */
static long long kafka_produce_n(struct kafka_run *r, struct kafka_delivery *d, long long n,
                                 double deadline)
{
    int parts = r->topic_partitions;
    long long i;
    char buf[160];

    r->delivery = d;
    for (i = 0; i < n && ip_clock() < deadline; i++) {
        int p = (int)(i % parts), len = kafka_payload(r, p, i / parts, buf, sizeof(buf));
        rd_kafka_resp_err_t e;

        if (d->sent)
            d->sent[i] = ip_clock();
        e = kafka_send(r, p, buf, (size_t)len, d->base + i, deadline);
        if (e) {
            snprintf(d->first_error, sizeof(d->first_error), "produce: %s", rd_kafka_err2str(e));
            break;
        }
        rd_kafka_poll(r->rk, 0);
    }
    kafka_wait_reports(r, d, i, deadline);
    r->delivery = NULL;
    return i;
}

/* One message to each partition, acknowledged (or not: at most until `deadline`) before a
 * check's clock starts. A run's producer is new: its first write waits for its producer id,
 * the topic's leaders in its metadata, a connection to each, and, on a topic created moments
 * ago, for replicas that have only begun to follow. Those are the first run's costs, not the
 * produce's; a cluster that cannot take the warm-up shows it in the timed batch that follows.
 * Its payload is no sequence of this run: consume passes over it. Once per run. */
static void kafka_warm_up(struct kafka_run *r, double deadline)
{
    struct kafka_delivery d;
    double t0 = ip_clock();
    int parts = r->topic_partitions, p;

    if (r->warm_up >= 0)
        return;
    memset(&d, 0, sizeof(d));
    d.base = KAFKA_BASE_WARM_UP;
    d.limit = parts;
    r->delivery = &d;
    for (p = 0; p < parts; p++)
        if (kafka_send(r, p, "warm-up", 7, d.base + p, deadline) != 0)
            break;
    kafka_wait_reports(r, &d, p, deadline);
    r->delivery = NULL;
    r->warm_up = ip_clock() - t0;
    ip_report_log(r->rep, IP_LOG_DEBUG, "warm-up: %lld of %d messages acknowledged in %.3f s%s%s",
                  d.acked, parts, r->warm_up, d.first_error[0] ? ": " : "", d.first_error);
    ip_metric(r->rep, IP_GAUGE, "produce_warm_up", "seconds",
              "the producer's warm-up (a message to each partition) before produce and throughput",
              r->st->topic, NULL, r->warm_up);
}

static int kafka_delivery_init(struct kafka_delivery *d, int parts, long long n)
{
    memset(d, 0, sizeof(*d));
    d->npartitions = parts;
    d->base = KAFKA_BASE_PRODUCE;
    d->limit = n;
    d->sent = calloc((size_t)n + 1, sizeof(*d->sent));
    d->ok = calloc((size_t)n + 1, 1);
    d->first_offset = malloc(sizeof(long long) * (size_t)parts);
    d->last_offset = malloc(sizeof(long long) * (size_t)parts);
    if (!d->sent || !d->ok || !d->first_offset || !d->last_offset)
        return -1;
    for (int p = 0; p < parts; p++)
        d->first_offset[p] = d->last_offset[p] = -1;
    return 0;
}

void kafka_delivery_free(struct kafka_delivery *d)
{
    free(d->sent);
    free(d->ok);
    free(d->first_offset);
    free(d->last_offset);
    memset(d, 0, sizeof(*d));
}

/* " on partition 1 (leader 127.0.0.1:9093), ...": where acknowledgements are missing. */
static void kafka_unacked_where(const struct kafka_run *r, const struct kafka_delivery *d,
                                long long n, char *buf, size_t len)
{
    size_t used = 0;

    buf[0] = '\0';
    for (int p = 0; p < r->topic_partitions && used + 1 < len; p++) {
        long long missing = 0;

        for (long long id = p; id < n; id += r->topic_partitions)
            missing += !d->ok[id];
        if (!missing)
            continue;
        snprintf(buf + used, len - used, "%s partition %d (leader %s)", used ? "," : " on", p,
                 r->leaders && r->leaders[p] >= 0 ? kafka_broker_addr(r, r->leaders[p]) : "none");
        used = strlen(buf);
    }
}

void kafka_produce_check(struct kafka_run *r)
{
    struct kafka_delivery *d = &r->produced;
    long long n = r->st->messages, sent;
    double t0, deadline;
    char where[512];

    kafka_warm_up(r, kafka_share(r, 0.2));
    /* The rest of the run is for consume, ordering and throughput. */
    t0 = ip_clock();
    deadline = kafka_share(r, 0.4);

    if (kafka_delivery_init(d, r->topic_partitions, n) != 0) {
        ip_check(r->rep, "produce", r->st->topic, IP_UNKNOWN, 0, "out of memory");
        return;
    }
    sent = kafka_produce_n(r, d, n, deadline);
    if (d->acked == n) {
        ip_check(r->rep, "produce", r->st->topic, IP_OK, ip_clock() - t0,
                 "%lld messages to %d partitions acknowledged (acks=all, idempotent); latency "
                 "avg %.1f ms, max %.1f ms (after a warm-up of %.1f ms)",
                 n, r->topic_partitions, d->latency_sum / (double)n * 1000, d->latency_max * 1000,
                 r->warm_up * 1000);
    } else {
        char last[512];

        kafka_unacked_where(r, d, n, where, sizeof(where));
        ip_check(r->rep, "produce", r->st->topic, IP_CRITICAL, ip_clock() - t0,
                 "%lld of %lld messages acknowledged (%lld failed, %lld without a report after "
                 "%.3f s)%s: %s%s%s",
                 d->acked, n, d->failed, sent - d->done, ip_clock() - t0, where,
                 d->first_error[0] ? d->first_error : "no delivery report",
                 kafka_last_error(r, last, sizeof(last))[0] ? "; " : "", last);
    }
    if (d->acked) {
        ip_metric(r->rep, IP_GAUGE, "produce_latency_avg", "seconds",
                  "produce: mean time from produce to acknowledgement", r->st->topic, NULL,
                  d->latency_sum / (double)d->acked);
        ip_metric(r->rep, IP_GAUGE, "produce_latency_max", "seconds",
                  "produce: longest time from produce to acknowledgement", r->st->topic, NULL,
                  d->latency_max);
    }
    ip_metric(r->rep, IP_GAUGE, "produced_messages", NULL, "produce: messages acknowledged",
              r->st->topic, NULL, (double)d->acked);
}

/* Throughput's messages go to one partition at a time, KAFKA_CHUNK of them in one
 * rd_kafka_produce_batch() call, then to the next partition. Message by message,
 * rd_kafka_producev() looks the topic up by name and reads the clock three times, and the check
 * read it once more: clock_gettime was the largest cost of the producing thread in a profile,
 * and a message to each partition in turn kept every broker thread of librdkafka waking. A
 * batch reads the clock once and takes the topic handle (the producing thread's CPU for
 * 100,000 messages went from 52 to 31 ms); one partition at a time is what the sticky
 * partitioner of kcat and of Kafka's own producer does. Every message still has its delivery
 * report, checked as produce's are. */
#define KAFKA_CHUNK       1000
#define KAFKA_CHUNK_BYTES (4 << 20) /* and at most this much payload at once */

/* Enqueue msgs[0..k) to partition p, waiting (by polling) while the local queue is full: how
 * many were enqueued; the error that stopped the rest in d. */
static int kafka_send_chunk(struct kafka_run *r, rd_kafka_topic_t *rkt, int p,
                            rd_kafka_message_t *msgs, int k, struct kafka_delivery *d,
                            double deadline)
{
    int off = 0;

    for (;;) {
        int good = rd_kafka_produce_batch(rkt, p, RD_KAFKA_MSG_F_COPY, msgs + off, k - off), j;

        /* A full queue fails that message and every one after it. */
        for (j = off; j < k && !msgs[j].err; j++)
            ;
        if (j == k)
            return k;
        if (msgs[j].err != RD_KAFKA_RESP_ERR__QUEUE_FULL || ip_clock() >= deadline) {
            snprintf(d->first_error, sizeof(d->first_error), "produce: %s",
                     rd_kafka_err2str(msgs[j].err));
            return off + good;
        }
        off = j;
        rd_kafka_poll(r->rk, 5);
    }
}

/* k messages of `size` bytes (at least the payload) for partition p, sequences from seq,
 * opaques from `opaque`, their payloads in buf. */
static void kafka_fill_chunk(const struct kafka_run *r, rd_kafka_message_t *msgs, char *buf, int k,
                             int size, int p, long long seq, long long opaque)
{
    size_t stride = (size_t)size + 128;

    for (int j = 0; j < k; j++) {
        char *b = buf + stride * (size_t)j;
        int len = kafka_payload(r, p, seq + j, b, stride);

        if (len < size) {
            memset(b + len, '.', (size_t)(size - len));
            len = size;
        }
        msgs[j] = (rd_kafka_message_t){
            .payload = b, .len = (size_t)len, ._private = (void *)(intptr_t)(opaque + j)};
    }
}

/* Produce n messages of `size` bytes by chunks, reports into d; how many were handed to
 * librdkafka. */
static long long kafka_produce_chunked(struct kafka_run *r, struct kafka_delivery *d, long long n,
                                       int size, double deadline)
{
    size_t stride = (size_t)size + 128;
    int chunk = stride * KAFKA_CHUNK <= KAFKA_CHUNK_BYTES ? KAFKA_CHUNK
                                                          : (int)(KAFKA_CHUNK_BYTES / stride) + 1;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(r->rk, r->st->topic, NULL);
    rd_kafka_message_t *msgs = calloc((size_t)chunk, sizeof(*msgs));
    char *buf = malloc(stride * (size_t)chunk);
    int parts = r->topic_partitions;
    long long i = 0;

    r->delivery = d;
    if (!rkt || !msgs || !buf)
        snprintf(d->first_error, sizeof(d->first_error), "produce: %s",
                 rkt ? "out of memory" : rd_kafka_err2str(rd_kafka_last_error()));
    while (rkt && msgs && buf && i < n && ip_clock() < deadline) {
        long long c = i / chunk;
        int p = (int)(c % parts), k = n - i < chunk ? (int)(n - i) : chunk, sent;

        kafka_fill_chunk(r, msgs, buf, k, size, p, c / parts * chunk, d->base + i);
        sent = kafka_send_chunk(r, rkt, p, msgs, k, d, deadline);
        i += sent;
        if (sent < k)
            break;
        rd_kafka_poll(r->rk, 0);
    }
    kafka_wait_reports(r, d, i, deadline);
    r->delivery = NULL;
    free(buf);
    free(msgs);
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    return i;
}

void kafka_throughput_check(struct kafka_run *r)
{
    struct kafka_delivery d;
    long long n = r->st->throughput_messages;
    double t0, deadline, took, rate;

    kafka_warm_up(r, kafka_share(r, 0.2));
    t0 = ip_clock();
    deadline = kafka_end(r);
    memset(&d, 0, sizeof(d));
    d.base = KAFKA_BASE_THROUGHPUT;
    d.limit = n;
    kafka_produce_chunked(r, &d, n, r->st->message_size, deadline);
    took = ip_clock() - t0;
    rate = took > 0 ? (double)d.acked / took : 0;
    if (d.acked == n)
        ip_check_value(r->rep, "throughput", r->st->topic, IP_OK, took, rate,
                       "%lld messages of %d bytes acknowledged in %.3f s: %.0f msg/s", n,
                       r->st->message_size, took, rate);
    else
        ip_check_value(r->rep, "throughput", r->st->topic, IP_CRITICAL, took, rate,
                       "%lld of %lld messages acknowledged by the deadline (%lld failed): %s",
                       d.acked, n, d.failed,
                       d.first_error[0] ? d.first_error : "no error reported");
    ip_metric(r->rep, IP_GAUGE, "throughput", "messages_per_second",
              "throughput: messages acknowledged per second", r->st->topic, NULL, rate);
}
