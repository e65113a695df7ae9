/*
 * The tcp plugin: connect to each target, optionally send a string and expect one back,
 * like monitoring-plugins' check_tcp. All targets are probed at once on non-blocking
 * sockets in one poll() loop, so a hundred targets cost one deadline, not a hundred, and a
 * target that never answers costs only its own checks.
 *
 * Host names go through ip_resolve() on a few helper threads, so that a slow name delays
 * only its own target: the numeric targets connect at once, and each name connects as soon
 * as it is resolved (its addresses tried in turn), the helpers waking the poll() loop
 * through a pipe. Every helper has returned by the deadline, and is joined before run()
 * returns.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <infraprobe/plugin.h>

#include "tcp_plugin.h"

static const struct ip_check_decl tcp_checks[] = {
    {.name = "connect", .help = "TCP connection established", .kind = IP_LATENCY},
    {.name = "expect", .help = "the expected string came back", .kind = IP_LATENCY},
    {0},
};

/* Names resolved at once, at most: one helper thread each. */
#define TCP_RESOLVERS 16

struct tcp_target {
    const char *spec; /* as configured, the checks' target */
    char host[256];
    char port[8];
    int numeric; /* an IPv4 or IPv6 address, not a name */
};

struct tcp_state {
    struct tcp_target *targets;
    size_t ntargets;
    const char *send;
    const char *expect;
    size_t expect_len;
    /* Cumulative, for metrics(). */
    long long connects;
    long long connect_failures;
};

enum tcp_phase { RESOLVING, CONNECTING, SENDING, READING, DONE };

struct tcp_conn {
    const struct tcp_target *target;
    int fd;
    enum tcp_phase phase;
    double started;
    double connected;
    size_t sent;
    size_t got;
    char buf[1024];
    /* The target's addresses, and the one being tried. */
    char addrs[TCP_MAX_ADDRS][IP_ADDRSTRLEN];
    int naddrs;
    int addr;
    char why[512]; /* each failed address's reason, for a name */
    int cause;     /* why it failed, for the hint: an errno, or a negative IP_E* */
    /* Set by a resolver thread: ip_resolve()'s result, then `resolved`. */
    int resolve_rc;
    char resolve_err[320];
    atomic_int resolved;
};

/* The helper threads' shared work: the RESOLVING connections, taken in turn. */
struct tcp_resolver {
    struct tcp_conn *conns;
    size_t nconns;
    double deadline;
    atomic_size_t next;
    int wake; /* the pipe's write end: a byte per name resolved */
    pthread_t threads[TCP_RESOLVERS];
    int nthreads;
};

static void tcp_teardown(void *state)
{
    struct tcp_state *st = state;

    free(st->targets);
    free(st);
}

static int tcp_setup(struct ip_probe *probe, void **statep)
{
    struct tcp_state *st = calloc(1, sizeof(*st));
    const char *const *targets;
    size_t n;

    if (!st)
        return IP_ENOMEM;
    targets = ip_probe_strings(probe, "targets", &n);
    st->send = ip_probe_string(probe, "send", NULL);
    st->expect = ip_probe_string(probe, "expect", NULL);
    st->expect_len = st->expect ? strlen(st->expect) : 0;
    if (n == 0 && !ip_probe_err(probe))
        ip_probe_fail(probe, "targets", "needs at least one \"host:port\"");
    if (st->expect && !*st->expect)
        ip_probe_fail(probe, "expect", "is empty");
    st->targets = calloc(n + 1, sizeof(*st->targets));
    for (size_t i = 0; st->targets && i < n; i++) {
        struct tcp_target *t = &st->targets[i];
        int port = 0;

        t->spec = targets[i];
        if (ip_hostport(targets[i], t->host, sizeof(t->host), &port) != 0)
            ip_probe_fail(probe, "targets", "\"%s\": expected host:port or [v6addr]:port",
                          targets[i]);
        snprintf(t->port, sizeof(t->port), "%d", port);
        t->numeric = strchr(t->host, ':') || inet_pton(AF_INET, t->host, &(struct in_addr){0});
    }
    st->ntargets = n;
    if (!st->targets || ip_probe_err(probe)) {
        int err = st->targets ? IP_ECONFIG : IP_ENOMEM;

        tcp_teardown(st);
        return err;
    }
    *statep = st;
    return 0;
}

