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
enum netpart_method { NETPART_TOXIPROXY, NETPART_ACTIONS };

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
    double latency;            /* seconds, NETPART_LATENCY */
    const char *options[2][9]; /* redis, mysql options, NULL-terminated pairs */
    /* Cumulative, for metrics(). */
    long long partitions;
};

const char *netpart_mode_name(enum netpart_mode m);

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
/* curl_global_init() / cleanup, from the plugin's init / shutdown. */
int toxiproxy_init(void);
void toxiproxy_shutdown(void);

#endif
