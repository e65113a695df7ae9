/*
 * The kafka plugin through the infraprobe program, against the sandbox's real Apache Kafka (3
 * KRaft nodes): every check, with librdkafka in the test looking behind the plugin's back (the
 * topic it created, the group it deleted, a group's lag computed independently), bad settings
 * at -t, and faults: no broker reachable, a listener that never answers, a missing topic with
 * create_topic = false, a replication factor the cluster cannot give (more than its brokers;
 * more than its live brokers), a paused broker, a stopped one (acks=all refused below
 * min.insync.replicas), an offline partition. Tests that
 * only read a healthy cluster share one sandbox; the drill and the faults get their own.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testlib.h"

struct sandbox {
    struct testlib_sandbox sb;
    char addr[512]; /* KAFKA_ADDR */
};

static const char *workdir;
static struct sandbox shared;
/* Loose enough for ASan on a loaded 2-core machine: the tests assert behaviour, not speed. */
#define LOOSE_THRESHOLDS                                                                           \
    "connect = { warn_ms = 10000.0; crit_ms = 20000.0; };"                                         \
    " produce = { warn_ms = 10000.0; crit_ms = 20000.0; }; throughput = { crit_min = 1.0; };"
static const char loose[] = "thresholds = { " LOOSE_THRESHOLDS " }; throughput_messages = 2000;";

/* `sandbox up kafka`: 0, or -1. No second attempt: a failed up is a defect to find, not to
 * hide (one, a cluster id the storage tool took for an option, is fixed in the sandbox). */
static int sandbox_up(struct sandbox *sb, const char *dir)
{
    memset(sb, 0, sizeof(*sb));
    if (testlib_sandbox_up(&sb->sb, dir, "kafka") != 0)
        return -1;
    return testlib_sandbox_var(&sb->sb, "KAFKA_ADDR", sb->addr, sizeof(sb->addr));
}

static void sandbox_down(const struct sandbox *sb)
{
    if (testlib_sandbox(&sb->sb, "down") != 0)
        fprintf(stderr, "kafka_test: %s: sandbox down failed\n", sb->sb.dir);
}

/* Run infraprobe (`mode`: "--once" or "--drill") on one kafka probe named `name`. */
static json_t *run_named(const char *mode, const char *name, double timeout, const char *settings,
                         int *code)
{
    char conf[512], args[64];

    snprintf(conf, sizeof(conf), "%s/kafka-%s.conf", workdir, name);
    testlib_write(conf,
                  "probes = ( { name = \"%s\"; plugin = \"kafka\"; timeout = %.1f;\n  %s } );\n",
                  name, timeout, settings);
    snprintf(args, sizeof(args), "%s -f json", mode);
    return testlib_run_json(conf, args, code, NULL, NULL);
}

static const char *checks_text(json_t *doc, char *why, size_t len);

static void expect_check(json_t *doc, const char *name, const char *status, const char *part)
{
    json_t *c = testlib_find_check(doc, name, NULL);
    const char *got = testlib_status(c), *msg = testlib_message(c);

    char all[4096];

    ck_assert_msg(got && strcmp(got, status) == 0 && (!part || (msg && strstr(msg, part))),
                  "check %s: expected %s with \"%s\", got %s: %s; all:%s", name, status,
                  part ? part : "", got ? got : "(none)", msg ? msg : "(none)",
                  checks_text(doc, all, sizeof(all)));
}

/* Every check that was not ok, one a line, into why. */
static const char *checks_text(json_t *doc, char *why, size_t len)
{
    size_t i;
    json_t *c;

    why[0] = '\0';
    json_array_foreach(json_object_get(testlib_probe0(doc), "checks"), i, c)
    {
        size_t used = strlen(why);

        if (strcmp(testlib_status(c), "ok") != 0 && used < len)
            snprintf(why + used, len - used, "\n  %s %s: %s",
                     json_string_value(json_object_get(c, "name")), testlib_status(c),
                     testlib_message(c));
    }
    return why;
}

/* The exit code, or a failure that shows every check that was not ok. */
static void expect_code(json_t *doc, int code, int want)
{
    char why[4096];

    ck_assert_msg(code == want, "exit %d, expected %d:%s", code, want,
                  checks_text(doc, why, sizeof(why)));
}

/* ---- librdkafka behind the plugin's back ---------------------------------------------- */

