/*
 * The daemon's HTTP listener (libmicrohttpd): /metrics for Prometheus and the status page
 * at /, both rendered at request time from what the daemon published. Optional TLS (a
 * certificate and key in PEM files) and basic auth (http_auth.h).
 */
#ifndef IP_HTTP_H
#define IP_HTTP_H

#include <stddef.h>
#include <sys/socket.h>

#include "http_auth.h"
#include "published.h"

struct http_conf {
    const char *listen;             /* "host:port"; NULL: no listener */
    const char *tls_cert, *tls_key; /* PEM files, both or neither */
    const char *const *users;       /* "name:hash" entries; none: no authentication */
    size_t nusers;
    const char *drill_report; /* the last --drill's JSON report; NULL: none */
    int refresh;              /* the status page's reload period, seconds */
};

/* Parse "host:port" without I/O: host a numeric IPv4 address, [IPv6] or localhost; port
 * 0..65535 (0: any free port). 0, or -1 with the reason in err. */
int http_parse_listen(const char *s, struct sockaddr_storage *sa, socklen_t *len, char *err,
                      size_t errlen);

struct http;
/* Bind and start serving `p`: the listener, or NULL with the reason in err ("bind: Address
 * already in use", a certificate that cannot be read, ...). On success `bound` gets the
 * address it listens on, as host:port (the port chosen when it was 0). */
struct http *http_start(const struct http_conf *c, struct published *p, char *bound,
                        size_t boundlen, char *err, size_t errlen);
/* A reload's listen_users (the address and TLS need a restart): copies of them replace the
 * users, and every cached verdict is forgotten. 0, or -1 (out of memory: the old users stay);
 * nothing without a listener (NULL). */
int http_set_users(struct http *h, const char *const *users, size_t n);
/* Stop serving (requests being answered finish first) and free the listener. */
void http_stop(struct http *h);

#endif