/* Printable, truncated, for a message about what the server sent. */
static const char *tcp_printable(const char *in, size_t n, char *out, size_t outlen)
{
    size_t j = 0;

    for (size_t i = 0; i < n && j + 5 < outlen; i++) {
        unsigned char c = (unsigned char)in[i];

        if (c >= 0x20 && c < 0x7f && c != '"')
            out[j++] = (char)c;
        else
            j += (size_t)snprintf(out + j, outlen - j, "\\x%02x", c);
    }
    out[j] = '\0';
    return out;
}

/* Where to look first, from how the connection failed (c->cause). A refusal means the host
 * answered and nothing listens; silence means the packets go nowhere. */
static const char *tcp_connect_hint(const struct tcp_conn *c)
{
    switch (c->cause) {
    case ECONNREFUSED:
        return "the host answered but nothing listens on that port: is the service running, "
               "and bound to this address and port?";
    case ETIMEDOUT:
        return "no answer at all, not even a refusal: the host is down or a firewall drops the "
               "packets; check connectivity and firewall rules";
    case EHOSTUNREACH:
    case ENETUNREACH:
        return "no route to the host: check the address, the routing and the host's network";
    case IP_ERESOLVE:
        return "the name does not resolve: check its spelling and the DNS records";
    case IP_ETIMEDOUT:
        return "name resolution is too slow for the timeout: check the resolvers in "
               "/etc/resolv.conf";
    }
    return NULL;
}

static const char *tcp_expect_hint(const struct tcp_conn *c)
{
    if (c->cause == ETIMEDOUT)
        return c->got ? "the service answered something else and then nothing: is this port the "
                        "service you expect?"
                      : "connected, but no answer came: the service is overloaded or hung, or "
                        "speaks first only after a request (set `send`)";
    if (c->got)
        return "the service answered something else: is this port the service you expect "
               "(TLS, another protocol)?";
    return "the service accepted and closed the connection without answering: check its log "
           "(connection limit, access rules, TLS expected)";
}

static void tcp_fail(struct tcp_state *st, struct ip_report *rep, struct tcp_conn *c,
                     const char *why)
{
    double took = ip_clock() - c->started;
    const char *hint;

    if (c->phase == RESOLVING || c->phase == CONNECTING) {
        st->connect_failures++;
        ip_check(rep, "connect", c->target->spec, IP_CRITICAL, took, "%s", why);
        if ((hint = tcp_connect_hint(c)))
            ip_check_hint(rep, "connect", c->target->spec, "%s", hint);
        if (st->expect)
            ip_check(rep, "expect", c->target->spec, IP_SKIPPED, 0, "not connected");
    } else if (st->expect) {
        char got[160];

        ip_check(rep, "expect", c->target->spec, IP_CRITICAL, ip_clock() - c->connected,
                 "%s; expected \"%s\", got \"%s\"", why, st->expect,
                 tcp_printable(c->buf, c->got, got, sizeof(got)));
        ip_check_hint(rep, "expect", c->target->spec, "%s", tcp_expect_hint(c));
    }
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->phase = DONE;
}

/* Start connecting to the address c->addrs[c->addr]; 0, or an errno. */
static int tcp_connect(struct tcp_conn *c)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    int err = 0;

    /* Numeric: getaddrinfo() only parses (and keeps an IPv6 address's scope). */
    if (getaddrinfo(c->addrs[c->addr], c->target->port, &hints, &ai) != 0)
        return EINVAL;
    c->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (c->fd < 0 || (connect(c->fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS))
        err = errno;
    freeaddrinfo(ai);
    return err;
}

/* The connection to the current address failed with errno `err`: try the next address of
 * the target, or give up with every address's reason. */
