/*
 * What the files of the redis plugin share: the probe's state and the functions one file
 * gives the others. Internal: these symbols are hidden (-fvisibility=hidden) and never
 * exported (-export-symbols-regex), so the plugin's one export stays infraprobe_plugin.
 */
#ifndef REDIS_PLUGIN_H
#define REDIS_PLUGIN_H

#include <hiredis/hiredis.h>
#include <stddef.h>

#include <infraprobe/plugin.h>

#include "redis_info.h"

struct redis_state {
    /* Settings. */
    const char *probe_name;
    const char *address;          /* NULL with sentinels */
    const char *const *sentinels; /* empty without */
    size_t nsentinels;
    const char *master_name;
    const char *username;
    const char *password;
    int database;
    const char *key_prefix;
    double ttl;
    struct ip_pool_config pool_config;
    int concurrency;
    enum redis_persist persistence;
    int replicas; /* expected; -1: not set */
    size_t max_reply;
    char client_name[300];      /* the main connection's, CLIENT SETNAME */
    char pool_client_name[300]; /* the pool's connections' */
    char host[256];             /* this machine's name, in keys */
    /* The pool, kept across runs for the master it was made for. */
    struct ip_pool *pool;
    char pool_addr[300];
    struct redis_pool_ctx *pool_ctx;
    /* Cumulative, for metrics(). */
    long long runs;
    long long failures; /* runs with a critical check */
};

/* The default max_reply: the most a reply may cost us in memory. */
#define REDIS_DEFAULT_MAX_REPLY ((size_t)64 * 1024 * 1024)

/* Who to talk to and how: the connection settings of one run. */
struct redis_conn_opts {
    const char *username;
    const char *password;
    int database;
    const char *client_name; /* NULL: no CLIENT SETNAME */
    size_t max_reply;        /* 0: REDIS_DEFAULT_MAX_REPLY */
    int want_id;             /* ask CLIENT ID: redis_conn_id() */
    int *code;               /* where redis_connect() puts the IP_E* class of a failure; NULL */
};

/* ---- redis_conn.c ---- */

/* Resolve host (ip_resolve), connect to its addresses in turn, then AUTH, SELECT, CLIENT
 * SETNAME, PING, everything by `deadline`. NULL on failure with why in err ("AUTH:
 * WRONGPASS ...", "redis.example: not resolved by the deadline"). Free with redis_free(). */
redisContext *redis_connect(const char *host, int port, const struct redis_conn_opts *o,
                            double deadline, char *err, size_t errlen);
void redis_free(redisContext *c);
/* The server's CLIENT ID of a connection made with want_id, else -1. */
long long redis_conn_id(const redisContext *c);
/* The numeric ip:port a connection reached. */
const char *redis_conn_addr(const redisContext *c);

/* n commands sent at once (a pipeline) and their n replies, all by `deadline`. 0, or -1
 * with err ("SET timed out after 1.000 s", "GET: reply larger than 64 MiB from
 * 127.0.0.1:6379", the server's error reply) and no replies; after anything but an error
 * reply the connection is broken (c->err is set) and must be freed. *took (unless NULL) is
 * the time from sending to the last reply. */
int redis_cmds(redisContext *c, double deadline, char *err, size_t errlen, int n, const int *argcs,
               const char **const *argvs, redisReply **replies, double *took);
/* One command: its reply, or NULL with err as above. */
redisReply *redis_cmd(redisContext *c, double deadline, char *err, size_t errlen, int argc,
                      const char **argv);
redisReply *redis_cmd_timed(redisContext *c, double deadline, char *err, size_t errlen, int argc,
                            const char **argv, double *took);
/* One command whose reply must be of `type` (REDIS_REPLY_*): anything else is NULL with
 * err "GET: expected a bulk string, got status \"OK\"". */
redisReply *redis_cmd_type(redisContext *c, double deadline, char *err, size_t errlen, int type,
                           int argc, const char **argv, double *took);
/* One command whose reply must be the status `status` ("OK", "PONG"): 0 or -1 with err. */
int redis_cmd_status(redisContext *c, double deadline, char *err, size_t errlen, const char *status,
                     int argc, const char **argv, double *took);
/* redis_cmd_status() for "OK". */
int redis_cmd_ok(redisContext *c, double deadline, char *err, size_t errlen, int argc,
                 const char **argv);
/* Whether reply r of the command argv is of `type` (and is `status`, unless NULL): 0, or
 * -1 with err saying what came back. */
int redis_expect(redisReply *r, int type, const char *status, int argc, const char **argv,
                 char *err, size_t errlen);
/* What a reply is, for messages: status "OK", integer 5, bulk "abc", nil, an array of 2. */
void redis_describe(const redisReply *r, char *out, size_t outlen);
/* The INFO text of `section` (NULL: the default sections), malloc'd, or NULL with err. */
char *redis_info(redisContext *c, const char *section, double deadline, char *err, size_t errlen);

/* ---- redis_operate.c ---- */

/* The plugin's operate hook: connect (AUTH, SELECT) and PING on a connection of its own. */
int redis_operate(const char *address, const char *const *options, double deadline, char *err,
                  size_t errlen);

/* ---- redis_sentinel.c ---- */

/* Ask the sentinels in turn which host:port is master `name` now. 0 with addr set, or -1
 * with what each sentinel answered in err. Each sentinel gets a fair share of the time
 * left, so that one that hangs never uses all of it. */
int redis_sentinel_master(const char *const *sentinels, size_t n, const char *name, double deadline,
                          char *addr, size_t addrlen, char *err, size_t errlen);

/* ---- redis_pool.c ---- */

/* The pool check: `concurrency` workers through the SDK pool, verified server-side. */
void redis_pool_check(struct redis_state *st, struct ip_report *report, redisContext *main_conn,
                      const char *host, int port, const char *target);
void redis_pool_free(struct redis_state *st);

/* ---- redis_drill.c ---- */

/* The failover drill, when this is a drill run (ip_drill()). */
void redis_drill(struct redis_state *st, struct ip_report *report, const char *master);

#endif