static rd_kafka_t *direct(const char *addr, rd_kafka_type_t type, const char *group)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char err[512];
    rd_kafka_t *rk;

    ck_assert_int_eq(rd_kafka_conf_set(conf, "bootstrap.servers", addr, err, sizeof(err)), 0);
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof(err));
    if (group)
        ck_assert_int_eq(rd_kafka_conf_set(conf, "group.id", group, err, sizeof(err)), 0);
    rk = rd_kafka_new(type, conf, err, sizeof(err));
    ck_assert_msg(rk != NULL, "rd_kafka_new: %s", err);
    return rk;
}

/* The topic's partition count, the first partition's replica count, and partition p's
 * leader (-1: none); *parts 0 when the topic does not exist. */
static void direct_topic(const char *addr, const char *topic, int p, int *parts, int *rf,
                         int *leader)
{
    rd_kafka_t *rk = direct(addr, RD_KAFKA_PRODUCER, NULL);
    const struct rd_kafka_metadata *md;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 1, NULL, &md, 10000);

    ck_assert_msg(e == 0, "metadata: %s", rd_kafka_err2str(e));
    *parts = *rf = 0;
    *leader = -1;
    for (int i = 0; i < md->topic_cnt; i++) {
        const rd_kafka_metadata_topic_t *t = &md->topics[i];

        if (strcmp(t->topic, topic) != 0 || t->err)
            continue;
        *parts = t->partition_cnt;
        *rf = t->partition_cnt ? t->partitions[0].replica_cnt : 0;
        for (int j = 0; j < t->partition_cnt; j++)
            if (t->partitions[j].id == p)
                *leader = t->partitions[j].leader;
    }
    rd_kafka_metadata_destroy(md);
    rd_kafka_destroy(rk);
}

/* The cluster has no topic of that name. */
static void expect_absent(const char *addr, const char *topic)
{
    int parts, rf, leader;

    direct_topic(addr, topic, 0, &parts, &rf, &leader);
    ck_assert_msg(parts == 0, "topic %s exists, with %d partitions", topic, parts);
}

/* The advertised host:port of broker `id`. */
static void direct_broker(const char *addr, int id, char *out, size_t len)
{
    rd_kafka_t *rk = direct(addr, RD_KAFKA_PRODUCER, NULL);
    const struct rd_kafka_metadata *md;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, NULL, &md, 10000);

    ck_assert_msg(e == 0, "metadata: %s", rd_kafka_err2str(e));
    out[0] = '\0';
    for (int i = 0; i < md->broker_cnt; i++)
        if (md->brokers[i].id == id)
            snprintf(out, len, "%s:%d", md->brokers[i].host, md->brokers[i].port);
    rd_kafka_metadata_destroy(md);
    rd_kafka_destroy(rk);
}

/* The group's state name as the cluster describes it. */
static void direct_group_state(const char *addr, const char *group, char *state, size_t len)
{
    rd_kafka_t *rk = direct(addr, RD_KAFKA_PRODUCER, NULL);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_event_t *ev;
    const rd_kafka_ConsumerGroupDescription_t **g;
    size_t n = 0;

    rd_kafka_DescribeConsumerGroups(rk, &group, 1, NULL, q);
    ev = rd_kafka_queue_poll(q, 15000);
    ck_assert_ptr_nonnull(ev);
    ck_assert_msg(!rd_kafka_event_error(ev), "%s", rd_kafka_event_error_string(ev));
    g = rd_kafka_DescribeConsumerGroups_result_groups(
        rd_kafka_event_DescribeConsumerGroups_result(ev), &n);
    ck_assert_int_eq(n, 1);
    snprintf(state, len, "%s",
             rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(g[0])));
    rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(rk);
}

/* Commit `offset` of topic/p for `group`. */
static void direct_commit(const char *addr, const char *group, const char *topic, int p,
                          long long offset)
{
    rd_kafka_t *rk = direct(addr, RD_KAFKA_CONSUMER, group);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_resp_err_t e;

    rd_kafka_topic_partition_list_add(l, topic, p)->offset = offset;
    e = rd_kafka_commit(rk, l, 0);
    ck_assert_msg(e == 0, "commit: %s", rd_kafka_err2str(e));
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
}

