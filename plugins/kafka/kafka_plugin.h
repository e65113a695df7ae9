/*
 * What the files of the kafka plugin share: the probe's settings, one run's clients, and the
 * functions one file gives the others. Internal: hidden (-fvisibility=hidden) and never
 * exported, so the plugin's one export stays infraprobe_plugin.
 */
#ifndef KAFKA_PLUGIN_H
#define KAFKA_PLUGIN_H

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stddef.h>

#include <infraprobe/plugin.h>

struct kafka_state {
    /* Settings. */
    const char *probe_name;
    char *brokers; /* "host:port,host:port", malloc'd */
    const char *topic;
    char *topic_buf, *group_buf; /* the defaults, malloc'd */
    int partitions;
    int replication_factor;
    int min_insync;
    int create_topic;
    double retention; /* seconds, of a topic the probe creates */
    int messages;
    int throughput_messages;
    int message_size;
    const char *group;
    const char *const *groups; /* watched for lag */
    size_t ngroups;
    long long partition_lag_warn, partition_lag_crit; /* worst partition of a group; -1: none */
    const char *const *health_topics;                 /* the partitions check's; empty: all */
    size_t nhealth_topics;
    int expected_brokers;       /* -1: not set */
    int drill_partition;        /* whose leader the drill stops */
    const char *const *rdkafka; /* "name=value" each, passed to librdkafka */
    size_t nrdkafka;
    const char *sasl_password;
    const char *ssl_key_password;
    /* Cumulative, for metrics(). */
    long long runs;
};

/* One broker as the cluster names it. */
struct kafka_broker {
    int id;
    char addr[300]; /* advertised host:port */
};

/* What a producer's delivery reports tell (rd_kafka_poll() calls the callback on the polling
 * thread). */
struct kafka_delivery {
    double *sent;                          /* per message id: when it was produced; NULL: none */
    unsigned char *ok;                     /* per message id: acknowledged; NULL: not kept */
    long long *first_offset, *last_offset; /* per partition, of acknowledged messages */
    int npartitions;
    long long base; /* a message's opaque is base + its id: reports of other batches are not ours */
    long long limit; /* ids are 0 .. limit - 1 */
    long long done, acked, failed;
    double latency_sum, latency_max; /* seconds, of acknowledged messages with `sent` */
    char first_error[512];
    /* Optional: told of each report (the drill's ledger). */
    void (*report)(void *ctx, long long id, const rd_kafka_message_t *m);
    void *ctx;
};

/* One run's clients and what they learnt. */
struct kafka_run {
    struct kafka_state *st;
    struct ip_report *rep;
    double end;       /* when the checks must be done: the deadline less the run's clean-up time */
    double drill_end; /* a drill run's deadline (ip_drill()), which the core added; 0: none */
    char tag[64];     /* the run id, tagged on every message */
    char bootstrap[2048]; /* resolved, numeric host:port list */
    rd_kafka_t *rk;       /* producer: metadata, admin, produce */
    pthread_mutex_t lock; /* last_error */
    char last_error[512]; /* the last error librdkafka reported (a broker's, a transport's) */
    int created;          /* the topic check created the topic */
    int group_used;       /* the probe's group may have offsets to delete */
    int topic_ok;         /* the topic exists with leaders: produce may go on */
    int topic_partitions; /* as the cluster has it */
    int *leaders;         /* per partition of the topic: its leader's id, -1 none */
    struct kafka_broker *brokers;
    int nbrokers;
    int controller;                  /* -1: not known */
    struct kafka_delivery *delivery; /* where the producers' reports go now; NULL: nowhere */
    double warm_up;                  /* seconds the producer's warm-up took; -1: not yet */
    /* What the produce check wrote, for consume and ordering. */
    struct kafka_delivery produced;
    long long consume_missing, consume_duplicated, out_of_order; /* -1: not known */
    char order_error[256];
};

/* ---- kafka_client.c ---- */

/* A client of `type` for this run: the probe's rdkafka settings, then timeouts from `deadline`
 * so that nothing librdkafka does outlives it, and `extra` ("name", "value", ..., NULL). NULL
 * with why in err. Destroy with kafka_client_free(). */
rd_kafka_t *kafka_client_new(struct kafka_run *r, rd_kafka_type_t type, double deadline,
                             const char *const *extra, char *err, size_t errlen);
