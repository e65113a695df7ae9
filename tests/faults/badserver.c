/*
 * badserver: small misbehaving servers on 127.0.0.1 for the fault matrix. Each PROTO:MODE
 * argument gets a listener on a free port of its own; badserver prints one line per
 * argument, "PROTO:MODE PORT", then serves until its stdin ends (so it dies with the test
 * that started it) or it gets SIGTERM.
 *
 *   badserver [--drip-ms N] [--huge-bytes N] PROTO:MODE...
 *
 * PROTO is what the server pretends to be:
 *   tcp    a line protocol: it answers a request with "+PONG\r\n" (the tcp plugin's send and
 *          expect)
 *   redis  RESP: CLIENT, AUTH, SELECT, HELLO and PING are answered as Redis would; the fault
 *          hits the first other reply (INFO's, a bulk of some 400 bytes)
 *   mysql  a MariaDB server, which speaks first: the fault hits its handshake packet
 *   etcd   an HTTP server where etcd's JSON gateway should be: it reads a request and its
 *          body; its right reply is an HTTP 200 with JSON of another service's
 *   kafka  a Kafka broker: the fault hits its answer to the client's first request
 *          (ApiVersions): a response frame with the request's correlation id, error 0 and no
 *          API, or, for huge, a frame announcing --huge-bytes
 * MODE is what goes wrong:
 *   refused  nothing listens (the port was bound, then closed)
 *   silent   accept and read, never answer
 *   garbage  bytes of another protocol instead (an HTTP error; for mysql, an SSH banner; for
 *            etcd, an HTML page with status 200)
 *   alien    (etcd) the whole right reply: well-formed JSON that is not etcd's
 *   drip     the right reply, one byte every --drip-ms (200)
 *   close    half of the right reply, then close the connection
 *   stall    half of the right reply, then nothing
 *   huge     a reply of --huge-bytes (100 MiB): a redis bulk, a mysql handshake announced in
 *            full-size packets, for tcp that many bytes of a bulk
 * After its fault, a connection is held open, read and ignored, until the client leaves.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum proto { P_TCP, P_REDIS, P_MYSQL, P_ETCD, P_KAFKA };
enum mode { M_REFUSED, M_SILENT, M_GARBAGE, M_DRIP, M_CLOSE, M_STALL, M_HUGE, M_ALIEN };

static const char *const proto_names[] = {"tcp", "redis", "mysql", "etcd", "kafka", NULL};
static const char *const mode_names[] = {"refused", "silent", "garbage", "drip", "close",
                                         "stall",   "huge",   "alien",   NULL};

struct listener {
    const char *spec;
    enum proto proto;
    enum mode mode;
    int fd;
    int port;
};

struct conn {
    const struct listener *l;
    int fd;
};

/* Set once in main, before any thread starts. */
static long drip_ms = 200;
static long long huge_bytes = 100LL << 20;

