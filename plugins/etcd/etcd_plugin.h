/*
 * What the files of the etcd plugin share: the probe's state, one run's context, and the
 * functions one file gives the others. Internal: these symbols are hidden (-fvisibility=hidden)
 * and never exported (-export-symbols-regex), so the plugin's one export stays infraprobe_plugin.
 */
#ifndef ETCD_PLUGIN_H
#define ETCD_PLUGIN_H

#include <curl/curl.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include <infraprobe/plugin.h>

#include "etcd_proto.h"

/* One configured endpoint. */
struct etcd_ep {
    char url[300];              /* scheme://host:port, no trailing slash */
    char hostport[280];         /* the check's target */
    CURL *easy;                 /* kept across runs, so that its connection is reused */
    struct curl_slist *resolve; /* host:port:addr from ip_resolve(), for a host name */
};

struct etcd_state {
    const char *name;
    struct etcd_ep *eps;
    size_t nep;
    int members;        /* expected; 0: what the member list says */
    const char *prefix; /* keys the probe writes */
    double lease_ttl;   /* seconds */
    double req_timeout; /* one request's limit: quorum loss is told within it */
    double catchup;     /* how long a member may take to show a write */
    long long max_lag;  /* revisions a member may be behind before read warns */
    double db_quota;    /* bytes: the backend quota, when the member does not say it */
    double db_warn;     /* % of it at which members warns */
    const char *cacert, *cert, *key;
    int insecure;
    const char *username, *password;
    CURLM *multi; /* its connection cache is the members' kept-alive connections */
    /* The watch's: kept across runs too. Its stream is cut mid-reply, so its connection is
     * never reused; what the kept easy handle keeps is curl's TLS session cache, from which a
     * TLS stream can resume its session rather than make a full handshake. */
    CURLM *wmulti;
    CURL *weasy;
    char token[1024]; /* the auth token; "" before the first authenticate */
    /* Cumulative, for metrics(). */
    uint64_t last_leader;
    long long leader_changes, runs, token_refreshes;
};

/* One HTTP call of a batch: filled in by the caller (ep, path, body), answered by etcd_http. */
struct etcd_call {
    struct etcd_ep *ep;
    const char *path; /* "/v3/kv/put" */
    char *body;       /* JSON, owned by the call (etcd_calls_free) */
    /* Results. */
    json_t *reply; /* the parsed 200 reply (not an etcd error); NULL on failure */
    char err[512]; /* why it failed: "127.0.0.1:2379: ...", the server's words last */
    int timed_out; /* it ran out of time (the member did not answer) */
    int too_big;   /* the reply passed the limit */
    double took;   /* seconds, from sending to the whole reply */
    /* Internal. */
    CURL *easy;
    int own_easy;
    char *buf;
    size_t len, cap;
    long status;
    CURLcode cc;
    char cerr[CURL_ERROR_SIZE];
    struct curl_slist *hdrs;
};

/* One run's context. */
struct etcd_run {
    struct etcd_state *st;
    struct ip_report *rep;
    double deadline;
    char tag[64]; /* ip_run_tag() */
    uint64_t lease;
    struct etcd_status *status; /* per endpoint, valid where up[i] */
    int *up;
    struct etcd_member *mem; /* the member list; NULL when unknown */
    size_t nmem;
    int answered, with_leader; /* of the endpoints */
    /* The voting members of the member list that none of ours reaches, asked for their status
     * at their own client URLs: the quorum is the cluster's, not the endpoints'. */
    struct etcd_ep *xeps;
    struct etcd_call *xcalls;
    struct etcd_status *xstatus;
    int *xup;
    size_t nx;
    int voters; /* voting members (the endpoints when the member list is unknown) */
    int quorum; /* a majority of the voters answer and name a leader */
    uint64_t leader;
    char key[512], value[256]; /* the write check's */
    uint64_t write_rev;        /* 0: nothing written */
    double put_took;           /* the last put's exchange, seconds (curl's total time) */
    struct etcd_ep *write_ep;  /* where the write went */
};

/* ---- etcd_http.c ---- */

/* The curl handles of a state (multi, per-endpoint easy); 0 or IP_ENOMEM. */
int etcd_http_init(struct etcd_state *st);
void etcd_http_free(struct etcd_state *st);
/* Run every call of calls[0..n) at once, each within `timeout` seconds and all by `deadline`.
 * Each call gets its reply or err. Authenticates first when a username is set, and once more
 * when the token was refused as expired. Returns how many succeeded. */
int etcd_calls(struct etcd_state *st, struct etcd_call *calls, size_t n, double timeout,
               double deadline);
/* One call; 0 or -1 (with call->err). */
int etcd_call1(struct etcd_state *st, struct etcd_call *c, double timeout, double deadline);
/* Free the bodies and replies of calls, ready for reuse. */
void etcd_calls_free(struct etcd_call *calls, size_t n);
/* Set a call's body: printf(fmt, ...). 0 or -1 (out of memory). */
int etcd_body(struct etcd_call *c, const char *fmt, ...) IP_PRINTF(2, 3);
/* Resolve the endpoints' host names with the SDK's resolver by `deadline`, so that curl never
 * resolves on its own; an endpoint that does not resolve fails its calls with the reason. */
void etcd_http_resolve(struct etcd_state *st, double deadline);
/* The same for one endpoint. */
void etcd_ep_resolve(struct etcd_ep *ep, double deadline);
/* A request's timeout, the run's deadline being `deadline`. */
double etcd_timeout(const struct etcd_state *st, double deadline);

/* ---- etcd_checks.c ---- */

/* connect: every endpoint's status at once. 0 when at least one answered. */
int etcd_check_connect(struct etcd_run *r);
/* Free what connect made for the members no endpoint reaches. */
void etcd_others_free(struct etcd_run *r);
void etcd_check_leader(struct etcd_run *r);
void etcd_check_members(struct etcd_run *r);
void etcd_check_alarms(struct etcd_run *r);
void etcd_check_write(struct etcd_run *r);
void etcd_check_read(struct etcd_run *r);
/* A put of key=value (raw strings) with the run's lease to `ep`: its revision, 0 with err. */
uint64_t etcd_put(struct etcd_run *r, struct etcd_ep *ep, const char *key, const char *value,
                  double timeout, char *err, size_t errlen);
/* Grant the run's lease (r->lease); revoke it. */
int etcd_lease_grant(struct etcd_run *r, char *err, size_t errlen);
void etcd_lease_revoke(struct etcd_run *r);
/* The statuses of every endpoint into r->status / r->up, with the leader and quorum figures. */
void etcd_status_all(struct etcd_run *r, struct etcd_call *calls, double timeout, double deadline);
/* Where to write: the leader's endpoint, else the first that answered. */
struct etcd_ep *etcd_write_endpoint(const struct etcd_run *r);
/* The member with this id, or NULL. */
const struct etcd_member *etcd_member_by_id(const struct etcd_run *r, uint64_t id);
/* The endpoint a member is reached at (its client host:port among ours), or NULL. */
struct etcd_ep *etcd_ep_of(const struct etcd_run *r, const struct etcd_member *m);

/* ---- etcd_watch.c ---- */

void etcd_check_watch(struct etcd_run *r);

/* ---- etcd_operate.c ---- */

/* The plugin's operate hook: one status request to the member at address (host:port). */
int etcd_operate(const char *address, const char *const *options, double deadline, char *err,
                 size_t errlen);

/* ---- etcd_drill.c ---- */

/* The failover drill (both scenarios), when this is a drill run. */
void etcd_drill(struct etcd_run *r);

#endif
