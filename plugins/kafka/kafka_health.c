/*
 * Partition health from metadata: counts and names (see kafka_health.h). Pure: no client, no
 * SDK, so that kafka_health_test.c drives it with hand-made metadata.
 */
#include "kafka_health.h"

#include <stdio.h>
#include <string.h>

/* Append "name" to a comma-separated list, ending it with "..." once it is full. */
static void kafka_name_add(char *list, size_t len, const char *topic, int partition)
{
    size_t used = strlen(list);
    char one[300];
    int n;

    if (used >= 3 && strcmp(list + used - 3, "...") == 0)
        return;
    n = topic ? snprintf(one, sizeof(one), "%s/%d", topic, partition)
              : snprintf(one, sizeof(one), "%d", partition);
    if (used + (size_t)n + 2 + 4 >= len) {
        snprintf(list + used, len - used, "%s...", used ? ", " : "");
        return;
    }
    snprintf(list + used, len - used, "%s%s", used ? ", " : "", one);
}

void kafka_health_add(struct kafka_health *h, const rd_kafka_metadata_topic_t *t, int min_insync,
                      int qualify)
{
    const char *name = qualify ? t->topic : NULL;

    h->topics++;
    for (int i = 0; i < t->partition_cnt; i++) {
        const rd_kafka_metadata_partition_t *p = &t->partitions[i];

        h->partitions++;
        if (p->leader < 0) {
            h->offline++;
            kafka_name_add(h->offline_names, sizeof(h->offline_names), name, p->id);
            continue;
        }
        if (p->isr_cnt < p->replica_cnt) {
            h->under_replicated++;
            kafka_name_add(h->under_names, sizeof(h->under_names), name, p->id);
        }
        if (min_insync > 0 && p->isr_cnt < min_insync) {
            h->below_min_isr++;
            kafka_name_add(h->below_names, sizeof(h->below_names), name, p->id);
        } else if (min_insync > 0 && p->isr_cnt == min_insync) {
            h->at_risk++;
            kafka_name_add(h->at_risk_names, sizeof(h->at_risk_names), name, p->id);
        }
    }
}

static void kafka_text_add(char *buf, size_t len, const char *what, int n, const char *names)
{
    size_t used = strlen(buf);

    if (n > 0 && used < len)
        snprintf(buf + used, len - used, "%s%s %d (%s)", used ? "; " : "", what, n, names);
}

const char *kafka_health_text(const struct kafka_health *h, char *buf, size_t len)
{
    if (!len)
        return buf;
    buf[0] = '\0';
    kafka_text_add(buf, len, "offline", h->offline, h->offline_names);
    kafka_text_add(buf, len, "below min.insync.replicas", h->below_min_isr, h->below_names);
    kafka_text_add(buf, len, "under-replicated", h->under_replicated, h->under_names);
    kafka_text_add(buf, len, "at risk (ISR = min.insync.replicas)", h->at_risk, h->at_risk_names);
    return buf;
}
