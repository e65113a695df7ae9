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
    char *hint; /* where to look first (ip_check_hint()); NULL: none */
};

struct metric_result {
    char *name; /* full Prometheus name: infraprobe_tcp_connect_seconds */
    char *help;
    enum ip_metric_type type;
    char *target;  /* NULL: none */
    char **labels; /* NULL or NULL-terminated name, value pairs */
    double value;
};

/* One entry of a run's timeline (drill.c, fault.c, a plugin's ip_event()): an operation, the
 * fault, the restore, or the moment a phase ended. Times are seconds since the run's start, so
 * that they mean the same in an isolated child and in its parent. The values are plugin.h's. */
enum timeline_kind {
    TL_OPERATION = IP_EVENT_OPERATION,
    TL_FAULT = IP_EVENT_FAULT,
    TL_RESTORE = IP_EVENT_RESTORE,
    TL_DETECTED = IP_EVENT_DETECTED,
    TL_RECOVERED = IP_EVENT_RECOVERED,
    TL_REJOINED = IP_EVENT_REJOINED,
    TL_LOST = IP_EVENT_LOST, /* an acknowledged operation (id) that the read-back did not find */
};
#define TL_KIND_MAX TL_LOST

struct timeline_event {
    enum timeline_kind kind;
    long long id; /* an operation's; -1 for the others */
    double start, end;
    int ok;
    char *message; /* the action's name, an operation's error; NULL: none */
};

/* A drill's timeline is bounded: a writer looping for the whole budget must not grow a
 * report without end. Events past it are counted, not kept. */
#define TIMELINE_MAX 20000

/* A threshold override from the configuration, for one declared check. */
struct threshold {
    const char *check;
    int has_warn, has_crit;
    double warn, crit;
};

/* The restore a drill owes once it has run a breaking action (stop, kill, pause,
 * partition): the core runs it whatever happens to the run (fault.c). */
struct pending_restore {
    char *action;   /* "start", "heal", ...; NULL: nothing owed */
    char *command;  /* with its placeholders filled */
    double timeout; /* seconds */
    int pgid;       /* the breaking action's process group while it runs, else 0 */
};

/* What an isolated child forwards to its parent as the plugin records it, so that a child
 * killed at its deadline or crashed still leaves what it had recorded (isolate.c). */
struct report_hooks {
    void (*check)(void *ctx, const struct check_result *c);
    void (*restore)(void *ctx, const struct pending_restore *p); /* after each change */
    void (*event)(void *ctx, const struct timeline_event *e);
    void (*hint)(void *ctx, const struct check_result *c); /* after ip_check_hint() */
    void (*phase)(void *ctx, const char *phase);           /* a drill's, as it starts */
    void *ctx;
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
    struct timeline_event *events; /* a drill's timeline, in the order recorded */
    size_t nevents, events_cap;
    long long events_dropped; /* past TIMELINE_MAX */
    pthread_mutex_t lock;     /* a plugin may record from several threads of its run */
    /* Borrowed from the plugin and the configuration for the run. */
    const struct ip_check_decl *decls;
    const char *const *disabled; /* NULL, or per decl: why it is disabled (NULL: enabled) */
    const struct threshold *thresholds;
    size_t nthresholds;
    const struct drill *drill;      /* NULL unless this run is a drill (--drill) */
    const struct drill *faults;     /* the probe's fault actions in any run; NULL: drill's */
    struct pending_restore restore; /* under lock */
    const struct report_hooks *hooks;
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
/* The same for a run whose id is already known (a child's run, which its parent named). */
IP_PRIVATE struct ip_report *report_new_as(const char *probe, const char *plugin, double deadline,
                                           const char *run_id);
IP_PRIVATE void report_free(struct ip_report *r);
/* Tests: the next `n` reports cannot be made, as if memory ran out. */
IP_PRIVATE void report_fail_next(int n);
/* Apply thresholds, compute the probe's status and duration. */
IP_PRIVATE void report_finish(struct ip_report *r);
/* The declared check named `name`, or NULL. */
IP_PRIVATE const struct ip_check_decl *report_decl(const struct ip_report *r, const char *name);
/* Record `skipped`, with the reason, for each disabled check the run did not record. */
IP_PRIVATE void report_skip_disabled(struct ip_report *r);
/* Copy the checks and the timeline `src` has so far into `dst` (src may be in use by its run's
 * threads). */
IP_PRIVATE int report_copy_checks(struct ip_report *dst, struct ip_report *src);
/* Record a check as it is, under any name (a child's checks, relayed by its parent). */
IP_PRIVATE int report_add_check(struct ip_report *r, const char *name, const char *target,
                                enum ip_status status, double seconds, int has_value, double value,
                                const char *message);
/* Attach `hint` to the last check `name` with `target` recorded (a child's hint, relayed by its
 * parent): 0, IP_EINVAL when there is no such check, IP_ENOMEM. */
IP_PRIVATE int report_set_hint(struct ip_report *r, const char *name, const char *target,
                               const char *hint);
/* Append a metric as it is, with its full name (relayed from a child). */
IP_PRIVATE int report_add_metric(struct ip_report *r, const struct metric_result *m);
/* Append a timeline event (copied); IP_ENOMEM, or 0 also when it was dropped past
 * TIMELINE_MAX. Thread-safe. */
IP_PRIVATE int report_add_event(struct ip_report *r, const struct timeline_event *e);
/* Append an event whose times t0, t1 are ip_clock() seconds: what ip_event(), the drill
 * framework and the fault actions record through. 0, IP_EINVAL (a kind or time out of range),
 * IP_ENOMEM. Thread-safe. */
IP_PRIVATE int report_event(struct ip_report *r, enum timeline_kind kind, long long id, double t0,
                            double t1, int ok, const char *message);
/* "operation", "fault", "restore", "detected", "recovered", "rejoined". */
IP_PRIVATE const char *report_event_name(enum timeline_kind kind);
/* Record the core's own check "run" (a timeout, a failed plugin), which no plugin declares. */
IP_PRIVATE int report_run_check(struct ip_report *r, enum ip_status status, const char *fmt, ...)
    IP_PRINTF(3, 4);

/* A drill's phases as they pass ("inject", "detect", "recover", "verify", "restore", "rejoin"),
 * for the core's progress line: the framework (drill.c) tells report_phase(), which goes through
 * the report's hooks (an isolated child forwards it to its parent, whose report has none) or,
 * without hooks, to the watcher report_watch_phases() set (NULL: none), on the run's thread.
 * The watcher is process-wide: set it before the runs start, clear it after they end. */
typedef void (*report_phase_fn)(void *ctx, const char *probe, const char *phase);
IP_PRIVATE void report_watch_phases(report_phase_fn fn, void *ctx);
IP_PRIVATE void report_phase(struct ip_report *r, const char *phase);

/* Run the restore the drill of `r` still owes, if any: first kill the breaking action if it is
 * still running, then run the restore with its own timeout, and record the core's check
 * "restore" saying why (`why`: "the run timed out", "SIGINT", ...) and how long it took.
 * Returns 1 when it ran one, 0 when nothing was owed. Thread-safe. */
IP_PRIVATE int fault_restore(struct ip_report *r, const char *why);
/* Replace the restore that `r` owes (NULL action: none), as a child reported it. */
IP_PRIVATE void fault_owe(struct ip_report *r, const struct pending_restore *p);

#endif