/* What a probe pointed at the wrong port could meet: an HTTP server's answer. */
static const char http_garbage[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n"
                                   "Connection: close\r\n\r\n";
/* What a server that speaks first could send instead of a MariaDB handshake. */
static const char ssh_garbage[] = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n";

static const char redis_info[] = "# Server\r\n"
                                 "redis_version:7.0.15\r\n"
                                 "redis_mode:standalone\r\n"
                                 "os:Linux 6.1.0 x86_64\r\n"
                                 "process_id:4242\r\n"
                                 "tcp_port:6379\r\n"
                                 "uptime_in_seconds:86400\r\n"
                                 "\r\n"
                                 "# Clients\r\n"
                                 "connected_clients:3\r\n"
                                 "\r\n"
                                 "# Memory\r\n"
                                 "used_memory:1048576\r\n"
                                 "maxmemory:0\r\n"
                                 "maxmemory_policy:noeviction\r\n"
                                 "\r\n"
                                 "# Persistence\r\n"
                                 "rdb_changes_since_last_save:0\r\n"
                                 "rdb_last_bgsave_status:ok\r\n"
                                 "aof_enabled:0\r\n"
                                 "\r\n"
                                 "# Replication\r\n"
                                 "role:master\r\n"
                                 "connected_slaves:0\r\n"
                                 "master_repl_offset:0\r\n";

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* All of buf, or -1 once the client has gone. */
static int send_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Read and ignore whatever comes until the client leaves. */
static void hold(int fd)
{
    char buf[4096];
    ssize_t n;

    while ((n = recv(fd, buf, sizeof(buf), 0)) != 0)
        if (n < 0 && errno != EINTR)
            break;
}

/* The right reply, misbehaving as `mode` says; the connection is then held or closed. */
static void misbehave(int fd, enum mode mode, const char *reply, size_t len)
{
    switch (mode) {
    case M_DRIP:
        for (size_t i = 0; i < len; i++) {
            sleep_ms(drip_ms);
            if (send_all(fd, reply + i, 1) != 0)
                return;
        }
        break;
    case M_CLOSE:
        send_all(fd, reply, len / 2);
        return;
    case M_STALL:
        send_all(fd, reply, len / 2);
        break;
    default:
        send_all(fd, reply, len);
        break;
    }
    hold(fd);
}

/* Stream `n` filler bytes; -1 once the client has gone. */
static int send_filler(int fd, long long n)
{
    static const char chunk[65536] = {[0 ... 65535] = 'x'};

    while (n > 0) {
        size_t k = n < (long long)sizeof(chunk) ? (size_t)n : sizeof(chunk);

        if (send_all(fd, chunk, k) != 0)
            return -1;
        n -= (long long)k;
    }
    return 0;
}

/* ---- tcp ---------------------------------------------------------------------------------- */

static void serve_tcp(const struct listener *l, int fd)
{
    char buf[4096], head[64];
    ssize_t n;

    if (l->mode == M_SILENT) {
        hold(fd);
        return;
    }
    /* One request (the tcp plugin's send) first: its reply is what goes wrong. */
    do
        n = recv(fd, buf, sizeof(buf), 0);
    while (n < 0 && errno == EINTR);
    if (n <= 0)
        return;
    switch (l->mode) {
    case M_GARBAGE:
        send_all(fd, http_garbage, sizeof(http_garbage) - 1);
        hold(fd);
        return;
    case M_HUGE:
        snprintf(head, sizeof(head), "$%lld\r\n", huge_bytes);
        if (send_all(fd, head, strlen(head)) == 0 && send_filler(fd, huge_bytes) == 0)
            send_all(fd, "\r\n", 2);
        hold(fd);
        return;
    default:
        misbehave(fd, l->mode, "+PONG\r\n", 7);
        return;
    }
}

/* ---- redis -------------------------------------------------------------------------------- */

/* One RESP command (an array of bulk strings, as hiredis sends) at the head of buf: its
 * length, with its first word upper-cased into name; 0 when incomplete, -1 when not RESP. */
static long resp_command(const char *buf, size_t len, char *name, size_t namelen)
{
    const char *p = buf, *end = buf + len, *eol;
    long argc, i;

    name[0] = '\0';
    if (len == 0)
        return 0;
    if (*p != '*')
        return -1;
    if (!(eol = memmem(p, (size_t)(end - p), "\r\n", 2)))
        return 0;
    argc = strtol(p + 1, NULL, 10);
    if (argc < 1 || argc > 1024)
        return -1;
    p = eol + 2;
    for (i = 0; i < argc; i++) {
        long alen;

        if (p >= end)
            return 0;
        if (*p != '$')
            return -1;
        if (!(eol = memmem(p, (size_t)(end - p), "\r\n", 2)))
            return 0;
        alen = strtol(p + 1, NULL, 10);
        if (alen < 0 || alen > (1L << 20))
            return -1;
        p = eol + 2;
        if (end - p < alen + 2)
            return 0;
        if (i == 0) {
            size_t k;

            for (k = 0; k < (size_t)alen && k + 1 < namelen; k++)
                name[k] = (char)toupper((unsigned char)p[k]);
            name[k] = '\0';
        }
        p += alen + 2;
    }
    return (long)(p - buf);
}

/* The reply Redis would give to a connection's setup command; NULL for any other. */
static const char *redis_setup_reply(const char *name)
{
    if (!strcmp(name, "PING"))
        return "+PONG\r\n";
    if (!strcmp(name, "CLIENT") || !strcmp(name, "AUTH") || !strcmp(name, "SELECT"))
        return "+OK\r\n";
    if (!strcmp(name, "HELLO"))
        return "-ERR unknown command 'HELLO'\r\n"; /* as a Redis 5 says: stay on RESP2 */
    return NULL;
}

static void serve_redis(const struct listener *l, int fd)
{
    char buf[65536], name[32], *reply = NULL;
    size_t len = 0;

    if (l->mode == M_SILENT) {
        hold(fd);
        return;
    }
    for (;;) {
        long used = resp_command(buf, len, name, sizeof(name));
        const char *setup;
        ssize_t n;

        if (used < 0)
            return; /* not a RESP client: nothing to misbehave for */
        if (used == 0) {
            if (len == sizeof(buf))
                return;
            n = recv(fd, buf + len, sizeof(buf) - len, 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return;
            len += (size_t)n;
            continue;
        }
        memmove(buf, buf + used, len - (size_t)used);
        len -= (size_t)used;
        setup = redis_setup_reply(name);
        if (l->mode == M_GARBAGE) {
            send_all(fd, http_garbage, sizeof(http_garbage) - 1);
            break;
        }
        if (setup) {
            if (send_all(fd, setup, strlen(setup)) != 0)
                return;
            continue;
        }
        if (l->mode == M_HUGE) {
            char head[64];

            snprintf(head, sizeof(head), "$%lld\r\n", huge_bytes);
            if (send_all(fd, head, strlen(head)) == 0 && send_filler(fd, huge_bytes) == 0)
                send_all(fd, "\r\n", 2);
            break;
        }
        /* INFO's reply, whatever was asked: the first one with a body. */
        if (asprintf(&reply, "$%zu\r\n%s\r\n", sizeof(redis_info) - 1, redis_info) < 0)
            return;
        misbehave(fd, l->mode, reply, strlen(reply));
        free(reply);
        return;
    }
    hold(fd);
}

/* ---- mysql -------------------------------------------------------------------------------- */

/* A MariaDB 10.11 server's first packet (protocol 10), header included: its length. */
static size_t mysql_handshake(unsigned char *out, size_t cap, unsigned thread_id)
{
    /* Two numbers, not three: a dotted version of three or more numbers reads like an
     * address, and tests name none outside 127.0.0.0/8; Connector/C takes it as it is. */
    static const char version[] = "10.11-MariaDB";
    static const char plugin[] = "mysql_native_password";
    unsigned char *p = out + 4;
    size_t len;

    if (cap < 128)
        return 0;
    *p++ = 10;
    memcpy(p, version, sizeof(version)); /* with its NUL */
    p += sizeof(version);
    for (int i = 0; i < 4; i++)
        *p++ = (unsigned char)(thread_id >> (8 * i));
    memcpy(p, "abcdefgh", 8); /* scramble, part 1 */
    p += 8;
    *p++ = 0;
    *p++ = 0xfe; /* capabilities, low: PROTOCOL_41, SECURE_CONNECTION, ..., no SSL */
    *p++ = 0xf7;
    *p++ = 45;   /* utf8mb4_general_ci */
    *p++ = 0x02; /* SERVER_STATUS_AUTOCOMMIT */
    *p++ = 0x00;
    *p++ = 0xff; /* capabilities, high: PLUGIN_AUTH, ... */
    *p++ = 0x81;
    *p++ = 21; /* scramble length, with its NUL */
    memset(p, 0, 6);
    p += 6;
    memset(p, 0, 4); /* MariaDB's extended capabilities */
    p += 4;
    memcpy(p, "ijklmnopqrst", 12); /* scramble, part 2 */
    p += 12;
    *p++ = 0;
    memcpy(p, plugin, sizeof(plugin));
    p += sizeof(plugin);
    len = (size_t)(p - out - 4);
    out[0] = (unsigned char)len;
    out[1] = (unsigned char)(len >> 8);
    out[2] = (unsigned char)(len >> 16);
    out[3] = 0; /* sequence */
    return len + 4;
}

/* A handshake of huge_bytes: the real one, then filler, cut into the protocol's full-size
 * packets of 2^24 - 1 bytes, each announcing that more follows. */
static void mysql_huge(int fd, const unsigned char *hs, size_t hslen)
{
    const long long full = 0xffffff;
    long long left = huge_bytes;
    unsigned char seq = 0;
    int first = 1;

    for (;;) {
        long long n = left < full ? left : full;
        unsigned char head[4] = {(unsigned char)n, (unsigned char)(n >> 8),
                                 (unsigned char)(n >> 16), seq++};
        long long filler = n;

        if (send_all(fd, head, 4) != 0)
            return;
        if (first) {
            if (send_all(fd, hs + 4, hslen - 4) != 0)
                return;
            filler -= (long long)(hslen - 4);
            first = 0;
        }
        if (send_filler(fd, filler) != 0)
            return;
        left -= n;
        if (n < full)
            break;
    }
    hold(fd);
}

static void serve_mysql(const struct listener *l, int fd)
{
    static unsigned next_id = 1;
    unsigned char hs[256];
    size_t len = mysql_handshake(hs, sizeof(hs), __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED));

    switch (l->mode) {
    case M_SILENT:
        hold(fd);
        return;
    case M_GARBAGE:
        send_all(fd, ssh_garbage, sizeof(ssh_garbage) - 1);
        hold(fd);
        return;
    case M_HUGE:
        mysql_huge(fd, hs, len);
        return;
    default:
        misbehave(fd, l->mode, (const char *)hs, len);
        return;
    }
}

/* ---- kafka -------------------------------------------------------------------------------- */

/* Read one request frame (int32 size, then int16 api key, int16 version, int32 correlation id):
 * its correlation id, or -1 when the client left first. */
static long kafka_request(int fd)
{
    unsigned char buf[65536];
    size_t got = 0;

    while (got < 12) {
        ssize_t n = recv(fd, buf + got, sizeof(buf) - got, 0);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    return (long)((unsigned long)buf[8] << 24 | (unsigned long)buf[9] << 16 |
                  (unsigned long)buf[10] << 8 | buf[11]);
}

static void put32(unsigned char *p, unsigned long v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static void serve_kafka(const struct listener *l, int fd)
{
    /* size, correlation id, error_code 0, an empty api_keys array, throttle_time_ms 0 */
    unsigned char reply[18] = {0};
    long corr;

    if (l->mode == M_SILENT) {
        hold(fd);
        return;
    }
    if ((corr = kafka_request(fd)) < 0)
        return;
    put32(reply, sizeof(reply) - 4);
    put32(reply + 4, (unsigned long)corr);
    switch (l->mode) {
    case M_GARBAGE:
        send_all(fd, http_garbage, sizeof(http_garbage) - 1);
        hold(fd);
        return;
    case M_HUGE:
        put32(reply, (unsigned long)huge_bytes);
        if (send_all(fd, reply, 8) == 0)
            send_filler(fd, huge_bytes - 4);
        hold(fd);
        return;
    default:
        misbehave(fd, l->mode, (const char *)reply, sizeof(reply));
        return;
    }
}

/* ---- the listeners ------------------------------------------------------------------------ */

/* ---- etcd --------------------------------------------------------------------------------- */

static const char etcd_alien[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 "Content-Length: 42\r\n\r\n"
                                 "{\"status\":\"ok\",\"service\":\"not etcd\",\"n\":1}";
static const char etcd_html[] = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                                "Content-Length: 56\r\n\r\n"
                                "<html><body><h1>It works!</h1><p>nginx</p></body></html>";

/* One HTTP request, its headers and its Content-Length body: 0, or -1 once the client left. */
static int read_request(int fd)
{
    char buf[8192];
    size_t len = 0;
    long body = 0;
    char *end = NULL;

    while (!end || len < (size_t)(end - buf) + 4 + (size_t)body) {
        ssize_t n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        len += (size_t)n;
        buf[len] = '\0';
        if (!end && (end = strstr(buf, "\r\n\r\n"))) {
            const char *cl = strcasestr(buf, "content-length:");

            body = cl && cl < end ? atol(cl + 15) : 0;
        }
        if (len + 1 >= sizeof(buf))
            return 0; /* enough: the fault does not depend on the rest */
    }
    return 0;
}

static void serve_etcd(const struct listener *l, int fd)
{
    char head[128];

    if (l->mode == M_SILENT || read_request(fd) != 0) {
        hold(fd);
        return;
    }
    switch (l->mode) {
    case M_GARBAGE:
        send_all(fd, etcd_html, sizeof(etcd_html) - 1);
        hold(fd);
        return;
    case M_HUGE:
        snprintf(head, sizeof(head),
                 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 "Content-Length: %lld\r\n\r\n",
                 huge_bytes);
        if (send_all(fd, head, strlen(head)) == 0)
            send_filler(fd, huge_bytes);
        hold(fd);
        return;
    default:
        misbehave(fd, l->mode, etcd_alien, sizeof(etcd_alien) - 1);
    }
}

static void *serve(void *arg)
{
    struct conn *c = arg;

    switch (c->l->proto) {
    case P_TCP:
        serve_tcp(c->l, c->fd);
        break;
    case P_REDIS:
        serve_redis(c->l, c->fd);
        break;
    case P_MYSQL:
        serve_mysql(c->l, c->fd);
        break;
    case P_ETCD:
        serve_etcd(c->l, c->fd);
        break;
    case P_KAFKA:
        serve_kafka(c->l, c->fd);
        break;
    }
    close(c->fd);
    free(c);
    return NULL;
}

static void *accept_loop(void *arg)
{
    const struct listener *l = arg;
    pthread_attr_t attr;

    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    for (;;) {
        struct conn *c;
        pthread_t t;
        int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);

        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE)
                continue;
            fprintf(stderr, "badserver: %s: accept: %s\n", l->spec, strerror(errno));
            exit(1);
        }
        c = malloc(sizeof(*c));
        if (c) {
            c->l = l;
            c->fd = fd;
        }
        if (!c || pthread_create(&t, &attr, serve, c) != 0) {
            free(c);
            close(fd);
        }
    }
    return NULL;
}

static int lookup(const char *const *names, const char *s, size_t len)
{
    for (int i = 0; names[i]; i++)
        if (strlen(names[i]) == len && !strncmp(names[i], s, len))
            return i;
    return -1;
}

static int listen_on(struct listener *l)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);

    l->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (l->fd < 0 || bind(l->fd, (struct sockaddr *)&a, alen) != 0 ||
        getsockname(l->fd, (struct sockaddr *)&a, &alen) != 0)
        return -1;
    l->port = ntohs(a.sin_port);
    if (l->mode == M_REFUSED) {
        /* Bound, never listened on, closed: a port of ours that refuses. */
        close(l->fd);
        l->fd = -1;
        return 0;
    }
    return listen(l->fd, 64);
}

