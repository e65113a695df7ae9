/*
 * HTTP to etcd's v3 JSON gateway through libcurl's multi interface: a batch of calls (one per
 * member, usually) goes out at once and every call has its own short timeout within the run's
 * deadline, so that a member that hangs, or a cluster without quorum whose puts wait out etcd's
 * own retries, costs one timeout, not one per member. The multi handle lives as long as the
 * probe: its connection cache keeps one connection per member alive across runs. With a
 * username, a token from /v3/auth/authenticate goes in every request and is fetched again
 * when etcd says it is no longer valid.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etcd_plugin.h"

/* The most a reply may cost us: a status or a range of one key is a few hundred bytes. */
#define ETCD_MAX_REPLY (4u << 20)

int etcd_http_init(struct etcd_state *st)
{
    if ((!st->multi && !(st->multi = curl_multi_init())) ||
        (!st->wmulti && !(st->wmulti = curl_multi_init())) ||
        (!st->weasy && !(st->weasy = curl_easy_init())))
        return IP_ENOMEM;
    for (size_t i = 0; i < st->nep; i++)
        if (!st->eps[i].easy && !(st->eps[i].easy = curl_easy_init()))
            return IP_ENOMEM;
    return 0;
}

void etcd_http_free(struct etcd_state *st)
{
    for (size_t i = 0; i < st->nep; i++) {
        if (st->eps[i].easy)
            curl_easy_cleanup(st->eps[i].easy);
        curl_slist_free_all(st->eps[i].resolve);
        st->eps[i].easy = NULL;
        st->eps[i].resolve = NULL;
    }
    if (st->multi)
        curl_multi_cleanup(st->multi);
    st->multi = NULL;
    if (st->weasy)
        curl_easy_cleanup(st->weasy);
    st->weasy = NULL;
    if (st->wmulti)
        curl_multi_cleanup(st->wmulti);
    st->wmulti = NULL;
}

static int numeric_host(const char *h)
{
    unsigned char a[16];

    return inet_pton(AF_INET, h, a) == 1 || inet_pton(AF_INET6, h, a) == 1;
}

void etcd_ep_resolve(struct etcd_ep *ep, double deadline)
{
    char host[256], addrs[4][IP_ADDRSTRLEN], err[256], line[600];
    int port, n;

    curl_slist_free_all(ep->resolve);
    ep->resolve = NULL;
    if (ip_hostport(ep->hostport, host, sizeof(host), &port) != 0 || numeric_host(host))
        return;
    n = ip_resolve(host, deadline, addrs, 4, err, sizeof(err));
    if (n < 1) {
        /* curl is told the name has no address of its own: it fails at once. */
        snprintf(line, sizeof(line), "-%s:%d", host, port);
        ep->resolve = curl_slist_append(NULL, line);
        return;
    }
    snprintf(line, sizeof(line), "%s:%d:%s%s%s", host, port, strchr(addrs[0], ':') ? "[" : "",
             addrs[0], strchr(addrs[0], ':') ? "]" : "");
    ep->resolve = curl_slist_append(NULL, line);
}

void etcd_http_resolve(struct etcd_state *st, double deadline)
{
    for (size_t i = 0; i < st->nep; i++)
        etcd_ep_resolve(&st->eps[i], deadline);
}

double etcd_timeout(const struct etcd_state *st, double deadline)
{
    double left = deadline - ip_clock();

    return left < st->req_timeout ? left : st->req_timeout;
}

int etcd_body(struct etcd_call *c, const char *fmt, ...)
{
    va_list ap;
    int n;

    free(c->body);
    va_start(ap, fmt);
    n = vasprintf(&c->body, fmt, ap);
    va_end(ap);
    if (n < 0)
        c->body = NULL;
    return n < 0 ? -1 : 0;
}

void etcd_calls_free(struct etcd_call *calls, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(calls[i].body);
        calls[i].body = NULL;
        if (calls[i].reply)
            json_decref(calls[i].reply);
        calls[i].reply = NULL;
    }
}

static size_t on_data(char *p, size_t size, size_t nmemb, void *arg)
{
    struct etcd_call *c = arg;
    size_t n = size * nmemb;

    if (c->len + n + 1 > ETCD_MAX_REPLY) {
        c->too_big = 1;
        return 0; /* curl fails the transfer: CURLE_WRITE_ERROR */
    }
    if (c->len + n + 1 > c->cap) {
        size_t cap = (c->len + n + 1) * 2;
        char *b = realloc(c->buf, cap);

        if (!b)
            return 0;
        c->buf = b;
        c->cap = cap;
    }
    memcpy(c->buf + c->len, p, n);
    c->len += n;
    c->buf[c->len] = '\0';
    return n;
}

static void set_tls(const struct etcd_state *st, CURL *e)
{
    if (st->cacert)
        curl_easy_setopt(e, CURLOPT_CAINFO, st->cacert);
    if (st->cert)
        curl_easy_setopt(e, CURLOPT_SSLCERT, st->cert);
    if (st->key)
        curl_easy_setopt(e, CURLOPT_SSLKEY, st->key);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, st->insecure ? 0L : 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, st->insecure ? 0L : 2L);
}

