/*
 * The netpart plugin: real network partitions between this host and its targets (any
 * backend whose plugin has an operation: tcp, redis, mysql, ...), made with Toxiproxy, with
 * nftables rules in this host's kernel, or with the probe's own partition / heal fault
 * actions. Per target it checks that the operation
 * works (baseline), that a partition is noticed by timeout and never hangs (detect), that the
 * failure is classified (error), that the operation works again after the heal on a new
 * connection (recover), and that the other targets are unaffected meanwhile (degradation).
 *
 * No client of its own: every operation goes through ip_operate(), i.e. the target kind's
 * plugin, on a connection made for that operation and closed after it, so a connection that a
 * partition broke is never reused.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netpart_plugin.h"

static const struct ip_check_decl netpart_checks[] = {
    {.name = "baseline", .help = "the operation works through the path", .kind = IP_LATENCY},
    {.name = "detect",
     .help = "a partition is detected within the target's timeout",
     .kind = IP_LATENCY},
    {.name = "error", .help = "the failure is classified and named", .kind = IP_LATENCY},
    {.name = "recover",
     .help = "the operation works again after the heal, reconnecting",
     .kind = IP_LATENCY},
    {.name = "degradation",
     .help = "the other targets are unaffected while one is partitioned",
     .kind = IP_LATENCY},
    {.name = "partition",
     .help = "a partition between cluster members (drill)",
     .kind = IP_VALUE_MAX,
     .unit = "seconds",
     .flags = IP_CHECK_DRILL | IP_CHECK_WRITES},
    {0},
};

static const char *const mode_names[NETPART_MODES] = {"blackhole", "reject", "latency", "halfopen"};

const char *netpart_mode_name(enum netpart_mode m)
{
    return m < NETPART_MODES ? mode_names[m] : "?";
}

/* ---- settings ------------------------------------------------------------------------- */

static void netpart_teardown(void *state)
{
    struct netpart_state *st = state;

    if (!st)
        return;
    free(st->targets);
    free(st);
}

/* "kind://host:port" into t; 0 or -1 (reported). */
static int netpart_target(struct ip_probe *probe, const char *spec, struct netpart_target *t)
{
    const char *sep = strstr(spec, "://");
    char host[256], err[512];
    int port, rc;

    if (!sep || sep == spec || (size_t)(sep - spec) >= sizeof(t->kind) ||
        strlen(spec) >= sizeof(t->spec) || ip_hostport(sep + 3, host, sizeof(host), &port)) {
        ip_probe_fail(probe, "targets",
                      "\"%s\": expected KIND://HOST:PORT (redis://127.0.0.1:6379)", spec);
        return -1;
    }
    snprintf(t->spec, sizeof(t->spec), "%s", spec);
    snprintf(t->kind, sizeof(t->kind), "%.*s", (int)(sep - spec), spec);
    snprintf(t->address, sizeof(t->address), "%s", sep + 3);
    snprintf(t->path, sizeof(t->path), "%s", t->address);
    if ((rc = ip_operation_check(t->kind, err, sizeof(err))) != 0) {
        ip_probe_fail(probe, "targets", "\"%s\": %s", spec, err);
        return -1;
    }
    return 0;
}

static int netpart_modes(struct ip_probe *probe, struct netpart_state *st)
{
    size_t n;
    const char *const *modes = ip_probe_strings(probe, "modes", &n);
    int bad = 0;

    if (n == 0)
        st->modes[NETPART_BLACKHOLE] = st->modes[NETPART_REJECT] = 1;
    for (size_t i = 0; i < n; i++) {
        int m = 0;

        while (m < NETPART_MODES && strcmp(mode_names[m], modes[i]) != 0)
            m++;
        if (m == NETPART_MODES) {
            ip_probe_fail(probe, "modes", "\"%s\": expected blackhole, reject, latency or halfopen",
                          modes[i]);
            bad = 1;
            continue;
        }
        /* The kernel can drop or refuse, not delay or cut a stream after a few bytes. */
        if (st->method == NETPART_NFTABLES && m != NETPART_BLACKHOLE && m != NETPART_REJECT) {
            ip_probe_fail(probe, "modes", "\"%s\": method nftables makes blackhole and reject only",
                          modes[i]);
            bad = 1;
        }
        st->modes[m] = 1;
    }
    return bad ? -1 : 0;
}