static long long number(const char *opt, const char *s, long long max)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < 0 || v > max) {
        fprintf(stderr, "badserver: %s %s: expected 0..%lld\n", opt, s, max);
        exit(2);
    }
    return v;
}

static void usage(void)
{
    fprintf(stderr, "usage: badserver [--drip-ms N] [--huge-bytes N] PROTO:MODE...\n"
                    "PROTO: tcp redis mysql; MODE: refused silent garbage drip close stall "
                    "huge\n");
    exit(2);
}

int main(int argc, char **argv)
{
    struct listener *ls;
    int first = 1, n;
    char buf[256];

    /* Die with the test that started us, even if it could not close our stdin. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    signal(SIGPIPE, SIG_IGN);
    for (; first + 1 < argc; first += 2) {
        if (!strcmp(argv[first], "--drip-ms"))
            drip_ms = (long)number(argv[first], argv[first + 1], 60000);
        else if (!strcmp(argv[first], "--huge-bytes"))
            huge_bytes = number(argv[first], argv[first + 1], 1LL << 40);
        else
            break;
    }
    n = argc - first;
    if (n < 1 || argv[first][0] == '-')
        usage();
    ls = calloc((size_t)n, sizeof(*ls));
    if (!ls)
        return 1;
    for (int i = 0; i < n; i++) {
        struct listener *l = &ls[i];
        const char *colon = strchr(argv[first + i], ':');
        int p =
            colon ? lookup(proto_names, argv[first + i], (size_t)(colon - argv[first + i])) : -1;
        int m = colon ? lookup(mode_names, colon + 1, strlen(colon + 1)) : -1;

        if (p < 0 || m < 0) {
            fprintf(stderr, "badserver: \"%s\": expected PROTO:MODE\n", argv[first + i]);
            usage();
        }
        l->spec = argv[first + i];
        l->proto = (enum proto)p;
        l->mode = (enum mode)m;
        if (listen_on(l) != 0) {
            fprintf(stderr, "badserver: %s: cannot listen on 127.0.0.1: %s\n", l->spec,
                    strerror(errno));
            return 1;
        }
    }
    for (int i = 0; i < n; i++) {
        pthread_t t;

        if (ls[i].fd >= 0 && pthread_create(&t, NULL, accept_loop, &ls[i]) != 0) {
            fprintf(stderr, "badserver: %s: cannot start a thread\n", ls[i].spec);
            return 1;
        }
        printf("%s %d\n", ls[i].spec, ls[i].port);
    }
    fflush(stdout);
    while (read(0, buf, sizeof(buf)) > 0)
        ;
    return 0;
}