/* A handle for c: its endpoint's kept one, unless an earlier call of the batch has it. */
static int prepare(struct etcd_state *st, struct etcd_call *c, int kept_busy, int with_token,
                   long timeout_ms)
{
    char url[400], auth[1100];
    CURL *e;

    c->own_easy = kept_busy;
    e = c->easy = kept_busy ? curl_easy_init() : c->ep->easy;
    if (!e)
        return -1;
    if (!kept_busy)
        curl_easy_reset(e);
    c->len = 0;
    c->status = 0;
    c->cerr[0] = c->err[0] = '\0';
    c->timed_out = c->too_big = 0;
    c->took = 0;
    c->cc = CURLE_OPERATION_TIMEDOUT; /* until the multi says otherwise */
    c->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    if (with_token && st->token[0]) {
        snprintf(auth, sizeof(auth), "Authorization: %s", st->token);
        c->hdrs = curl_slist_append(c->hdrs, auth);
    }
    snprintf(url, sizeof(url), "%s%s", c->ep->url, c->path);
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->body ? c->body : "{}");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->hdrs);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(e, CURLOPT_PRIVATE, c);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->cerr);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    if (c->ep->resolve)
        curl_easy_setopt(e, CURLOPT_RESOLVE, c->ep->resolve);
    set_tls(st, e);
    return curl_multi_add_handle(st->multi, e) == CURLM_OK ? 0 : -1;
}

/* The first line of a body that is not JSON, printable bytes only, for a message. */
static void excerpt(const char *buf, size_t len, char *out, size_t outlen)
{
    size_t o = 0;

    for (size_t i = 0; i < len && o + 1 < outlen && o < 160; i++) {
        if (buf[i] == '\n' || buf[i] == '\r')
            break;
        out[o++] = (buf[i] >= 32 && buf[i] < 127) ? buf[i] : '?';
    }
    out[o] = '\0';
}

/* A transfer that failed before a reply: 1 with c->err set, 0 when a reply came. */
static int transport_failed(struct etcd_call *c, CURLcode cc, double timeout, int client_cert)
{
    if (cc == CURLE_OPERATION_TIMEDOUT) {
        c->timed_out = 1;
        snprintf(c->err, sizeof(c->err), "%.100s: %.30s: no answer within %.3f s", c->ep->hostport,
                 c->path, timeout);
        return 1;
    }
    if (c->too_big) {
        snprintf(c->err, sizeof(c->err), "%.100s: %.30s: reply larger than %u MiB, refused",
                 c->ep->hostport, c->path, ETCD_MAX_REPLY >> 20);
        return 1;
    }
    if (cc != CURLE_OK) {
        /* TLS 1.3 servers check the client's certificate after the handshake: a refusal
         * reaches curl as a reset, which names no certificate. */
        int cert = client_cert && strncmp(c->ep->url, "https:", 6) == 0 &&
                   cc != CURLE_COULDNT_CONNECT && cc != CURLE_COULDNT_RESOLVE_HOST &&
                   cc != CURLE_PEER_FAILED_VERIFICATION && cc != CURLE_SSL_CACERT_BADFILE &&
                   cc != CURLE_SSL_CERTPROBLEM;

        snprintf(c->err, sizeof(c->err), "%.100s: %.30s: %.300s%s", c->ep->hostport, c->path,
                 c->cerr[0] ? c->cerr : curl_easy_strerror(cc),
                 cert ? " (the TLS session failed: does the cluster trust the client certificate?)"
                      : "");
        return 1;
    }
    return 0;
}

/* What came back, into c->reply or c->err. */
static void classify(struct etcd_call *c, CURLcode cc, double timeout, int client_cert)
{
    const char *where = c->ep->hostport;
    json_error_t jerr;
    char msg[400], ex[200];
    json_t *j;

    if (transport_failed(c, cc, timeout, client_cert))
        return;
    j = c->len ? json_loadb(c->buf, c->len, 0, &jerr) : NULL;
    excerpt(c->buf ? c->buf : "", c->len, ex, sizeof(ex));
    if (j && json_is_object(j) && etcd_reply_error(j, msg, sizeof(msg)))
        snprintf(c->err, sizeof(c->err), "%.100s: %.30s: HTTP %ld: %.300s", where, c->path,
                 c->status, msg);
    else if (c->status != 200)
        snprintf(c->err, sizeof(c->err), "%.100s: %.30s: HTTP %ld: %.160s", where, c->path,
                 c->status, ex[0] ? ex : "(empty body)");
    else if (!c->len)
        snprintf(c->err, sizeof(c->err), "%.100s: %.30s: an empty reply (the connection closed?)",
                 where, c->path);
    else if (!j || !json_is_object(j))
        snprintf(c->err, sizeof(c->err), "%.100s: %.30s: not an etcd reply (%s): %.100s", where,
                 c->path, j ? "JSON but not an object" : "not JSON", ex[0] ? ex : "(empty body)");
    else {
        c->reply = j;
        return;
    }
    if (j)
        json_decref(j);
}

