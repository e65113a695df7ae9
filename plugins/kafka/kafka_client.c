/*
 * librdkafka clients bounded by the run's deadline. librdkafka retries for ever unless told
 * otherwise, so every client is made with its socket, connection-setup, API-version and
 * message timeouts taken from the time left, and its errors and logs go to the run (the last
 * error is what a check shows when the cluster does not answer) rather than to stderr.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_plugin.h"

/* Properties the plugin sets itself: given through `rdkafka`, they would be overwritten. */
static const char *const kafka_owned[] = {"bootstrap.servers", "metadata.broker.list",
                                          "sasl.password", "ssl.key.password", NULL};

int kafka_ms(double deadline)
{
    int ms = ip_deadline_ms(deadline);

    return ms < 1 ? 1 : ms;
}

double kafka_share(const struct kafka_run *r, double share)
{
    double now = ip_clock();

    return now + (kafka_end(r) - now) * share;
}

double kafka_end(const struct kafka_run *r)
{
    return r->end;
}

/* ms clamped to lo..hi, as a property value. */
static void kafka_ms_str(double deadline, int lo, int hi, char *buf, size_t len)
{
    int ms = kafka_ms(deadline);

    snprintf(buf, len, "%d", ms < lo ? lo : ms > hi ? hi : ms);
}

static void kafka_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    struct kafka_run *r = opaque;

    (void)rk;
    pthread_mutex_lock(&r->lock);
    /* "1/1 brokers are down" says less than the error that took the last one down. */
    if (err != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || !r->last_error[0])
        snprintf(r->last_error, sizeof(r->last_error), "%s",
                 reason ? reason : rd_kafka_err2str(err));
    pthread_mutex_unlock(&r->lock);
}

static void kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    struct kafka_run *r = rd_kafka_opaque(rk);

    if (r && r->rep)
        ip_report_log(r->rep, level <= 3 ? IP_LOG_INFO : IP_LOG_DEBUG, "librdkafka %s: %s", fac,
                      buf);
}

const char *kafka_last_error(struct kafka_run *r, char *buf, size_t len)
{
    pthread_mutex_lock(&r->lock);
    snprintf(buf, len, "%s", r->last_error);
    pthread_mutex_unlock(&r->lock);
    return buf;
}

/* "name=value" into conf: 0, or the librdkafka result with its words in err. */
static rd_kafka_conf_res_t kafka_conf_prop(rd_kafka_conf_t *conf, const char *prop, char *err,
                                           size_t errlen)
{
    const char *eq = strchr(prop, '=');
    char name[256];

    if (!eq || eq == prop || (size_t)(eq - prop) >= sizeof(name)) {
        snprintf(err, errlen, "expected \"name=value\"");
        return RD_KAFKA_CONF_INVALID;
    }
    snprintf(name, sizeof(name), "%.*s", (int)(eq - prop), prop);
    for (size_t i = 0; kafka_owned[i]; i++)
        if (strcmp(name, kafka_owned[i]) == 0) {
            snprintf(err, errlen, "\"%s\" is the plugin's: set %s", name,
                     i < 2    ? "brokers"
                     : i == 2 ? "sasl_password_file"
                              : "ssl_key_password_file");
            return RD_KAFKA_CONF_INVALID;
        }
    return rd_kafka_conf_set(conf, name, eq + 1, err, errlen);
}

int kafka_conf_validate(struct ip_probe *probe, const char *const *props, size_t n)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    int bad = 0;

    for (size_t i = 0; i < n; i++) {
        char err[512];

        if (kafka_conf_prop(conf, props[i], err, sizeof(err)) != RD_KAFKA_CONF_OK) {
            /* The value may be a secret: name the property only. */
            const char *eq = strchr(props[i], '=');

            ip_probe_fail(probe, "rdkafka", "\"%.*s\": %s", eq ? (int)(eq - props[i]) : 64,
                          props[i], err);
            bad = -1;
        }
    }
    rd_kafka_conf_destroy(conf);
    return bad;
}