/* The credentials each kind's operation takes, from settings of this probe. */
static void netpart_credentials(struct ip_probe *probe, struct netpart_state *st)
{
    const char **r = st->options[0], **m = st->options[1];
    const char *v;
    int i = 0, j = 0;

    if ((v = ip_probe_string(probe, "redis_username", NULL))) {
        r[i++] = "username";
        r[i++] = v;
    }
    if ((v = ip_probe_secret(probe, "redis_password"))) {
        r[i++] = "password";
        r[i++] = v;
    }
    m[j++] = "user";
    m[j++] = ip_probe_string(probe, "mysql_user", "root");
    if ((v = ip_probe_secret(probe, "mysql_password"))) {
        m[j++] = "password";
        m[j++] = v;
    }
    if ((v = ip_probe_string(probe, "mysql_database", NULL))) {
        m[j++] = "database";
        m[j++] = v;
    }
    if ((v = ip_probe_string(probe, "mysql_ssl_mode", NULL))) {
        m[j++] = "ssl_mode";
        m[j++] = v;
    }
}

static int netpart_method(struct ip_probe *probe, struct netpart_state *st)
{
    const char *m = ip_probe_string(probe, "method", "toxiproxy");

    if (strcmp(m, "toxiproxy") == 0)
        st->method = NETPART_TOXIPROXY;
    else if (strcmp(m, "nftables") == 0)
        st->method = NETPART_NFTABLES;
    else if (strcmp(m, "actions") == 0)
        st->method = NETPART_ACTIONS;
    else {
        ip_probe_fail(probe, "method", "\"%s\": expected toxiproxy, nftables or actions", m);
        return -1;
    }
    nft_table_name(ip_probe_name(probe), st->table, sizeof(st->table));
    if (st->method == NETPART_ACTIONS) {
        /* The core reads the failover block; here, only whether it has what we will run. */
        struct ip_probe *f = ip_probe_group(probe, "failover");

        if (!ip_probe_has(f, "partition") || !ip_probe_has(f, "heal")) {
            ip_probe_fail(probe, "method",
                          "\"actions\" needs failover = { partition = \"...\"; heal = \"...\"; }");
            return -1;
        }
    }
    st->api = ip_probe_string(probe, "api", "${TOXIPROXY_ADDR:-127.0.0.1:8474}");
    st->listen_host = ip_probe_string(probe, "listen_host", "127.0.0.1");
    st->proxies = ip_probe_strings(probe, "proxies", &st->nproxies);
    return 0;
}

static int netpart_targets(struct ip_probe *probe, struct netpart_state *st)
{
    size_t n;
    const char *const *targets = ip_probe_strings(probe, "targets", &n);
    int bad = 0;

    if (n == 0) {
        ip_probe_fail(probe, "targets", "at least one target is needed (KIND://HOST:PORT)");
        return -1;
    }
    if (st->nproxies && st->nproxies != n) {
        ip_probe_fail(probe, "proxies", "%zu proxies for %zu targets: one per target", st->nproxies,
                      n);
        return -1;
    }
    if (!(st->targets = calloc(n, sizeof(*st->targets))))
        return -1;
    st->ntargets = n;
    for (size_t i = 0; i < n; i++) {
        struct netpart_target *t = &st->targets[i];

        bad |= netpart_target(probe, targets[i], t) != 0;
        t->options = strcmp(t->kind, "redis") == 0   ? st->options[0]
                     : strcmp(t->kind, "mysql") == 0 ? st->options[1]
                                                     : NULL;
    }
    return bad ? -1 : 0;
}

/* The partition drill of Redis: `sentinels` (host:port) that name `master_name`. */
static int netpart_sentinels(struct ip_probe *probe, struct netpart_state *st)
{
    char host[256];
    int port;

    st->sentinels = ip_probe_strings(probe, "sentinels", &st->nsentinels);
    st->master_name = ip_probe_string(probe, "master_name", NULL);
    if (st->nsentinels && (!st->master_name || !*st->master_name)) {
        ip_probe_fail(probe, "master_name", "is required with sentinels");
        return -1;
    }
    if (!st->nsentinels && st->master_name) {
        ip_probe_fail(probe, "master_name", "needs sentinels");
        return -1;
    }
    for (size_t i = 0; i < st->nsentinels; i++)
        if (ip_hostport(st->sentinels[i], host, sizeof(host), &port) != 0) {
            ip_probe_fail(probe, "sentinels", "\"%s\": expected host:port", st->sentinels[i]);
            return -1;
        }
    return 0;
}

