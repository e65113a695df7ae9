/*
 * The etcd plugin's operation for other plugins (ip_operate(), netpart): one request to one
 * member through etcd_http.c, on curl handles made for it and freed after it, so that no
 * kept-alive connection outlives a network fault; the failure classified from curl's result
 * and the socket's errno. By default a status request (/v3/maintenance/status); the option `op`
 * picks another, whose answer goes into err on success as space-separated NAME=VALUE words
 * (netpart's partition drill reads them):
 *   status                      member=ID leader=ID term=N revision=N
 *   put    key, value           revision=N             (a linearizable write)
 *   get    key [serializable]   found=0|1 revision=N   (linearizable unless serializable = 1)
 *   count  key [serializable]   count=N revision=N     (the keys under the prefix `key`)
 *   delete key                  deleted=N              (the keys under the prefix `key`)
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "etcd_plugin.h"

/* What an operation asks for, from its options. */
struct etcd_op {
    const char *op, *key, *value;
    int serializable;
};

static const char *const etcd_ops[] = {"status", "put", "get", "count", "delete", NULL};

/* Options: username, password, op, key, value, serializable. 0, or IP_EINVAL with the reason in
 * err. */
static int etcd_operate_options(const char *const *options, struct etcd_state *st,
                                struct etcd_op *o, char *err, size_t errlen)
{
    for (size_t i = 0; options && options[i] && options[i + 1]; i += 2) {
        const char *n = options[i], *v = options[i + 1];

        if (strcmp(n, "username") == 0)
            st->username = v;
        else if (strcmp(n, "password") == 0)
            st->password = v;
        else if (strcmp(n, "op") == 0)
            o->op = v;
        else if (strcmp(n, "key") == 0)
            o->key = v;
        else if (strcmp(n, "value") == 0)
            o->value = v;
        else if (strcmp(n, "serializable") == 0)
            o->serializable = strcmp(v, "1") == 0;
        else {
            snprintf(err, errlen, "etcd: unknown option \"%s\"", n);
            return IP_EINVAL;
        }
    }
    for (size_t i = 0; etcd_ops[i]; i++) {
        if (strcmp(o->op, etcd_ops[i]) != 0)
            continue;
        if (i == 0 || (o->key && *o->key))
            return 0;
        snprintf(err, errlen, "etcd: op \"%s\" needs a key", o->op);
        return IP_EINVAL;
    }
    snprintf(err, errlen, "etcd: unknown op \"%s\" (status, put, get, count, delete)", o->op);
    return IP_EINVAL;
}

/* The request of operation o into c. 0, or -1 (too long, out of memory). */
static int etcd_operate_request(const struct etcd_op *o, struct etcd_call *c)
{
    char k64[1400], e64[1400], v64[1400], end[1024];
    size_t klen = o->key ? strlen(o->key) : 0;
    const char *ser = o->serializable ? ",\"serializable\":true" : "";

    if (strcmp(o->op, "status") == 0) {
        c->path = "/v3/maintenance/status";
        return etcd_body(c, "{}");
    }
    if (klen == 0 || klen >= sizeof(end) || etcd_b64_encode(o->key, klen, k64, sizeof(k64)) != 0)
        return -1;
    if (strcmp(o->op, "put") == 0) {
        c->path = "/v3/kv/put";
        return etcd_b64_encode(o->value ? o->value : "", o->value ? strlen(o->value) : 0, v64,
                               sizeof(v64)) != 0
                   ? -1
                   : etcd_body(c, "{\"key\":\"%s\",\"value\":\"%s\"}", k64, v64);
    }
    if (strcmp(o->op, "get") == 0) {
        c->path = "/v3/kv/range";
        return etcd_body(c, "{\"key\":\"%s\"%s}", k64, ser);
    }
    /* count, delete: the range of the prefix, which ends where its last byte is one more. */
    memcpy(end, o->key, klen + 1);
    end[klen - 1]++;
    etcd_b64_encode(end, klen, e64, sizeof(e64));
    if (strcmp(o->op, "delete") == 0) {
        c->path = "/v3/kv/deleterange";
        return etcd_body(c, "{\"key\":\"%s\",\"range_end\":\"%s\"}", k64, e64);
    }
    c->path = "/v3/kv/range";
    return etcd_body(c, "{\"key\":\"%s\",\"range_end\":\"%s\",\"count_only\":true%s}", k64, e64,
                     ser);
}

