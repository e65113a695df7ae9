/*
 * Connections and commands with a deadline, on hiredis 0.14's blocking API: the connect
 * timeout and, before every command, the socket's send and receive timeouts are the time
 * left before the deadline, so no call can outlive the run. hiredis reports a receive
 * timeout as an I/O error (EAGAIN); we name it "timed out" with the time it took.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "redis_plugin.h"

/* The shortest timeout we hand to the socket: hiredis takes a zero timeval as "block
 * forever", so a hair of time left must never round down to it. */
#define CONN_MIN_TIMEOUT 0.001

static struct timeval conn_tv(double left)
{
    struct timeval tv;

    if (left < CONN_MIN_TIMEOUT)
        left = CONN_MIN_TIMEOUT;
    tv.tv_sec = (time_t)left;
    tv.tv_usec = (suseconds_t)ceil((left - (double)tv.tv_sec) * 1e6);
    if (tv.tv_usec >= 1000000) {
        tv.tv_sec++;
        tv.tv_usec -= 1000000;
    }
    return tv;
}

/* "SET" from "set" or from a format "SET %s %b PX %lld". */
static void conn_name(const char *word, char *out, size_t outlen)
{
    size_t i;

    for (i = 0; word[i] && word[i] != ' ' && i + 1 < outlen; i++)
        out[i] = (char)toupper((unsigned char)word[i]);
    out[i] = '\0';
}

/* Send what was appended and read its reply. */
static redisReply *conn_reply(redisContext *c, const char *cmd, double started, double deadline,
                              char *err, size_t errlen)
{
    void *reply = NULL;
    redisReply *r;

    if (redisGetReply(c, &reply) != REDIS_OK || !reply) {
        int timed_out = c->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK ||
                                                   errno == ETIMEDOUT || ip_clock() >= deadline);

        if (timed_out)
            snprintf(err, errlen, "%s timed out after %.3f s", cmd, ip_clock() - started);
        else
            snprintf(err, errlen, "%s: %s", cmd,
                     c->err == REDIS_ERR_EOF ? "connection closed by the server" : c->errstr);
        if (!c->err) /* no reply and no error: make sure the caller drops the connection */
            c->err = REDIS_ERR_OTHER;
        return NULL;
    }
    r = reply;
    if (r->type == REDIS_REPLY_ERROR) {
        snprintf(err, errlen, "%s: %s", cmd, r->str);
        freeReplyObject(r);
        return NULL;
    }
    return r;
}

/* Arm the socket's timeouts for what is left, or refuse when nothing is. */
static int conn_arm(redisContext *c, const char *cmd, double deadline, char *err, size_t errlen)
{
    double left = deadline - ip_clock();

    if (c->err) {
        snprintf(err, errlen, "%s: %s", cmd, c->errstr);
        return -1;
    }
    if (left <= 0) {
        snprintf(err, errlen, "%s timed out: no time left before the deadline", cmd);
        return -1;
    }
    if (redisSetTimeout(c, conn_tv(left)) != REDIS_OK) {
        snprintf(err, errlen, "%s: %s", cmd, c->errstr);
        return -1;
    }
    return 0;
}

redisReply *redis_cmd(redisContext *c, double deadline, char *err, size_t errlen, int argc,
                      const char **argv)
{
    double took;

    return redis_cmd_timed(c, deadline, err, errlen, argc, argv, &took);
}

redisReply *redis_cmd_timed(redisContext *c, double deadline, char *err, size_t errlen, int argc,
                            const char **argv, double *took)
{
    double started = ip_clock();
    redisReply *r;
    char cmd[64];

    conn_name(argv[0], cmd, sizeof(cmd));
    /* "CLIENT SETNAME timed out" says more than "CLIENT timed out". */
    if (argc > 1 &&
        (!strcmp(cmd, "CLIENT") || !strcmp(cmd, "CONFIG") || !strcmp(cmd, "SENTINEL"))) {
        size_t len = strlen(cmd);

        cmd[len] = ' ';
        conn_name(argv[1], cmd + len + 1, sizeof(cmd) - len - 1);
    }
    if (conn_arm(c, cmd, deadline, err, errlen) != 0)
        return NULL;
    /* The clock starts once the timeouts are armed: setting them is not the server's time. */
    *took = ip_clock();
    if (redisAppendCommandArgv(c, argc, argv, NULL) != REDIS_OK) {
        snprintf(err, errlen, "%s: %s", cmd, c->errstr);
        return NULL;
    }
    r = conn_reply(c, cmd, started, deadline, err, errlen);
    *took = ip_clock() - *took;
    return r;
}