static long long direct_high(const char *addr, const char *topic, int p)
{
    rd_kafka_t *rk = direct(addr, RD_KAFKA_PRODUCER, NULL);
    int64_t lo, hi;
    rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, 10000);

    ck_assert_msg(e == 0, "watermarks: %s", rd_kafka_err2str(e));
    rd_kafka_destroy(rk);
    return hi;
}

/* ---- a healthy cluster, shared ------------------------------------------------------- */

/* The cluster's first run, as ./scripts/demo makes it: a new topic, a new idempotent producer.
 * Its connections, producer id, metadata and the new partitions' first replicated write are the
 * warm-up's, so produce keeps its default thresholds and is ok; the warm-up is reported. */
START_TEST(first_run_produce_ok)
{
    char settings[1024];
    int code;
    json_t *doc;

    snprintf(settings, sizeof(settings),
             "brokers = \"%s\"; checks = [\"connect\", \"topic\", \"produce\"];\n"
             "  thresholds = { connect = { warn_ms = 10000.0; crit_ms = 20000.0; }; };",
             shared.addr);
    doc = run_named("--once", "first-run", 60, settings, &code);
    expect_check(doc, "topic", "ok", "created infraprobe.first-run");
    expect_check(doc, "produce", "ok", "after a warm-up of");
    ck_assert_double_gt(testlib_metric(doc, "infraprobe_kafka_produce_warm_up_seconds", NULL, NULL),
                        0);
    expect_code(doc, code, 0);
    json_decref(doc);
}
END_TEST

START_TEST(every_check_ok)
{
    char settings[2048], state[64];
    int code, parts, rf, leader;
    json_t *doc;
    const char *checks[] = {"connect", "topic",    "partitions", "produce",
                            "consume", "ordering", "throughput"};

    snprintf(settings, sizeof(settings), "brokers = \"%s\"; expected_brokers = 3; %s", shared.addr,
             loose);
    doc = run_named("--once", "every-check", 60, settings, &code);
    for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
        expect_check(doc, checks[i], "ok", NULL);
    expect_check(doc, "topic", "ok",
                 "created infraprobe.every-check: 3 partitions, replication "
                 "factor 3");
    expect_check(doc, "consume", "ok", "read all 100 acknowledged messages back, each once");
    ck_assert_double_eq(testlib_metric(doc, "infraprobe_kafka_produced_messages", NULL, NULL), 100);
    ck_assert_double_eq(
        testlib_metric(doc, "infraprobe_kafka_consume_missing_messages", NULL, NULL), 0);
    ck_assert_double_eq(
        testlib_metric(doc, "infraprobe_kafka_consume_duplicated_messages", NULL, NULL), 0);
    ck_assert_double_eq(testlib_metric(doc, "infraprobe_kafka_brokers", NULL, NULL), 3);
    ck_assert_double_ge(testlib_metric(doc, "infraprobe_kafka_controller_id", NULL, NULL), 0);
    expect_code(doc, code, 0);
    json_decref(doc);
    /* Behind its back: the topic as asked, and the probe's group gone. */
    direct_topic(shared.addr, "infraprobe.every-check", 0, &parts, &rf, &leader);
    ck_assert_int_eq(parts, 3);
    ck_assert_int_eq(rf, 3);
    ck_assert_int_ge(leader, 0);
    direct_group_state(shared.addr, "infraprobe.every-check", state, sizeof(state));
    ck_assert_str_eq(state, "Dead");
    /* The next run keeps the topic it created and reads only its own messages. */
    doc = run_named("--once", "every-check", 60, settings, &code);
    expect_check(doc, "topic", "ok", "infraprobe.every-check: 3 partitions");
    ck_assert_ptr_null(strstr(testlib_message(testlib_find_check(doc, "topic", NULL)), "created"));
    expect_check(doc, "consume", "ok", "read all 100 acknowledged messages back, each once");
    expect_code(doc, code, 0);
    json_decref(doc);
}
END_TEST

