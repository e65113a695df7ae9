/*
 * The cluster through metadata and the Admin API, each request bounded by a deadline: the
 * connect check (brokers, controller), the creation of the probe's topic (CreateTopics with
 * its partitions, replication factor and min.insync.replicas, so that Kafka itself says why it
 * refuses) and the deletion of the probe's consumer group (DeleteGroups).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_plugin.h"

/* One metadata request, answered by whichever broker librdkafka picks, by `until`. */
static rd_kafka_resp_err_t kafka_metadata_once(struct kafka_run *r, const char *topic, double until,
                                               const struct rd_kafka_metadata **md)
{
    rd_kafka_topic_t *rkt = topic ? rd_kafka_topic_new(r->rk, topic, NULL) : NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(r->rk, topic ? 0 : 1, rkt, md, kafka_ms(until));

    if (rkt)
        rd_kafka_topic_destroy(rkt);
    return e;
}

/* A broker that accepts and never answers (paused, overloaded) holds a request to the end of
 * its timeout: each attempt gets a third of the time left (at least half a second), so that the
 * next one may go to another broker. */
int kafka_metadata(struct kafka_run *r, const char *topic, double deadline,
                   const struct rd_kafka_metadata **md, char *err, size_t errlen)
{
    double t0 = ip_clock();
    rd_kafka_resp_err_t e;
    char last[512];

    /* A tenth of the time is kept for what follows a failure: the verdict, the checks it
     * skips, and the client's destruction, which joins librdkafka's threads. */
    deadline -= (deadline - t0) / 10;
    do {
        double now = ip_clock(), until = now + (deadline - now) / 3;

        if (until < now + 0.5 || until > deadline)
            until = deadline;
        e = kafka_metadata_once(r, topic, until, md);
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
            ip_sleep_until(ip_clock() + 0.05 < deadline ? ip_clock() + 0.05 : deadline);
    } while (e != RD_KAFKA_RESP_ERR_NO_ERROR && ip_clock() + 0.05 < deadline);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
        return 0;
    *md = NULL;
    rd_kafka_poll(r->rk, 0); /* the error callbacks carry the reason */
    kafka_last_error(r, last, sizeof(last));
    if (!last[0] && ip_clock() + 0.05 >= deadline)
        snprintf(err, errlen, "no metadata from %s: timed out after %.3f s (%s)", r->bootstrap,
                 ip_clock() - t0, rd_kafka_err2str(e));
    else
        snprintf(err, errlen, "no metadata from %s: %s%s%s", r->bootstrap, rd_kafka_err2str(e),
                 last[0] ? ": " : "", last);
    return -1;
}

rd_kafka_event_t *kafka_admin_wait(rd_kafka_queue_t *q, double deadline)
{
    for (;;) {
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, kafka_ms(deadline));

        if (ev && rd_kafka_event_type(ev) != RD_KAFKA_EVENT_ERROR &&
            rd_kafka_event_type(ev) != RD_KAFKA_EVENT_LOG)
            return ev;
        if (ev)
            rd_kafka_event_destroy(ev);
        if (ip_clock() >= deadline)
            return NULL;
    }
}

rd_kafka_event_t *kafka_admin_call(struct kafka_run *r, const char *what, rd_kafka_admin_op_t op,
                                   double deadline, int operation, kafka_admin_fn fn, void *arg,
                                   char *err, size_t errlen)
{
    rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(r->rk, op);
    rd_kafka_queue_t *q = rd_kafka_queue_new(r->rk);
    rd_kafka_event_t *ev;
    char why[256];

    rd_kafka_AdminOptions_set_request_timeout(o, kafka_ms(deadline), why, sizeof(why));
    if (operation)
        rd_kafka_AdminOptions_set_operation_timeout(o, kafka_ms(deadline), why, sizeof(why));
    fn(r->rk, arg, o, q);
    ev = kafka_admin_wait(q, deadline);
    if (!ev)
        snprintf(err, errlen, "%s: no answer by the deadline", what);
    else if (rd_kafka_event_error(ev))
        snprintf(err, errlen, "%s: %s", what, rd_kafka_event_error_string(ev));
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    return ev;
}

