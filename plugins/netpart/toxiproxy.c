/*
 * A client of Toxiproxy's HTTP API (Shopify's fault proxy) through libcurl: the proxies
 * netpart puts between itself and each target, and the toxics that partition them. Every
 * request is bounded by the caller's deadline (CURLOPT_TIMEOUT_MS, and CURLOPT_NOSIGNAL, since
 * we run on a thread of a threaded program).
 */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netpart_plugin.h"

/* The reply of one request, kept up to a bound. */
struct tp_reply {
    char *body;
    size_t len;
};

#define TP_MAX_REPLY (4 * 1024 * 1024)

static size_t tp_write(char *data, size_t size, size_t n, void *arg)
{
    struct tp_reply *r = arg;
    size_t add = size * n;
    char *b;

    if (r->len + add > TP_MAX_REPLY || !(b = realloc(r->body, r->len + add + 1)))
        return 0;
    memcpy(b + r->len, data, add);
    r->len += add;
    b[r->len] = '\0';
    r->body = b;
    return add;
}

/* The server's reason for an error status: its JSON "error", else the status. */
static void tp_server_error(const char *what, long status, const struct tp_reply *r, char *err,
                            size_t errlen)
{
    json_t *j = r->body ? json_loads(r->body, 0, NULL) : NULL;
    const char *msg = json_string_value(json_object_get(j, "error"));

    snprintf(err, errlen, "toxiproxy: %s: HTTP %ld%s%s", what, status, msg ? ": " : "",
             msg ? msg : "");
    json_decref(j);
}

/* METHOD http://api/path with an optional JSON body, by `deadline`. The status in *status and
 * the reply in *reply (the caller frees reply->body). 0, or -1 with err when no HTTP answer. */
static int tp_request(const char *api, const char *method, const char *path, const char *body,
                      double deadline, long *status, struct tp_reply *reply, char *err,
                      size_t errlen)
{
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    char url[600], cerr[CURL_ERROR_SIZE] = "";
    long ms = ip_deadline_ms(deadline);
    CURLcode rc;

    reply->body = NULL;
    reply->len = 0;
    if (!c) {
        snprintf(err, errlen, "toxiproxy: out of memory");
        return -1;
    }
    if (ms <= 0) {
        curl_easy_cleanup(c);
        snprintf(err, errlen, "toxiproxy: %s %s: no time left before the deadline", method, path);
        return -1;
    }
    snprintf(url, sizeof(url), "http://%s%s", api, path);
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*"); /* an http_proxy in the environment is not ours */
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, tp_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, reply);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    rc = curl_easy_perform(c);
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    else
        snprintf(err, errlen, "toxiproxy: %s %s: %s", method, url,
                 cerr[0] ? cerr : curl_easy_strerror(rc));
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK) {
        free(reply->body);
        reply->body = NULL;
        return -1;
    }
    return 0;
}

/* A request whose answer must be one of the 2xx statuses; the reply's JSON into *out when out
 * is not NULL. 0 or -1 with err. */
static int tp_call(const char *api, const char *method, const char *path, const char *body,
                   double deadline, json_t **out, char *err, size_t errlen)
{
    struct tp_reply r;
    char what[400];
    long status = 0;

    if (tp_request(api, method, path, body, deadline, &status, &r, err, errlen) != 0)
        return -1;
    if (status < 200 || status > 299) {
        snprintf(what, sizeof(what), "%s %s", method, path);
        tp_server_error(what, status, &r, err, errlen);
        free(r.body);
        return -1;
    }
    if (out && !(*out = r.body ? json_loads(r.body, 0, NULL) : NULL)) {
        snprintf(err, errlen, "toxiproxy: %s %s: the reply is not JSON", method, path);
        free(r.body);
        return -1;
    }
    free(r.body);
    return 0;
}

int toxiproxy_clean(const char *api, const char *prefix, double deadline, char *err, size_t errlen)
{
    json_t *all = NULL, *v;
    const char *name;
    int rc = 0;

    if (tp_call(api, "GET", "/proxies", NULL, deadline, &all, err, errlen) != 0)
        return -1;
    json_object_foreach(all, name, v)
    {
        if (strncmp(name, prefix, strlen(prefix)) == 0 &&
            toxiproxy_delete(api, name, deadline, err, errlen) != 0)
            rc = -1;
    }
    json_decref(all);
    return rc;
}