START_TEST(groups_lag)
{
    char settings[2048];
    long long hi[3], lag = 0;
    int code;
    json_t *doc, *c;

    /* A topic with messages, and a group with offsets committed behind the high watermark. */
    snprintf(settings, sizeof(settings), "brokers = \"%s\"; topic = \"lag-topic\"; %s", shared.addr,
             loose);
    doc = run_named("--once", "lag-writer", 60, settings, &code);
    expect_check(doc, "produce", "ok", NULL);
    json_decref(doc);
    for (int p = 0; p < 3; p++) {
        hi[p] = direct_high(shared.addr, "lag-topic", p);
        ck_assert_int_gt(hi[p], 10);
        direct_commit(shared.addr, "watched-lag", "lag-topic", p, p == 1 ? 10 : hi[p]);
    }
    lag = hi[1] - 10;
    snprintf(
        settings, sizeof(settings),
        "brokers = \"%s\"; groups = [\"watched-lag\", \"no-such-group\"]; checks = [\"connect\", "
        "\"groups\"]; partition_lag_warn = %lld;",
        shared.addr, lag - 1);
    doc = run_named("--once", "lag-reader", 60, settings, &code);
    c = testlib_find_check(doc, "groups", "watched-lag");
    ck_assert_msg(json_number_value(json_object_get(c, "value")) == (double)lag,
                  "value %g, expected %lld: %s", json_number_value(json_object_get(c, "value")),
                  lag, testlib_message(c));
    ck_assert_str_eq(testlib_status(c), "warning");
    ck_assert_msg(strstr(testlib_message(c), "state Empty") &&
                      strstr(testlib_message(c), "lag-topic/1"),
                  "%s", testlib_message(c));
    ck_assert_double_eq(testlib_metric(doc, "infraprobe_kafka_group_lag", "partition", "1"),
                        (double)lag);
    c = testlib_find_check(doc, "groups", "no-such-group");
    ck_assert_str_eq(testlib_status(c), "critical");
    ck_assert_msg(strstr(testlib_message(c), "no such group"), "%s", testlib_message(c));
    expect_code(doc, code, 2);
    json_decref(doc);
}
END_TEST

START_TEST(expected_brokers_missing)
{
    char settings[1024];
    int code;
    json_t *doc;

    snprintf(settings, sizeof(settings),
             "brokers = \"%s\"; expected_brokers = 4; checks = [\"connect\"];", shared.addr);
    doc = run_named("--once", "four", 30, settings, &code);
    expect_check(doc, "connect", "critical", "3 brokers, expected 4");
    expect_code(doc, code, 2);
    json_decref(doc);
}
END_TEST

START_TEST(missing_topic_not_created)
{
    char settings[1024];
    int code;
    json_t *doc;

    snprintf(settings, sizeof(settings),
             "brokers = \"%s\"; topic = \"never-made\"; create_topic = false; %s", shared.addr,
             loose);
    doc = run_named("--once", "missing", 30, settings, &code);
    expect_check(doc, "topic", "critical", "never-made: does not exist (create_topic = false)");
    expect_check(doc, "produce", "skipped", "the topic is not usable");
    expect_check(doc, "consume", "skipped", NULL);
    expect_code(doc, code, 2);
    json_decref(doc);
    expect_absent(shared.addr, "never-made");
    /* read_only: creating the topic would be a write. */
    snprintf(settings, sizeof(settings),
             "brokers = \"%s\"; topic = \"never-made\"; read_only = true;", shared.addr);
    doc = run_named("--once", "missing", 30, settings, &code);
    expect_check(doc, "topic", "critical", "(not created: no check that writes runs)");
    expect_check(doc, "produce", "skipped", NULL);
    expect_code(doc, code, 2);
    json_decref(doc);
    expect_absent(shared.addr, "never-made");
}
END_TEST

START_TEST(replication_factor_refused_by_kafka)
{
    char settings[1024];
    int code;
    json_t *doc;

    snprintf(settings, sizeof(settings),
             "brokers = \"%s\"; topic = \"rf-four\"; replication_factor = 4; %s", shared.addr,
             loose);
    doc = run_named("--once", "rf-four", 30, settings, &code);
    /* Kafka's own words. */
    expect_check(doc, "topic", "critical",
                 "CreateTopics refused: INVALID_REPLICATION_FACTOR: Unable to replicate");
    expect_check(doc, "topic", "critical", "only 3 broker(s) are registered");
    expect_code(doc, code, 2);
    json_decref(doc);
    expect_absent(shared.addr, "rf-four");
}
END_TEST

