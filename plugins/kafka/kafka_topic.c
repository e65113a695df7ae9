/*
 * The topic check (the probe's topic exists, or is created, with the expected partitions and
 * replication factor, every partition led and fully in sync) and the partitions check (the
 * whole cluster's verdict: offline partitions critical, under-replicated ones a warning), over
 * metadata judged by kafka_health.c.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_health.h"
#include "kafka_plugin.h"

/* How long a topic just created may take to have a leader for every partition, at most. */
#define KAFKA_LEADERS_WAIT 10.0

static const rd_kafka_metadata_topic_t *kafka_find_topic(const struct rd_kafka_metadata *md,
                                                         const char *topic)
{
    for (int i = 0; md && i < md->topic_cnt; i++)
        if (strcmp(md->topics[i].topic, topic) == 0)
            return &md->topics[i];
    return NULL;
}

static int kafka_all_led(const rd_kafka_metadata_topic_t *t)
{
    for (int i = 0; i < t->partition_cnt; i++)
        if (t->partitions[i].leader < 0)
            return 0;
    return t->partition_cnt > 0;
}

/* Metadata of the probe's topic; after a creation, until every partition is led or a while
 * has passed. 0 with *md, or -1 with err. */
static int kafka_topic_metadata(struct kafka_run *r, double deadline,
                                const struct rd_kafka_metadata **md, char *err, size_t errlen)
{
    double until = ip_clock() + KAFKA_LEADERS_WAIT;

    if (until > deadline)
        until = deadline;
    for (;;) {
        const rd_kafka_metadata_topic_t *t;

        if (kafka_metadata(r, r->st->topic, deadline, md, err, errlen) != 0)
            return -1;
        t = kafka_find_topic(*md, r->st->topic);
        if (!r->created || (t && !t->err && kafka_all_led(t)) || ip_clock() + 0.1 >= until)
            return 0;
        rd_kafka_metadata_destroy(*md);
        ip_sleep_until(ip_clock() + 0.1);
    }
}

static void kafka_topic_metrics(struct kafka_run *r, const struct kafka_health *h)
{
    const char *t = r->st->topic;

    ip_metric(r->rep, IP_GAUGE, "topic_partitions", NULL, "partitions of the probe's topic", t,
              NULL, h->partitions);
    ip_metric(r->rep, IP_GAUGE, "topic_offline_partitions", NULL,
              "partitions of the probe's topic without a leader", t, NULL, h->offline);
    ip_metric(r->rep, IP_GAUGE, "topic_under_replicated_partitions", NULL,
              "partitions of the probe's topic whose ISR lacks a replica", t, NULL,
              h->under_replicated);
    ip_metric(r->rep, IP_GAUGE, "topic_at_risk_partitions", NULL,
              "partitions of the probe's topic whose ISR is down to min.insync.replicas", t, NULL,
              h->at_risk);
}

/* The verdict on the topic t as found. */
static void kafka_topic_verdict(struct kafka_run *r, const rd_kafka_metadata_topic_t *t, double t0)
{
    const struct kafka_state *st = r->st;
    struct kafka_health h = {0};
    enum ip_status status = IP_OK;
    char text[1200], shape[200] = "";
    int rf = t->partition_cnt ? t->partitions[0].replica_cnt : 0;

    kafka_health_add(&h, t, st->min_insync, 0);
    kafka_health_text(&h, text, sizeof(text));
    if (t->partition_cnt != st->partitions || rf != st->replication_factor) {
        status = IP_WARNING;
        snprintf(shape, sizeof(shape), " (expected %d and %d)", st->partitions,
                 st->replication_factor);
    }
    if (h.under_replicated || h.at_risk)
        status = ip_status_worst(status, IP_WARNING);
    if (h.offline || h.below_min_isr)
        status = IP_CRITICAL;
    r->topic_ok = h.offline < t->partition_cnt;
    r->topic_partitions = t->partition_cnt;
    free(r->leaders);
    r->leaders = malloc(sizeof(int) * (size_t)(t->partition_cnt ? t->partition_cnt : 1));
    for (int i = 0; r->leaders && i < t->partition_cnt; i++)
        if (t->partitions[i].id >= 0 && t->partitions[i].id < t->partition_cnt)
            r->leaders[t->partitions[i].id] = t->partitions[i].leader;
    ip_check(r->rep, "topic", st->topic, status, ip_clock() - t0,
             "%s%s: %d partitions, replication factor %d%s; %s", r->created ? "created " : "",
             st->topic, t->partition_cnt, rf, shape,
             text[0] ? text : "every partition led, ISR full");
    kafka_topic_metrics(r, &h);
}

/* Creating the topic is a write: only when a check that writes runs (not under read_only). */
static int kafka_may_create(const struct kafka_run *r)
{
    return r->st->create_topic &&
           (ip_check_enabled(r->rep, "produce") || ip_check_enabled(r->rep, "throughput"));
}

static int kafka_missing(const rd_kafka_metadata_topic_t *t)
{
    return !t || t->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
           (!t->err && !t->partition_cnt);
}

