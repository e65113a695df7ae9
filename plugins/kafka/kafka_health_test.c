/*
 * kafka_health.c on hand-made metadata: offline, under-replicated, at-risk and below
 * min.insync.replicas partitions counted and named, long lists cut, the text in order.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "kafka_health.h"

static int32_t all3[] = {1, 2, 3}, two[] = {1, 2}, one[] = {1};

static rd_kafka_metadata_partition_t part(int id, int leader, int32_t *isr, int nisr)
{
    rd_kafka_metadata_partition_t p = {.id = id,
                                       .leader = leader,
                                       .replica_cnt = 3,
                                       .replicas = all3,
                                       .isr_cnt = nisr,
                                       .isrs = isr};
    return p;
}

START_TEST(healthy)
{
    rd_kafka_metadata_partition_t ps[] = {part(0, 1, all3, 3), part(1, 2, all3, 3)};
    rd_kafka_metadata_topic_t t = {.topic = "t", .partition_cnt = 2, .partitions = ps};
    struct kafka_health h = {0};
    char buf[512];

    kafka_health_add(&h, &t, 2, 1);
    ck_assert_int_eq(h.topics, 1);
    ck_assert_int_eq(h.partitions, 2);
    ck_assert_int_eq(h.offline + h.under_replicated + h.at_risk + h.below_min_isr, 0);
    ck_assert_str_eq(kafka_health_text(&h, buf, sizeof(buf)), "");
}
END_TEST

START_TEST(each_kind)
{
    rd_kafka_metadata_partition_t ps[] = {part(0, -1, one, 1), part(1, 2, two, 2),
                                          part(2, 1, one, 1), part(3, 3, all3, 3)};
    rd_kafka_metadata_topic_t t = {.topic = "orders", .partition_cnt = 4, .partitions = ps};
    struct kafka_health h = {0};
    char buf[512];

    kafka_health_add(&h, &t, 2, 1);
    ck_assert_int_eq(h.offline, 1);
    ck_assert_int_eq(h.under_replicated, 2);
    ck_assert_int_eq(h.at_risk, 1);
    ck_assert_int_eq(h.below_min_isr, 1);
    ck_assert_str_eq(kafka_health_text(&h, buf, sizeof(buf)),
                     "offline 1 (orders/0); below min.insync.replicas 1 (orders/2); "
                     "under-replicated 2 (orders/1, orders/2); at risk (ISR = "
                     "min.insync.replicas) 1 (orders/1)");
    memset(&h, 0, sizeof(h));
    kafka_health_add(&h, &t, 0, 0); /* no min.insync.replicas: neither at risk nor below */
    ck_assert_int_eq(h.at_risk + h.below_min_isr, 0);
    ck_assert_str_eq(h.under_names, "1, 2");
}
END_TEST

START_TEST(long_lists_are_cut)
{
    static rd_kafka_metadata_partition_t ps[200];
    rd_kafka_metadata_topic_t t = {
        .topic = "a-rather-long-topic-name", .partition_cnt = 200, .partitions = ps};
    struct kafka_health h = {0};

    for (int i = 0; i < 200; i++)
        ps[i] = part(i, -1, one, 1);
    kafka_health_add(&h, &t, 2, 1);
    ck_assert_int_eq(h.offline, 200);
    ck_assert_msg(strlen(h.offline_names) < sizeof(h.offline_names) &&
                      strcmp(h.offline_names + strlen(h.offline_names) - 3, "...") == 0,
                  "got \"%s\"", h.offline_names);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kafka_health");
    TCase *tc = tcase_create("health");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, healthy);
    tcase_add_test(tc, each_kind);
    tcase_add_test(tc, long_lists_are_cut);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