/* The answer of a successful operation into out: NAME=VALUE words. */
static void etcd_operate_answer(const struct etcd_op *o, const json_t *reply, char *out,
                                size_t outlen)
{
    const json_t *h = json_object_get(reply, "header");
    uint64_t rev = etcd_u64_or0(h, "revision");

    if (strcmp(o->op, "status") == 0)
        snprintf(out, outlen,
                 "member=%" PRIu64 " leader=%" PRIu64 " term=%" PRIu64 " revision=%" PRIu64,
                 etcd_u64_or0(h, "member_id"), etcd_u64_or0(reply, "leader"),
                 etcd_u64_or0(reply, "raftTerm"), rev);
    else if (strcmp(o->op, "put") == 0)
        snprintf(out, outlen, "revision=%" PRIu64, rev);
    else if (strcmp(o->op, "get") == 0)
        snprintf(out, outlen, "found=%d revision=%" PRIu64,
                 json_array_size(json_object_get(reply, "kvs")) > 0, rev);
    else if (strcmp(o->op, "count") == 0)
        snprintf(out, outlen, "count=%" PRIu64 " revision=%" PRIu64, etcd_u64_or0(reply, "count"),
                 rev);
    else
        snprintf(out, outlen, "deleted=%" PRIu64, etcd_u64_or0(reply, "deleted"));
}

/* The IP_E* class of a call that failed. */
static int etcd_operate_class(const struct etcd_call *c, CURL *easy)
{
    long oserr = 0;

    if (c->timed_out)
        return IP_ETIMEDOUT;
    switch (c->cc) {
    case CURLE_OK:
        if (c->status == 401)
            return IP_EAUTH;
        return c->len ? IP_ESERVER : IP_ECONNRESET; /* an empty reply: the connection closed */
    case CURLE_COULDNT_RESOLVE_HOST:
        return IP_ERESOLVE;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
        return IP_ETLS;
    case CURLE_GOT_NOTHING:
        return IP_ECONNRESET;
    default:
        break;
    }
    curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &oserr);
    return oserr ? ip_errno_code((int)oserr) : IP_EOPEN;
}

int etcd_operate(const char *address, const char *const *options, double deadline, char *err,
                 size_t errlen)
{
    struct etcd_ep ep = {0};
    struct etcd_state st = {.eps = &ep, .nep = 1};
    struct etcd_call c = {.ep = &ep};
    struct etcd_op o = {.op = "status"};
    char host[256];
    int port, rc;

    if (etcd_operate_options(options, &st, &o, err, errlen) != 0)
        return IP_EINVAL;
    if (ip_hostport(address, host, sizeof(host), &port) != 0) {
        snprintf(err, errlen, "\"%s\": expected host:port", address);
        return IP_EINVAL;
    }
    snprintf(ep.hostport, sizeof(ep.hostport), "%s", address);
    snprintf(ep.url, sizeof(ep.url), "http://%s", address);
    if (etcd_http_init(&st) != 0 || etcd_operate_request(&o, &c) != 0) {
        etcd_calls_free(&c, 1);
        etcd_http_free(&st);
        snprintf(err, errlen, "etcd: %s: key too long, or out of memory", o.op);
        return IP_ENOMEM;
    }
    etcd_http_resolve(&st, deadline);
    st.req_timeout = deadline - ip_clock();
    rc = etcd_call1(&st, &c, st.req_timeout > 0.001 ? st.req_timeout : 0.001, deadline);
    if (rc != 0) {
        rc = etcd_operate_class(&c, ep.easy);
        snprintf(err, errlen, "%s", c.err[0] ? c.err : "request failed");
    } else {
        etcd_operate_answer(&o, c.reply, err, errlen);
    }
    etcd_calls_free(&c, 1);
    etcd_http_free(&st);
    return rc;
}
