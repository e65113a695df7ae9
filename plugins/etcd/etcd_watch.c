/*
 * The watch check (the guide's "watch events delivered reliably"): a watch stream on a key of
 * the run's own, on a member other than the one written to when there is one, so that the event
 * crosses replication; a put to that key; the event must arrive with the put's revision by the
 * deadline. The stream is a long-lived POST to /v3/watch whose reply is one JSON object per
 * line; it runs on a multi handle of its own (the put goes through the usual one meanwhile) and
 * is closed before the check is recorded.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etcd_plugin.h"

struct watch {
    const char *key;
    char buf[65536];
    size_t len;
    int created, failed;
    uint64_t rev;    /* the first event's revision for the key; 0: none yet */
    double event_at; /* ip_clock() when it arrived */
    char err[512];
};

static void watch_line(struct watch *w, const char *line, size_t n)
{
    json_error_t je;
    json_t *j = json_loadb(line, n, 0, &je);
    uint64_t rev = 0;

    if (!j) {
        snprintf(w->err, sizeof(w->err), "the stream sent a line that is not JSON: %.60s", line);
        w->failed = 1;
        return;
    }
    switch (etcd_parse_watch(j, w->key, &rev, w->err, sizeof(w->err))) {
    case ETCD_WATCH_CREATED:
        w->created = 1;
        break;
    case ETCD_WATCH_EVENT:
        if (rev && !w->rev) {
            w->rev = rev;
            w->event_at = ip_clock();
        }
        break;
    case ETCD_WATCH_ERROR:
        w->failed = 1;
        break;
    default:
        break;
    }
    json_decref(j);
}

static size_t on_stream(char *p, size_t size, size_t nmemb, void *arg)
{
    struct watch *w = arg;
    size_t n = size * nmemb;
    char *nl;

    if (w->len + n >= sizeof(w->buf)) {
        snprintf(w->err, sizeof(w->err), "a watch message longer than %zu bytes", sizeof(w->buf));
        w->failed = 1;
        return 0;
    }
    memcpy(w->buf + w->len, p, n);
    w->len += n;
    w->buf[w->len] = '\0';
    while ((nl = memchr(w->buf, '\n', w->len))) {
        size_t line = (size_t)(nl - w->buf);

        if (line)
            watch_line(w, w->buf, line);
        memmove(w->buf, nl + 1, w->len - line - 1);
        w->len -= line + 1;
    }
    return n;
}

/* Drive the stream until `done` says so, it ends, or `until`. 0 while it lives. */
static int pump(CURLM *m, struct watch *w, int (*done)(const struct watch *), double until)
{
    int running = 1;

    while (!done(w) && !w->failed && ip_clock() < until) {
        int ms = ip_deadline_ms(until), left;
        CURLMsg *msg;

        curl_multi_perform(m, &running);
        while ((msg = curl_multi_info_read(m, &left)))
            if (msg->msg == CURLMSG_DONE && !w->err[0])
                snprintf(w->err, sizeof(w->err), "the stream ended: %s",
                         curl_easy_strerror(msg->data.result));
        if (!running) {
            w->failed = 1;
            if (!w->err[0])
                snprintf(w->err, sizeof(w->err), "the stream ended");
            break;
        }
        if (!done(w))
            curl_multi_poll(m, NULL, 0, ms < 20 ? ms : 20, NULL);
    }
    return w->failed ? -1 : 0;
}

static int is_created(const struct watch *w)
{
    return w->created;
}

static int has_event(const struct watch *w)
{
    return w->rev != 0;
}

/* A member to watch on: one that answered and is not written to, else the written one. */
static struct etcd_ep *watch_endpoint(const struct etcd_run *r)
{
    for (size_t i = 0; i < r->st->nep; i++)
        if (r->up[i] && &r->st->eps[i] != r->write_ep)
            return &r->st->eps[i];
    return r->write_ep;
}

/* The probe's kept watch handle, set for a stream from ep. */
static CURL *open_stream(struct etcd_run *r, struct etcd_ep *ep, struct watch *w,
                         struct curl_slist **hdrs, char *body)
{
    struct etcd_state *st = r->st;
    CURL *e = st->weasy;
    char url[400], auth[1100];

