/*
 * The failover drill (the guide's producer and consumer failover), on the SDK's drill
 * framework: while an idempotent acks=all producer writes to one partition of the probe's topic
 * and a consumer of the probe's group reads it, the broker that leads that partition is stopped
 * by the fault action (%{leader} / %{broker} its advertised host:port, %{broker_id} its id).
 * Detection is metadata naming another leader; recovery, a write to that partition
 * acknowledged again; the read-back is what the consumer received (every acknowledged message,
 * once); the drill is whole again once the broker is back and no partition of the cluster is
 * under-replicated. Whether the preferred leader leads again is reported: librdkafka 2.0.2 has
 * no ElectLeaders (2.6.0 adds rd_kafka_ElectLeaders), so the plugin cannot ask for an election.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_plugin.h"

/* Writes acknowledged before the fault. */
#define DRILL_MARKERS 20
/* The partition whose leader the drill stops: the probe's drill_partition setting. */
#define DRILL_PARTITION (k->r->st->drill_partition) /* in functions that have k */

struct kafka_drill {
    struct kafka_run *r;
    struct ip_drill *d;
    rd_kafka_t *p, *c;
    int old_leader, new_leader;
    char old_addr[300], id_str[16];
    long long start;      /* the partition's high watermark before the drill */
    long long acked_last; /* the highest offset acknowledged */
    /* The operation waiting for its report. */
    long long waiting;
    int waiting_done;
    rd_kafka_resp_err_t waiting_err;
    struct kafka_delivery dv;
    /* The consumer thread's, under lock. */
    pthread_t thread;
    int thread_started, stop;
    pthread_mutex_t lock;
    int *seen;
    long long nseen;
    long long reached; /* the next offset to read */
    double last_recv, pause;
};

/* A delivery report of the drill's producer: the awaited one ends operate(); one that comes
 * after its operation gave up is still an acknowledged write, and goes into the ledger. */
static void drill_report(void *ctx, long long id, const rd_kafka_message_t *m)
{
    struct kafka_drill *k = ctx;

    if (!m->err && m->offset > k->acked_last)
        k->acked_last = m->offset;
    if (id == k->waiting) {
        k->waiting_done = 1;
        k->waiting_err = m->err;
    } else if (!m->err && k->d) {
        ip_drill_ack(k->d, id);
    }
}

static int drill_operate(void *ctx, struct ip_drill *d, long long id, double deadline, char *err,
                         size_t errlen)
{
    struct kafka_drill *k = ctx;
    char buf[128];
    int len = kafka_payload(k->r, DRILL_PARTITION, id, buf, sizeof(buf));
    rd_kafka_resp_err_t e;

    k->d = d;
    k->waiting = id;
    k->waiting_done = 0;
    e = rd_kafka_producev(
        k->p, RD_KAFKA_V_TOPIC(k->r->st->topic), RD_KAFKA_V_PARTITION(DRILL_PARTITION),
        RD_KAFKA_V_VALUE(buf, (size_t)len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_OPAQUE((void *)(intptr_t)(KAFKA_BASE_DRILL + id)), RD_KAFKA_V_END);
    if (e) {
        snprintf(err, errlen, "produce: %s", rd_kafka_err2str(e));
        return -1;
    }
    while (!k->waiting_done && ip_clock() < deadline)
        rd_kafka_poll(k->p, kafka_ms(deadline) < 20 ? kafka_ms(deadline) : 20);
    k->waiting = -1;
    if (k->waiting_done && !k->waiting_err)
        return 0;
    snprintf(err, errlen, "%s",
             k->waiting_done ? rd_kafka_err2str(k->waiting_err) : "not acknowledged in time");
    return -1;
}

/* The leader of the drill's partition now (-1: none), and whether every partition of the
 * cluster is fully replicated with `broker` among the live ones. */
static int drill_look(struct kafka_drill *k, double deadline, int *leader, int *whole,
                      int *preferred, char *err, size_t errlen)
{
    const struct rd_kafka_metadata *md;

    *leader = -1;
    *whole = 1;
    *preferred = 0;
    if (kafka_metadata(k->r, NULL, deadline, &md, err, errlen) != 0)
        return -1;
    for (int t = 0; t < md->topic_cnt; t++) {
        const rd_kafka_metadata_topic_t *tp = &md->topics[t];
        int ours = strcmp(tp->topic, k->r->st->topic) == 0;

        for (int i = 0; i < tp->partition_cnt; i++) {
            const rd_kafka_metadata_partition_t *p = &tp->partitions[i];

            if (p->isr_cnt < p->replica_cnt || p->leader < 0)
                *whole = 0;
            if (ours && p->id == DRILL_PARTITION) {
                *leader = p->leader;
                *preferred = p->replica_cnt > 0 && p->replicas[0] == p->leader;
            }
        }
    }
    rd_kafka_metadata_destroy(md);
    return 0;
}

static int drill_detected(void *ctx, struct ip_drill *d, double deadline, char *err, size_t errlen)
{
    struct kafka_drill *k = ctx;
    int leader, whole, preferred;

    if (drill_look(k, deadline, &leader, &whole, &preferred, err, errlen) != 0)
        return 0;
    if (leader < 0 || leader == k->old_leader) {
        snprintf(err, errlen, "partition %d: leader %s", DRILL_PARTITION,
                 leader < 0 ? "none" : "still the stopped broker");
        return 0;
    }
    k->new_leader = leader;
    ip_drill_note(d, "broker %d (%s) stopped, broker %d (%s) took over partition %d", k->old_leader,
                  k->old_addr, leader, kafka_broker_addr(k->r, leader), DRILL_PARTITION);
    return 1;
}

static void drill_take(struct kafka_drill *k, const rd_kafka_message_t *m)
{
    double now = ip_clock();
    int p;
    long long id;

    pthread_mutex_lock(&k->lock);
    if (k->last_recv > 0 && now - k->last_recv > k->pause)
        k->pause = now - k->last_recv;
    k->last_recv = now;
    if (m->offset + 1 > k->reached)
        k->reached = m->offset + 1;
    if (kafka_payload_parse(k->r, m->payload, m->len, &p, &id) == 0 && p == DRILL_PARTITION &&
        id >= 0 && id < 10000000) {
        if (id >= k->nseen) {
            long long n = id * 2 + 64;
            int *s = realloc(k->seen, sizeof(int) * (size_t)n);

            if (s) {
                memset(s + k->nseen, 0, sizeof(int) * (size_t)(n - k->nseen));
                k->seen = s;
                k->nseen = n;
            }
        }
        if (id < k->nseen)
            k->seen[id]++;
    }
    pthread_mutex_unlock(&k->lock);
}

static int drill_stopping(struct kafka_drill *k)
{
    int stop;

    pthread_mutex_lock(&k->lock);
    stop = k->stop;
    pthread_mutex_unlock(&k->lock);
    return stop;
}

/* The consumer: reads the drill's partition until told to stop. */
static void *drill_consume(void *arg)
{
    struct kafka_drill *k = arg;

    while (!drill_stopping(k)) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(k->c, 50);

        if (m && !m->err)
            drill_take(k, m);
        if (m)
            rd_kafka_message_destroy(m);
    }
    return NULL;
}