START_TEST(partitions_of_listed_topics)
{
    char settings[1024];
    int code;
    json_t *doc;

    snprintf(settings, sizeof(settings),
             "brokers = \"%s\"; partition_topics = [\"__consumer_offsets\", \"absent-topic\"]; "
             "checks = [\"connect\", \"partitions\"];",
             shared.addr);
    doc = run_named("--once", "listed", 30, settings, &code);
    expect_check(doc, "partitions", "critical", "1 topics");
    expect_check(doc, "partitions", "critical", "not found: absent-topic");
    expect_code(doc, code, 2);
    json_decref(doc);
}
END_TEST

START_TEST(bad_settings_at_t)
{
    char conf[512], *out = NULL, *err = NULL;
    int code;

    snprintf(conf, sizeof(conf), "%s/bad.conf", workdir);
    testlib_write(conf, "probes = ( { name = \"bad\"; plugin = \"kafka\";\n"
                        "  brokers = \"127.0.0.1:9092,nohostport\";\n"
                        "  rdkafka = [\"no.such.property=1\", \"sasl.password=x\",\n"
                        "             \"socket.keepalive.enable=maybe\"];\n"
                        "  replication_factor = 2; min_insync_replicas = 3;\n"
                        "} );\n");
    code = testlib_run(conf, "-t", &out, &err);
    ck_assert_int_eq(code, 3);
    ck_assert_msg(strstr(err, "bad.conf:2: ") && strstr(err, "\"nohostport\": expected host:port"),
                  "%s", err);
    ck_assert_msg(strstr(err, "bad.conf:3: ") && strstr(err, "rdkafka: \"no.such.property\": No "
                                                             "such configuration property"),
                  "%s", err);
    ck_assert_msg(strstr(err, "\"sasl.password\" is the plugin's: set sasl_password_file"), "%s",
                  err);
    ck_assert_msg(strstr(err, "\"socket.keepalive.enable\": Expected bool value"), "%s", err);
    ck_assert_msg(strstr(err, "bad.conf:5: ") && strstr(err, "more than replication_factor = 2"),
                  "%s", err);
    /* The secret's value is never shown. */
    ck_assert_ptr_null(strstr(err, "sasl.password=x"));
    free(out);
    free(err);
}
END_TEST

START_TEST(no_broker_reachable)
{
    char settings[256];
    int code;
    json_t *doc;

    snprintf(settings, sizeof(settings), "brokers = \"127.0.0.1:%d\";", testlib_closed_port());
    doc = run_named("--once", "refused", 2, settings, &code);
    expect_check(doc, "connect", "critical", "Connection refused");
    expect_check(doc, "topic", "skipped", "not connected");
    ck_assert_str_eq(testlib_status(testlib_probe0(doc)), "critical");
    expect_code(doc, code, 2);
    json_decref(doc);
}
END_TEST

START_TEST(listener_that_never_answers)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), code;
    char settings[256];
    json_t *doc;

    /* The kernel completes each connection; nothing ever reads or answers. */
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, len), 0);
    ck_assert_int_eq(listen(fd, 64), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    snprintf(settings, sizeof(settings), "brokers = \"127.0.0.1:%d\";", ntohs(a.sin_port));
    doc = run_named("--once", "silent", 2, settings, &code);
    expect_check(doc, "connect", "critical", "timed out after");
    /* The plugin gave up by itself: critical, not the core's unknown "timed out". */
    ck_assert_str_eq(testlib_status(testlib_probe0(doc)), "critical");
    expect_code(doc, code, 2);
    json_decref(doc);
    close(fd);
}
END_TEST

/* ---- a cluster broken on purpose, on a sandbox of its own ------------------------------ */

/* One broker paused: acks=all waits for it while it is in the ISR; the run still ends by
 * itself, the produce check naming the partitions and their leaders. */
static void paused_broker(const struct sandbox *sb)
{
    char settings[2048];
    int code;
    json_t *doc;

    snprintf(settings, sizeof(settings), "brokers = \"%s\"; topic = \"paused\"; %s", sb->addr,
             loose);
    doc = run_named("--once", "pre-pause", 60, settings, &code);
    expect_check(doc, "produce", "ok", NULL);
    json_decref(doc);
    ck_assert_int_eq(testlib_sandbox(&sb->sb, "pause kafka-2"), 0);
    doc = run_named("--once", "paused", 5, settings, &code);
    ck_assert_int_eq(testlib_sandbox(&sb->sb, "resume kafka-2"), 0);
    expect_check(doc, "produce", "critical", "without a report after");
    expect_check(doc, "produce", "critical", "(leader 127.0.0.1:");
    ck_assert_int_eq(testlib_has_check(doc, "run"), 0); /* not the core's timeout */
    expect_code(doc, code, 2);
    json_decref(doc);
}