static int kafka_set(rd_kafka_conf_t *conf, const char *name, const char *value, char *err,
                     size_t errlen)
{
    char why[512];

    if (rd_kafka_conf_set(conf, name, value, why, sizeof(why)) == RD_KAFKA_CONF_OK)
        return 0;
    snprintf(err, errlen, "%s: %s", name, why);
    return -1;
}

/* The deadline's timeouts; a producer's messages never outlive it either. */
static int kafka_set_timeouts(rd_kafka_conf_t *conf, rd_kafka_type_t type, double deadline,
                              char *err, size_t errlen)
{
    char v[32];
    int rc = 0;

    kafka_ms_str(deadline, 10, 300000, v, sizeof(v));
    rc |= kafka_set(conf, "socket.timeout.ms", v, err, errlen);
    kafka_ms_str(deadline, 1000, 2147483647, v, sizeof(v));
    rc |= kafka_set(conf, "socket.connection.setup.timeout.ms", v, err, errlen);
    kafka_ms_str(deadline, 1, 300000, v, sizeof(v));
    rc |= kafka_set(conf, "api.version.request.timeout.ms", v, err, errlen);
    rc |= kafka_set(conf, "reconnect.backoff.ms", "50", err, errlen);
    rc |= kafka_set(conf, "reconnect.backoff.max.ms", "1000", err, errlen);
    if (type == RD_KAFKA_PRODUCER) {
        kafka_ms_str(deadline, 1, 2147483647, v, sizeof(v));
        rc |= kafka_set(conf, "message.timeout.ms", v, err, errlen);
    }
    return rc ? -1 : 0;
}

static int kafka_set_settings(struct kafka_run *r, rd_kafka_conf_t *conf, char *err, size_t errlen)
{
    const struct kafka_state *st = r->st;

    for (size_t i = 0; i < st->nrdkafka; i++)
        if (kafka_conf_prop(conf, st->rdkafka[i], err, errlen) != RD_KAFKA_CONF_OK)
            return -1;
    if (st->sasl_password && kafka_set(conf, "sasl.password", st->sasl_password, err, errlen))
        return -1;
    if (st->ssl_key_password &&
        kafka_set(conf, "ssl.key.password", st->ssl_key_password, err, errlen))
        return -1;
    return kafka_set(conf, "bootstrap.servers", r->bootstrap, err, errlen);
}

rd_kafka_t *kafka_client_new(struct kafka_run *r, rd_kafka_type_t type, double deadline,
                             const char *const *extra, char *err, size_t errlen)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk;

    if (kafka_set_settings(r, conf, err, errlen) != 0 ||
        kafka_set_timeouts(conf, type, deadline, err, errlen) != 0)
        goto fail;
    for (size_t i = 0; extra && extra[i] && extra[i + 1]; i += 2)
        if (kafka_set(conf, extra[i], extra[i + 1], err, errlen) != 0)
            goto fail;
    rd_kafka_conf_set_opaque(conf, r);
    rd_kafka_conf_set_error_cb(conf, kafka_error_cb);
    rd_kafka_conf_set_log_cb(conf, kafka_log_cb);
    if (type == RD_KAFKA_PRODUCER)
        rd_kafka_conf_set_dr_msg_cb(conf, kafka_dr_cb);
    rk = rd_kafka_new(type, conf, err, errlen);
    if (rk)
        return rk; /* conf is rk's now */
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

void kafka_client_free(rd_kafka_t *rk)
{
    if (!rk)
        return;
    /* Whatever is still queued goes now: destroy would otherwise wait for it. */
    if (rd_kafka_type(rk) == RD_KAFKA_PRODUCER)
        rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
}

rd_kafka_t *kafka_producer_new(struct kafka_run *r, double deadline, char *err, size_t errlen)
{
    char qmax[32];
    const char *extra[] = {"enable.idempotence",
                           "true",
                           "acks",
                           "all",
                           "linger.ms",
                           "1",
                           "allow.auto.create.topics",
                           "false",
                           "queue.buffering.max.messages",
                           qmax,
                           NULL};

    snprintf(qmax, sizeof(qmax), "%d", r->st->throughput_messages + r->st->messages + 1000);
    return kafka_client_new(r, RD_KAFKA_PRODUCER, deadline, extra, err, errlen);
}