static int netpart_setup(struct ip_probe *probe, void **statep)
{
    struct netpart_state *st = calloc(1, sizeof(*st));
    int bad = 0;

    if (!st)
        return IP_ENOMEM;
    st->probe = ip_probe_name(probe);
    bad |= netpart_method(probe, st);
    netpart_credentials(probe, st);
    bad |= netpart_modes(probe, st);
    st->op_timeout = ip_probe_duration(probe, "op_timeout", 1.0);
    st->recover_timeout = ip_probe_duration(probe, "recover_timeout", 5.0);
    st->latency = ip_probe_duration(probe, "latency", 0.2);
    if (st->op_timeout <= 0) {
        ip_probe_fail(probe, "op_timeout", "must be more than 0");
        bad = 1;
    }
    bad |= netpart_targets(probe, st);
    bad |= netpart_sentinels(probe, st);
    if (bad || ip_probe_err(probe)) {
        netpart_teardown(st);
        return IP_ECONFIG;
    }
    *statep = st;
    return 0;
}

/* ---- one operation per target, all at once -------------------------------------------- */

struct netpart_op {
    int rc;        /* 0 or the IP_E* class */
    double start;  /* ip_clock() */
    double took;   /* seconds */
    double waited; /* of took, seconds its thread waited for a CPU: the host's, not the client's */
    int cut;       /* its deadline was the run's, which came before op_timeout */
    char err[512];
};

struct netpart_round {
    struct netpart_state *st;
    struct ip_report *report;
    struct netpart_op *ops; /* one per target */
    double op_timeout;
};

static double netpart_op_deadline(struct ip_report *rep, double op_timeout)
{
    double d = ip_clock() + op_timeout, end = ip_report_deadline(rep);

    return d < end ? d : end;
}

static int netpart_op_worker(void *arg, int worker, int call, char *err, size_t errlen)
{
    struct netpart_round *r = arg;
    struct netpart_target *t = &r->st->targets[worker];
    struct netpart_op *op = &r->ops[worker];
    double w0 = netpart_cpu_wait(), t0 = ip_clock();
    double deadline = netpart_op_deadline(r->report, r->op_timeout);

    (void)call;
    op->cut = deadline < t0 + r->op_timeout;
    op->start = t0;
    op->rc =
        ip_operate(r->report, t->kind, t->path, t->options, deadline, op->err, sizeof(op->err));
    op->took = ip_clock() - t0;
    op->waited = netpart_cpu_wait() - w0;
    if (op->rc)
        snprintf(err, errlen, "%s", op->err);
    return op->rc != 0;
}

/* Every target's operation at once, on threads of their own, into ops[]. */
static void netpart_round(struct netpart_state *st, struct ip_report *rep, struct netpart_op *ops)
{
    struct netpart_round r = {.st = st, .report = rep, .ops = ops, .op_timeout = st->op_timeout};
    char err[512];

    for (size_t i = 0; i < st->ntargets; i++)
        ops[i] = (struct netpart_op){
            .rc = IP_ETIMEDOUT, .start = ip_clock(), .err = "not run: no time left"};
    ip_workers_run((int)st->ntargets, 1, ip_report_deadline(rep), netpart_op_worker, &r, NULL, err,
                   sizeof(err));
}

/* ---- partitions ------------------------------------------------------------------------ */

/* The fault actions' placeholders for target t. */
static void netpart_vars(const struct netpart_target *t, enum netpart_mode mode, char *host,
                         size_t hostlen, char *port, size_t portlen, const char **vars)
{
    int p = 0;

    ip_hostport(t->address, host, hostlen, &p);
    snprintf(port, portlen, "%d", p);
    vars[0] = "target";
    vars[1] = t->address;
    vars[2] = "host";
    vars[3] = host;
    vars[4] = "port";
    vars[5] = port;
    vars[6] = "kind";
    vars[7] = t->kind;
    vars[8] = "mode";
    vars[9] = netpart_mode_name(mode);
    vars[10] = NULL;
}

