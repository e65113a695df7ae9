/*
 * The tcp plugin: connect to each target, optionally send a string and expect one back,
 * like monitoring-plugins' check_tcp. All targets are probed at once on non-blocking
 * sockets in one poll() loop, so a hundred targets cost one deadline, not a hundred, and a
 * target that never answers costs only its own checks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <infraprobe/plugin.h>

static const struct ip_check_decl tcp_checks[] = {
    {.name = "connect", .help = "TCP connection established", .kind = IP_LATENCY},
    {.name = "expect", .help = "the expected string came back", .kind = IP_LATENCY},
    {0},
};

struct tcp_target {
    const char *spec; /* as configured, the checks' target */
    char host[256];
    char port[8];
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

enum tcp_phase { CONNECTING, SENDING, READING, DONE };

struct tcp_conn {
    const struct tcp_target *target;
    int fd;
    enum tcp_phase phase;
    double started;
    double connected;
    size_t sent;
    size_t got;
    char buf[1024];
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

/* Resolve every target by the deadline: numeric ones at once, names in parallel through
 * getaddrinfo_a(), since a plain getaddrinfo() can block on DNS for far longer. */
static void tcp_resolve(const struct tcp_state *st, struct addrinfo **ai, int *err, double deadline)
{
    struct gaicb *cbs = calloc(st->ntargets + 1, sizeof(*cbs));
    struct gaicb **list = calloc(st->ntargets + 1, sizeof(*list));
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    size_t nnames = 0;

    for (size_t i = 0; i < st->ntargets; i++) {
        struct addrinfo numeric = hints;

        numeric.ai_flags |= AI_NUMERICHOST;
        err[i] = getaddrinfo(st->targets[i].host, st->targets[i].port, &numeric, &ai[i]);
        if (err[i] != EAI_NONAME || !cbs || !list)
            continue;
        cbs[i].ar_name = st->targets[i].host;
        cbs[i].ar_service = st->targets[i].port;
        cbs[i].ar_request = &hints;
        list[nnames++] = &cbs[i];
    }
    if (nnames && getaddrinfo_a(GAI_NOWAIT, list, (int)nnames, NULL) == 0) {
        for (;;) {
            double left = deadline - ip_clock();
            struct timespec ts = {(time_t)left, (long)((left - (time_t)left) * 1e9)};
            size_t pending = 0;

            for (size_t i = 0; i < nnames; i++)
                pending += gai_error(list[i]) == EAI_INPROGRESS;
            if (!pending || left <= 0 ||
                gai_suspend((const struct gaicb *const *)list, (int)nnames, &ts) == EAI_AGAIN)
                break;
        }
        for (size_t i = 0; i < st->ntargets; i++) {
            if (!cbs[i].ar_name)
                continue;
            if (gai_cancel(&cbs[i]) == EAI_NOTCANCELED || gai_error(&cbs[i]) == 0) {
                /* It may still finish after the deadline; wait for it to free its result. */
                const struct gaicb *one[] = {&cbs[i]};

                while (gai_error(&cbs[i]) == EAI_INPROGRESS)
                    gai_suspend(one, 1, NULL);
            }
            err[i] = gai_error(&cbs[i]);
            ai[i] = err[i] == 0 ? cbs[i].ar_result : NULL;
            if (err[i] == EAI_CANCELED || err[i] == EAI_INPROGRESS)
                err[i] = EAI_AGAIN;
        }
    }
    free(cbs);
    free(list);
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

static void tcp_fail(struct tcp_state *st, struct ip_report *rep, struct tcp_conn *c,
                     const char *why)
{
    double took = ip_clock() - c->started;

    if (c->phase == CONNECTING) {
        st->connect_failures++;
        ip_check(rep, "connect", c->target->spec, IP_CRITICAL, took, "%s", why);
        if (st->expect)
            ip_check(rep, "expect", c->target->spec, IP_SKIPPED, 0, "not connected");
    } else if (st->expect) {
        char got[160];

        ip_check(rep, "expect", c->target->spec, IP_CRITICAL, ip_clock() - c->connected,
                 "%s; expected \"%s\", got \"%s\"", why, st->expect,
                 tcp_printable(c->buf, c->got, got, sizeof(got)));
    }
    c->phase = DONE;
}

/* Advance one connection after poll() said it is ready. */
static void tcp_step(struct tcp_state *st, struct ip_report *rep, struct tcp_conn *c)
{
    int soerr = 0;
    socklen_t len = sizeof(soerr);
    ssize_t n;

    switch (c->phase) {
    case CONNECTING:
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
        if (soerr) {
            tcp_fail(st, rep, c, strerror(soerr));
            return;
        }
        c->connected = ip_clock();
        ip_check(rep, "connect", c->target->spec, IP_OK, c->connected - c->started, "connected");
        c->phase = st->send ? SENDING : st->expect ? READING : DONE;
        return;
    case SENDING:
        n = send(c->fd, st->send + c->sent, strlen(st->send) - c->sent, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            tcp_fail(st, rep, c, strerror(errno));
            return;
        }
        c->sent += n > 0 ? (size_t)n : 0;
        if (c->sent == strlen(st->send))
            c->phase = st->expect ? READING : DONE;
        return;
    case READING:
        n = recv(c->fd, c->buf + c->got, sizeof(c->buf) - c->got, 0);
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
        return;
    case DONE:
        return;
    }
}

static void tcp_start(struct tcp_state *st, struct ip_report *rep, struct tcp_conn *c,
                      const struct addrinfo *ai, int gai_err)
{
    c->started = ip_clock();
    c->phase = CONNECTING;
    c->fd = -1;
    if (gai_err) {
        tcp_fail(st, rep, c,
                 gai_err == EAI_AGAIN ? "name not resolved by the deadline"
                                      : gai_strerror(gai_err));
        return;
    }
    st->connects++;
    c->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (c->fd < 0 || (connect(c->fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS))
        tcp_fail(st, rep, c, strerror(errno));
}

static int tcp_run(void *state, struct ip_report *rep)
{
    struct tcp_state *st = state;
    double deadline = ip_report_deadline(rep), started = ip_clock();
    struct tcp_conn *conns = calloc(st->ntargets, sizeof(*conns));
    struct pollfd *pfd = calloc(st->ntargets, sizeof(*pfd));
    struct addrinfo **ai = calloc(st->ntargets, sizeof(*ai));
    int *gai_err = calloc(st->ntargets, sizeof(*gai_err));
    int rc = IP_ENOMEM;

    for (size_t i = 0; conns && i < st->ntargets; i++)
        conns[i].fd = -1;
    if (!conns || !pfd || !ai || !gai_err)
        goto out;
    tcp_resolve(st, ai, gai_err, deadline);
    for (size_t i = 0; i < st->ntargets; i++) {
        conns[i].target = &st->targets[i];
        tcp_start(st, rep, &conns[i], ai[i], gai_err[i]);
    }
    for (;;) {
        size_t n = 0;
        double left = deadline - ip_clock();

        for (size_t i = 0; i < st->ntargets; i++) {
            if (conns[i].phase == DONE)
                continue;
            pfd[n].fd = conns[i].fd;
            pfd[n].events = conns[i].phase == READING ? POLLIN : POLLOUT;
            pfd[n].revents = 0;
            n++;
        }
        if (n == 0)
            break;
        if (left <= 0) {
            char why[64];

            snprintf(why, sizeof(why), "timed out after %.3f s", ip_clock() - started);
            for (size_t i = 0; i < st->ntargets; i++)
                if (conns[i].phase != DONE)
                    tcp_fail(st, rep, &conns[i], why);
            break;
        }
        /* Round the wait up: waking a hair before the deadline would spin. */
        if (poll(pfd, n, (int)(left * 1000) + 1) < 0 && errno != EINTR)
            goto out;
        for (size_t i = 0, k = 0; i < st->ntargets; i++) {
            if (conns[i].phase == DONE)
                continue;
            if (pfd[k++].revents)
                tcp_step(st, rep, &conns[i]);
        }
    }
    rc = 0;
out:
    for (size_t i = 0; conns && i < st->ntargets; i++)
        if (conns[i].fd >= 0)
            close(conns[i].fd);
    for (size_t i = 0; ai && i < st->ntargets; i++)
        if (ai[i])
            freeaddrinfo(ai[i]);
    free(conns);
    free(pfd);
    free(ai);
    free(gai_err);
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
    .abi = IP_PLUGIN_ABI,
    .name = "tcp",
    .description = "TCP connect, send and expect",
    .checks = tcp_checks,
    .setup = tcp_setup,
    .run = tcp_run,
    .teardown = tcp_teardown,
    .metrics = tcp_metrics,
};