const char *kafka_broker_addr(const struct kafka_run *r, int id)
{
    for (int i = 0; i < r->nbrokers; i++)
        if (r->brokers[i].id == id)
            return r->brokers[i].addr;
    return "";
}

static void kafka_keep_brokers(struct kafka_run *r, const struct rd_kafka_metadata *md)
{
    free(r->brokers);
    r->nbrokers = 0;
    r->brokers = calloc(md->broker_cnt ? (size_t)md->broker_cnt : 1, sizeof(*r->brokers));
    if (!r->brokers)
        return;
    for (int i = 0; i < md->broker_cnt; i++) {
        r->brokers[i].id = md->brokers[i].id;
        snprintf(r->brokers[i].addr, sizeof(r->brokers[i].addr),
                 strchr(md->brokers[i].host, ':') ? "[%s]:%d" : "%s:%d", md->brokers[i].host,
                 md->brokers[i].port);
    }
    r->nbrokers = md->broker_cnt;
}

void kafka_connect_check(struct kafka_run *r)
{
    const struct rd_kafka_metadata *md;
    double t0 = ip_clock(), deadline = kafka_end(r);
    enum ip_status status = IP_OK;
    char err[1024], why[256] = "";
    int n;

    if (kafka_metadata(r, NULL, deadline, &md, err, sizeof(err)) != 0) {
        ip_check(r->rep, "connect", NULL, IP_CRITICAL, ip_clock() - t0, "%s", err);
        return;
    }
    kafka_keep_brokers(r, md);
    n = md->broker_cnt;
    rd_kafka_metadata_destroy(md);
    r->controller = rd_kafka_controllerid(r->rk, kafka_ms(deadline));
    if (r->st->expected_brokers >= 0 && n != r->st->expected_brokers) {
        status = n < r->st->expected_brokers ? IP_CRITICAL : IP_WARNING;
        snprintf(why, sizeof(why), ", expected %d", r->st->expected_brokers);
    }
    if (r->controller < 0)
        status = ip_status_worst(status, IP_WARNING);
    ip_check(r->rep, "connect", NULL, status, ip_clock() - t0, "%d broker%s%s, controller %s%s%s",
             n, n == 1 ? "" : "s", why, r->controller < 0 ? "not known" : "",
             r->controller < 0 ? "" : "broker ",
             r->controller < 0 ? "" : kafka_broker_addr(r, r->controller));
    ip_metric(r->rep, IP_GAUGE, "brokers", NULL, "brokers in the cluster's metadata", NULL, NULL,
              n);
    ip_metric(r->rep, IP_GAUGE, "controller_id", NULL, "the active controller's id (-1: none)",
              NULL, NULL, r->controller);
}

/* The topic's creation request: its partitions, replication factor and settings. */
static rd_kafka_NewTopic_t *kafka_new_topic(const struct kafka_state *st, char *err, size_t errlen)
{
    rd_kafka_NewTopic_t *nt =
        rd_kafka_NewTopic_new(st->topic, st->partitions, st->replication_factor, err, errlen);
    char v[32];

    if (!nt)
        return NULL;
    snprintf(v, sizeof(v), "%d", st->min_insync);
    rd_kafka_NewTopic_set_config(nt, "min.insync.replicas", v);
    snprintf(v, sizeof(v), "%lld", (long long)(st->retention * 1000));
    rd_kafka_NewTopic_set_config(nt, "retention.ms", v);
    return nt;
}

