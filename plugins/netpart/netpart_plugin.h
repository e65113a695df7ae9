/*
 * What the files of the netpart plugin share: its settings and targets (netpart.c), the
 * Toxiproxy client (toxiproxy.c) and the partition methods' common face. Internal: hidden,
 * never exported.
 */
#ifndef NETPART_PLUGIN_H
#define NETPART_PLUGIN_H

#include <stddef.h>

#include <infraprobe/plugin.h>

/* How a partition is made. */
enum netpart_method { NETPART_TOXIPROXY, NETPART_NFTABLES, NETPART_ACTIONS };

/* The addresses of one target's name that a kernel partition covers, at most. */
#define NETPART_MAX_ADDRS 8

/* What a partition does to the path. */
enum netpart_mode {
    NETPART_BLACKHOLE, /* packets vanish: the operation fails by timeout */
    NETPART_REJECT,    /* the peer resets: the operation fails at once */
    NETPART_LATENCY,   /* every reply is late by `latency` */
    NETPART_HALFOPEN,  /* the connection dies after a few bytes (limit_data) */
    NETPART_MODES
};

struct netpart_target {
    char spec[300];    /* as configured: "redis://127.0.0.1:6379", the checks' target */
    char kind[32];     /* "redis", the plugin whose operation tests it */
    char address[260]; /* host:port of the service */
    char path[300];    /* host:port that the operations go through (a proxy's, or address) */
    char proxy[240];   /* the Toxiproxy proxy's name; "" with no proxy */
    const char *const *options; /* for ip_operate(): name, value pairs */
    /* nftables: the target's addresses, resolved at the start of a run, and its port. */
    char addrs[NETPART_MAX_ADDRS][IP_ADDRSTRLEN];
    int naddrs;
    int port;
};

struct netpart_state {
    const char *probe;
    enum netpart_method method;
    const char *api;         /* Toxiproxy's host:port */
    const char *listen_host; /* where our proxies listen */
    const char *const
        *proxies; /* existing proxies to use instead of ours, by target; may be empty */
    size_t nproxies;
    struct netpart_target *targets;
    size_t ntargets;
    int modes[NETPART_MODES]; /* which are tested */
    double op_timeout;        /* one operation's limit: the target's timeout */
    double recover_timeout;
    double latency;             /* seconds, NETPART_LATENCY */
    const char *options[2][11]; /* redis, mysql options, NULL-terminated pairs */
    char table[96];             /* nftables: our table's name */
    /* The partition drill of Redis: the Sentinels that name its master. */
    const char *const *sentinels;
    size_t nsentinels;
    const char *master_name;
    /* Cumulative, for metrics(). */
    long long partitions;
    long long next_op; /* the id of the run's next operation in the timeline */
};

const char *netpart_mode_name(enum netpart_mode m);

/* ---- timing.c ---- */

/* A failure by timeout is in time up to the target's timeout + 10 %. */
#define NETPART_TIMEOUT_SLACK 1.1

enum netpart_timing {
    NETPART_IN_TIME,     /* within the timeout (+ 10 %), or at once for a reset */
    NETPART_LATE,        /* past the timeout + 10 %: the client overran its deadline */
    NETPART_NOT_AT_ONCE, /* a reset that took the whole timeout to be noticed */
};

/* Seconds the calling thread has spent runnable but waiting for a CPU, per the kernel
 * (/proc/thread-self/schedstat); 0 where the kernel does not say. */
double netpart_cpu_wait(void);
/* An operation that failed under a partition of `mode` after `took` seconds, of which it
 * waited `waited` for a CPU: judged on the client's own time, took - waited. */
enum netpart_timing netpart_timing(enum netpart_mode mode, double op_timeout, double took,
                                   double waited);

/* ---- timeline.c ---- */

/* The fault (heal = 0) or the restore (heal = 1) of target t in `mode`, begun at t0 (ip_clock()),
 * that returned rc (0: made), unless ip_fault() recorded it (method actions). */
void netpart_tl_cut(struct netpart_state *st, struct ip_report *rep, const struct netpart_target *t,
                    enum netpart_mode mode, int heal, double t0, int rc);
/* An operation on the partitioned target from start to end (ip_clock()) that returned rc (0, or
 * the IP_E* class, with err). */
void netpart_tl_op(struct netpart_state *st, struct ip_report *rep, double start, double end,
                   int rc, const char *err);
/* A moment of the partition of t in `mode` (detected, recovered), with `what` (may be NULL). */
void netpart_tl_moment(struct ip_report *rep, enum ip_event_kind kind,
                       const struct netpart_target *t, enum netpart_mode mode, double when,
                       const char *what);

/* ---- toxiproxy.c ---- */

/* Remove every proxy whose name starts with `prefix` (ours, left by a run that crashed). 0, or
 * -1 with err ("127.0.0.1:8474: connection refused"). */
int toxiproxy_clean(const char *api, const char *prefix, double deadline, char *err, size_t errlen);
/* A proxy `name` listening on listen_host (a port the kernel picks) to `upstream`; its
 * host:port into listen. 0 or -1 with err. */
int toxiproxy_create(const char *api, const char *name, const char *listen_host,
                     const char *upstream, double deadline, char *listen, size_t listenlen,
                     char *err, size_t errlen);
/* The host:port an existing proxy `name` listens on. 0 or -1 with err. */
int toxiproxy_listen(const char *api, const char *name, double deadline, char *listen,
                     size_t listenlen, char *err, size_t errlen);
/* The toxic of `mode` on proxy `name` (called "netpart"), or its removal. 0 or -1 with err. */
int toxiproxy_partition(const char *api, const char *name, enum netpart_mode mode, double latency,
                        double deadline, char *err, size_t errlen);
int toxiproxy_heal(const char *api, const char *name, double deadline, char *err, size_t errlen);
/* Remove proxy `name`. 0 or -1 with err. */
int toxiproxy_delete(const char *api, const char *name, double deadline, char *err, size_t errlen);
/* ---- nft.c ---- */

/* Our table's name for probe `probe`: "infraprobe_netpart_PROBE" (PROBE made safe). */
void nft_table_name(const char *probe, char *out, size_t outlen);
/* Delete a stale table of ours, then make it afresh with an empty output chain. 0, or -1
 * with err (naming CAP_NET_ADMIN when the kernel refuses). */
int nft_begin(const char *table, char *err, size_t errlen);
/* Drop (a blackhole) or reject with a reset what goes to addrs:port. 0 or -1 with err. */
int nft_partition(const char *table, char (*addrs)[IP_ADDRSTRLEN], int n, int port,
                  enum netpart_mode mode, char *err, size_t errlen);
/* Remove every rule (the heal), or the whole table (the end of the run). 0 or -1 with err. */
int nft_heal(const char *table, char *err, size_t errlen);
int nft_end(const char *table, char *err, size_t errlen);

/* ---- drill.c ---- */

/* The partition drill between the members of the etcd cluster that the targets are, when this
 * is a drill run and the check `partition` is enabled. */
void netpart_drill(struct netpart_state *st, struct ip_report *rep);

/* ---- drill_redis.c ---- */

/* The partition drill of the Redis master that the sentinels name, cut from its replicas and
 * the sentinels. */
void netpart_drill_redis(struct netpart_state *st, struct ip_report *rep);

/* ---- toxiproxy.c ---- */

/* curl_global_init() / cleanup, from the plugin's init / shutdown. */
int toxiproxy_init(void);
void toxiproxy_shutdown(void);

#endif
