/*
 * The health of partitions from metadata, without a cluster: which partitions are offline (no
 * leader), under-replicated (ISR smaller than the replicas), at risk (ISR down to
 * min.insync.replicas: one more failure stops acks=all writes) or below min.insync.replicas
 * (acks=all writes refused now), counted and named.
 */
#ifndef KAFKA_HEALTH_H
#define KAFKA_HEALTH_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

struct kafka_health {
    int topics, partitions;
    int offline, under_replicated, at_risk, below_min_isr;
    char offline_names[256], under_names[256], at_risk_names[256], below_names[256];
};

/* Add topic t's partitions to h; min_insync 0: at risk and below are not judged. The names are
 * "P" when `qualify` is 0, else "TOPIC/P", comma-separated, cut with "..." when long. */
void kafka_health_add(struct kafka_health *h, const rd_kafka_metadata_topic_t *t, int min_insync,
                      int qualify);

/* "offline 1 (t/0); under-replicated 2 (t/1, t/2)", or "" when all is well, into buf. */
const char *kafka_health_text(const struct kafka_health *h, char *buf, size_t len);

#endif