/* The outcome of the CreateTopics event ev: 1 created, 0 there already, -1 with Kafka's words. */
static int kafka_create_result(rd_kafka_event_t *ev, char *err, size_t errlen)
{
    const rd_kafka_CreateTopics_result_t *res = rd_kafka_event_CreateTopics_result(ev);
    const rd_kafka_topic_result_t **tr;
    size_t n = 0;
    rd_kafka_resp_err_t e;

    if (rd_kafka_event_error(ev)) {
        snprintf(err, errlen, "CreateTopics: %s", rd_kafka_event_error_string(ev));
        /* The controller librdkafka asked did not answer: another attempt may ask another. */
        return rd_kafka_event_error(ev) == RD_KAFKA_RESP_ERR__TIMED_OUT ? -2 : -1;
    }
    tr = res ? rd_kafka_CreateTopics_result_topics(res, &n) : NULL;
    if (n < 1) {
        snprintf(err, errlen, "CreateTopics: no result");
        return -1;
    }
    e = rd_kafka_topic_result_error(tr[0]);
    if (e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
        return 0;
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
        return 1;
    snprintf(err, errlen, "CreateTopics refused: %s: %s", rd_kafka_err2name(e),
             rd_kafka_topic_result_error_string(tr[0]) ? rd_kafka_topic_result_error_string(tr[0])
                                                       : rd_kafka_err2str(e));
    return -1;
}

static void kafka_create_fn(rd_kafka_t *rk, void *arg, const rd_kafka_AdminOptions_t *o,
                            rd_kafka_queue_t *q)
{
    rd_kafka_CreateTopics(rk, (rd_kafka_NewTopic_t **)arg, 1, o, q);
}

/* One CreateTopics request by `until`: as kafka_create_topic(), or -2 when nothing answered. */
static int kafka_create_once(struct kafka_run *r, rd_kafka_NewTopic_t *nt, double until, char *err,
                             size_t errlen)
{
    rd_kafka_event_t *ev = kafka_admin_call(r, "CreateTopics", RD_KAFKA_ADMIN_OP_CREATETOPICS,
                                            until, 1, kafka_create_fn, &nt, err, errlen);
    int rc = -2;

    if (ev) {
        rc = kafka_create_result(ev, err, errlen);
        rd_kafka_event_destroy(ev);
    }
    return rc;
}

/* Like kafka_metadata(): a broker that never answers gets a third of the time, then another
 * attempt (a creation that took effect meanwhile answers TOPIC_ALREADY_EXISTS: not ours then,
 * but there). */
int kafka_create_topic(struct kafka_run *r, double deadline, char *err, size_t errlen)
{
    rd_kafka_NewTopic_t *nt = kafka_new_topic(r->st, err, errlen);
    double t0 = ip_clock();
    int rc = -2;

    if (!nt)
        return -1;
    while (rc == -2 && ip_clock() + 0.05 < deadline) {
        double now = ip_clock(), until = now + (deadline - now) / 3;

        rc = kafka_create_once(r, nt, until < now + 0.5 ? deadline : until, err, errlen);
    }
    if (rc == -2) {
        char last[512];

        rc = -1;
        snprintf(err, errlen, "CreateTopics: no answer after %.3f s%s%s", ip_clock() - t0,
                 kafka_last_error(r, last, sizeof(last))[0] ? ": " : "", last);
    }
    rd_kafka_NewTopic_destroy(nt);
    return rc;
}

static void kafka_delete_fn(rd_kafka_t *rk, void *arg, const rd_kafka_AdminOptions_t *o,
                            rd_kafka_queue_t *q)
{
    rd_kafka_DeleteGroups(rk, (rd_kafka_DeleteGroup_t **)arg, 1, o, q);
}

int kafka_delete_group(struct kafka_run *r, const char *group, double deadline, char *err,
                       size_t errlen)
{
    rd_kafka_DeleteGroup_t *dg = rd_kafka_DeleteGroup_new(group);
    rd_kafka_event_t *ev = kafka_admin_call(r, "DeleteGroups", RD_KAFKA_ADMIN_OP_DELETEGROUPS,
                                            deadline, 0, kafka_delete_fn, &dg, err, errlen);
    int rc = -1;

    if (ev && !rd_kafka_event_error(ev)) {
        size_t n = 0;
        const rd_kafka_group_result_t **gr =
            rd_kafka_DeleteGroups_result_groups(rd_kafka_event_DeleteGroups_result(ev), &n);
        const rd_kafka_error_t *ge = n ? rd_kafka_group_result_error(gr[0]) : NULL;

        rc = ge ? -1 : 0;
        if (ge)
            snprintf(err, errlen, "DeleteGroups: %s", rd_kafka_error_string(ge));
    }
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_DeleteGroup_destroy(dg);
    return rc;
}
