/*
 * Connections and commands with a deadline, on hiredis 0.14's non-blocking API: hiredis
 * formats commands and parses replies, and we do the I/O ourselves with poll() against the
 * deadline, so that a command is bounded as a whole, not per syscall (a server that sends
 * one byte every 200 ms never stretches it). Names go through ip_resolve() within the same
 * deadline and hiredis only ever sees numeric addresses, tried in turn. A reply is bounded
 * too: the bytes buffered for it plus the reply objects built from them never exceed
 * max_reply, and a bulk announced larger than that is refused before it is read.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "redis_plugin.h"

/* What one connection carries besides hiredis's context, in its reader's privdata (the
 * only user field a context has): the reply limit and what the current reply costs. */
struct conn_extra {
    redisReplyObjectFunctions *hiredis_fns; /* the reader's own, which we wrap */
    size_t max_reply;
    size_t charged; /* bytes of reply objects built for the current reply */
    int too_big;
    long long id; /* the server's CLIENT ID, or -1 */
    int code;     /* the IP_E* class of the last failed exchange */
    char addr[IP_ADDRSTRLEN + 8];
};

/* A reply object's cost: its struct and the allocator's overhead, then its payload. */
#define CONN_OBJ_COST (sizeof(redisReply) + 16)
/* Bytes read from the socket at once. */
#define CONN_READ_CHUNK 16384

static int conn_charge(const redisReadTask *task, size_t bytes)
{
    struct conn_extra *x = task->privdata;

    if (!x)
        return 0;
    if (bytes > x->max_reply || x->charged > x->max_reply - bytes) {
        x->too_big = 1;
        return -1;
    }
    x->charged += bytes;
    return 0;
}

/* hiredis's functions, after the charge: NULL makes the reader stop with an error. */
static void *conn_create_string(const redisReadTask *task, char *str, size_t len)
{
    struct conn_extra *x = task->privdata;

    if (conn_charge(task, CONN_OBJ_COST + len + 1) != 0)
        return NULL;
    return x->hiredis_fns->createString(task, str, len);
}

static void *conn_create_array(const redisReadTask *task, int elements)
{
    struct conn_extra *x = task->privdata;

    /* Charged before hiredis allocates the element vector: "*1000000000" costs nothing. */
    if (conn_charge(task, CONN_OBJ_COST + (size_t)(elements > 0 ? elements : 0) * sizeof(void *)))
        return NULL;
    return x->hiredis_fns->createArray(task, elements);
}

static void *conn_create_integer(const redisReadTask *task, long long value)
{
    struct conn_extra *x = task->privdata;

    if (conn_charge(task, CONN_OBJ_COST) != 0)
        return NULL;
    return x->hiredis_fns->createInteger(task, value);
}

static void *conn_create_nil(const redisReadTask *task)
{
    struct conn_extra *x = task->privdata;

    if (conn_charge(task, CONN_OBJ_COST) != 0)
        return NULL;
    return x->hiredis_fns->createNil(task);
}

static void conn_free_object(void *obj)
{
    freeReplyObject(obj);
}

static redisReplyObjectFunctions conn_fns = {
    conn_create_string, conn_create_array, conn_create_integer, conn_create_nil, conn_free_object};

static struct conn_extra *conn_x(const redisContext *c)
{
    return c && c->reader ? c->reader->privdata : NULL;
}

void redis_free(redisContext *c)
{
    struct conn_extra *x = conn_x(c);

    if (!c)
        return;
    /* The reader frees a half-built reply with its functions: give it hiredis's back. */
    if (x)
        c->reader->fn = x->hiredis_fns;
    c->reader->privdata = NULL;
    redisFree(c);
    free(x);
}

long long redis_conn_id(const redisContext *c)
{
    const struct conn_extra *x = conn_x(c);

    return x ? x->id : -1;
}

const char *redis_conn_addr(const redisContext *c)
{
    const struct conn_extra *x = conn_x(c);

    return x ? x->addr : "?";
}

/* "64 MiB", "1.5 KiB", "100 bytes". */
static void conn_size(size_t n, char *out, size_t outlen)
{
    if (n >= 1048576 && n % 1048576 == 0)
        snprintf(out, outlen, "%zu MiB", n / 1048576);
    else if (n >= 1048576)
        snprintf(out, outlen, "%.1f MiB", (double)n / 1048576.0);
    else if (n >= 1024 && n % 1024 == 0)
        snprintf(out, outlen, "%zu KiB", n / 1024);
    else
        snprintf(out, outlen, "%zu bytes", n);
}