/* kafka-3 stopped, a topic asking for min.insync.replicas = 3: its ISR is below that, and
 * acks=all writes are refused. */
static void below_min_insync(const struct sandbox *sb)
{
    char settings[2048];
    int code;
    json_t *doc;

    snprintf(settings, sizeof(settings),
             "brokers = \"%s\"; topic = \"strict\"; min_insync_replicas = 3; %s", sb->addr, loose);
    doc = run_named("--once", "strict", 8, settings, &code);
    expect_check(doc, "topic", "critical", "below min.insync.replicas 3 (0, 1, 2)");
    expect_check(doc, "produce", "critical", "0 of 100 messages acknowledged");
    expect_check(doc, "partitions", "warning", "under-replicated");
    expect_code(doc, code, 2);
    json_decref(doc);
}

/* kafka-3 stopped: two live brokers, a new topic asking for replication factor 3. KRaft places
 * replicas on every registered broker, fenced ones included (it refuses only when the factor
 * exceeds the registered brokers, or every one is fenced): the topic is created under-replicated
 * (the run writes, so it creates) and the topic check says so. Once the stopped broker's
 * registration is removed (Kafka's own kafka-cluster unregister), the cluster has fewer brokers
 * than the factor and refuses, in its own words; the broker registers anew when it starts again. */
static void fewer_live_brokers_than_rf(const struct sandbox *sb)
{
    char settings[2048];
    int code;
    json_t *doc;

    snprintf(settings, sizeof(settings),
             "brokers = \"%s\"; topic = \"rf-fenced\"; checks = [\"connect\", \"topic\", "
             "\"produce\"]; %s",
             sb->addr, loose);
    doc = run_named("--once", "rf-fenced", 20, settings, &code);
    expect_check(doc, "connect", "ok", "2 brokers");
    expect_check(doc, "topic", "warning", "created rf-fenced: 3 partitions, replication factor 3");
    expect_check(doc, "topic", "warning", "under-replicated 3 (0, 1, 2)");
    /* Two of three in the ISR is min.insync.replicas: acks=all writes go on. */
    expect_check(doc, "produce", "ok", NULL);
    expect_code(doc, code, 1);
    json_decref(doc);
    ck_assert_int_eq(testlib_sandbox(&sb->sb, "kafka cluster unregister --id 3"), 0);
    snprintf(settings, sizeof(settings),
             "brokers = \"%s\"; topic = \"rf-live\"; checks = [\"connect\", \"topic\", "
             "\"produce\"]; %s",
             sb->addr, loose);
    doc = run_named("--once", "rf-live", 20, settings, &code);
    expect_check(doc, "topic", "critical",
                 "rf-live: CreateTopics refused: INVALID_REPLICATION_FACTOR: Unable to replicate "
                 "the partition 3 time(s)");
    expect_check(doc, "topic", "critical", "only 2 broker(s) are registered");
    expect_check(doc, "produce", "skipped", "the topic is not usable");
    expect_code(doc, code, 2);
    json_decref(doc);
    expect_absent(sb->addr, "rf-live");
}

/* A replication-factor-1 topic whose partition 0's broker is stopped: that partition is
 * offline, for the topic check and the cluster's verdict alike. */
