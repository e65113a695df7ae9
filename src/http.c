/*
 * The daemon's HTTP listener on libmicrohttpd (as collectd's write_prometheus): one internal
 * thread answers GET and HEAD of /metrics and /, rendering what was published at that
 * moment. The socket is bound here, not by libmicrohttpd, so that a port in use is said with
 * the system's own words, and it is close-on-exec: isolated children never inherit it.
 */
#include "config.h"

#include "http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drill_report.h"
#include "output.h"

/* A file larger than this is not a PEM certificate or key. */
#define HTTP_PEM_MAX (1024 * 1024)

struct http {
    struct MHD_Daemon *mhd;
    struct published *pub;
    const struct http_conf *conf;
    struct http_auth *auth; /* listen_users, which a reload replaces */
    char *cert, *key;       /* PEM, kept while libmicrohttpd may read them */
    int fd;
};

/* The numeric address `host` (or localhost) with `port` into sa. */
static int http_address(const char *host, long port, struct sockaddr_storage *sa, socklen_t *len)
{
    struct sockaddr_in *v4 = (struct sockaddr_in *)sa;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)sa;

    if (strcmp(host, "localhost") == 0)
        host = "127.0.0.1";
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        *len = sizeof(*v4);
        return 0;
    }
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        *len = sizeof(*v6);
        return 0;
    }
    return -1;
}

int http_parse_listen(const char *s, struct sockaddr_storage *sa, socklen_t *len, char *err,
                      size_t errlen)
{
    const char *colon = s ? strrchr(s, ':') : NULL;
    char host[64], *end;
    size_t hlen;
    long port;

    memset(sa, 0, sizeof(*sa));
    if (!colon || colon == s || colon[1] == '\0') {
        snprintf(err, errlen, "expected HOST:PORT (127.0.0.1:9464, [::1]:9464)");
        return -1;
    }
    errno = 0;
    port = strtol(colon + 1, &end, 10);
    if (*end || errno || port < 0 || port > 65535 || !isdigit((unsigned char)colon[1])) {
        snprintf(err, errlen, "port \"%s\": must be 0..65535", colon + 1);
        return -1;
    }
    hlen = (size_t)(colon - s);
    if (s[0] == '[' && colon[-1] == ']') {
        s++;
        hlen -= 2;
    }
    snprintf(host, sizeof(host), "%.*s", (int)hlen, s);
    if (hlen >= sizeof(host) || http_address(host, port, sa, len) != 0) {
        snprintf(err, errlen, "host \"%.*s\": expected a numeric IPv4 address, [IPv6] or localhost",
                 (int)hlen, s);
        return -1;
    }
    return 0;
}

static enum MHD_Result http_reply(struct MHD_Connection *conn, unsigned code, const char *type,
                                  char *body, size_t len, int auth_fail)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, body, body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret;

    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (auth_fail)
        ret = MHD_queue_basic_auth_fail_response(conn, "infraprobe", r);
    else
        ret = MHD_queue_response(conn, code, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result http_text(struct MHD_Connection *conn, unsigned code, const char *msg,
                                 int auth_fail)
{
    char *body = strdup(msg);

    return http_reply(conn, code, "text/plain; charset=utf-8", body, body ? strlen(body) : 0,
                      auth_fail);
}

static int http_authorized(const struct http *h, struct MHD_Connection *conn)
{
    char *password = NULL, *name = MHD_basic_auth_get_username_password(conn, &password);
    int ok = http_auth_allowed(h->auth, name, password);

    if (password)
        explicit_bzero(password, strlen(password));
    MHD_free(name);
    MHD_free(password);
    return ok;
}

/* Render `page` of what is published now. */
static enum MHD_Result http_page(struct http *h, struct MHD_Connection *conn, enum page page)
{
    struct status_extra x = {.refresh = h->conf->refresh, .drill_file = h->conf->drill_report};
    struct run_result drill = {0};
    char why[512] = "";
    struct published_view v;
    char *body = NULL;
    size_t len = 0;
    FILE *out;
    int rc = -1;

    if (published_view(h->pub, &v) != 0)
        return http_text(conn, 500, "out of memory\n", 0);
    /* Read at each request: a --drill run between two requests replaces it. */
    if (page == PAGE_STATUS && x.drill_file) {
        if (drill_report_load(x.drill_file, &drill, why, sizeof(why)) == 0)
            x.drill = &drill;
        x.drill_error = why;
    }
    out = open_memstream(&body, &len);
    if (out) {
        rc = format_write_page(page, out, &v, &x);
        rc |= fclose(out);
    }
    drill_report_free(&drill);
    published_release(&v);
    if (rc != 0) {
        free(body);
        return http_text(conn, 500, "cannot render the page\n", 0);
    }
    return http_reply(conn, 200,
                      page == PAGE_STATUS ? "text/html; charset=utf-8"
                                          : "text/plain; version=0.0.4; charset=utf-8",
                      body, len, 0);
}

static enum MHD_Result http_answer(void *cls, struct MHD_Connection *conn, const char *url,
                                   const char *method, const char *version, const char *upload_data,
                                   size_t *upload_size, void **req)
{
    struct http *h = cls;

    (void)version;
    (void)upload_data;
    (void)upload_size;
    /* The first call only announces the headers; answering then is allowed for a GET. */
    (void)req;
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return http_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n", 0);
    if (!http_authorized(h, conn))
        return http_text(conn, 401, "authentication required\n", 1);
    if (strcmp(url, "/metrics") == 0)
        return http_page(h, conn, PAGE_METRICS);
    if (strcmp(url, "/") == 0)
        return http_page(h, conn, PAGE_STATUS);
    return http_text(conn, MHD_HTTP_NOT_FOUND, "not found: try /metrics or /\n", 0);
}

/* The whole of a PEM file, or NULL with the reason in err. */
static char *http_slurp(const char *what, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    char *buf = NULL;
    struct stat st;
    size_t n;

    if (!f || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > HTTP_PEM_MAX) {
        snprintf(err, errlen, "%s \"%s\": %s", what, path,
                 !f || errno ? strerror(errno) : "not a regular file of at most 1 MiB");
        goto out;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (!buf || (n = fread(buf, 1, (size_t)st.st_size, f)) != (size_t)st.st_size) {
        snprintf(err, errlen, "%s \"%s\": cannot read it", what, path);
        free(buf);
        buf = NULL;
        goto out;
    }
    buf[n] = '\0';
out:
    if (f)
        fclose(f);
    return buf;
}

/* Bind and listen; the address it got into bound. */
static int http_bind(const struct http_conf *c, char *bound, size_t boundlen, char *err,
                     size_t errlen)
{
    struct sockaddr_storage sa, got;
    socklen_t len, glen = sizeof(got);
    char host[INET6_ADDRSTRLEN];
    int fd, one = 1;

    if (http_parse_listen(c->listen, &sa, &len, err, errlen) != 0)
        return -1;
    fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&sa, len) != 0 || listen(fd, 64) != 0 ||
        getsockname(fd, (struct sockaddr *)&got, &glen) != 0) {
        snprintf(err, errlen, "bind: %s", strerror(errno));
        close(fd);
        return -1;
    }
    if (got.ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&got)->sin6_addr, host, sizeof(host));
        snprintf(bound, boundlen, "[%s]:%u", host, ntohs(((struct sockaddr_in6 *)&got)->sin6_port));
    } else {
        inet_ntop(AF_INET, &((struct sockaddr_in *)&got)->sin_addr, host, sizeof(host));
        snprintf(bound, boundlen, "%s:%u", host, ntohs(((struct sockaddr_in *)&got)->sin_port));
    }
    return fd;
}

