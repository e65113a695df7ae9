/*
 * One probe run's results as plain data (checks, metrics, status), and a whole run's set of
 * them. Plain so that a report can be serialized: a probe may run in a child process.
 */
#ifndef IP_CORE_REPORT_H
#define IP_CORE_REPORT_H

#include <pthread.h>
#include <stddef.h>

#include <infraprobe/plugin.h>

#include "private.h"

struct check_result {
    char *name;
    char *target; /* NULL: none */
    enum ip_status status;
    double duration; /* seconds */
    int has_value;
    double value;
    char *message;
    /* The thresholds that applied, for perfdata. A threshold may be 0 ("any lost write is
     * a warning"), so whether one applied is a flag of its own. */
    enum ip_check_kind kind;
    int has_warn, has_crit;
    double warn;
    double crit;
    char *unit; /* of value; NULL: none */
};

struct metric_result {
    char *name; /* full Prometheus name: infraprobe_tcp_connect_seconds */
    char *help;
    enum ip_metric_type type;
    char *target;  /* NULL: none */
    char **labels; /* NULL or NULL-terminated name, value pairs */
    double value;
};

/* A threshold override from the configuration, for one declared check. */
struct threshold {
    const char *check;
    int has_warn, has_crit;
    double warn, crit;
};

struct ip_report {
    char *probe;  /* probe name */
    char *plugin; /* plugin name */
    char *run_id;
    double started;  /* ip_clock() */
    double wall;     /* when it started, seconds since the epoch (0: unknown) */
    double deadline; /* ip_clock() */
    double duration; /* seconds, set by report_finish() */
    enum ip_status status;
    struct check_result *checks;
    size_t nchecks, checks_cap;
    struct metric_result *metrics;
    size_t nmetrics, metrics_cap;
    pthread_mutex_t lock; /* a plugin may record from several threads of its run */
    /* Borrowed from the plugin and the configuration for the run. */
    const struct ip_check_decl *decls;
    const struct threshold *thresholds;
    size_t nthresholds;
    const struct drill *drill; /* NULL unless this run is a drill (--drill) */
};

/* A probe's failover block: its fault actions and the drill's limits. */
struct fault_action {
    const char *name;    /* "stop", "start", ... */
    const char *command; /* with %{placeholders} */
};

struct drill {
    double timeout;        /* the whole drill's budget, seconds */
    double action_timeout; /* one fault action's, seconds */
    const struct fault_action *actions;
    size_t nactions;
};

/* The results of one --once run, or of one probe run in daemon mode. */
struct run_result {
    enum ip_status status;
    double duration;
    struct ip_report **probes;
    size_t nprobes;
};

/* A report for one run of probe `probe` of plugin `plugin`, due by `deadline`. */
IP_PRIVATE struct ip_report *report_new(const char *probe, const char *plugin, double deadline);
IP_PRIVATE void report_free(struct ip_report *r);
/* Apply thresholds, compute the probe's status and duration. */
IP_PRIVATE void report_finish(struct ip_report *r);
/* The declared check named `name`, or NULL. */
IP_PRIVATE const struct ip_check_decl *report_decl(const struct ip_report *r, const char *name);
/* Copy the checks `src` has so far into `dst` (src may be in use by its run's threads). */
IP_PRIVATE int report_copy_checks(struct ip_report *dst, struct ip_report *src);
/* Record the core's own check "run" (a timeout, a failed plugin), which no plugin declares. */
IP_PRIVATE int report_run_check(struct ip_report *r, enum ip_status status, const char *fmt, ...)
    IP_PRINTF(3, 4);

#endif