static void offline_partition(const struct sandbox *sb)
{
    char settings[2048], broker[300], part[64];
    int code, parts, rf, leader, offline = 0;
    json_t *doc;

    snprintf(settings, sizeof(settings),
             "brokers = \"%s\"; topic = \"solo\"; replication_factor = 1; "
             "min_insync_replicas = 1; %s",
             sb->addr, loose);
    doc = run_named("--once", "solo", 60, settings, &code);
    /* One replica is always one failure from offline. */
    expect_check(doc, "topic", "warning", "at risk (ISR = min.insync.replicas) 3 (0, 1, 2)");
    expect_check(doc, "produce", "ok", NULL);
    json_decref(doc);
    direct_topic(sb->addr, "solo", 0, &parts, &rf, &leader);
    ck_assert_int_eq(rf, 1);
    /* Every partition that broker holds goes offline with it. */
    for (int p = 0; p < parts; p++) {
        int l;

        direct_topic(sb->addr, "solo", p, &parts, &rf, &l);
        offline += l == leader;
    }
    direct_broker(sb->addr, leader, broker, sizeof(broker));
    ck_assert_int_eq(testlib_sandbox(&sb->sb, "stop %s", broker), 0);
    /* What this asserts, only: no write waiting on the offline partition takes the time. */
    snprintf(settings, sizeof(settings),
             "brokers = \"%s\"; topic = \"solo\"; replication_factor = 1; "
             "min_insync_replicas = 1; checks = [\"connect\", \"topic\", \"partitions\"]; %s",
             sb->addr, loose);
    doc = run_named("--once", "solo", 20, settings, &code);
    snprintf(part, sizeof(part), "offline %d (0", offline);
    expect_check(doc, "topic", "critical", part);
    snprintf(part, sizeof(part), "offline %d (solo/0", offline);
    expect_check(doc, "partitions", "critical", part);
    ck_assert_double_eq(testlib_metric(doc, "infraprobe_kafka_offline_partitions", NULL, NULL),
                        offline);
    expect_code(doc, code, 2);
    json_decref(doc);
    ck_assert_int_eq(testlib_sandbox(&sb->sb, "start %s", broker), 0);
}

START_TEST(broken_cluster)
{
    char dir[600];
    struct sandbox sb;

    snprintf(dir, sizeof(dir), "%s/broken", workdir);
    ck_assert_msg(sandbox_up(&sb, dir) == 0, "sandbox up failed");
    paused_broker(&sb);
    ck_assert_int_eq(testlib_sandbox(&sb.sb, "stop kafka-3"), 0);
    below_min_insync(&sb);
    fewer_live_brokers_than_rf(&sb);
    /* Registered and unfenced again (`start` waits for that), its data kept. */
    ck_assert_int_eq(testlib_sandbox(&sb.sb, "start kafka-3"), 0);
    offline_partition(&sb);
    sandbox_down(&sb);
}
END_TEST

/* ---- the drill, on a sandbox of its own ------------------------------------------------ */

/* Wait (up to 120 s) until no partition of the cluster is under-replicated or offline: the
 * drill's starting point. A cluster that never gets there fails the test. */
static void wait_whole(const char *addr)
{
    rd_kafka_t *rk = direct(addr, RD_KAFKA_PRODUCER, NULL);
    int whole = 0;

    for (int round = 0; round < 240 && !whole; round++) {
        const struct rd_kafka_metadata *md;

        if (round)
            usleep(500 * 1000);
        if (rd_kafka_metadata(rk, 1, NULL, &md, 10000) != 0)
            continue;
        whole = 1;
        for (int t = 0; t < md->topic_cnt; t++)
            for (int p = 0; p < md->topics[t].partition_cnt; p++) {
                const rd_kafka_metadata_partition_t *mp = &md->topics[t].partitions[p];

                whole &= mp->leader >= 0 && mp->isr_cnt == mp->replica_cnt;
            }
        rd_kafka_metadata_destroy(md);
    }
    rd_kafka_destroy(rk);
    ck_assert_msg(whole, "%s: partitions still under-replicated after 120 s", addr);
}

/* A drill run: the checks the drill needs (connect, and topic, which finds the partition's
 * leader) and the drill itself. */
static json_t *drill_once(const struct sandbox *sb, int partition, int *code)
{
    char settings[4096];

    wait_whole(sb->addr);
    snprintf(settings, sizeof(settings),
             "brokers = \"%s\"; topic = \"drilled\"; drill_partition = %d; checks = [\"connect\", "
             "\"topic\", \"failover\"];\n  thresholds = { " LOOSE_THRESHOLDS
             " failover = { warn_max = 60.0; crit_max = 90.0; }; };\n"
             "  failover = { stop = \"'%s' --dir '%s' kill %%{leader}\";\n"
             "               start = \"'%s' --dir '%s' start %%{broker}\";\n"
             "               timeout = 90.0; action_timeout = 60.0; };",
             sb->addr, partition, testlib_sandbox_tool(), sb->sb.dir, testlib_sandbox_tool(),
             sb->sb.dir);
    return run_named("--drill", "drill", 60, settings, code);
}

