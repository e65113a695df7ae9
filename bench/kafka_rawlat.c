/*
 * kafka_rawlat: the produce latency of a bare librdkafka loop, the peer of the kafka plugin's
 * produce check in bench/kafka. Each round makes a new producer as the plugin does each run
 * (idempotent, acks=all, linger.ms=1), warms it up as the plugin does (one message to each
 * partition, acknowledged, before the clock starts), produces MESSAGES messages round-robin
 * over the topic's PARTITIONS, polls until every delivery report is in, and takes the mean time
 * from produce to report; it prints the median over ROUNDS of those means, in milliseconds.
 *
 *   kafka_rawlat BROKERS TOPIC PARTITIONS MESSAGES ROUNDS
 */
#include <librdkafka/rdkafka.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct batch {
    double *sent;
    long warm; /* warm-up reports */
    long done;
    double sum;
    int failed;
};

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    struct batch *b = opaque;

    (void)rk;
    if ((intptr_t)m->_private < 0) {
        b->warm++;
        b->failed |= m->err != 0;
        return;
    }
    b->done++;
    if (m->err)
        b->failed = 1;
    else
        b->sum += now() - b->sent[(intptr_t)m->_private];
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* One round: the mean latency in seconds, or -1. */
static double round_once(const char *brokers, const char *topic, int parts, long n)
{
    static const char *props[] = {"enable.idempotence", "true", "acks", "all", "linger.ms", "1",
                                  "log_level",          "3",    NULL};
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    struct batch b = {calloc((size_t)n, sizeof(double)), 0, 0, 0, 0};
    double until;
    char err[512], buf[64];
    rd_kafka_t *rk;

    rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err, sizeof(err));
    for (int i = 0; props[i]; i += 2)
        rd_kafka_conf_set(conf, props[i], props[i + 1], err, sizeof(err));
    rd_kafka_conf_set_dr_msg_cb(conf, dr);
    rd_kafka_conf_set_opaque(conf, &b);
    if (!b.sent || !(rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err)))) {
        fprintf(stderr, "kafka_rawlat: %s\n", err);
        exit(1);
    }
    for (int p = 0; p < parts; p++)
        rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(p),
                          RD_KAFKA_V_VALUE("warm-up", 7), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                          RD_KAFKA_V_OPAQUE((void *)(intptr_t)-1), RD_KAFKA_V_END);
    for (until = now() + 30; b.warm < parts && now() < until;)
        rd_kafka_poll(rk, 10);
    for (long i = 0; i < n; i++) {
        int len = snprintf(buf, sizeof(buf), "rawlat:%d:%ld", (int)(i % parts), i / parts);

        b.sent[i] = now();
        rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION((int)(i % parts)),
                          RD_KAFKA_V_VALUE(buf, (size_t)len),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                          RD_KAFKA_V_OPAQUE((void *)(intptr_t)i), RD_KAFKA_V_END);
        rd_kafka_poll(rk, 0);
    }
    while (b.done < n)
        rd_kafka_poll(rk, 10);
    rd_kafka_destroy(rk);
    free(b.sent);
    return b.failed ? -1 : b.sum / (double)n;
}

int main(int argc, char **argv)
{
    int parts, rounds;
    long n;
    double *v;

    if (argc != 6 || (parts = atoi(argv[3])) < 1 || (n = atol(argv[4])) < 1 ||
        (rounds = atoi(argv[5])) < 1) {
        fprintf(stderr, "usage: kafka_rawlat BROKERS TOPIC PARTITIONS MESSAGES ROUNDS\n");
        return 2;
    }
    v = calloc((size_t)rounds, sizeof(double));
    for (int r = 0; v && r < rounds; r++)
        if ((v[r] = round_once(argv[1], argv[2], parts, n)) < 0) {
            fprintf(stderr, "kafka_rawlat: a delivery failed\n");
            return 1;
        }
    qsort(v, (size_t)rounds, sizeof(double), cmp);
    printf("%.3f\n", v[rounds / 2] * 1000);
    free(v);
    return 0;
}
