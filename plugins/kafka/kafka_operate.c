/*
 * The kafka plugin's operation for other plugins (ip_operate(), netpart): one metadata request
 * to the broker at host:port, from a client made for it (kafka_client_new(): every librdkafka
 * timeout taken from the deadline) and destroyed after it, so that no connection outlives a
 * network fault. librdkafka retries a broker that fails for ever and gives no errno, so the
 * request is made in short slices, and a transport error its error callback reported ends the
 * operation at once, classified from librdkafka's own words.
 */
#include <stdio.h>
#include <string.h>

#include "kafka_plugin.h"

/* The IP_E* class of librdkafka's words about a broker ("Connect to ipv4#127.0.0.1:9092 failed:
 * Connection refused", "Receive failed: Connection reset by peer", ...); 0 for none. */
static int kafka_operate_class(const char *e)
{
    if (!*e)
        return 0;
    if (strstr(e, "Connection refused"))
        return IP_ECONNREFUSED;
    if (strstr(e, "reset by peer") || strstr(e, "Disconnected") || strstr(e, "Broken pipe"))
        return IP_ECONNRESET;
    if (strstr(e, "SSL") || strstr(e, "ssl"))
        return IP_ETLS;
    if (strstr(e, "SASL") || strstr(e, "uthentication"))
        return IP_EAUTH;
    if (strstr(e, "resolve"))
        return IP_ERESOLVE;
    if (strstr(e, "unreachable"))
        return IP_EUNREACH;
    return 0;
}

/* Metadata by `deadline`, in slices: 0, or the class with err. */
static int kafka_operate_metadata(struct kafka_run *r, double deadline, char *err, size_t errlen)
{
    char last[512];
    int code;

    for (;;) {
        double now = ip_clock(), until = now + 0.1 < deadline ? now + 0.1 : deadline;
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t e = rd_kafka_metadata(r->rk, 0, NULL, &md, kafka_ms(until));

        if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
            rd_kafka_metadata_destroy(md);
            return 0;
        }
        rd_kafka_poll(r->rk, 0); /* the error callback tells what happened */
        kafka_last_error(r, last, sizeof(last));
        if ((code = kafka_operate_class(last)) != 0 || ip_clock() >= deadline) {
            snprintf(err, errlen, "metadata from %s: %s", r->bootstrap,
                     last[0] ? last : "timed out");
            return code ? code : IP_ETIMEDOUT;
        }
    }
}

int kafka_operate(const char *address, const char *const *options, double deadline, char *err,
                  size_t errlen)
{
    struct kafka_state st = {.expected_brokers = -1};
    struct kafka_run r = {.st = &st};
    char host[256], addrs[4][IP_ADDRSTRLEN];
    int port, n, rc;

    if (options && options[0]) {
        snprintf(err, errlen, "kafka: unknown option \"%s\"", options[0]);
        return IP_EINVAL;
    }
    if (ip_hostport(address, host, sizeof(host), &port) != 0) {
        snprintf(err, errlen, "\"%s\": expected host:port", address);
        return IP_EINVAL;
    }
    /* librdkafka resolves without a deadline: it gets a number. */
    if ((n = ip_resolve(host, deadline, addrs, 4, err, errlen)) <= 0)
        return n < 0 ? n : IP_ERESOLVE;
    snprintf(r.bootstrap, sizeof(r.bootstrap), strchr(addrs[0], ':') ? "[%s]:%d" : "%s:%d",
             addrs[0], port);
    pthread_mutex_init(&r.lock, NULL);
    r.rk = kafka_client_new(&r, RD_KAFKA_PRODUCER, deadline, NULL, err, errlen);
    rc = r.rk ? kafka_operate_metadata(&r, deadline, err, errlen) : IP_EOPEN;
    kafka_client_free(r.rk);
    pthread_mutex_destroy(&r.lock);
    return rc;
}