/* Make (heal = 0) or heal (heal = 1) the partition of target t. 0 or -1 with err. */
static int netpart_cut(struct netpart_state *st, struct ip_report *rep, struct netpart_target *t,
                       enum netpart_mode mode, int heal, char *err, size_t errlen)
{
    /* A heal must run even when the run's deadline has passed: it has a budget of its own. */
    double deadline = heal ? ip_clock() + 5.0 : netpart_op_deadline(rep, 5.0);
    char host[256], port[8];
    const char *vars[11];

    if (st->method == NETPART_TOXIPROXY)
        return heal ? toxiproxy_heal(st->api, t->proxy, deadline, err, errlen)
                    : toxiproxy_partition(st->api, t->proxy, mode, st->latency, deadline, err,
                                          errlen);
    if (st->method == NETPART_NFTABLES)
        return heal ? nft_heal(st->table, err, errlen)
                    : nft_partition(st->table, t->addrs, t->naddrs, t->port, mode, err, errlen);
    netpart_vars(t, mode, host, sizeof(host), port, sizeof(port), vars);
    return ip_fault(rep, heal ? "heal" : "partition", vars, err, errlen) == 0 ? 0 : -1;
}

/* The class a partition of `mode` should produce; 0: the operation may succeed (latency). */
static int netpart_expected(enum netpart_mode mode, int rc)
{
    switch (mode) {
    case NETPART_BLACKHOLE:
        return rc == IP_ETIMEDOUT;
    case NETPART_REJECT:
    case NETPART_HALFOPEN:
        return rc == IP_ECONNRESET || rc == IP_ECONNREFUSED;
    default:
        return 1;
    }
}

/* Where to look first when detect or error went wrong, from what the operation did. */
static void netpart_hint(struct netpart_state *st, struct ip_report *rep, const char *target,
                         enum netpart_mode mode, const struct netpart_op *op)
{
    if (op->rc == 0 && mode != NETPART_LATENCY)
        ip_check_hint(rep, "detect", target,
                      st->method == NETPART_ACTIONS
                          ? "the partition action returned but the path still works: check what "
                            "it cuts against the target's address and port"
                          : "the operation did not take the partitioned path: another route or "
                            "address reaches the target");
    else if (op->rc != 0 &&
             netpart_timing(mode, st->op_timeout, op->took, op->waited) == NETPART_LATE)
        ip_check_hint(rep, "detect", target,
                      "the client gave up only after op_timeout: a blocking call without a "
                      "deadline, or a timeout of its own that is longer");
    if (op->rc != 0 && !netpart_expected(mode, op->rc))
        ip_check_hint(rep, "error", target,
                      mode == NETPART_BLACKHOLE
                          ? "a blackhole should end by timeout: something on the path answers for "
                            "the target (a firewall that rejects, a proxy that closes)"
                          : "a reset should end the operation at once: a layer on the path hides "
                            "it (a proxy that keeps the connection, a retry)");
}

/* detect for an operation that failed: in time, or late. */
static void netpart_detect_failed(struct netpart_state *st, struct ip_report *rep,
                                  const struct netpart_target *t, const char *target,
                                  enum netpart_mode mode, const struct netpart_op *op)
{
    const char *labels[] = {"mode", netpart_mode_name(mode), NULL};
    enum netpart_timing timing = netpart_timing(mode, st->op_timeout, op->took, op->waited);
    double limit = timing == NETPART_NOT_AT_ONCE || mode != NETPART_REJECT
                       ? st->op_timeout * NETPART_TIMEOUT_SLACK
                       : st->op_timeout;
    char waited[96] = "";

    if (op->waited >= 0.001)
        snprintf(waited, sizeof(waited), ", of which %.3f s waiting for a CPU, not counted",
                 op->waited);
    ip_check(rep, "detect", target, timing == NETPART_IN_TIME ? IP_OK : IP_CRITICAL, op->took,
             "%s detected in %.3f s (%s; limit %.3f s%s)", netpart_mode_name(mode), op->took,
             timing == NETPART_NOT_AT_ONCE ? "not at once"
             : timing == NETPART_LATE      ? "past the timeout"
                                           : "within the timeout",
             limit, waited);
    ip_metric(rep, IP_GAUGE, "detect", "seconds", "time to detect a partition", t->spec, labels,
              op->took);
}