static int http_tls(struct http *h, const struct http_conf *c, char *err, size_t errlen)
{
    if (!c->tls_cert && !c->tls_key)
        return 0;
    if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
        snprintf(err, errlen, "TLS: this libmicrohttpd was built without it");
        return -1;
    }
    h->cert = http_slurp("listen_tls_cert", c->tls_cert, err, errlen);
    h->key = h->cert ? http_slurp("listen_tls_key", c->tls_key, err, errlen) : NULL;
    return h->key ? 0 : -1;
}

/* The private key is a secret: it does not outlive the listener in freed memory. */
static void http_free(struct http *h)
{
    if (h->key)
        explicit_bzero(h->key, strlen(h->key));
    free(h->key);
    free(h->cert);
    http_auth_free(h->auth);
    free(h);
}

struct http *http_start(const struct http_conf *c, struct published *p, char *bound,
                        size_t boundlen, char *err, size_t errlen)
{
    struct http *h = calloc(1, sizeof(*h));
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;

    if (!h) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    h->pub = p;
    h->conf = c;
    h->fd = -1;
    if (!(h->auth = http_auth_new()) || http_auth_set_users(h->auth, c->users, c->nusers) != 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (http_tls(h, c, err, errlen) != 0 ||
        (h->fd = http_bind(c, bound, boundlen, err, errlen)) < 0)
        goto fail;
    if (h->cert)
        flags |= MHD_USE_TLS;
    if (strchr(bound, '['))
        flags |= MHD_USE_IPv6;
    h->mhd = h->cert
                 ? MHD_start_daemon(flags, 0, NULL, NULL, http_answer, h, MHD_OPTION_LISTEN_SOCKET,
                                    h->fd, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
                                    MHD_OPTION_CONNECTION_LIMIT, 64u, MHD_OPTION_HTTPS_MEM_KEY,
                                    h->key, MHD_OPTION_HTTPS_MEM_CERT, h->cert, MHD_OPTION_END)
                 : MHD_start_daemon(flags, 0, NULL, NULL, http_answer, h, MHD_OPTION_LISTEN_SOCKET,
                                    h->fd, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
                                    MHD_OPTION_CONNECTION_LIMIT, 64u, MHD_OPTION_END);
    if (!h->mhd) {
        snprintf(err, errlen, "cannot start the HTTP server%s",
                 h->cert ? " (is the key the certificate's, both PEM?)" : "");
        goto fail;
    }
    return h;
fail:
    if (h->fd >= 0)
        close(h->fd);
    http_free(h);
    return NULL;
}

int http_set_users(struct http *h, const char *const *users, size_t n)
{
    return h ? http_auth_set_users(h->auth, users, n) : 0;
}

void http_stop(struct http *h)
{
    if (!h)
        return;
    MHD_stop_daemon(h->mhd); /* which closes the listening socket */
    http_free(h);
}
