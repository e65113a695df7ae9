/*
 * The etcd plugin: the whole cluster's health in one verdict, over etcd's v3 JSON gateway with
 * libcurl and jansson. Every member is asked for its status at once (connect), then the leader
 * and the raft term they agree on (leader), the member list (members), the alarms (alarms), a
 * write under a lease of the run's own (write), a linearizable read and a serializable read
 * from every member (read), and a watch event (watch); the lease is revoked at the end of every
 * run, so nothing the probe wrote outlives it. Under --drill, the failover drill. This file
 * reads the settings and runs the checks in order; etcd_http.c speaks HTTP, etcd_proto.c
 * etcd's JSON, etcd_checks.c and etcd_watch.c have the checks, etcd_drill.c the drill.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etcd_plugin.h"

static const struct ip_check_decl etcd_checks[] = {
    {.name = "connect",
     .help = "every endpoint answers its status; a member down with quorum held warns, quorum "
             "lost is critical",
     .kind = IP_LATENCY},
    {.name = "write",
     .help = "a put of a key of the run's own, on a lease (the guide's < 10 ms)",
     .kind = IP_LATENCY,
     .warn = 10,
     .crit = 100,
     .flags = IP_CHECK_WRITES},
    {.name = "read",
     .help = "a linearizable range returns what was written (the guide's < 5 ms); a serializable "
             "range on every member returns it at the same revision",
     .kind = IP_LATENCY,
     .warn = 5,
     .crit = 50,
     .flags = IP_CHECK_WRITES},
    {.name = "leader",
     .help = "exactly one leader, the same leader and raft term on every member",
     .kind = IP_LATENCY},
    {.name = "members",
     .help = "the member list has the expected members, no learner, no db near its quota",
     .kind = IP_LATENCY},
    {.name = "alarms", .help = "no active alarm (NOSPACE, CORRUPT)", .kind = IP_LATENCY},
    {.name = "watch",
     .help = "a watch stream delivers the event of a put with its revision",
     .kind = IP_LATENCY,
     .flags = IP_CHECK_WRITES},
    /* The sandbox elects in well under a second; etcd's default election timeout is 1 s. */
    {.name = "failover",
     .help = "drill: stop a follower, then the leader; writes go on, nothing acknowledged is "
             "lost, the cluster is whole again; its value the leader scenario's recovery time",
     .kind = IP_VALUE_MAX,
     .warn = 5,
     .crit = 15,
     .unit = "s",
     .flags = IP_CHECK_DRILL | IP_CHECK_WRITES},
    {0},
};

/* ---- setup ------------------------------------------------------------------------------ */

static void etcd_teardown(void *state)
{
    struct etcd_state *st = state;

    if (!st)
        return;
    etcd_http_free(st);
    free(st->eps);
    free(st);
}

/* "host:port" or "http(s)://host:port[/]" into ep; https when TLS files are set. */
static int endpoint_parse(const char *s, int tls, struct etcd_ep *ep)
{
    const char *scheme = tls ? "https" : "http", *rest = s;
    char host[256];
    int port;

    if (strncmp(s, "http://", 7) == 0)
        scheme = "http", rest = s + 7;
    else if (strncmp(s, "https://", 8) == 0)
        scheme = "https", rest = s + 8;
    else if (strstr(s, "://"))
        return -1;
    snprintf(ep->hostport, sizeof(ep->hostport), "%.*s", (int)strcspn(rest, "/"), rest);
    if (rest[strcspn(rest, "/")] && strcmp(rest + strcspn(rest, "/"), "/") != 0)
        return -1; /* a path: the gateway lives at the root */
    if (ip_hostport(ep->hostport, host, sizeof(host), &port) != 0)
        return -1;
    snprintf(ep->url, sizeof(ep->url), "%s://%s", scheme, ep->hostport);
    return 0;
}

static void add_endpoint(struct ip_probe *probe, struct etcd_state *st, const char *s, int tls)
{
    if (endpoint_parse(s, tls, &st->eps[st->nep]) == 0)
        st->nep++;
    else
        ip_probe_fail(probe, "endpoints", "\"%s\": expected host:port or http(s)://host:port", s);
}

static void setup_endpoints(struct ip_probe *probe, struct etcd_state *st)
{
    const char *const *list = NULL;
    const char *env = NULL;
    size_t n = 0;
    int tls;

    st->cacert = ip_probe_string(probe, "cacert", NULL);
    st->cert = ip_probe_string(probe, "cert", NULL);
    st->key = ip_probe_string(probe, "key", NULL);
    st->insecure = ip_probe_bool(probe, "insecure_skip_verify", 0);
    tls = st->cacert || st->cert || st->insecure;
    if ((st->cert != NULL) != (st->key != NULL))
        ip_probe_fail(probe, st->cert ? "cert" : "key", "cert and key go together");
    if (ip_probe_has(probe, "endpoints"))
        list = ip_probe_strings(probe, "endpoints", &n);
    else if ((env = ip_probe_string(probe, "endpoints", "${ETCD_ADDR}")))
        for (const char *p = env; *p; p += strcspn(p, ","), p += *p == ',')
            n++; /* the default, ${ETCD_ADDR}, is one comma-separated string */
    st->eps = calloc(n ? n : 1, sizeof(*st->eps));
    for (size_t i = 0; st->eps && i < n; i++) {
        char one[600];
        size_t len;

        if (list) {
            add_endpoint(probe, st, list[i], tls);
            continue;
        }
        len = strcspn(env, ",");
        snprintf(one, sizeof(one), "%.*s", (int)len, env);
        add_endpoint(probe, st, one, tls);
        env += len + (env[len] == ',');
    }
    if (!st->eps)
        ip_probe_fail(probe, "endpoints", "out of memory");
    else if (!st->nep && !ip_probe_err(probe))
        ip_probe_fail(probe, "endpoints", "no endpoint");
}