/* What the consumer received of the acknowledged writes, once it has read as far as the last
 * acknowledged offset (or the deadline passed). */
static int drill_verify(void *ctx, struct ip_drill *d, double deadline, char *err, size_t errlen)
{
    struct kafka_drill *k = ctx;
    long long reached;

    for (;;) {
        pthread_mutex_lock(&k->lock);
        reached = k->reached;
        pthread_mutex_unlock(&k->lock);
        if (reached > k->acked_last || ip_clock() >= deadline)
            break;
        ip_sleep_until(ip_clock() + 0.02);
    }
    pthread_mutex_lock(&k->lock);
    for (long long id = 0; id < k->nseen; id++)
        for (int c = 0; c < k->seen[id]; c++)
            ip_drill_seen(d, id);
    pthread_mutex_unlock(&k->lock);
    if (reached <= k->acked_last)
        snprintf(err, errlen, "the consumer reached offset %lld, the last acknowledged is %lld",
                 reached, k->acked_last);
    return 0;
}

static int drill_rejoined(void *ctx, struct ip_drill *d, double deadline, char *err, size_t errlen)
{
    struct kafka_drill *k = ctx;
    int leader, whole, preferred;

    if (drill_look(k, deadline, &leader, &whole, &preferred, err, errlen) != 0)
        return 0;
    if (!whole) {
        snprintf(err, errlen, "partitions still under-replicated");
        return 0;
    }
    ip_drill_note(d,
                  "broker %d (%s) stopped, broker %d took over partition %d; back in every ISR; "
                  "preferred leader %s (librdkafka 2.0.2 cannot ask for an election)",
                  k->old_leader, k->old_addr, k->new_leader, DRILL_PARTITION,
                  preferred ? "leads again" : "does not lead yet");
    ip_metric(k->r->rep, IP_GAUGE, "drill_preferred_leader", NULL,
              "drill: 1 when the partition's preferred replica led it again at the rejoin",
              k->old_addr, NULL, preferred);
    return 1;
}

static void drill_cleanup(void *ctx, struct ip_drill *d, double deadline)
{
    struct kafka_drill *k = ctx;

    (void)d;
    (void)deadline;
    if (k->thread_started) {
        pthread_mutex_lock(&k->lock);
        k->stop = 1;
        pthread_mutex_unlock(&k->lock);
        pthread_join(k->thread, NULL);
        k->thread_started = 0;
    }
}

/* One message first, acknowledged or not (at most 15 s): a new idempotent producer's first
 * write waits for its producer id and connections, which the markers must not pay for. Its
 * opaque is no drill id, so the ledger never sees it. */