static void expect_drill_ok(json_t *doc, int code)
{
    expect_check(doc, "failover", "ok", "0 duplicated");
    expect_check(doc, "failover", "ok", "back in every ISR");
    ck_assert_double_eq(testlib_metric(doc, "infraprobe_kafka_drill_lost_operations", NULL, NULL),
                        0);
    ck_assert_double_eq(
        testlib_metric(doc, "infraprobe_kafka_drill_duplicated_operations", NULL, NULL), 0);
    ck_assert_double_gt(testlib_metric(doc, "infraprobe_kafka_drill_detect_seconds", NULL, NULL),
                        0);
    ck_assert_double_ge(testlib_metric(doc, "infraprobe_kafka_drill_recover_seconds", NULL, NULL),
                        testlib_metric(doc, "infraprobe_kafka_drill_detect_seconds", NULL, NULL));
    ck_assert_double_ge(testlib_metric(doc, "infraprobe_kafka_drill_rejoin_seconds", NULL, NULL),
                        0);
    expect_code(doc, code, 0);
}

START_TEST(failover_drill_twice)
{
    char dir[600], first[300], settings[1024];
    struct sandbox sb;
    int code, parts, rf, leader, other = -1;
    json_t *doc;

    snprintf(dir, sizeof(dir), "%s/drill", workdir);
    ck_assert_msg(sandbox_up(&sb, dir) == 0, "sandbox up failed");
    /* The topic, made by a regular run (a drill run here writes only in the drill). */
    snprintf(settings, sizeof(settings),
             "brokers = \"%s\"; topic = \"drilled\"; checks = [\"connect\", \"topic\", "
             "\"produce\"]; %s",
             sb.addr, loose);
    doc = run_named("--once", "drill", 60, settings, &code);
    expect_check(doc, "produce", "ok", NULL);
    json_decref(doc);
    doc = drill_once(&sb, 0, &code);
    expect_drill_ok(doc, code);
    snprintf(first, sizeof(first), "%s", testlib_target(testlib_find_check(doc, "failover", NULL)));
    json_decref(doc);
    /* The second time, a partition that another broker leads now. */
    for (int p = 0; p < 3 && other < 0; p++) {
        char addr[300];

        direct_topic(sb.addr, "drilled", p, &parts, &rf, &leader);
        ck_assert_int_eq(parts, 3);
        direct_broker(sb.addr, leader, addr, sizeof(addr));
        if (leader >= 0 && strcmp(addr, first) != 0)
            other = p;
    }
    ck_assert_msg(other >= 0, "%s leads every partition", first);
    doc = drill_once(&sb, other, &code);
    expect_drill_ok(doc, code);
    ck_assert_msg(strcmp(testlib_target(testlib_find_check(doc, "failover", NULL)), first) != 0,
                  "both drills stopped %s", first);
    json_decref(doc);
    sandbox_down(&sb);
}
END_TEST

/* Run the tests of `tc` (one suite of their own): how many failed. */
int main(void)
{
    TCase *tc = tcase_create("kafka"), *drill = tcase_create("drill");
    char dir[600];
    int failed;

    workdir = testlib_init("kafka", 1);
    if (!workdir)
        return EXIT_FAILURE;
    snprintf(dir, sizeof(dir), "%s/sandbox", workdir);
    if (sandbox_up(&shared, dir) != 0) {
        fprintf(stderr, "kafka_test: the sandbox's kafka did not start\n");
        return EXIT_FAILURE;
    }
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, first_run_produce_ok); /* first: the cluster's first run */
    tcase_add_test(tc, every_check_ok);
    tcase_add_test(tc, groups_lag);
    tcase_add_test(tc, expected_brokers_missing);
    tcase_add_test(tc, missing_topic_not_created);
    tcase_add_test(tc, replication_factor_refused_by_kafka);
    tcase_add_test(tc, partitions_of_listed_topics);
    tcase_add_test(tc, bad_settings_at_t);
    tcase_add_test(tc, no_broker_reachable);
    tcase_add_test(tc, listener_that_never_answers);
    tcase_set_timeout(drill, 900);
    tcase_add_test(drill, failover_drill_twice);
    tcase_add_test(drill, broken_cluster);
    failed = testlib_run_tcases(CK_NORMAL, tc, NULL);
    /* One cluster of three JVMs at a time: the shared one goes before those that break. */
    sandbox_down(&shared);
    failed += testlib_run_tcases(CK_NORMAL, drill, NULL);
    if (testlib_cleanup() != 0)
        failed++;
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