void kafka_client_free(rd_kafka_t *rk);
/* The run's producer: idempotent, acks=all, never creating a topic by asking for it. */
rd_kafka_t *kafka_producer_new(struct kafka_run *r, double deadline, char *err, size_t errlen);
/* A consumer of the probe's group: assign() only, offsets committed by hand. */
rd_kafka_t *kafka_consumer_new(struct kafka_run *r, double deadline, char *err, size_t errlen);
/* librdkafka's last error of this run ("" when none), into buf. */
const char *kafka_last_error(struct kafka_run *r, char *buf, size_t len);
/* Distinct bases of the run's batches of messages. */
#define KAFKA_BASE_PRODUCE    0LL
#define KAFKA_BASE_THROUGHPUT (1LL << 40)
#define KAFKA_BASE_DRILL      (2LL << 40)
#define KAFKA_BASE_WARM_UP    (3LL << 40)

/* The delivery-report callback of every producer (rd_kafka_conf_set_dr_msg_cb). */
void kafka_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque);
/* A deadline `share` (0..1) of the run's time left from now. */
double kafka_share(const struct kafka_run *r, double share);
/* When the checks must be done: what follows them (the group's deletion, destroying the
 * clients: librdkafka joins its threads) keeps the last 10 % of the run, at most 1 s, so
 * that the report is the plugin's own and not the core's timeout. */
double kafka_end(const struct kafka_run *r);
/* Milliseconds left until deadline, at least 1, for librdkafka's int timeouts. */
int kafka_ms(double deadline);
/* Check every "name=value" of the rdkafka setting against librdkafka (setup time): 0, or -1
 * after ip_probe_fail() for each one it refuses. */
int kafka_conf_validate(struct ip_probe *probe, const char *const *props, size_t n);

/* ---- kafka_admin.c ---- */

/* Metadata of `topic` (NULL: all topics) by deadline: 0 with *md (rd_kafka_metadata_destroy),
 * or -1 with why in err. */
int kafka_metadata(struct kafka_run *r, const char *topic, double deadline,
                   const struct rd_kafka_metadata **md, char *err, size_t errlen);
void kafka_connect_check(struct kafka_run *r);
void kafka_topic_check(struct kafka_run *r);
void kafka_partitions_check(struct kafka_run *r);
void kafka_groups_check(struct kafka_run *r);
/* Delete consumer group `group` (best effort, by deadline); 0 or -1 with why in err. */
int kafka_delete_group(struct kafka_run *r, const char *group, double deadline, char *err,
                       size_t errlen);
/* The next admin result on q (errors and logs passed over), or NULL at the deadline. */
rd_kafka_event_t *kafka_admin_wait(rd_kafka_queue_t *q, double deadline);
/* Starts one admin request with options o, its result to go to q. */
typedef void (*kafka_admin_fn)(rd_kafka_t *rk, void *arg, const rd_kafka_AdminOptions_t *o,
                               rd_kafka_queue_t *q);
/* An admin request (fn) whose request (and, when `operation`, the broker's operation) ends by
 * deadline: its result event (the caller destroys it), with the event's error in err ("WHAT:
 * ..."); or NULL with err when nothing answered. */
rd_kafka_event_t *kafka_admin_call(struct kafka_run *r, const char *what, rd_kafka_admin_op_t op,
                                   double deadline, int operation, kafka_admin_fn fn, void *arg,
                                   char *err, size_t errlen);
/* CreateTopics of the probe's topic: 1 created, 0 it was there, -1 with Kafka's words in err. */
int kafka_create_topic(struct kafka_run *r, double deadline, char *err, size_t errlen);
/* The advertised host:port of broker `id`, or "" when metadata did not name it. */
const char *kafka_broker_addr(const struct kafka_run *r, int id);

/* ---- kafka_produce.c ---- */

void kafka_produce_check(struct kafka_run *r);
void kafka_consume_checks(struct kafka_run *r); /* consume and ordering */
void kafka_throughput_check(struct kafka_run *r);
void kafka_delivery_free(struct kafka_delivery *d);
/* The payload of message `seq` of `partition` in this run. */
int kafka_payload(const struct kafka_run *r, int partition, long long seq, char *buf, size_t len);
/* Parse a payload of this run: 0 with partition and seq, -1 for anything else. */
int kafka_payload_parse(const struct kafka_run *r, const void *buf, size_t len, int *partition,
                        long long *seq);

/* ---- kafka_operate.c ---- */

/* The plugin's operate hook: one metadata request to the broker at address (host:port). */
int kafka_operate(const char *address, const char *const *options, double deadline, char *err,
                  size_t errlen);

/* ---- kafka_drill.c ---- */

void kafka_drill(struct kafka_run *r);

#endif
