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
    int replicas;               /* expected; -1: not set */
    char client_name[300];      /* the main connection's, CLIENT SETNAME */
    char pool_client_name[300]; /* the pool's connections' */
    char host[256];             /* this machine's name, in keys */
    /* The pool, kept across runs for the master it was made for. */
    struct ip_pool *pool;
    char pool_addr[300];
    struct redis_pool_ctx *pool_ctx;
    /* Cumulative, for metrics(). */
    long long seq;
    long long runs;
    long long failures; /* runs with a critical check */
};

/* Who to talk to and how: the connection settings of one run. */
struct redis_conn_opts {
    const char *username;
    const char *password;
    int database;
    const char *client_name; /* NULL: no CLIENT SETNAME */
};

/* ---- redis_conn.c ---- */

/* Connect to host:port and AUTH, SELECT, CLIENT SETNAME, PING, everything by `deadline`.
 * NULL on failure with why in err ("AUTH: WRONGPASS ..."). */
redisContext *redis_connect(const char *host, int port, const struct redis_conn_opts *o,
                            double deadline, char *err, size_t errlen);
/* One command by `deadline`: the socket's timeouts are set to the time left before it is
 * sent, and a command whose deadline has passed is not sent. NULL on failure, with err
 * ("SET timed out after 1.000 s", the server's error reply, the I/O error); after a
 * timeout or an I/O error the connection is broken (c->err is set) and must be freed. */
redisReply *redis_cmd(redisContext *c, double deadline, char *err, size_t errlen, int argc,
                      const char **argv);
/* The same, with the time from sending the command to its reply in *took (seconds): the
 * operation's latency, without the setsockopt() calls that arm the timeouts. */
redisReply *redis_cmd_timed(redisContext *c, double deadline, char *err, size_t errlen, int argc,
                            const char **argv, double *took);
/* The same with printf-style arguments for a one-word-per-%s command (hiredis format). */
redisReply *redis_cmdf(redisContext *c, double deadline, char *err, size_t errlen, const char *fmt,
                       ...);
/* A command expected to reply +OK (or any status); 0 or -1 with err. */
int redis_cmd_ok(redisContext *c, double deadline, char *err, size_t errlen, int argc,
                 const char **argv);
/* The INFO text of `section` (NULL: the default sections), malloc'd, or NULL with err. */
char *redis_info(redisContext *c, const char *section, double deadline, char *err, size_t errlen);

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