    curl_easy_reset(e);
    snprintf(url, sizeof(url), "%s/v3/watch", ep->url);
    *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    if (st->token[0]) {
        snprintf(auth, sizeof(auth), "Authorization: %s", st->token);
        *hdrs = curl_slist_append(*hdrs, auth);
    }
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, *hdrs);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_stream);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, w);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)ip_deadline_ms(r->deadline) + 1);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(etcd_timeout(st, r->deadline) * 1000) + 1);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    if (ep->resolve)
        curl_easy_setopt(e, CURLOPT_RESOLVE, ep->resolve);
    if (st->cacert)
        curl_easy_setopt(e, CURLOPT_CAINFO, st->cacert);
    if (st->cert)
        curl_easy_setopt(e, CURLOPT_SSLCERT, st->cert);
    if (st->key)
        curl_easy_setopt(e, CURLOPT_SSLKEY, st->key);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, st->insecure ? 0L : 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, st->insecure ? 0L : 2L);
    return e;
}

/* Created, put, event: 0 with the put's revision and the delivery time, or -1 with why. */
static int watch_run(struct etcd_run *r, CURLM *m, struct watch *w, struct etcd_ep *ep,
                     uint64_t *put_rev, double *delivery)
{
    char err[600];
    double t0;

    if (pump(m, w, is_created, ip_clock() + etcd_timeout(r->st, r->deadline)) != 0 || !w->created) {
        if (!w->err[0])
            snprintf(w->err, sizeof(w->err), "not created within %.3f s", r->st->req_timeout);
        return -1;
    }
    t0 = ip_clock();
    *put_rev = etcd_put(r, r->write_ep, w->key, r->tag, etcd_timeout(r->st, r->deadline), err,
                        sizeof(err));
    if (!*put_rev) {
        snprintf(w->err, sizeof(w->err), "put: %.400s", err);
        return -1;
    }
    if (pump(m, w, has_event, r->deadline) != 0 || !w->rev) {
        if (!w->err[0])
            snprintf(w->err, sizeof(w->err),
                     "no event from %s for the put at revision %" PRIu64 " by the deadline",
                     ep->hostport, *put_rev);
        return -1;
    }
    *delivery = w->event_at - t0;
    return 0;
}

void etcd_check_watch(struct etcd_run *r)
{
    struct etcd_ep *ep = watch_endpoint(r);
    struct watch *w = calloc(1, sizeof(*w));
    char key[512], k64[700], body[800];
    struct curl_slist *hdrs = NULL;
    CURLM *m = r->st->wmulti;
    CURL *e = NULL;
    double t0 = ip_clock(), delivery = 0;
    uint64_t put_rev = 0;
    int rc = -1;

    snprintf(key, sizeof(key), "%s%s/%s/watch", r->st->prefix, r->st->name, r->tag);
    etcd_b64_encode(key, strlen(key), k64, sizeof(k64));
    snprintf(body, sizeof(body), "{\"create_request\":{\"key\":\"%s\"}}", k64);
    if (w && (e = open_stream(r, ep, w, &hdrs, body)) && curl_multi_add_handle(m, e) == 0) {
        w->key = key;
        rc = watch_run(r, m, w, ep, &put_rev, &delivery);
        curl_multi_remove_handle(m, e); /* closes the stream */
    }
    if (rc == 0 && w->rev != put_rev)
        ip_check(r->rep, "watch", ep->hostport, IP_CRITICAL, ip_clock() - t0,
                 "the event came with revision %" PRIu64 ", the put was at %" PRIu64, w->rev,
                 put_rev);
    else if (rc == 0) {
        ip_metric(r->rep, IP_GAUGE, "watch_delivery", "seconds",
                  "from the put until its watch event arrived", ep->hostport, NULL, delivery);
        ip_check(r->rep, "watch", ep->hostport, IP_OK, delivery,
                 "event for the put at revision %" PRIu64 " delivered after %.1f ms", put_rev,
                 delivery * 1000);
    } else
        ip_check(r->rep, "watch", ep->hostport, IP_CRITICAL, ip_clock() - t0, "%s: %s",
                 ep->hostport, w && w->err[0] ? w->err : "out of memory");
    curl_slist_free_all(hdrs);
    free(w);
}