/* detect and error for the partitioned target. */
static void netpart_detected(struct netpart_state *st, struct ip_report *rep,
                             const struct netpart_target *t, const char *target,
                             enum netpart_mode mode, const struct netpart_op *op)
{
    if (op->rc == IP_ETIMEDOUT && op->cut) {
        ip_check(rep, "detect", target, IP_UNKNOWN, op->took,
                 "not measured: the run's deadline came %.3f s into the partition, before "
                 "op_timeout (%.3f s)",
                 op->took, st->op_timeout);
        return;
    }
    if (mode == NETPART_LATENCY && op->rc == 0)
        ip_check(rep, "detect", target, op->took >= st->latency ? IP_OK : IP_CRITICAL, op->took,
                 "the %s operation took %.3f s with %.3f s of latency added", t->kind, op->took,
                 st->latency);
    else if (op->rc == 0)
        ip_check(rep, "detect", target, IP_CRITICAL, op->took,
                 "the %s operation succeeded through a %s partition: the partition did not hold",
                 t->kind, netpart_mode_name(mode));
    else
        netpart_detect_failed(st, rep, t, target, mode, op);
    if (op->rc != 0)
        ip_check(rep, "error", target, netpart_expected(mode, op->rc) ? IP_OK : IP_WARNING,
                 op->took, "%s (%s): %s", ip_errname(op->rc), ip_strerror(op->rc), op->err);
    netpart_hint(st, rep, target, mode, op);
}

/* degradation for every target but the partitioned one. */
static void netpart_degradation(struct netpart_state *st, struct ip_report *rep, size_t cut,
                                enum netpart_mode mode, const struct netpart_op *ops,
                                const double *baseline)
{
    for (size_t j = 0; j < st->ntargets; j++) {
        const struct netpart_target *u = &st->targets[j];
        char target[700];

        if (j == cut || baseline[j] < 0)
            continue;
        snprintf(target, sizeof(target), "%s [%s of %s]", u->spec, netpart_mode_name(mode),
                 st->targets[cut].spec);
        if (ops[j].rc == 0)
            ip_check(rep, "degradation", target, IP_OK, ops[j].took,
                     "unaffected: %.3f s (baseline %.3f s)", ops[j].took, baseline[j]);
        else {
            ip_check(rep, "degradation", target, IP_CRITICAL, ops[j].took,
                     "failed while %s was partitioned: %s: %s", st->targets[cut].spec,
                     ip_errname(ops[j].rc), ops[j].err);
            ip_check_hint(rep, "degradation", target,
                          "it shares what was cut with the partitioned target (a host, a proxy, "
                          "a name server), or the run's deadline came first");
        }
    }
}

/* After the heal: the operation again, each on a new connection, until it works or
 * recover_timeout passes. */
static void netpart_recover(struct netpart_state *st, struct ip_report *rep,
                            struct netpart_target *t, const char *target, enum netpart_mode mode,
                            double healed)
{
    const char *labels[] = {"mode", netpart_mode_name(mode), NULL};
    double end = healed + st->recover_timeout, rdl = ip_report_deadline(rep);
    char err[512] = "not tried: no time left";
    int rc = IP_ETIMEDOUT, tries = 0;

    if (end > rdl)
        end = rdl;
    while (ip_clock() < end) {
        double t0 = ip_clock(), d = t0 + st->op_timeout, t1;

        tries++;
        rc = ip_operate(rep, t->kind, t->path, t->options, d < end ? d : end, err, sizeof(err));
        t1 = ip_clock();
        netpart_tl_op(st, rep, t0, t1, rc, err);
        if (rc == 0) {
            netpart_tl_moment(rep, IP_EVENT_RECOVERED, t, mode, t1, NULL);
            break;
        }
        ip_sleep_until(fmin(ip_clock() + 0.05, end));
    }
    if (rc == 0) {
        double took = ip_clock() - healed;

        ip_check(rep, "recover", target, IP_OK, took, "recovered %.3f s after the heal (%d tries)",
                 took, tries);
        ip_metric(rep, IP_GAUGE, "recover", "seconds", "time to recover after a heal", t->spec,
                  labels, took);
        return;
    }
    ip_check(rep, "recover", target, IP_CRITICAL, ip_clock() - healed,
             "not recovered within %.3f s of the heal: %s: %s", st->recover_timeout, ip_errname(rc),
             err);
    ip_check_hint(rep, "recover", target,
                  ip_report_remaining(rep) <= 0
                      ? "the run's deadline came first: give the probe a longer timeout"
                      : "the heal did not give the path back, or the service fell over meanwhile: "
                        "look at the service's own checks");
}