/* Mark the connection broken, so that every caller drops it. */
static void conn_break(redisContext *c, int type)
{
    if (!c->err)
        c->err = type;
    if (!c->errstr[0])
        snprintf(c->errstr, sizeof(c->errstr), "broken");
}

/* Wait until fd is ready for `events` or the deadline passes: 1 ready, 0 deadline. */
static int conn_poll(int fd, short events, double deadline)
{
    struct pollfd p = {.fd = fd, .events = events};

    /* An error: let the read or write that follows report it. */
    return ip_poll_until(&p, 1, deadline) != 0;
}

/* A bulk being read whose announced length is past the limit: refused before its bytes
 * arrive. hiredis leaves the reader's cursor on an incomplete bulk's "$<len>\r\n". */
static int conn_bulk_too_big(const redisReader *rd, const struct conn_extra *x)
{
    const char *p = rd->buf + rd->pos, *nl;
    size_t avail = rd->len - rd->pos;
    char digits[24];
    long long len;
    char *end;

    if (avail < 2 || p[0] != '$')
        return 0;
    nl = memchr(p, '\r', avail < sizeof(digits) ? avail : sizeof(digits));
    if (!nl || nl - p - 1 <= 0 || (size_t)(nl - p - 1) >= sizeof(digits))
        return 0;
    memcpy(digits, p + 1, (size_t)(nl - p - 1));
    digits[nl - p - 1] = '\0';
    errno = 0;
    len = strtoll(digits, &end, 10);
    if (*end || errno == ERANGE)
        return 0; /* hiredis will call it a protocol error */
    return len > 0 && (unsigned long long)len > x->max_reply - x->charged;
}

/* How a step of an exchange ended: the labels conn_exchange() reports from. */
enum conn_outcome { CONN_DONE, CONN_AGAIN, CONN_TIMED_OUT, CONN_BROKEN, CONN_TOO_BIG };