static void run_multi(struct etcd_state *st, size_t pending, double deadline)
{
    while (pending > 0 && ip_clock() < deadline) {
        int running, left;
        CURLMsg *m;

        curl_multi_perform(st->multi, &running);
        while ((m = curl_multi_info_read(st->multi, &left))) {
            struct etcd_call *c = NULL;

            if (m->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&c);
            curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &c->status);
            curl_easy_getinfo(m->easy_handle, CURLINFO_TOTAL_TIME, &c->took);
            c->cc = m->data.result;
            curl_multi_remove_handle(st->multi, m->easy_handle);
            c->easy = c->own_easy ? c->easy : NULL;
            pending--;
        }
        if (pending > 0) {
            int ms = ip_deadline_ms(deadline);

            curl_multi_poll(st->multi, NULL, 0, ms < 50 ? ms : 50, NULL);
        }
    }
}

static void batch(struct etcd_state *st, struct etcd_call *calls, size_t n, double timeout,
                  double deadline, int with_token)
{
    long ms = (long)(timeout * 1000 + 0.5);
    size_t pending = 0;
    double t0 = ip_clock();

    if (ms < 1)
        ms = 1;
    for (size_t i = 0; i < n; i++) {
        int busy = 0;

        for (size_t j = 0; j < i; j++)
            busy |= calls[j].ep == calls[i].ep;
        calls[i].reply = NULL;
        if (prepare(st, &calls[i], busy, with_token, ms) == 0)
            pending++;
        else
            calls[i].cc = CURLE_OUT_OF_MEMORY;
    }
    run_multi(st, pending, deadline);
    for (size_t i = 0; i < n; i++) {
        struct etcd_call *c = &calls[i];
        if (c->easy && !c->own_easy) { /* still in the multi at the deadline */
            curl_multi_remove_handle(st->multi, c->easy);
            c->took = ip_clock() - t0;
        } else if (c->easy && c->own_easy) {
            curl_multi_remove_handle(st->multi, c->easy);
            curl_easy_cleanup(c->easy);
        }
        c->easy = NULL;
        curl_slist_free_all(c->hdrs);
        c->hdrs = NULL;
        classify(c, c->cc, timeout, st->cert != NULL);
        free(c->buf);
        c->buf = NULL;
        c->len = c->cap = 0;
    }
}

static int token_refused(const struct etcd_call *c)
{
    return !c->reply &&
           (strstr(c->err, "invalid auth token") || strstr(c->err, "user name is empty"));
}

/* A token from /v3/auth/authenticate, asking each endpoint in turn. */
static int authenticate(struct etcd_state *st, double timeout, double deadline, char *err,
                        size_t errlen)
{
    json_t *req =
        json_pack("{s:s,s:s}", "name", st->username, "password", st->password ? st->password : "");
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    int ok = 0;

    json_decref(req);
    snprintf(err, errlen, "no endpoint");
    for (size_t i = 0; body && !ok && i < st->nep && ip_clock() < deadline; i++) {
        struct etcd_call c = {.ep = &st->eps[i], .path = "/v3/auth/authenticate", .body = body};
        const json_t *t;

        batch(st, &c, 1, timeout, deadline, 0);
        t = json_object_get(c.reply, "token");
        if (json_is_string(t) && strlen(json_string_value(t)) < sizeof(st->token)) {
            snprintf(st->token, sizeof(st->token), "%s", json_string_value(t));
            ok = 1;
        } else
            snprintf(err, errlen, "authenticate as \"%.64s\": %.400s", st->username,
                     c.reply ? "no token in the reply" : c.err);
        c.body = NULL;
        etcd_calls_free(&c, 1);
    }
    free(body);
    return ok ? 0 : -1;
}

int etcd_calls(struct etcd_state *st, struct etcd_call *calls, size_t n, double timeout,
               double deadline)
{
    char aerr[512];
    int ok = 0, refused = 0;

    if (st->username && !st->token[0] && authenticate(st, timeout, deadline, aerr, sizeof(aerr))) {
        for (size_t i = 0; i < n; i++) {
            calls[i].reply = NULL;
            snprintf(calls[i].err, sizeof(calls[i].err), "%s", aerr);
        }
        return 0;
    }
    batch(st, calls, n, timeout, deadline, 1);
    for (size_t i = 0; st->username && i < n; i++)
        refused |= token_refused(&calls[i]);
    if (refused) {
        /* The token expired (or etcd restarted with a new signing key): once more. */
        st->token[0] = '\0';
        st->token_refreshes++;
        if (authenticate(st, timeout, deadline, aerr, sizeof(aerr)) == 0) {
            etcd_calls_free(calls, 0);
            for (size_t i = 0; i < n; i++)
                if (token_refused(&calls[i]))
                    batch(st, &calls[i], 1, timeout, deadline, 1);
        }
    }
    for (size_t i = 0; i < n; i++)
        ok += calls[i].reply != NULL;
    return ok;
}

int etcd_call1(struct etcd_state *st, struct etcd_call *c, double timeout, double deadline)
{
    return etcd_calls(st, c, 1, timeout, deadline) == 1 ? 0 : -1;
}
