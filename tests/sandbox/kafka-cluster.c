/* kafka-cluster: a Kafka cluster on 127.0.0.1 for the sandbox (tests/sandbox/sandbox).
 *
 * Debian packages no Kafka broker, so this serves librdkafka's mock cluster: real Kafka
 * protocol over TCP, brokers 1..N on random ports. The mock never moves a partition's
 * leader by itself (its ISR is static), so "stop N" also does what a real cluster's
 * controller would: it moves the leadership of N's partitions to live replicas, and
 * "start N" gives it back. Topics are made here, because the mock does not answer the
 * Admin CreateTopics request.
 *
 * Usage: kafka-cluster [-b BROKERS] [-t TOPIC[:PARTITIONS[:REPLICAS]]]...
 *
 * Prints "BOOTSTRAP h:p,...", one "BROKER id host:port" line per broker and "READY",
 * then reads one command per line on stdin and answers each with one line, "OK ..." or
 * "ERR ...":
 *
 *   stop N | start N        broker N down + leadership moved away | up + leadership back
 *   down N | up N           the raw mock calls (no leader move)
 *   pause N | resume N      broker N answers nothing (a huge round-trip time) | normally
 *   leader TOPIC P N        make N the leader of partition P of TOPIC
 *   rtt N MS                delay broker N's responses by MS milliseconds
 *   topic TOPIC P R         create TOPIC with P partitions and R replicas
 *   brokers                 OK 1=up 2=down 3=paused ...
 *   leaders                 OK TOPIC/P=N ... (from a Metadata request)
 *   quit                    (as does end of input)
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KC_MAX_BROKERS  32
#define KC_MAX_MOVED    4096
#define KC_TOPIC_LEN    256
#define KC_META_TIMEOUT 5000
#define KC_PAUSE_RTT_MS (3600 * 1000)

/* A partition whose leadership "stop" moved: from is the leader it had first, so that
 * "start from" gives it back even after further moves. */
struct kc_moved {
    char topic[KC_TOPIC_LEN];
    int32_t partition;
    int32_t from;
};

struct kc {
    rd_kafka_t *rk; /* a client of the cluster it hosts: it asks Metadata for leaders */
    rd_kafka_mock_cluster_t *mc;
    int nbrokers;
    int down[KC_MAX_BROKERS + 1];
    int paused[KC_MAX_BROKERS + 1];
    struct kc_moved moved[KC_MAX_MOVED];
    size_t nmoved;
};

static void kc_reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void kc_reply(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static void kc_reply_err(rd_kafka_resp_err_t err, const char *what)
{
    if (err)
        kc_reply("ERR %s: %s", what, rd_kafka_err2str(err));
    else
        kc_reply("OK");
}

static int kc_broker_ok(const struct kc *kc, int id)
{
    return id >= 1 && id <= kc->nbrokers;
}

static int kc_topic_make(struct kc *kc, const char *spec)
{
    char topic[KC_TOPIC_LEN];
    int parts = 3, replicas = kc->nbrokers;
    rd_kafka_resp_err_t err;

    if (sscanf(spec, "%255[^:]:%d:%d", topic, &parts, &replicas) < 1 || parts < 1 || replicas < 1 ||
        replicas > kc->nbrokers) {
        fprintf(stderr, "kafka-cluster: topic %s: expected NAME[:PARTITIONS[:REPLICAS]]\n", spec);
        return -1;
    }
    err = rd_kafka_mock_topic_create(kc->mc, topic, parts, replicas);
    if (err) {
        fprintf(stderr, "kafka-cluster: topic %s: %s\n", topic, rd_kafka_err2str(err));
        return -1;
    }
    return 0;
}

static const struct rd_kafka_metadata *kc_metadata(struct kc *kc)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(kc->rk, 1, NULL, &md, KC_META_TIMEOUT);

    if (err) {
        kc_reply("ERR metadata: %s", rd_kafka_err2str(err));
        return NULL;
    }
    return md;
}

static struct kc_moved *kc_moved_find(struct kc *kc, const char *topic, int32_t partition)
{
    for (size_t i = 0; i < kc->nmoved; i++)
        if (kc->moved[i].partition == partition && !strcmp(kc->moved[i].topic, topic))
            return &kc->moved[i];
    return NULL;
}