static void tcp_connect_failed(struct tcp_state *st, struct ip_report *rep, struct tcp_conn *c,
                               int err)
{
    for (;;) {
        size_t len = strlen(c->why);

        if (c->fd >= 0)
            close(c->fd);
        c->fd = -1;
        /* An address as configured needs no naming; a name's addresses do. */
        if (c->target->numeric)
            snprintf(c->why, sizeof(c->why), "%s", strerror(err));
        else
            snprintf(c->why + len, sizeof(c->why) - len, "%s%s: %s", len ? "; " : "",
                     c->addrs[c->addr], strerror(err));
        if (++c->addr >= c->naddrs) {
            c->cause = err;
            tcp_fail(st, rep, c, c->why);
            return;
        }
        if ((err = tcp_connect(c)) == 0)
            return;
    }
}

/* The connection in progress finished connecting, or failed to. */
static void tcp_step_connect(struct tcp_state *st, struct ip_report *rep, struct tcp_conn *c)
{
    int soerr = 0;
    socklen_t len = sizeof(soerr);

    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
    if (soerr) {
        tcp_connect_failed(st, rep, c, soerr);
        return;
    }
    c->connected = ip_clock();
    if (c->target->numeric)
        ip_check(rep, "connect", c->target->spec, IP_OK, c->connected - c->started, "connected");
    else
        ip_check(rep, "connect", c->target->spec, IP_OK, c->connected - c->started,
                 "connected to %s", c->addrs[c->addr]);
    c->phase = st->send ? SENDING : st->expect ? READING : DONE;
}

static void tcp_step_send(struct tcp_state *st, struct ip_report *rep, struct tcp_conn *c)
{
    ssize_t n = send(c->fd, st->send + c->sent, strlen(st->send) - c->sent, MSG_NOSIGNAL);

    if (n < 0 && errno != EAGAIN && errno != EINTR) {
        tcp_fail(st, rep, c, strerror(errno));
        return;
    }
    c->sent += n > 0 ? (size_t)n : 0;
    if (c->sent == strlen(st->send))
        c->phase = st->expect ? READING : DONE;
}

static void tcp_step_read(struct tcp_state *st, struct ip_report *rep, struct tcp_conn *c)
{
    ssize_t n = recv(c->fd, c->buf + c->got, sizeof(c->buf) - c->got, 0);

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        tcp_fail(st, rep, c, n == 0 ? "connection closed" : strerror(errno));
        return;
    }
    c->got += (size_t)n;
    if (memmem(c->buf, c->got, st->expect, st->expect_len)) {
        ip_check(rep, "expect", c->target->spec, IP_OK, ip_clock() - c->connected, "got \"%s\"",
                 st->expect);
        c->phase = DONE;
    } else if (c->got == sizeof(c->buf)) {
        tcp_fail(st, rep, c, "not in the first 1024 bytes");
    }
}

/* Advance one connection after poll() said it is ready. */
static void tcp_step(struct tcp_state *st, struct ip_report *rep, struct tcp_conn *c)
{
    switch (c->phase) {
    case CONNECTING:
        tcp_step_connect(st, rep, c);
        return;
    case SENDING:
        tcp_step_send(st, rep, c);
        return;
    case READING:
        tcp_step_read(st, rep, c);
        return;
    case RESOLVING:
    case DONE:
        return;
    }
}

/* The target's addresses are known (or not): start connecting to the first. */
static void tcp_start(struct tcp_state *st, struct ip_report *rep, struct tcp_conn *c, int n,
                      const char *err)
{
    int rc;

    if (n <= 0) {
        c->cause = n;
        tcp_fail(st, rep, c, err);
        return;
    }
    c->naddrs = n;
    c->addr = 0;
    c->phase = CONNECTING;
    st->connects++;
    if ((rc = tcp_connect(c)) != 0)
        tcp_connect_failed(st, rep, c, rc);
}