static void drill_warm_up(struct kafka_drill *k, double deadline)
{
    double until = ip_clock() + 15.0 < deadline ? ip_clock() + 15.0 : deadline;

    if (rd_kafka_producev(
            k->p, RD_KAFKA_V_TOPIC(k->r->st->topic), RD_KAFKA_V_PARTITION(DRILL_PARTITION),
            RD_KAFKA_V_VALUE("warm-up", 7), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_OPAQUE((void *)(intptr_t)(KAFKA_BASE_DRILL - 1)), RD_KAFKA_V_END) == 0)
        rd_kafka_flush(k->p, kafka_ms(until));
}

/* The producer, the consumer at the partition's end, and the consumer thread. */
static int drill_start(struct kafka_drill *k, double deadline, char *err, size_t errlen)
{
    const char *pextra[] = {"enable.idempotence",       "true",  "acks", "all", "linger.ms", "0",
                            "allow.auto.create.topics", "false", NULL};
    rd_kafka_topic_partition_list_t *l;
    int64_t lo, hi;
    rd_kafka_resp_err_t e;

    e = rd_kafka_query_watermark_offsets(k->r->rk, k->r->st->topic, DRILL_PARTITION, &lo, &hi,
                                         kafka_ms(deadline));
    if (e) {
        snprintf(err, errlen, "high watermark: %s", rd_kafka_err2str(e));
        return -1;
    }
    k->start = hi;
    k->acked_last = hi - 1;
    if (!(k->p = kafka_client_new(k->r, RD_KAFKA_PRODUCER, deadline, pextra, err, errlen)) ||
        !(k->c = kafka_consumer_new(k->r, deadline, err, errlen)))
        return -1;
    l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, k->r->st->topic, DRILL_PARTITION)->offset = hi;
    rd_kafka_assign(k->c, l);
    rd_kafka_topic_partition_list_destroy(l);
    k->reached = hi;
    drill_warm_up(k, deadline);
    if (pthread_create(&k->thread, NULL, drill_consume, k) != 0) {
        snprintf(err, errlen, "cannot start the consumer thread");
        return -1;
    }
    k->thread_started = 1;
    return 0;
}

/* The drill partition's leader now: 0 with k->old_leader and k->old_addr, or -1 with err. */
static int drill_leader(struct kafka_drill *k, double deadline, char *err, size_t errlen)
{
    int whole, preferred;

    if (drill_look(k, deadline, &k->old_leader, &whole, &preferred, err, errlen) != 0)
        return -1;
    if (k->old_leader < 0) {
        snprintf(err, errlen, "partition %d of %s has no leader", DRILL_PARTITION, k->r->st->topic);
        return -1;
    }
    snprintf(k->old_addr, sizeof(k->old_addr), "%s", kafka_broker_addr(k->r, k->old_leader));
    snprintf(k->id_str, sizeof(k->id_str), "%d", k->old_leader);
    return 0;
}

static void drill_run(struct kafka_drill *k, double deadline)
{
    struct kafka_run *r = k->r;
    const char *vars[] = {"leader",    k->old_addr, "broker", k->old_addr,
                          "broker_id", k->id_str,   NULL};
    struct ip_drill_ops ops = {.check = "failover",
                               .target = k->old_addr,
                               .vars = vars,
                               .before = DRILL_MARKERS,
                               .interval = 0.05,
                               .op_timeout = 2.0,
                               .operate = drill_operate,
                               .detected = drill_detected,
                               .verify = drill_verify,
                               .rejoined = drill_rejoined,
                               .cleanup = drill_cleanup};
    char err[1024];

    if (drill_leader(k, deadline, err, sizeof(err)) != 0 ||
        drill_start(k, deadline, err, sizeof(err)) != 0) {
        ip_check(r->rep, "failover", NULL, IP_UNKNOWN, 0, "%s", err);
        return;
    }
    k->dv.base = KAFKA_BASE_DRILL;
    k->dv.limit = 1LL << 40;
    k->dv.report = drill_report;
    k->dv.ctx = k;
    r->delivery = &k->dv;
    ip_drill_execute(r->rep, &ops, k, NULL);
    r->delivery = NULL;
    ip_metric(r->rep, IP_GAUGE, "drill_consumer_pause", "seconds",
              "drill: the longest time the consumer received nothing", k->old_addr, NULL, k->pause);
}

void kafka_drill(struct kafka_run *r)
{
    struct kafka_drill k = {.r = r, .old_leader = -1, .new_leader = -1, .waiting = -1};
    double deadline;

    if (!ip_drill(r->rep, &deadline) || !ip_check_enabled(r->rep, "failover"))
        return;
    r->drill_end = deadline;
    if (r->topic_ok <= 0) {
        ip_check(r->rep, "failover", NULL, IP_UNKNOWN, 0, "the topic %s is not usable",
                 r->st->topic);
        return;
    }
    pthread_mutex_init(&k.lock, NULL);
    drill_run(&k, deadline);
    drill_cleanup(&k, NULL, deadline);
    kafka_client_free(k.c);
    kafka_client_free(k.p);
    free(k.seen);
    pthread_mutex_destroy(&k.lock);
}