/* Moves the leadership of every partition led by broker id to its first live replica. */
static void kc_evacuate(struct kc *kc, const struct rd_kafka_metadata *md, int id)
{
    int moved = 0, stuck = 0;

    for (int t = 0; t < md->topic_cnt; t++) {
        const rd_kafka_metadata_topic_t *mt = &md->topics[t];

        for (int p = 0; p < mt->partition_cnt; p++) {
            const rd_kafka_metadata_partition_t *mp = &mt->partitions[p];
            int32_t to = -1;

            if (mp->leader != id)
                continue;
            for (int r = 0; r < mp->replica_cnt && to < 0; r++)
                if (mp->replicas[r] != id && kc_broker_ok(kc, mp->replicas[r]) &&
                    !kc->down[mp->replicas[r]])
                    to = mp->replicas[r];
            if (to < 0 || rd_kafka_mock_partition_set_leader(kc->mc, mt->topic, mp->id, to)) {
                stuck++;
                continue;
            }
            moved++;
            if (!kc_moved_find(kc, mt->topic, mp->id) && kc->nmoved < KC_MAX_MOVED &&
                strlen(mt->topic) < KC_TOPIC_LEN) {
                struct kc_moved *m = &kc->moved[kc->nmoved++];

                strcpy(m->topic, mt->topic);
                m->partition = mp->id;
                m->from = id;
            }
        }
    }
    if (stuck)
        kc_reply("OK moved %d partitions; %d have no live replica", moved, stuck);
    else
        kc_reply("OK moved %d partitions", moved);
}

static void kc_stop(struct kc *kc, int id)
{
    const struct rd_kafka_metadata *md;
    rd_kafka_resp_err_t err;

    /* Ask for the leaders while every broker still answers. */
    md = kc_metadata(kc);
    if (!md)
        return;
    err = rd_kafka_mock_broker_set_down(kc->mc, id);
    if (err) {
        rd_kafka_metadata_destroy(md);
        kc_reply_err(err, "down");
        return;
    }
    kc->down[id] = 1;
    kc_evacuate(kc, md, id);
    rd_kafka_metadata_destroy(md);
}

static void kc_start(struct kc *kc, int id)
{
    rd_kafka_resp_err_t err;
    int back = 0;
    size_t keep = 0;

    /* Leaders first: a mock call right after set_up waits for the mock thread's next
     * wake-up, up to a second. */
    for (size_t i = 0; i < kc->nmoved; i++) {
        struct kc_moved *m = &kc->moved[i];

        if (m->from == id) {
            if (!rd_kafka_mock_partition_set_leader(kc->mc, m->topic, m->partition, id))
                back++;
        } else {
            kc->moved[keep++] = *m;
        }
    }
    kc->nmoved = keep;
    err = rd_kafka_mock_broker_set_up(kc->mc, id);
    if (err) {
        kc_reply_err(err, "up");
        return;
    }
    kc->down[id] = 0;
    kc_reply("OK gave back %d partitions", back);
}

static void kc_brokers(const struct kc *kc)
{
    char line[KC_MAX_BROKERS * 16] = "OK";
    size_t len = 2;

    for (int id = 1; id <= kc->nbrokers; id++)
        len += (size_t)snprintf(line + len, sizeof(line) - len, " %d=%s", id,
                                kc->down[id]     ? "down"
                                : kc->paused[id] ? "paused"
                                                 : "up");
    kc_reply("%s", line);
}

static void kc_leaders(struct kc *kc)
{
    const struct rd_kafka_metadata *md = kc_metadata(kc);

    if (!md)
        return;
    fputs("OK", stdout);
    for (int t = 0; t < md->topic_cnt; t++)
        for (int p = 0; p < md->topics[t].partition_cnt; p++)
            printf(" %s/%d=%d", md->topics[t].topic, (int)md->topics[t].partitions[p].id,
                   (int)md->topics[t].partitions[p].leader);
    putchar('\n');
    fflush(stdout);
    rd_kafka_metadata_destroy(md);
}