static void *tcp_resolver_main(void *arg)
{
    struct tcp_resolver *r = arg;
    size_t i;

    while ((i = atomic_fetch_add(&r->next, 1)) < r->nconns) {
        struct tcp_conn *c = &r->conns[i];

        if (c->phase != RESOLVING)
            continue;
        /* A name not even started by the deadline must not start a lookup now. */
        if (ip_clock() >= r->deadline) {
            c->resolve_rc = IP_ETIMEDOUT;
            snprintf(c->resolve_err, sizeof(c->resolve_err), "%s: not resolved by the deadline",
                     c->target->host);
        } else {
            c->resolve_rc = ip_resolve(c->target->host, r->deadline, c->addrs, TCP_MAX_ADDRS,
                                       c->resolve_err, sizeof(c->resolve_err));
        }
        atomic_store(&c->resolved, 1);
        if (write(r->wake, "", 1) < 0) {
            /* A full pipe already wakes the loop, which then looks at every name. */
        }
    }
    return NULL;
}

/* Start up to TCP_RESOLVERS helpers for the `nnames` RESOLVING connections; with none
 * started, resolve them here (each within the deadline). */
static void tcp_resolvers_start(struct tcp_resolver *r, size_t nnames)
{
    while (r->nthreads < TCP_RESOLVERS && (size_t)r->nthreads < nnames &&
           pthread_create(&r->threads[r->nthreads], NULL, tcp_resolver_main, r) == 0)
        r->nthreads++;
    if (r->nthreads == 0)
        tcp_resolver_main(r);
}

static void tcp_resolvers_join(struct tcp_resolver *r)
{
    for (int i = 0; i < r->nthreads; i++)
        pthread_join(r->threads[i], NULL);
    r->nthreads = 0;
}

/* Start the connections whose names the helpers have resolved since the last look. */
static size_t tcp_take_resolved(struct tcp_state *st, struct ip_report *rep, struct tcp_conn *conns)
{
    size_t pending = 0;

    for (size_t i = 0; i < st->ntargets; i++) {
        struct tcp_conn *c = &conns[i];

        if (c->phase != RESOLVING)
            continue;
        if (atomic_load(&c->resolved))
            tcp_start(st, rep, c, c->resolve_rc, c->resolve_err);
        else
            pending++;
    }
    return pending;
}

/* Start every target: an address as configured connects now; a name is counted, for the
 * resolver helpers. Returns how many names wait. */
static size_t tcp_begin(struct tcp_state *st, struct ip_report *rep, struct tcp_conn *conns,
                        double started, double deadline)
{
    size_t nnames = 0;

    for (size_t i = 0; i < st->ntargets; i++) {
        struct tcp_conn *c = &conns[i];

        c->target = &st->targets[i];
        c->started = started;
        c->phase = RESOLVING;
        if (c->target->numeric) {
            int n = ip_resolve(c->target->host, deadline, c->addrs, TCP_MAX_ADDRS, c->resolve_err,
                               sizeof(c->resolve_err));

            tcp_start(st, rep, c, n, c->resolve_err);
        } else {
            nnames++;
        }
    }
    return nnames;
}

/* Whether poll() watches this connection (one with a socket and something to do). */
static int tcp_polled(const struct tcp_conn *c)
{
    return c->phase != DONE && c->phase != RESOLVING;
}

/* Fill pfd with the connections to watch; returns how many. */
static size_t tcp_poll_set(struct tcp_state *st, struct tcp_conn *conns, struct pollfd *pfd)
{
    size_t n = 0;

    for (size_t i = 0; i < st->ntargets; i++) {
        if (!tcp_polled(&conns[i]))
            continue;
        pfd[n].fd = conns[i].fd;
        pfd[n].events = conns[i].phase == READING ? POLLIN : POLLOUT;
        pfd[n].revents = 0;
        n++;
    }
    return n;
}

/* The deadline passed: every connection not done fails with the time taken. */
static void tcp_time_out(struct tcp_state *st, struct ip_report *rep, struct tcp_conn *conns,
                         struct tcp_resolver *r, double started)
{
    char why[64];