static int etcd_setup(struct ip_probe *probe, void **statep)
{
    struct etcd_state *st = calloc(1, sizeof(*st));

    if (!st)
        return IP_ENOMEM;
    st->name = ip_probe_name(probe);
    setup_endpoints(probe, st);
    st->members = (int)ip_probe_int(probe, "members", 0, 0, 1000);
    st->prefix = ip_probe_string(probe, "prefix", "/infraprobe/");
    st->lease_ttl = ip_probe_duration(probe, "lease_ttl", 60.0);
    st->req_timeout = ip_probe_duration(probe, "request_timeout", 1.0);
    st->catchup = ip_probe_duration(probe, "catchup", 1.0);
    st->max_lag = ip_probe_int(probe, "max_lag", 0, 0, 1000000000);
    /* etcd's default --quota-backend-bytes: 2 GiB. */
    st->db_quota = ip_probe_double(probe, "quota_backend_bytes", 2147483648.0, 1, 1e15);
    st->db_warn = ip_probe_double(probe, "db_warn_percent", 80, 0, 100);
    st->username = ip_probe_string(probe, "username", NULL);
    st->password = ip_probe_secret(probe, "password");
    if (st->password && !st->username)
        ip_probe_fail(probe, "password", "a password needs a username");
    if (st->lease_ttl < 1)
        ip_probe_fail(probe, "lease_ttl", "must be at least 1 s");
    if (st->req_timeout <= 0)
        ip_probe_fail(probe, "request_timeout", "must be more than 0");
    if (ip_probe_err(probe)) {
        etcd_teardown(st);
        return IP_ECONFIG;
    }
    *statep = st;
    return 0;
}

/* ---- run ---------------------------------------------------------------------------------- */

static const char *const etcd_after_connect[] = {"leader", "members", "alarms", "write",
                                                 "read",   "watch",   NULL};
static const char *const etcd_writing[] = {"write", "read", "watch", NULL};

static void etcd_run_writes(struct etcd_run *r)
{
    char err[600] = "";
    int write = ip_check_enabled(r->rep, "write"), watch = ip_check_enabled(r->rep, "watch");

    if (!r->quorum) {
        ip_skip_checks(r->rep, NULL, etcd_writing, "quorum lost: a put would wait for a leader");
        return;
    }
    if (write) {
        etcd_check_write(r);
        if (ip_check_enabled(r->rep, "read"))
            etcd_check_read(r);
    } else if (ip_check_enabled(r->rep, "read"))
        ip_skip_checks(r->rep, NULL, (const char *const[]){"read", NULL},
                       "it reads what the write check wrote, which is not run");
    if (watch) {
        if (!r->write_ep)
            r->write_ep = etcd_write_endpoint(r);
        if (!r->lease && etcd_lease_grant(r, err, sizeof(err)) != 0)
            ip_check(r->rep, "watch", NULL, IP_CRITICAL, 0, "%s", err);
        else
            etcd_check_watch(r);
    }
}

static int etcd_run(void *state, struct ip_report *rep)
{
    struct etcd_state *st = state;
    struct etcd_run r = {.st = st, .rep = rep, .deadline = ip_report_deadline(rep)};
    double drill_deadline;
    int rc = 0;

    ip_run_tag(rep, r.tag, sizeof(r.tag));
    st->runs++;
    if (etcd_http_init(st) != 0)
        return IP_ENOMEM;
    r.status = calloc(st->nep, sizeof(*r.status));
    r.up = calloc(st->nep, sizeof(*r.up));
    if (!r.status || !r.up) {
        rc = IP_ENOMEM;
        goto out;
    }
    etcd_http_resolve(st, r.deadline);
    if (etcd_check_connect(&r) != 0) {
        ip_skip_checks(rep, NULL, etcd_after_connect, "not connected");
        if (ip_drill(rep, &drill_deadline))
            ip_skip_checks(rep, NULL, (const char *const[]){"failover", NULL}, "not connected");
        goto out;
    }
    etcd_check_leader(&r);
    etcd_check_members(&r);
    etcd_check_alarms(&r);
    etcd_run_writes(&r);
    etcd_lease_revoke(&r);
    etcd_drill(&r);
out:
    etcd_lease_revoke(&r);
    etcd_others_free(&r);
    free(r.status);
    free(r.up);
    free(r.mem);
    return rc;
}

static int etcd_metrics(void *state, struct ip_report *rep)
{
    struct etcd_state *st = state;

    ip_metric(rep, IP_COUNTER, "leader_changes", NULL,
              "changes of leader seen between runs since the probe started", NULL, NULL,
              (double)st->leader_changes);
    ip_metric(rep, IP_COUNTER, "runs", NULL, "runs since the probe started", NULL, NULL,
              (double)st->runs);
    ip_metric(rep, IP_COUNTER, "token_refreshes", NULL,
              "auth tokens fetched again after etcd refused one", NULL, NULL,
              (double)st->token_refreshes);
    return 0;
}

static int etcd_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : IP_EPLUGIN;
}

static void etcd_shutdown(void)
{
    curl_global_cleanup();
}

IP_EXPORT const struct ip_plugin infraprobe_plugin = {
    IP_PLUGIN_HEADER,
    .name = "etcd",
    .description = "etcd v3: quorum, leader, members, alarms, writes, reads, watch; failover drill",
    .checks = etcd_checks,
    .setup = etcd_setup,
    .run = etcd_run,
    .teardown = etcd_teardown,
    .metrics = etcd_metrics,
    .init = etcd_init,
    .shutdown = etcd_shutdown,
    .operate = etcd_operate,
};