/* netpart_cut(), in the timeline. */
static int netpart_cut_timed(struct netpart_state *st, struct ip_report *rep,
                             struct netpart_target *t, enum netpart_mode mode, int heal, char *err,
                             size_t errlen)
{
    double t0 = ip_clock();
    int rc = netpart_cut(st, rep, t, mode, heal, err, errlen);

    netpart_tl_cut(st, rep, t, mode, heal, t0, rc);
    return rc;
}

/* The partitioned target's operation in the timeline, and the moment its failure was seen: a
 * failure (not the run's deadline cutting it short), or a reply as late as the latency added. */
static void netpart_tl_partitioned(struct netpart_state *st, struct ip_report *rep,
                                   const struct netpart_target *t, enum netpart_mode mode,
                                   const struct netpart_op *op)
{
    double end = op->start + op->took;

    netpart_tl_op(st, rep, op->start, end, op->rc, op->err);
    if (op->rc != 0 && !(op->rc == IP_ETIMEDOUT && op->cut))
        netpart_tl_moment(rep, IP_EVENT_DETECTED, t, mode, end, ip_errname(op->rc));
    else if (op->rc == 0 && mode == NETPART_LATENCY && op->took >= st->latency)
        netpart_tl_moment(rep, IP_EVENT_DETECTED, t, mode, end, "late");
}

/* One partition of target i in `mode`: make it, probe every target at once, heal, recover. */
static void netpart_one(struct netpart_state *st, struct ip_report *rep, size_t i,
                        enum netpart_mode mode, const double *baseline, struct netpart_op *ops)
{
    static const char *const checks[] = {"detect", "error", "recover", NULL};
    struct netpart_target *t = &st->targets[i];
    char target[400], err[512];
    double healed;

    snprintf(target, sizeof(target), "%s [%s]", t->spec, netpart_mode_name(mode));
    /* Toxiproxy's own listener accepts every connection, whatever its toxics: a bare connect
     * cannot see a partition made there (the target still serves as the others' control). */
    if (st->method == NETPART_TOXIPROXY && strcmp(t->kind, "tcp") == 0) {
        ip_skip_checks(rep, target, checks,
                       "a TCP connect ends at Toxiproxy's listener, which no toxic refuses: "
                       "partition tcp targets with method = \"actions\"");
        return;
    }
    if (netpart_cut_timed(st, rep, t, mode, 0, err, sizeof(err)) != 0) {
        ip_check(rep, "detect", target, IP_UNKNOWN, 0, "could not partition: %s", err);
        netpart_cut_timed(st, rep, t, mode, 1, err, sizeof(err)); /* a half-made one too */
        return;
    }
    st->partitions++;
    netpart_round(st, rep, ops);
    netpart_tl_partitioned(st, rep, t, mode, &ops[i]);
    if (netpart_cut_timed(st, rep, t, mode, 1, err, sizeof(err)) != 0) {
        ip_check(rep, "recover", target, IP_CRITICAL, 0, "could not heal: %s", err);
        healed = -1;
    } else {
        healed = ip_clock();
    }
    netpart_detected(st, rep, t, target, mode, &ops[i]);
    netpart_degradation(st, rep, i, mode, ops, baseline);
    if (healed >= 0)
        netpart_recover(st, rep, t, target, mode, healed);
}

/* ---- a run ----------------------------------------------------------------------------- */

/* Our proxies' names start with this: "infraprobe-netpart-PROBE-" (PROBE made safe). */
static void netpart_prefix(const struct netpart_state *st, char *out, size_t outlen)
{
    size_t n = (size_t)snprintf(out, outlen, "infraprobe-netpart-");

    for (const char *p = st->probe; *p && n + 2 < outlen; p++)
        out[n++] = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')
                       ? *p
                       : '_';
    out[n++] = '-';
    out[n] = '\0';
}

