/*
 * bench/etcd_raw: the etcd plugin's two timed requests, done raw with libcurl on one kept-alive
 * connection, as the peer bench/etcd-latency compares the plugin with: N times what a run of
 * the plugin does around them, against one member: a lease grant, the put of a new key on it,
 * a linearizable range of the key, the lease's revoke; prints the median put and range in
 * milliseconds ("put MS range MS").
 *
 *   etcd_raw HOST:PORT N [PACE_MS]
 *
 * With PACE_MS, it sleeps that long before each put, as the plugin's runs come apart.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "etcd_proto.h"

struct buf {
    char data[65536];
    size_t len;
};

static size_t collect(char *p, size_t size, size_t n, void *arg)
{
    struct buf *b = arg;
    size_t k = size * n;

    if (b->len + k >= sizeof(b->data))
        return 0;
    memcpy(b->data + b->len, p, k);
    b->len += k;
    b->data[b->len] = '\0';
    return k;
}

/* One POST on the kept handle: its total time in ms, or -1. */
static double post(CURL *e, const char *base, const char *path, const char *body, struct buf *b)
{
    char url[300];
    double t = 0;
    long code = 0;

    snprintf(url, sizeof(url), "%s%s", base, path);
    b->len = 0;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
    if (curl_easy_perform(e) != CURLE_OK)
        return -1;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_getinfo(e, CURLINFO_TOTAL_TIME, &t);
    return code == 200 && !strstr(b->data, "\"error\"") ? t * 1000 : -1;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    char base[300], body[512], lease[64] = "";
    struct curl_slist *h = NULL;
    struct buf b;
    double *put, *range;
    const char *id;
    CURL *e;
    int n;

    if ((argc != 3 && argc != 4) || (n = atoi(argv[2])) < 1) {
        fprintf(stderr, "usage: etcd_raw HOST:PORT N [PACE_MS]\n");
        return 2;
    }
    put = calloc((size_t)n, sizeof(*put));
    range = calloc((size_t)n, sizeof(*range));
    curl_global_init(CURL_GLOBAL_DEFAULT);
    e = curl_easy_init();
    if (!put || !range || !e)
        return 1;
    snprintf(base, sizeof(base), "http://%s", argv[1]);
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, 5L);
    /* As a run: a lease, a new key on it, a range of it, the lease revoked (with the key). */
    for (int i = 0; i < n; i++) {
        char key[64], k64[128];

        if (argc == 4) {
            struct timespec ts = {0, atol(argv[3]) * 1000000L};

            nanosleep(&ts, NULL);
        }
        if (post(e, base, "/v3/lease/grant", "{\"TTL\":60}", &b) < 0 ||
            !(id = strstr(b.data, "\"ID\":\""))) {
            fprintf(stderr, "etcd_raw: %s: lease grant failed: %s\n", argv[1], b.data);
            return 1;
        }
        snprintf(lease, sizeof(lease), "%.*s", (int)strcspn(id + 6, "\""), id + 6);
        snprintf(key, sizeof(key), "/infraprobe/bench-raw/%08d/write", i);
        etcd_b64_encode(key, strlen(key), k64, sizeof(k64));
        snprintf(body, sizeof(body),
                 "{\"key\":\"%s\",\"value\":\"aW5mcmFwcm9iZSBiZW5jaA==\",\"lease\":\"%s\"}", k64,
                 lease);
        put[i] = post(e, base, "/v3/kv/put", body, &b);
        snprintf(body, sizeof(body), "{\"key\":\"%s\"}", k64);
        range[i] = post(e, base, "/v3/kv/range", body, &b);
        if (put[i] < 0 || range[i] < 0) {
            fprintf(stderr, "etcd_raw: %s: request %d failed: %s\n", argv[1], i, b.data);
            return 1;
        }
        snprintf(body, sizeof(body), "{\"ID\":\"%s\"}", lease);
        post(e, base, "/v3/lease/revoke", body, &b);
    }
    qsort(put, (size_t)n, sizeof(*put), cmp);
    qsort(range, (size_t)n, sizeof(*range), cmp);
    printf("put %.3f range %.3f\n", put[n / 2], range[n / 2]);
    curl_slist_free_all(h);
    curl_easy_cleanup(e);
    curl_global_cleanup();
    free(put);
    free(range);
    return 0;
}