/* The "listen" of a proxy's JSON into listen. */
static int tp_listen_of(json_t *proxy, char *listen, size_t listenlen, char *err, size_t errlen)
{
    const char *l = json_string_value(json_object_get(proxy, "listen"));

    if (!l) {
        snprintf(err, errlen, "toxiproxy: a proxy without \"listen\"");
        return -1;
    }
    /* Toxiproxy says "[::]:port" for a wildcard; we only ever ask for a given host. */
    snprintf(listen, listenlen, "%s", l);
    return 0;
}

int toxiproxy_create(const char *api, const char *name, const char *listen_host,
                     const char *upstream, double deadline, char *listen, size_t listenlen,
                     char *err, size_t errlen)
{
    json_t *req, *proxy = NULL;
    char host[300], *body;
    int rc;

    snprintf(host, sizeof(host), strchr(listen_host, ':') ? "[%s]:0" : "%s:0", listen_host);
    req = json_pack("{s:s, s:s, s:s, s:b}", "name", name, "listen", host, "upstream", upstream,
                    "enabled", 1);
    body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (!body) {
        snprintf(err, errlen, "toxiproxy: out of memory");
        return -1;
    }
    rc = tp_call(api, "POST", "/proxies", body, deadline, &proxy, err, errlen);
    free(body);
    if (rc == 0)
        rc = tp_listen_of(proxy, listen, listenlen, err, errlen);
    json_decref(proxy);
    return rc;
}

int toxiproxy_listen(const char *api, const char *name, double deadline, char *listen,
                     size_t listenlen, char *err, size_t errlen)
{
    char path[300];
    json_t *proxy = NULL;
    int rc;

    snprintf(path, sizeof(path), "/proxies/%s", name);
    rc = tp_call(api, "GET", path, NULL, deadline, &proxy, err, errlen);
    if (rc == 0)
        rc = tp_listen_of(proxy, listen, listenlen, err, errlen);
    json_decref(proxy);
    return rc;
}

/* The toxic that makes `mode`, as Toxiproxy's JSON. */
static json_t *tp_toxic(enum netpart_mode mode, double latency)
{
    switch (mode) {
    case NETPART_BLACKHOLE:
        /* timeout 0: the data is dropped and the connection never closed. */
        return json_pack("{s:s, s:s, s:s, s:f, s:{s:i}}", "name", "netpart", "type", "timeout",
                         "stream", "upstream", "toxicity", 1.0, "attributes", "timeout", 0);
    case NETPART_REJECT:
        return json_pack("{s:s, s:s, s:s, s:f, s:{s:i}}", "name", "netpart", "type", "reset_peer",
                         "stream", "upstream", "toxicity", 1.0, "attributes", "timeout", 0);
    case NETPART_LATENCY:
        return json_pack("{s:s, s:s, s:s, s:f, s:{s:I, s:i}}", "name", "netpart", "type", "latency",
                         "stream", "downstream", "toxicity", 1.0, "attributes", "latency",
                         (json_int_t)(latency * 1000.0 + 0.5), "jitter", 0);
    case NETPART_HALFOPEN:
        /* The first bytes of the reply pass, then the connection is closed. */
        return json_pack("{s:s, s:s, s:s, s:f, s:{s:i}}", "name", "netpart", "type", "limit_data",
                         "stream", "downstream", "toxicity", 1.0, "attributes", "bytes", 1);
    case NETPART_MODES:
        break;
    }
    return NULL;
}

int toxiproxy_partition(const char *api, const char *name, enum netpart_mode mode, double latency,
                        double deadline, char *err, size_t errlen)
{
    json_t *toxic = tp_toxic(mode, latency);
    char path[300], *body = toxic ? json_dumps(toxic, JSON_COMPACT) : NULL;
    int rc;

    json_decref(toxic);
    if (!body) {
        snprintf(err, errlen, "toxiproxy: out of memory");
        return -1;
    }
    snprintf(path, sizeof(path), "/proxies/%s/toxics", name);
    rc = tp_call(api, "POST", path, body, deadline, NULL, err, errlen);
    free(body);
    return rc;
}

int toxiproxy_heal(const char *api, const char *name, double deadline, char *err, size_t errlen)
{
    char path[300];

    snprintf(path, sizeof(path), "/proxies/%s/toxics/netpart", name);
    return tp_call(api, "DELETE", path, NULL, deadline, NULL, err, errlen);
}

int toxiproxy_delete(const char *api, const char *name, double deadline, char *err, size_t errlen)
{
    char path[300];

    snprintf(path, sizeof(path), "/proxies/%s", name);
    return tp_call(api, "DELETE", path, NULL, deadline, NULL, err, errlen);
}

int toxiproxy_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void toxiproxy_shutdown(void)
{
    curl_global_cleanup();
}
