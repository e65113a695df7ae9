/*
 * The redis plugin's operation for other plugins (ip_operate(), netpart): a connection of its
 * own through redis_connect() (resolve, connect, AUTH, SELECT, PING, all by the deadline),
 * closed at once, so that nothing pooled outlives a network fault. By default only that PING;
 * the option `op` asks for more on the same connection, whose answer goes into err on success
 * as space-separated NAME=VALUE words (netpart's partition drill reads them):
 *   ping                           (nothing)
 *   set key value [wait, wait_ms]  replicas=N: SET key value EX 600, then WAIT wait wait_ms
 *                                  on this connection (-1 without wait)
 *   get key                        found=0|1
 *   role                           role=master, or role=slave master=HOST:PORT link=up|down
 *   sentinel name                  master=HOST:PORT, of a Sentinel at `address`
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_info.h"
#include "redis_plugin.h"

/* What an operation asks for, from its options. */
struct redis_op {
    const char *op, *key, *value, *name, *wait, *wait_ms;
};

/* An option of the operation itself, into op: 1, or 0 when `k` is none of them. */
static int redis_op_option(struct redis_op *op, const char *k, const char *v)
{
    const char *names[] = {"op", "key", "value", "name", "wait", "wait_ms"};
    const char **fields[] = {&op->op, &op->key, &op->value, &op->name, &op->wait, &op->wait_ms};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(k, names[i]) == 0) {
            *fields[i] = v;
            return 1;
        }
    return 0;
}

/* Options: username, password, database, and the operation's. 0, or IP_EINVAL with the
 * reason in err. */
static int redis_operate_options(const char *const *options, struct redis_conn_opts *o,
                                 struct redis_op *op, char *err, size_t errlen)
{
    for (size_t i = 0; options && options[i] && options[i + 1]; i += 2) {
        const char *k = options[i], *v = options[i + 1];
        char *end;

        if (strcmp(k, "username") == 0) {
            o->username = v;
        } else if (strcmp(k, "password") == 0) {
            o->password = v;
        } else if (strcmp(k, "database") == 0) {
            long db = strtol(v, &end, 10);

            if (*end || end == v || db < 0 || db > 1000000) {
                snprintf(err, errlen, "redis: database = \"%s\": expected 0..1000000", v);
                return IP_EINVAL;
            }
            o->database = (int)db;
        } else if (!redis_op_option(op, k, v)) {
            snprintf(err, errlen, "redis: unknown option \"%s\"", k);
            return IP_EINVAL;
        }
    }
    return 0;
}

/* set: SET with a TTL (the drill's keys go by themselves), then WAIT on this connection. */
static int redis_op_set(redisContext *c, const struct redis_op *op, double deadline, char *err,
                        size_t errlen)
{
    const char *set[] = {"SET", op->key, op->value ? op->value : "", "EX", "600"};
    const char *wait[] = {"WAIT", op->wait, op->wait_ms ? op->wait_ms : "100"};
    redisReply *r;
    long long n = -1;

    if (redis_cmd_ok(c, deadline, err, errlen, 5, set) != 0)
        return IP_ESERVER;
    if (op->wait) {
        if (!(r = redis_cmd_type(c, deadline, err, errlen, REDIS_REPLY_INTEGER, 3, wait, NULL)))
            return IP_ESERVER;
        n = r->integer;
        freeReplyObject(r);
    }
    snprintf(err, errlen, "replicas=%lld", n);
    return 0;
}

static int redis_op_get(redisContext *c, const struct redis_op *op, double deadline, char *err,
                        size_t errlen)
{
    const char *get[] = {"GET", op->key};
    redisReply *r = redis_cmd(c, deadline, err, errlen, 2, get);

    if (!r)
        return IP_ESERVER;
    snprintf(err, errlen, "found=%d", r->type == REDIS_REPLY_STRING);
    freeReplyObject(r);
    return 0;
}

static int redis_op_role(redisContext *c, double deadline, char *err, size_t errlen)
{
    char role[32] = "", host[256] = "", port[16] = "", link[16] = "";
    char *info = redis_info(c, "replication", deadline, err, errlen);

    if (!info)
        return IP_ESERVER;
    redis_info_field(info, "role", role, sizeof(role));
    redis_info_field(info, "master_host", host, sizeof(host));
    redis_info_field(info, "master_port", port, sizeof(port));
    redis_info_field(info, "master_link_status", link, sizeof(link));
    free(info);
    if (strcmp(role, "slave") == 0)
        snprintf(err, errlen, "role=slave master=%s:%s link=%s", host, port, link);
    else
        snprintf(err, errlen, "role=%s", role[0] ? role : "?");
    return 0;
}

/* The operation `op` asks for, on the connection c. */
static int redis_op_run(redisContext *c, const struct redis_op *op, double deadline, char *err,
                        size_t errlen)
{
    if (strcmp(op->op, "ping") == 0)
        return 0;
    if (strcmp(op->op, "role") == 0)
        return redis_op_role(c, deadline, err, errlen);
    if (!op->key) {
        snprintf(err, errlen, "redis: op \"%s\" needs a key", op->op);
        return IP_EINVAL;
    }
    return strcmp(op->op, "set") == 0 ? redis_op_set(c, op, deadline, err, errlen)
                                      : redis_op_get(c, op, deadline, err, errlen);
}

/* sentinel: who is master `name` now, per the Sentinel at address. */
static int redis_op_sentinel(const char *address, const struct redis_op *op, double deadline,
                             char *err, size_t errlen)
{
    const char *one[] = {address};
    char addr[300];

    if (!op->name) {
        snprintf(err, errlen, "redis: op \"sentinel\" needs a name");
        return IP_EINVAL;
    }
    if (redis_sentinel_master(one, 1, op->name, deadline, addr, sizeof(addr), err, errlen) != 0)
        return strstr(err, "timed out") ? IP_ETIMEDOUT : IP_ESERVER;
    snprintf(err, errlen, "master=%s", addr);
    return 0;
}

int redis_operate(const char *address, const char *const *options, double deadline, char *err,
                  size_t errlen)
{
    struct redis_conn_opts o = {0};
    struct redis_op op = {.op = "ping"};
    char host[256];
    int port, code = IP_EOPEN;
    redisContext *c;

    if (redis_operate_options(options, &o, &op, err, errlen) != 0)
        return IP_EINVAL;
    if (ip_hostport(address, host, sizeof(host), &port) != 0) {
        snprintf(err, errlen, "\"%s\": expected host:port", address);
        return IP_EINVAL;
    }
    if (strcmp(op.op, "sentinel") == 0)
        return redis_op_sentinel(address, &op, deadline, err, errlen);
    if (strcmp(op.op, "ping") != 0 && strcmp(op.op, "set") != 0 && strcmp(op.op, "get") != 0 &&
        strcmp(op.op, "role") != 0) {
        snprintf(err, errlen, "redis: unknown op \"%s\" (ping, set, get, role, sentinel)", op.op);
        return IP_EINVAL;
    }
    o.code = &code;
    o.max_reply = 1024 * 1024;
    /* redis_connect() ends with the PING that says the server answers. */
    if (!(c = redis_connect(host, port, &o, deadline, err, errlen)))
        return code ? code : IP_EOPEN;
    code = redis_op_run(c, &op, deadline, err, errlen);
    if (code == IP_ESERVER && c->err)
        code = strstr(err, "timed out") ? IP_ETIMEDOUT : IP_ECONNRESET;
    redis_free(c);
    return code;
}