redisReply *redis_cmdf(redisContext *c, double deadline, char *err, size_t errlen, const char *fmt,
                       ...)
{
    double started = ip_clock();
    char cmd[32];
    va_list ap;
    int rc;

    conn_name(fmt, cmd, sizeof(cmd));
    if (conn_arm(c, cmd, deadline, err, errlen) != 0)
        return NULL;
    va_start(ap, fmt);
    rc = redisvAppendCommand(c, fmt, ap);
    va_end(ap);
    if (rc != REDIS_OK) {
        snprintf(err, errlen, "%s: %s", cmd, c->errstr);
        return NULL;
    }
    return conn_reply(c, cmd, started, deadline, err, errlen);
}

int redis_cmd_ok(redisContext *c, double deadline, char *err, size_t errlen, int argc,
                 const char **argv)
{
    redisReply *r = redis_cmd(c, deadline, err, errlen, argc, argv);

    if (!r)
        return -1;
    freeReplyObject(r);
    return 0;
}

char *redis_info(redisContext *c, const char *section, double deadline, char *err, size_t errlen)
{
    const char *argv[] = {"INFO", section};
    redisReply *r = redis_cmd(c, deadline, err, errlen, section ? 2 : 1, argv);
    char *s = NULL;

    if (!r)
        return NULL;
    if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
        s = strdup(r->str);
    else
        snprintf(err, errlen, "INFO: unexpected reply type %d", r->type);
    if (!s && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS))
        snprintf(err, errlen, "INFO: out of memory");
    freeReplyObject(r);
    return s;
}

redisContext *redis_connect(const char *host, int port, const struct redis_conn_opts *o,
                            double deadline, char *err, size_t errlen)
{
    double left = deadline - ip_clock();
    char db[16];
    redisContext *c;

    if (left <= 0) {
        snprintf(err, errlen, "connect timed out: no time left before the deadline");
        return NULL;
    }
    c = redisConnectWithTimeout(host, port, conn_tv(left));
    if (!c) {
        snprintf(err, errlen, "connect: out of memory");
        return NULL;
    }
    if (c->err) {
        /* hiredis says "Connection timed out" itself; the deadline is what made it so. */
        snprintf(err, errlen, "%s", c->errstr);
        goto fail;
    }
    if (o->password) {
        const char *argv[] = {"AUTH", o->username, o->password};

        if (o->username
                ? redis_cmd_ok(c, deadline, err, errlen, 3, argv)
                : redis_cmd_ok(c, deadline, err, errlen, 2, (const char *[]){"AUTH", o->password}))
            goto fail;
    }
    if (o->database) {
        snprintf(db, sizeof(db), "%d", o->database);
        if (redis_cmd_ok(c, deadline, err, errlen, 2, (const char *[]){"SELECT", db}))
            goto fail;
    }
    if (o->client_name && redis_cmd_ok(c, deadline, err, errlen, 3,
                                       (const char *[]){"CLIENT", "SETNAME", o->client_name}))
        goto fail;
    /* A server whose last save failed refuses even PING with MISCONF: it is up, though,
     * and the write and persistence checks will say what is wrong with it. */
    if (redis_cmd_ok(c, deadline, err, errlen, 1, (const char *[]){"PING"}) &&
        (c->err || strncmp(err, "PING: MISCONF", 13) != 0))
        goto fail;
    return c;
fail:
    redisFree(c);
    return NULL;
}