/* Metadata of the topic, created first when it is missing and create_topic says so: 0 with
 * *md, or -1 after recording the check. Asking for metadata never creates a topic (the
 * clients say allow.auto.create.topics = false), and an existing topic costs no CreateTopics. */
static int kafka_topic_find(struct kafka_run *r, double t0, const struct rd_kafka_metadata **md)
{
    const struct kafka_state *st = r->st;
    double deadline = kafka_end(r);
    char err[1024];
    int rc;

    if (kafka_metadata(r, st->topic, deadline, md, err, sizeof(err)) != 0)
        goto fail;
    if (!kafka_may_create(r) || !kafka_missing(kafka_find_topic(*md, st->topic)))
        return 0;
    rd_kafka_metadata_destroy(*md);
    *md = NULL;
    if ((rc = kafka_create_topic(r, deadline, err, sizeof(err))) < 0)
        goto fail;
    r->created = rc == 1;
    if (kafka_topic_metadata(r, deadline, md, err, sizeof(err)) == 0)
        return 0;
fail:
    ip_check(r->rep, "topic", st->topic, IP_CRITICAL, ip_clock() - t0, "%s: %s", st->topic, err);
    return -1;
}

void kafka_topic_check(struct kafka_run *r)
{
    const struct kafka_state *st = r->st;
    double t0 = ip_clock();
    const struct rd_kafka_metadata *md = NULL;
    const rd_kafka_metadata_topic_t *t;

    r->topic_ok = 0;
    if (kafka_topic_find(r, t0, &md) != 0)
        return;
    t = kafka_find_topic(md, st->topic);
    if (kafka_missing(t))
        ip_check(r->rep, "topic", st->topic, IP_CRITICAL, ip_clock() - t0, "%s: does not exist%s",
                 st->topic,
                 !st->create_topic      ? " (create_topic = false)"
                 : !kafka_may_create(r) ? " (not created: no check that writes runs)"
                                        : "");
    else if (t->err)
        ip_check(r->rep, "topic", st->topic, IP_CRITICAL, ip_clock() - t0, "%s: %s", st->topic,
                 rd_kafka_err2str(t->err));
    else
        kafka_topic_verdict(r, t, t0);
    rd_kafka_metadata_destroy(md);
}
/* Is `topic` one the partitions check judges? */
static int kafka_watched(const struct kafka_state *st, const char *topic)
{
    if (!st->nhealth_topics)
        return 1;
    for (size_t i = 0; i < st->nhealth_topics; i++)
        if (strcmp(st->health_topics[i], topic) == 0)
            return 1;
    return 0;
}

/* The configured topics the metadata lacks, into buf ("" when none). */
static int kafka_missing_topics(const struct kafka_state *st, const struct rd_kafka_metadata *md,
                                char *buf, size_t len)
{
    int n = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < st->nhealth_topics; i++) {
        const rd_kafka_metadata_topic_t *t = kafka_find_topic(md, st->health_topics[i]);

        if (!t || t->err || !t->partition_cnt) {
            size_t used = strlen(buf);

            snprintf(buf + used, len - used, "%s%s", n++ ? ", " : "", st->health_topics[i]);
        }
    }
    return n;
}

static void kafka_partitions_metrics(struct kafka_run *r, const struct kafka_health *h)
{
    ip_metric(r->rep, IP_GAUGE, "topics", NULL, "topics the partitions check judged", NULL, NULL,
              h->topics);
    ip_metric(r->rep, IP_GAUGE, "partitions", NULL, "partitions the partitions check judged", NULL,
              NULL, h->partitions);
    ip_metric(r->rep, IP_GAUGE, "offline_partitions", NULL, "partitions without a leader", NULL,
              NULL, h->offline);
    ip_metric(r->rep, IP_GAUGE, "under_replicated_partitions", NULL,
              "partitions whose ISR lacks a replica", NULL, NULL, h->under_replicated);
}

void kafka_partitions_check(struct kafka_run *r)
{
    double t0 = ip_clock();
    const struct rd_kafka_metadata *md;
    struct kafka_health h = {0};
    enum ip_status status = IP_OK;
    char err[1024], text[1200], missing[512];
    int nmissing;

    if (kafka_metadata(r, NULL, kafka_end(r), &md, err, sizeof(err)) != 0) {
        ip_check(r->rep, "partitions", NULL, IP_CRITICAL, ip_clock() - t0, "%s", err);
        return;
    }
    for (int i = 0; i < md->topic_cnt; i++)
        if (!md->topics[i].err && kafka_watched(r->st, md->topics[i].topic))
            kafka_health_add(&h, &md->topics[i], 0, 1);
    nmissing = kafka_missing_topics(r->st, md, missing, sizeof(missing));
    rd_kafka_metadata_destroy(md);
    kafka_health_text(&h, text, sizeof(text));
    if (h.under_replicated)
        status = IP_WARNING;
    if (h.offline || nmissing)
        status = IP_CRITICAL;
    ip_check(r->rep, "partitions", NULL, status, ip_clock() - t0,
             "%d topics, %d partitions: %s%s%s", h.topics, h.partitions,
             text[0] ? text : "every partition led, ISR full", nmissing ? "; not found: " : "",
             nmissing ? missing : "");
    kafka_partitions_metrics(r, &h);
}