/* Our proxies in Toxiproxy, the stale ones of this probe gone first. 0 or -1 with err. */
static int netpart_proxies(struct netpart_state *st, struct ip_report *rep, char *err,
                           size_t errlen)
{
    double deadline = netpart_op_deadline(rep, 5.0);
    char prefix[120], tag[40];

    netpart_prefix(st, prefix, sizeof(prefix));
    if (toxiproxy_clean(st->api, prefix, deadline, err, errlen) != 0)
        return -1;
    ip_run_tag(rep, tag, sizeof(tag));
    for (size_t i = 0; i < st->ntargets; i++) {
        struct netpart_target *t = &st->targets[i];
        int rc;

        if (st->nproxies) {
            snprintf(t->proxy, sizeof(t->proxy), "%s", st->proxies[i]);
            rc = toxiproxy_listen(st->api, t->proxy, deadline, t->path, sizeof(t->path), err,
                                  errlen);
        } else {
            snprintf(t->proxy, sizeof(t->proxy), "%s%s-%zu", prefix, tag, i);
            rc = toxiproxy_create(st->api, t->proxy, st->listen_host, t->address, deadline, t->path,
                                  sizeof(t->path), err, errlen);
        }
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* Remove what this run made in Toxiproxy: our proxies, or the toxics on the named ones. */
static void netpart_unproxy(struct netpart_state *st)
{
    char err[512];

    for (size_t i = 0; i < st->ntargets; i++) {
        struct netpart_target *t = &st->targets[i];

        if (t->proxy[0] && st->nproxies)
            toxiproxy_heal(st->api, t->proxy, ip_clock() + 5.0, err, sizeof(err));
        else if (t->proxy[0])
            toxiproxy_delete(st->api, t->proxy, ip_clock() + 5.0, err, sizeof(err));
        t->proxy[0] = '\0';
        snprintf(t->path, sizeof(t->path), "%s", t->address);
    }
}

/* baseline for every target, at once; baseline[i] is its latency, or -1 when it failed. */
static void netpart_baseline(struct netpart_state *st, struct ip_report *rep,
                             struct netpart_op *ops, double *baseline)
{
    netpart_round(st, rep, ops);
    for (size_t i = 0; i < st->ntargets; i++) {
        const struct netpart_target *t = &st->targets[i];

        baseline[i] = ops[i].rc == 0 ? ops[i].took : -1;
        if (ops[i].rc == 0)
            ip_check(rep, "baseline", t->spec, IP_OK, ops[i].took, "%s operation through %s",
                     t->kind, t->path);
        else
            ip_check(rep, "baseline", t->spec, IP_CRITICAL, ops[i].took,
                     "%s operation through %s failed: %s: %s", t->kind, t->path,
                     ip_errname(ops[i].rc), ops[i].err);
    }
}

/* nftables: each target's addresses (the rules name numbers), then our table afresh. */
static int netpart_kernel(struct netpart_state *st, struct ip_report *rep, char *err, size_t errlen)
{
    for (size_t i = 0; i < st->ntargets; i++) {
        struct netpart_target *t = &st->targets[i];
        char host[256], why[512];
        int n;

        ip_hostport(t->address, host, sizeof(host), &t->port);
        n = ip_resolve(host, netpart_op_deadline(rep, 5.0), t->addrs, NETPART_MAX_ADDRS, why,
                       sizeof(why));
        if (n <= 0) {
            snprintf(err, errlen, "%.200s: %.300s", t->spec, n < 0 ? why : "no address");
            return -1;
        }
        t->naddrs = n;
    }
    return nft_begin(st->table, err, errlen);
}

/* What the method needs before the first operation. 0 or -1 with err. */
static int netpart_prepare(struct netpart_state *st, struct ip_report *rep, char *err,
                           size_t errlen)
{
    switch (st->method) {
    case NETPART_TOXIPROXY:
        return netpart_proxies(st, rep, err, errlen);
    case NETPART_NFTABLES:
        return netpart_kernel(st, rep, err, errlen);
    case NETPART_ACTIONS:
        break;
    }
    return 0;
}

/* Remove what the method made, whatever happened in the run. */
static void netpart_finish(struct netpart_state *st)
{
    char err[512];

    if (st->method == NETPART_TOXIPROXY)
        netpart_unproxy(st);
    else if (st->method == NETPART_NFTABLES)
        nft_end(st->table, err, sizeof(err));
}

static void netpart_skip_all(struct netpart_state *st, struct ip_report *rep, const char *why)
{
    static const char *const names[] = {"baseline", "detect",      "error",
                                        "recover",  "degradation", NULL};

    for (size_t i = 0; i < st->ntargets; i++)
        ip_check(rep, "baseline", st->targets[i].spec, IP_CRITICAL, 0, "%s", why);
    ip_skip_checks(rep, NULL, names + 1, "%s", why);
}

/* Whether a check of the partitions between this host and its targets is enabled. A probe
 * that drills between members selects checks = ["baseline", "partition"]: its partition /
 * heal actions cut members from each other, not this host from a target. */
static int netpart_partitions_wanted(const struct ip_report *rep)
{
    return ip_check_enabled(rep, "detect") || ip_check_enabled(rep, "error") ||
           ip_check_enabled(rep, "recover") || ip_check_enabled(rep, "degradation");
}

static int netpart_run(void *state, struct ip_report *rep)
{
    struct netpart_state *st = state;
    struct netpart_op *ops = calloc(st->ntargets, sizeof(*ops));
    double *baseline = calloc(st->ntargets, sizeof(*baseline));
    char err[512];

    if (!ops || !baseline) {
        free(ops);
        free(baseline);
        return IP_ENOMEM;
    }
    st->next_op = 0;
    if (netpart_prepare(st, rep, err, sizeof(err)) != 0) {
        netpart_skip_all(st, rep, err);
        goto out;
    }
    netpart_baseline(st, rep, ops, baseline);
    for (int m = 0; netpart_partitions_wanted(rep) && m < NETPART_MODES; m++)
        for (size_t i = 0; st->modes[m] && i < st->ntargets; i++)
            if (baseline[i] >= 0 && ip_report_remaining(rep) > 0)
                netpart_one(st, rep, i, (enum netpart_mode)m, baseline, ops);
    netpart_drill(st, rep);
out:
    netpart_finish(st);
    free(ops);
    free(baseline);
    return 0;
}

/* A run that never returned (its process was killed or crashed) left its proxies or its
 * table: remove them now, as the next run would. */
static void netpart_reclaim(void *state, struct ip_report *rep)
{
    struct netpart_state *st = state;
    char prefix[120], err[512];
    int rc = 0;

    if (st->method == NETPART_TOXIPROXY && st->nproxies) {
        for (size_t i = 0; i < st->nproxies; i++)
            toxiproxy_heal(st->api, st->proxies[i], ip_clock() + 5.0, err, sizeof(err));
    } else if (st->method == NETPART_TOXIPROXY) {
        netpart_prefix(st, prefix, sizeof(prefix));
        rc = toxiproxy_clean(st->api, prefix, ip_clock() + 5.0, err, sizeof(err));
    } else if (st->method == NETPART_NFTABLES) {
        nft_end(st->table, err, sizeof(err)); /* absent already: nothing to do */
    }
    if (rc != 0)
        ip_report_log(rep, IP_LOG_WARNING, "could not remove what the run left: %s", err);
}

static int netpart_metrics(void *state, struct ip_report *rep)
{
    struct netpart_state *st = state;

    ip_metric(rep, IP_COUNTER, "partitions", NULL, "partitions made", NULL, NULL,
              (double)st->partitions);
    return 0;
}

static int netpart_init(void)
{
    return toxiproxy_init();
}

static void netpart_shutdown(void)
{
    toxiproxy_shutdown();
}

IP_EXPORT const struct ip_plugin infraprobe_plugin = {
    IP_PLUGIN_HEADER,
    .name = "netpart",
    .description = "network partitions: detect, classify, degrade, recover",
    .checks = netpart_checks,
    .setup = netpart_setup,
    .run = netpart_run,
    .teardown = netpart_teardown,
    .metrics = netpart_metrics,
    .init = netpart_init,
    .shutdown = netpart_shutdown,
    /* Kernel rules and libnftables' state belong to a process: one per probe. */
    .flags = IP_PLUGIN_OWN_PROCESS,
    .reclaim = netpart_reclaim,
};