    /* The helpers return by the deadline: their verdicts name the host. */
    tcp_resolvers_join(r);
    tcp_take_resolved(st, rep, conns);
    snprintf(why, sizeof(why), "timed out after %.3f s", ip_clock() - started);
    for (size_t i = 0; i < st->ntargets; i++)
        if (conns[i].phase != DONE) {
            conns[i].cause = ETIMEDOUT;
            tcp_fail(st, rep, &conns[i], why);
        }
}

/* Step the connections poll() found ready, in the order tcp_poll_set() listed them. */
static void tcp_step_ready(struct tcp_state *st, struct ip_report *rep, struct tcp_conn *conns,
                           const struct pollfd *pfd)
{
    for (size_t i = 0, k = 0; i < st->ntargets; i++) {
        if (!tcp_polled(&conns[i]))
            continue;
        if (pfd[k++].revents)
            tcp_step(st, rep, &conns[i]);
    }
}

/* Poll and step the connections until all are done or the deadline passes; returns 0, or
 * -1 when poll() fails. */
static int tcp_loop(struct tcp_state *st, struct ip_report *rep, struct tcp_conn *conns,
                    struct pollfd *pfd, struct tcp_resolver *r, int wake, double started)
{
    for (;;) {
        double left = r->deadline - ip_clock();
        size_t pending = tcp_take_resolved(st, rep, conns);
        size_t n = tcp_poll_set(st, conns, pfd);
        char drain[64];

        if (n == 0 && pending == 0)
            return 0;
        if (left <= 0) {
            tcp_time_out(st, rep, conns, r, started);
            return 0;
        }
        pfd[n].fd = pending ? wake : -1;
        pfd[n].events = POLLIN;
        pfd[n].revents = 0;
        if (ip_poll_until(pfd, n + 1, r->deadline) < 0)
            return -1;
        while (read(wake, drain, sizeof(drain)) > 0)
            ;
        tcp_step_ready(st, rep, conns, pfd);
    }
}

static int tcp_run(void *state, struct ip_report *rep)
{
    struct tcp_state *st = state;
    double deadline = ip_report_deadline(rep), started = ip_clock();
    struct tcp_conn *conns = calloc(st->ntargets, sizeof(*conns));
    struct pollfd *pfd = calloc(st->ntargets + 1, sizeof(*pfd));
    struct tcp_resolver r = {.conns = conns, .nconns = st->ntargets, .deadline = deadline};
    int wake[2] = {-1, -1};
    size_t nnames;
    int rc = IP_ENOMEM;

    for (size_t i = 0; conns && i < st->ntargets; i++)
        conns[i].fd = -1;
    if (!conns || !pfd)
        goto out;
    if (pipe2(wake, O_NONBLOCK | O_CLOEXEC) != 0) {
        rc = IP_EINVAL;
        goto out;
    }
    r.wake = wake[1];
    nnames = tcp_begin(st, rep, conns, started, deadline);
    if (nnames)
        tcp_resolvers_start(&r, nnames);
    if (tcp_loop(st, rep, conns, pfd, &r, wake[0], started) == 0)
        rc = 0;
out:
    tcp_resolvers_join(&r);
    for (size_t i = 0; conns && i < st->ntargets; i++)
        if (conns[i].fd >= 0)
            close(conns[i].fd);
    if (wake[0] >= 0) {
        close(wake[0]);
        close(wake[1]);
    }
    free(conns);
    free(pfd);
    return rc;
}

static int tcp_metrics(void *state, struct ip_report *rep)
{
    struct tcp_state *st = state;

    ip_metric(rep, IP_COUNTER, "connects", NULL, "TCP connections attempted", NULL, NULL,
              (double)st->connects);
    ip_metric(rep, IP_COUNTER, "connect_failures", NULL, "TCP connections that failed", NULL, NULL,
              (double)st->connect_failures);
    return 0;
}

IP_EXPORT const struct ip_plugin infraprobe_plugin = {
    IP_PLUGIN_HEADER,         .name = "tcp",          .description = "TCP connect, send and expect",
    .checks = tcp_checks,     .setup = tcp_setup,     .run = tcp_run,
    .teardown = tcp_teardown, .metrics = tcp_metrics, .operate = tcp_operate,
};