/* Whether a failed send() or recv() is only to be tried again. */
static int conn_retry(void)
{
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

/* Send all of c->obuf by the deadline. */
static enum conn_outcome conn_send(redisContext *c, const char *cmd, double deadline, char *err,
                                   size_t errlen)
{
    while (sdslen(c->obuf) > 0) {
        ssize_t w;

        if (!conn_poll(c->fd, POLLOUT, deadline))
            return CONN_TIMED_OUT;
        /* MSG_NOSIGNAL: a server gone away is an error here, never a SIGPIPE. */
        w = send(c->fd, c->obuf, sdslen(c->obuf), MSG_NOSIGNAL);
        if (w < 0 && conn_retry())
            continue;
        if (w < 0) {
            conn_x(c)->code = ip_errno_code(errno);
            snprintf(err, errlen, "%s: %s", cmd, strerror(errno));
            return CONN_BROKEN;
        }
        sdsrange(c->obuf, w, -1);
    }
    return CONN_DONE;
}

/* Read one chunk from the socket by the deadline and feed it to the reader. */
static enum conn_outcome conn_recv(redisContext *c, struct conn_extra *x, const char *cmd,
                                   double deadline, char *err, size_t errlen)
{
    char buf[CONN_READ_CHUNK];
    ssize_t got;

    if (!conn_poll(c->fd, POLLIN, deadline))
        return CONN_TIMED_OUT;
    got = recv(c->fd, buf, sizeof(buf), 0);
    if (got < 0 && conn_retry())
        return CONN_AGAIN;
    if (got < 0) {
        x->code = ip_errno_code(errno);
        snprintf(err, errlen, "%s: %s", cmd, strerror(errno));
        return CONN_BROKEN;
    }
    if (got == 0) {
        x->code = IP_ECONNRESET;
        snprintf(err, errlen, "%s: connection closed by the server", cmd);
        return CONN_BROKEN;
    }
    /* What is buffered and not yet parsed counts against the limit too. */
    if ((size_t)got + c->reader->len - c->reader->pos > x->max_reply - x->charged)
        return CONN_TOO_BIG;
    if (redisReaderFeed(c->reader, buf, (size_t)got) != REDIS_OK) {
        snprintf(err, errlen, "%s: out of memory", cmd);
        return CONN_BROKEN;
    }
    if (conn_bulk_too_big(c->reader, x))
        return CONN_TOO_BIG;
    return CONN_AGAIN;
}

/* Read one whole reply into *out by the deadline. */
static enum conn_outcome conn_read_reply(redisContext *c, const char *cmd, double deadline,
                                         redisReply **out, char *err, size_t errlen)
{
    struct conn_extra *x = conn_x(c);

    x->charged = 0;
    x->too_big = 0;
    for (;;) {
        void *reply = NULL;
        enum conn_outcome o;

        if (redisReaderGetReply(c->reader, &reply) != REDIS_OK) {
            if (x->too_big)
                return CONN_TOO_BIG;
            snprintf(err, errlen, "%s: %s", cmd, c->reader->errstr);
            return CONN_BROKEN;
        }
        if (reply) {
            *out = reply;
            return CONN_DONE;
        }
        if ((o = conn_recv(c, x, cmd, deadline, err, errlen)) != CONN_AGAIN)
            return o;
    }
}

/* Send, then read the n replies, stopping at the first step that does not succeed. */
static enum conn_outcome conn_send_read(redisContext *c, const char *cmd, double deadline, int n,
                                        redisReply **out, char *err, size_t errlen)
{
    enum conn_outcome o = conn_send(c, cmd, deadline, err, errlen);

    for (int i = 0; o == CONN_DONE && i < n; i++)
        o = conn_read_reply(c, cmd, deadline, &out[i], err, errlen);
    return o;
}

/*
 * Send what was appended to c->obuf and read n replies into out[], all by `deadline`. 0,
 * or -1 with err ("GET timed out after 1.000 s", "GET: connection closed by the server",
 * "GET: reply larger than 64 MiB from 127.0.0.1:6379") and the connection broken.
 */
static int conn_exchange(redisContext *c, const char *cmd, double started, double deadline, int n,
                         redisReply **out, char *err, size_t errlen)
{
    struct conn_extra *x = conn_x(c);
    enum conn_outcome o;
    int i;

    for (i = 0; i < n; i++)
        out[i] = NULL;
    x->code = IP_EOPEN;
    o = conn_send_read(c, cmd, deadline, n, out, err, errlen);
    if (o == CONN_DONE)
        return 0;
    if (o == CONN_TIMED_OUT)
        x->code = IP_ETIMEDOUT;
    if (o == CONN_TOO_BIG) {
        char size[32];

        conn_size(x->max_reply, size, sizeof(size));
        snprintf(err, errlen, "%s: reply larger than %s from %s (max_reply)", cmd, size, x->addr);
    } else if (o == CONN_TIMED_OUT) {
        snprintf(err, errlen, "%s timed out after %.3f s", cmd, ip_clock() - started);
    }
    conn_break(c, REDIS_ERR_IO);
    for (i = 0; i < n; i++) {
        if (out[i])
            freeReplyObject(out[i]);
        out[i] = NULL;
    }
    return -1;
}

/* "SET" from "set"; "CLIENT SETNAME" says more than "CLIENT". */
static void conn_name(int argc, const char **argv, char *out, size_t outlen)
{
    size_t i = 0;

    for (int a = 0; a < argc && a < 2; a++) {
        if (a == 1 && strcasecmp(argv[0], "CLIENT") && strcasecmp(argv[0], "CONFIG") &&
            strcasecmp(argv[0], "SENTINEL"))
            break;
        if (a == 1 && i + 1 < outlen)
            out[i++] = ' ';
        for (const char *p = argv[a]; *p && *p != ' ' && i + 1 < outlen; p++)
            out[i++] = (char)((*p >= 'a' && *p <= 'z') ? *p - 32 : *p);
    }
    out[i] = '\0';
}

void redis_describe(const redisReply *r, char *out, size_t outlen)
{
    switch (r ? r->type : 0) {
    case REDIS_REPLY_STATUS:
        snprintf(out, outlen, "status \"%.*s\"", (int)(r->len > 100 ? 100 : r->len), r->str);
        break;
    case REDIS_REPLY_ERROR:
        snprintf(out, outlen, "error \"%.*s\"", (int)(r->len > 100 ? 100 : r->len), r->str);
        break;
    case REDIS_REPLY_STRING:
        snprintf(out, outlen, "bulk \"%.*s\"%s", (int)(r->len > 100 ? 100 : r->len), r->str,
                 r->len > 100 ? "..." : "");
        break;
    case REDIS_REPLY_INTEGER:
        snprintf(out, outlen, "integer %lld", r->integer);
        break;
    case REDIS_REPLY_NIL:
        snprintf(out, outlen, "nil");
        break;
    case REDIS_REPLY_ARRAY:
        snprintf(out, outlen, "an array of %zu", r->elements);
        break;
    default:
        snprintf(out, outlen, "no reply");
    }
}

static const char *conn_type_name(int type)
{
    switch (type) {
    case REDIS_REPLY_STATUS:
        return "a status";
    case REDIS_REPLY_STRING:
        return "a bulk string";
    case REDIS_REPLY_INTEGER:
        return "an integer";
    case REDIS_REPLY_ARRAY:
        return "an array";
    default:
        return "nil";
    }
}

int redis_cmds(redisContext *c, double deadline, char *err, size_t errlen, int n, const int *argcs,
               const char **const *argvs, redisReply **replies, double *took)
{
    double started = ip_clock();
    char cmd[64];
    int i;

    conn_name(argcs[0], (const char **)argvs[0], cmd, sizeof(cmd));
    if (took)
        *took = 0;
    for (i = 0; i < n; i++)
        replies[i] = NULL;
    if (c->err) {
        snprintf(err, errlen, "%s: %s", cmd, c->errstr);
        return -1;
    }
    if (ip_deadline_ms(deadline) <= 0) {
        snprintf(err, errlen, "%s timed out: no time left before the deadline", cmd);
        return -1;
    }
    for (i = 0; i < n; i++) {
        if (redisAppendCommandArgv(c, argcs[i], (const char **)argvs[i], NULL) != REDIS_OK) {
            snprintf(err, errlen, "%s: %s", cmd, c->errstr);
            conn_break(c, REDIS_ERR_OOM);
            return -1;
        }
    }
    if (conn_exchange(c, cmd, started, deadline, n, replies, err, errlen) != 0) {
        if (took)
            *took = ip_clock() - started;
        return -1;
    }
    if (took)
        *took = ip_clock() - started;
    for (i = 0; i < n; i++) {
        if (replies[i]->type == REDIS_REPLY_ERROR) {
            char name[64];

            conn_name(argcs[i], (const char **)argvs[i], name, sizeof(name));
            snprintf(err, errlen, "%s: %s", name, replies[i]->str);
            for (int j = 0; j < n; j++) {
                freeReplyObject(replies[j]);
                replies[j] = NULL;
            }
            return -1;
        }
    }
    return 0;
}

redisReply *redis_cmd_timed(redisContext *c, double deadline, char *err, size_t errlen, int argc,
                            const char **argv, double *took)
{
    redisReply *r;

    if (redis_cmds(c, deadline, err, errlen, 1, &argc, &argv, &r, took) != 0)
        return NULL;
    return r;
}

redisReply *redis_cmd(redisContext *c, double deadline, char *err, size_t errlen, int argc,
                      const char **argv)
{
    return redis_cmd_timed(c, deadline, err, errlen, argc, argv, NULL);
}

int redis_expect(redisReply *r, int type, const char *status, int argc, const char **argv,
                 char *err, size_t errlen)
{
    char cmd[64], got[160];

    if (r->type == type &&
        (!status || (r->len == strlen(status) && memcmp(r->str, status, r->len) == 0)))
        return 0;
    conn_name(argc, argv, cmd, sizeof(cmd));
    redis_describe(r, got, sizeof(got));
    if (status)
        snprintf(err, errlen, "%s: expected %s, got %s", cmd, status, got);
    else
        snprintf(err, errlen, "%s: expected %s, got %s", cmd, conn_type_name(type), got);
    return -1;
}

redisReply *redis_cmd_type(redisContext *c, double deadline, char *err, size_t errlen, int type,
                           int argc, const char **argv, double *took)
{
    redisReply *r = redis_cmd_timed(c, deadline, err, errlen, argc, argv, took);

    if (r && redis_expect(r, type, NULL, argc, argv, err, errlen) != 0) {
        freeReplyObject(r);
        return NULL;
    }
    return r;
}

int redis_cmd_status(redisContext *c, double deadline, char *err, size_t errlen, const char *status,
                     int argc, const char **argv, double *took)
{
    redisReply *r = redis_cmd_timed(c, deadline, err, errlen, argc, argv, took);
    int rc;

    if (!r)
        return -1;
    rc = redis_expect(r, REDIS_REPLY_STATUS, status, argc, argv, err, errlen);
    freeReplyObject(r);
    return rc;
}

int redis_cmd_ok(redisContext *c, double deadline, char *err, size_t errlen, int argc,
                 const char **argv)
{
    return redis_cmd_status(c, deadline, err, errlen, "OK", argc, argv, NULL);
}

char *redis_info(redisContext *c, const char *section, double deadline, char *err, size_t errlen)
{
    const char *argv[] = {"INFO", section};
    redisReply *r =
        redis_cmd_type(c, deadline, err, errlen, REDIS_REPLY_STRING, section ? 2 : 1, argv, NULL);
    char *s;

    if (!r)
        return NULL;
    /* Taken from the reply, not copied: it may be as large as max_reply. */
    s = r->str;
    r->str = NULL;
    freeReplyObject(r);
    return s;
}

/* A connected socket to ip:port by `deadline`, or NULL with why in err. */
static redisContext *conn_tcp(const char *ip, int port, double deadline, int *code, char *err,
                              size_t errlen)
{
    redisContext *c = redisConnectNonBlock(ip, port);
    int soerr = 0;
    socklen_t len = sizeof(soerr);

    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (c->err) {
        *code = c->err == REDIS_ERR_IO ? ip_errno_code(errno) : IP_EOPEN;
        snprintf(err, errlen, "%s", c->errstr);
        redisFree(c);
        return NULL;
    }
    /* A non-blocking connect is under way: writable means it ended, SO_ERROR how. */
    if (!conn_poll(c->fd, POLLOUT, deadline)) {
        *code = IP_ETIMEDOUT;
        snprintf(err, errlen, "connect timed out");
        redisFree(c);
        return NULL;
    }
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
        soerr = errno;
    if (soerr) {
        *code = ip_errno_code(soerr);
        snprintf(err, errlen, "%s", strerror(soerr));
        redisFree(c);
        return NULL;
    }
    return c;
}

/* Append "; what" (or "what" first) to err. */
static void conn_note(char *err, size_t errlen, const char *what)
{
    size_t len = strnlen(err, errlen);

    if (len + 3 < errlen)
        snprintf(err + len, errlen - len, "%s%s", len ? "; " : "", what);
}

/* TCP to the first of host's addresses that accepts, each given a fair share of the time
 * left so that one that hangs leaves time for the next. */
static redisContext *conn_open(const char *host, int port, double deadline, char *addr,
                               size_t addrlen, int *code, char *err, size_t errlen)
{
    char ips[8][IP_ADDRSTRLEN], why[256], note[400];
    int n = ip_resolve(host, deadline, ips, 8, err, errlen);

    if (n <= 0) {
        *code = n < 0 ? n : IP_ERESOLVE;
        if (n == 0)
            snprintf(err, errlen, "%s: no address", host);
        return NULL;
    }
    err[0] = '\0';
    for (int i = 0; i < n; i++) {
        double left = deadline - ip_clock();
        redisContext *c;

        if (left <= 0) {
            *code = IP_ETIMEDOUT;
            snprintf(note, sizeof(note), "%s: not tried: no time left", ips[i]);
            conn_note(err, errlen, note);
            continue;
        }
        c = conn_tcp(ips[i], port, ip_clock() + left / (double)(n - i), code, why, sizeof(why));
        snprintf(addr, addrlen, strchr(ips[i], ':') ? "[%.*s]:%d" : "%.*s:%d", IP_ADDRSTRLEN,
                 ips[i], port);
        if (c)
            return c;
        /* One address: its error alone, as the check's target already names it. */
        if (n == 1)
            snprintf(note, sizeof(note), "%s", why);
        else
            snprintf(note, sizeof(note), "%s: %s", addr, why);
        conn_note(err, errlen, note);
    }
    return NULL;
}

/* Hang our reply limit and what we know of the connection on hiredis's reader. */
static void conn_attach(redisContext *c, struct conn_extra *x, const struct redis_conn_opts *o,
                        const char *addr)
{
    x->hiredis_fns = c->reader->fn;
    x->max_reply = o->max_reply ? o->max_reply : REDIS_DEFAULT_MAX_REPLY;
    x->id = -1;
    snprintf(x->addr, sizeof(x->addr), "%s", addr);
    c->reader->fn = &conn_fns;
    c->reader->privdata = x;
}

/* AUTH, with the username when there is one; nothing without a password. */
static int conn_auth(redisContext *c, const struct redis_conn_opts *o, double deadline, char *err,
                     size_t errlen)
{
    if (!o->password)
        return 0;
    if (o->username)
        return redis_cmd_ok(c, deadline, err, errlen, 3,
                            (const char *[]){"AUTH", o->username, o->password});
    return redis_cmd_ok(c, deadline, err, errlen, 2, (const char *[]){"AUTH", o->password});
}

/* CLIENT ID into the connection's extra, for the drill to find this client by. */
static int conn_client_id(redisContext *c, double deadline, char *err, size_t errlen)
{
    redisReply *r = redis_cmd_type(c, deadline, err, errlen, REDIS_REPLY_INTEGER, 2,
                                   (const char *[]){"CLIENT", "ID"}, NULL);

    if (!r)
        return -1;
    conn_x(c)->id = r->integer;
    freeReplyObject(r);
    return 0;
}

/* What a new connection is told before use (AUTH, SELECT, CLIENT SETNAME, CLIENT ID), and
 * the PING that says it answers. */
static int conn_handshake(redisContext *c, const struct redis_conn_opts *o, double deadline,
                          char *err, size_t errlen)
{
    char db[16];

    if (conn_auth(c, o, deadline, err, errlen))
        return -1;
    if (o->database) {
        snprintf(db, sizeof(db), "%d", o->database);
        if (redis_cmd_ok(c, deadline, err, errlen, 2, (const char *[]){"SELECT", db}))
            return -1;
    }
    if (o->client_name && redis_cmd_ok(c, deadline, err, errlen, 3,
                                       (const char *[]){"CLIENT", "SETNAME", o->client_name}))
        return -1;
    if (o->want_id && conn_client_id(c, deadline, err, errlen))
        return -1;
    /* A server whose last save failed refuses even PING with MISCONF: it is up, though,
     * and the write and persistence checks will say what is wrong with it. */
    if (redis_cmd_status(c, deadline, err, errlen, "PONG", 1, (const char *[]){"PING"}, NULL) &&
        (c->err || strncmp(err, "PING: MISCONF", 13) != 0))
        return -1;
    return 0;
}

/* The class of a handshake's failure: the exchange's, or the server's refusal. */
static int conn_handshake_code(const redisContext *c, const char *err)
{
    if (c->err)
        return conn_x(c)->code;
    if (strstr(err, "WRONGPASS") || strstr(err, "NOAUTH") || strstr(err, "NOPERM"))
        return IP_EAUTH;
    return IP_ESERVER;
}

redisContext *redis_connect(const char *host, int port, const struct redis_conn_opts *o,
                            double deadline, char *err, size_t errlen)
{
    char addr[IP_ADDRSTRLEN + 8];
    struct conn_extra *x;
    redisContext *c;
    int code = IP_EOPEN, *out = o->code ? o->code : &code;

    *out = IP_ETIMEDOUT;
    if (ip_deadline_ms(deadline) <= 0) {
        snprintf(err, errlen, "connect timed out: no time left before the deadline");
        return NULL;
    }
    *out = IP_ENOMEM;
    if (!(x = calloc(1, sizeof(*x)))) {
        snprintf(err, errlen, "connect: out of memory");
        return NULL;
    }
    *out = IP_EOPEN;
    c = conn_open(host, port, deadline, addr, sizeof(addr), out, err, errlen);
    if (!c) {
        free(x);
        return NULL;
    }
    conn_attach(c, x, o, addr);
    if (conn_handshake(c, o, deadline, err, errlen)) {
        *out = conn_handshake_code(c, err);
        redis_free(c);
        return NULL;
    }
    *out = 0;
    return c;
}