static void kc_command(struct kc *kc, const char *line)
{
    char cmd[32], topic[KC_TOPIC_LEN];
    int id, p, n;

    if (sscanf(line, "%31s", cmd) != 1)
        return;
    if (!strcmp(cmd, "brokers")) {
        kc_brokers(kc);
    } else if (!strcmp(cmd, "leaders")) {
        kc_leaders(kc);
    } else if (!strcmp(cmd, "leader")) {
        if (sscanf(line, "%*s %255s %d %d", topic, &p, &id) != 3 || !kc_broker_ok(kc, id))
            kc_reply("ERR usage: leader TOPIC PARTITION BROKER");
        else
            kc_reply_err(rd_kafka_mock_partition_set_leader(kc->mc, topic, p, id), "leader");
    } else if (!strcmp(cmd, "topic")) {
        if (sscanf(line, "%*s %255s %d %d", topic, &p, &n) != 3 || p < 1 || n < 1 ||
            n > kc->nbrokers)
            kc_reply("ERR usage: topic NAME PARTITIONS REPLICAS");
        else
            kc_reply_err(rd_kafka_mock_topic_create(kc->mc, topic, p, n), "topic");
    } else if (!strcmp(cmd, "rtt")) {
        if (sscanf(line, "%*s %d %d", &id, &n) != 2 || !kc_broker_ok(kc, id) || n < 0)
            kc_reply("ERR usage: rtt BROKER MILLISECONDS");
        else
            kc_reply_err(rd_kafka_mock_broker_set_rtt(kc->mc, id, n), "rtt");
    } else if (sscanf(line, "%*s %d", &id) != 1 || !kc_broker_ok(kc, id)) {
        kc_reply("ERR %s: unknown command or broker", cmd);
    } else if (!strcmp(cmd, "stop")) {
        kc_stop(kc, id);
    } else if (!strcmp(cmd, "start")) {
        kc_start(kc, id);
    } else if (!strcmp(cmd, "down")) {
        kc->down[id] = 1;
        kc_reply_err(rd_kafka_mock_broker_set_down(kc->mc, id), "down");
    } else if (!strcmp(cmd, "up")) {
        kc->down[id] = 0;
        kc_reply_err(rd_kafka_mock_broker_set_up(kc->mc, id), "up");
    } else if (!strcmp(cmd, "pause")) {
        kc->paused[id] = 1;
        kc_reply_err(rd_kafka_mock_broker_set_rtt(kc->mc, id, KC_PAUSE_RTT_MS), "pause");
    } else if (!strcmp(cmd, "resume")) {
        kc->paused[id] = 0;
        kc_reply_err(rd_kafka_mock_broker_set_rtt(kc->mc, id, 0), "resume");
    } else {
        kc_reply("ERR %s: unknown command", cmd);
    }
}

/* Prints the BROKER lines from a Metadata request: the host:port each broker
 * advertises, which is what a client (and a drill's %{broker}) sees. */
static int kc_print_brokers(struct kc *kc)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(kc->rk, 0, NULL, &md, KC_META_TIMEOUT);

    if (err) {
        fprintf(stderr, "kafka-cluster: metadata: %s\n", rd_kafka_err2str(err));
        return -1;
    }
    for (int b = 0; b < md->broker_cnt; b++)
        printf("BROKER %d %s:%d\n", (int)md->brokers[b].id, md->brokers[b].host,
               md->brokers[b].port);
    rd_kafka_metadata_destroy(md);
    return 0;
}

static void kc_usage(void)
{
    fprintf(stderr, "usage: kafka-cluster [-b BROKERS] [-t TOPIC[:PARTITIONS[:REPLICAS]]]...\n");
    exit(2);
}

int main(int argc, char **argv)
{
    static struct kc kc; /* large: keep it off the stack */
    char errstr[512], num[16], line[1024];
    rd_kafka_conf_t *conf;
    int ntopics = 0;

    kc.nbrokers = 3;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-b") && i + 1 < argc) {
            kc.nbrokers = atoi(argv[++i]);
            if (kc.nbrokers < 1 || kc.nbrokers > KC_MAX_BROKERS)
                kc_usage();
        } else if (!strcmp(argv[i], "-t") && i + 1 < argc) {
            i++;
        } else {
            kc_usage();
        }
    }

    setvbuf(stdout, NULL, _IOLBF, 0);
    conf = rd_kafka_conf_new();
    snprintf(num, sizeof(num), "%d", kc.nbrokers);
    if (rd_kafka_conf_set(conf, "test.mock.num.brokers", num, errstr, sizeof(errstr)) ||
        rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr))) {
        fprintf(stderr, "kafka-cluster: %s\n", errstr);
        return 1;
    }
    kc.rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!kc.rk) {
        fprintf(stderr, "kafka-cluster: %s\n", errstr);
        return 1;
    }
    kc.mc = rd_kafka_handle_mock_cluster(kc.rk);
    if (!kc.mc) {
        fprintf(stderr, "kafka-cluster: librdkafka made no mock cluster\n");
        return 1;
    }
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "-t")) {
            if (kc_topic_make(&kc, argv[++i]))
                return 1;
            ntopics++;
        }
    if (!ntopics && kc_topic_make(&kc, "infraprobe:3:3"))
        return 1;

    printf("BOOTSTRAP %s\n", rd_kafka_mock_cluster_bootstraps(kc.mc));
    if (kc_print_brokers(&kc)) {
        printf("FAIL metadata\n");
        return 1;
    }
    printf("READY\n");

    while (fgets(line, sizeof(line), stdin)) {
        if (!strncmp(line, "quit", 4))
            break;
        kc_command(&kc, line);
    }
    rd_kafka_destroy(kc.rk); /* destroys the mock cluster it made */
    return 0;
}
