/*
 * infraprobe plugin SDK: the one contract between the infraprobe core and its plugins.
 *
 * A plugin is a libtool module that exports exactly one symbol, `infraprobe_plugin`, a
 * `const struct ip_plugin` that opens with IP_PLUGIN_HEADER (its ABI and sizes). It reads its
 * settings through the ip_probe_* getters, records checks and metrics into an ip_report, and may
 * use the generic connection pool (ip_pool_*). Everything here is opaque: the plugin owns
 * nothing that the core frees, and the core owns nothing that the plugin frees.
 *
 * Build a plugin out of tree with `pkg-config --cflags --libs infraprobe`.
 */
#ifndef INFRAPROBE_PLUGIN_H
#define INFRAPROBE_PLUGIN_H

#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/time.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * How the contract grows. A field appended to struct ip_plugin, struct ip_check_decl,
 * struct ip_pool_ops, ip_pool_config or ip_pool_stats does not change IP_PLUGIN_ABI: each
 * crosses the boundary with its size (the plugin's `size` and `check_size`; the pool's
 * functions take the sizes the plugin was compiled with, through the macros below), and the
 * side that knows more fields reads those the other lacks as zero. So a new field must mean
 * "as before" when it is zero. Changing or removing a field, or a signature, bumps
 * IP_PLUGIN_ABI; adding a function bumps only libtool's -version-info.
 *
 * The loader accepts ABI 1 (the layout before `size`: no hooks, no flags, drills recognised
 * by the names "failover" and "exhaustion") and ABI 2 of any size up to its own; it refuses
 * a newer ABI or a larger size, naming the file and both versions.
 */
#define IP_PLUGIN_ABI     2
#define IP_PLUGIN_ABI_MIN 1 /* the oldest ABI this header's core still loads */

#if defined(__GNUC__)
#define IP_EXPORT       __attribute__((visibility("default")))
#define IP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define IP_EXPORT
#define IP_PRINTF(f, a)
#endif

/* ---- errors --------------------------------------------------------------------------- */

/* SDK calls return 0 or one of these negative codes, and so does a plugin's run(). The list
 * is append-only and its values never change: plugins built against an older header compare
 * the SDK's returns with the values they were compiled with. So -1 stays IP_ENOMEM: a plugin
 * that failed for a reason of its own returns IP_EPLUGIN (and says why in a check), never a
 * bare -1. */
#define IP_ERRNO_MAP(X)                                                                            \
    X(ENOMEM, -1, "out of memory")                                                                 \
    X(EINVAL, -2, "invalid argument")                                                              \
    X(ECONFIG, -3, "invalid configuration")                                                        \
    X(ETIMEDOUT, -4, "deadline exceeded")                                                          \
    X(ECLOSED, -5, "pool is closed")                                                               \
    X(EOPEN, -6, "could not open a connection")                                                    \
    X(EACTION, -7, "fault action failed")                                                          \
    X(ERESOLVE, -8, "name not resolved")                                                           \
    X(EPLUGIN, -9, "the plugin failed")                                                            \
    X(ECONNREFUSED, -10, "connection refused")                                                     \
    X(ECONNRESET, -11, "connection reset or closed by the peer")                                   \
    X(ETLS, -12, "TLS failure")                                                                    \
    X(EUNREACH, -13, "network or host unreachable")                                                \
    X(EAUTH, -14, "authentication failed")                                                         \
    X(ESERVER, -15, "the server answered with an error")                                           \
    X(ENOTSUP, -16, "not supported")

enum {
#define IP_ERRNO_ENUM(name, value, text) IP_##name = value,
    IP_ERRNO_MAP(IP_ERRNO_ENUM)
#undef IP_ERRNO_ENUM
};

/* A static description of an IP_E* code ("unknown error" for anything else). */
IP_EXPORT const char *ip_strerror(int err);
/* The code's name without its prefix ("ETIMEDOUT", "ECONNREFUSED"); "EUNKNOWN" for anything
 * else. For messages and labels that classify a failure. */
IP_EXPORT const char *ip_errname(int err);
/* The IP_E* class of a system errno from a socket call: ECONNREFUSED, ECONNRESET (also EPIPE,
 * ECONNABORTED), ETIMEDOUT, EUNREACH (ENETUNREACH, EHOSTUNREACH, ENETDOWN, EHOSTDOWN), ENOMEM;
 * IP_EOPEN for the rest (0 for 0). Thread-safe. */
IP_EXPORT int ip_errno_code(int errnum);

/* ---- statuses ------------------------------------------------------------------------- */

/* The values of ok..unknown are the Nagios exit codes. */
enum ip_status {
    IP_OK = 0,
    IP_WARNING = 1,
    IP_CRITICAL = 2,
    IP_UNKNOWN = 3,
    IP_SKIPPED = 4,
};

/* "ok", "warning", ... */
IP_EXPORT const char *ip_status_name(enum ip_status s);
/* The worse of two statuses: critical > unknown > warning > ok = skipped. Never compare
 * statuses with `>`: unknown is worse than warning although its code is higher, and
 * skipped (4) is as good as ok. */
IP_EXPORT enum ip_status ip_status_worst(enum ip_status a, enum ip_status b);

/* Monotonic seconds: every deadline in this SDK is a point on this clock. */
IP_EXPORT double ip_clock(void);

/* ---- the plugin ----------------------------------------------------------------------- */

struct ip_probe;  /* opaque: one configured probe (its settings, its name) */
struct ip_report; /* opaque: one run's checks and metrics, with its deadline */

/* What a check's thresholds measure. */
enum ip_check_kind {
    IP_LATENCY = 0,   /* the recorded duration; config keys warn_ms, crit_ms */
    IP_VALUE_MAX = 1, /* a recorded value, higher is worse; keys warn_max, crit_max */
    IP_VALUE_MIN = 2, /* a recorded value, lower is worse; keys warn_min, crit_min */
};

/* What a check is, in ip_check_decl.flags. IP_CHECK_DRILL: a drill's result (recorded under
 * --drill), so the plugin has a drill and its probes may have a `failover` block.
 * IP_CHECK_WRITES: the check writes to the backend; `read_only = true` skips it.
 * IP_CHECK_LOADS: the check loads the backend (tens of connections or operations, a long
 * query): the daemon runs it only every `load_checks_every`-th run of its probe (default 10),
 * --once and --drill always. A check may carry both. */
#define IP_CHECK_DRILL  0x1u
#define IP_CHECK_WRITES 0x2u
#define IP_CHECK_LOADS  0x4u

/* One check a plugin records. Thresholds are defaults that the probe's `thresholds`
 * setting overrides; 0 means "none" (latency in milliseconds, values in `unit`). The table
 * is an array of these with the plugin's sizeof(struct ip_check_decl) as its stride
 * (ip_plugin.check_size), so that fields can be appended. */
struct ip_check_decl {
    const char *name;
    const char *help;
    enum ip_check_kind kind;
    double warn;
    double crit;
    const char *unit; /* of the value, for IP_VALUE_*: e.g. "msg/s", "bytes"; NULL: none */
    unsigned flags;   /* IP_CHECK_*; ABI 2 (read as 0 from ABI 1) */
};

/* What a plugin needs of the core, in ip_plugin.flags. IP_PLUGIN_OWN_PROCESS: each probe runs
 * in a child of its own, whatever the configuration's `isolation` says (for a plugin that
 * changes process-wide state: namespaces, signal handlers, rlimits). */
#define IP_PLUGIN_OWN_PROCESS 0x1u

/*
 * The vtable. Rules of the contract:
 * - The core never calls two functions of one probe at the same time. Different probes of
 *   one plugin run concurrently on different threads, so a plugin keeps all its state in
 *   `state` and has no mutable globals.
 * - setup() reads and validates the probe's settings through the ip_probe_* getters and
 *   does no network I/O: `infraprobe -t` calls it. It returns 0, or IP_ECONFIG once the
 *   getters have reported the mistakes (ip_probe_err()). On failure it frees what it made.
 * - run() performs one run: it records its checks and metrics into `report` and passes the
 *   report's deadline (ip_report_deadline()) to every blocking call. A sick backend is a
 *   check status, not an error: run() returns non-zero only when the plugin itself failed;
 *   the probe is then `unknown`.
 * - A run that overruns its deadline is abandoned, not killed: the core reports the probe
 *   `unknown: timed out after N s`, never starts that probe again until the run returns,
 *   and never calls teardown() or unloads the module while it may still run.
 * - Every run has an id, unique across hosts and restarts (ip_report_run_id()). A plugin
 *   tags what it writes with it so that it finds and removes exactly its own data.
 * - teardown() frees everything setup() and run() made. It is not called after a setup()
 *   that failed (which frees what it made), but it is after a setup() that returned 0 while
 *   a getter had reported a mistake.
 * - metrics() (optional) records cumulative metrics since setup: counters, last values.
 * - init() (optional) is called once per process, before the first setup() of any probe of
 *   the plugin, on the main thread: the place for a client library's global initialisation
 *   (curl_global_init(), mysql_library_init()). Non-zero makes every probe of the plugin a
 *   configuration error. shutdown() (optional) is called once, after the last teardown(),
 *   only when init() succeeded (or there is no init()). An isolated probe's child is a
 *   process of its own: init() and shutdown() run there too, once.
 * - run() returns 0 or an IP_E* code; anything else is reported as the plugin's bug
 *   ("returned 7 (not an IP_E* code)"). Every check it records carries a name from
 *   `checks`: an undeclared name is recorded by the core as `unknown: plugin bug: undeclared
 *   check "x"`, so the mistake shows instead of the check going missing.
 * - A check marked IP_CHECK_WRITES under `read_only = true`, one marked IP_CHECK_LOADS in a
 *   daemon run between two of every `load_checks_every`, or one deselected by the probe's
 *   `checks` / `skip` setting, is disabled: run() asks ip_check_enabled() before doing a check's
 * work, and the core records `skipped` (saying why) for a disabled check the plugin did not record
 * itself.
 * - Threads: run() may start helper threads; they may call ip_check(), ip_check_value(),
 *   ip_check_hint(), ip_metric(), ip_event(), ip_report_log(), ip_report_*() getters,
 *   ip_check_enabled(), ip_fault(), ip_resolve(), ip_operate(), ip_deadline_ms(), ip_clock()
 *   and the ip_pool_* functions, and must all have ended (joined) before run() returns: the
 *   report is freed after it. The ip_probe_* getters are for setup() only.
 */
struct ip_plugin {
    unsigned abi;  /* IP_PLUGIN_ABI, always first */
    unsigned size; /* sizeof(struct ip_plugin) as the plugin saw it; ABI 2 */
    const char *name;
    const char *description;
    const struct ip_check_decl *checks; /* ends with an entry whose name is NULL */
    int (*setup)(struct ip_probe *probe, void **state);
    int (*run)(void *state, struct ip_report *report);
    void (*teardown)(void *state);
    int (*metrics)(void *state, struct ip_report *report);
    /* ABI 2: every field below reads as 0 (NULL) from a plugin that lacks it. */
    size_t check_size;      /* sizeof(struct ip_check_decl): the stride of `checks` */
    unsigned flags;         /* IP_PLUGIN_* */
    int (*init)(void);      /* once per process, before the first setup(); 0: ok */
    void (*shutdown)(void); /* once per process, after the last teardown() */
    /* Optional: one cheap operation of this backend against `address` by `deadline`, on a
     * connection of its own that it closes (a TCP connect, a Redis PING, a MySQL SELECT 1),
     * for other plugins through ip_operate(). `options` is NULL or NULL-terminated name, value
     * pairs (user, password, database, ...; an option may pick another operation, as etcd's
     * `op`). Returns 0, or the IP_E* code that classifies the failure (ETIMEDOUT, ECONNREFUSED,
     * ECONNRESET, ERESOLVE, ETLS, EAUTH, ...) with a one-line reason in err; IP_EINVAL for an
     * option it does not know. On success err holds the operation's answer, if it has one, as
     * space-separated NAME=VALUE words ("" when none). Thread-safe, no state kept. */
    int (*operate)(const char *address, const char *const *options, double deadline, char *err,
                   size_t errlen);
    /* Optional: put right what a run of this probe that never returned left outside the
     * process (a proxy, a firewall table: what a run removes at its end), from the settings
     * alone. The core calls it in the process that set the probe up, after a run whose process
     * crashed, exited, or was killed at its deadline or by an interrupt; never while a run of
     * the probe may still go on (an abandoned thread). `report` is the dead run's, for its id
     * and ip_report_log(); record no check in it. Blocking calls take a few seconds at most. */
    void (*reclaim)(void *state, struct ip_report *report);
};

/* The fields every plugin opens its ip_plugin with:
 *   IP_EXPORT const struct ip_plugin infraprobe_plugin = {IP_PLUGIN_HEADER, .name = ...}; */
#define IP_PLUGIN_HEADER                                                                           \
    .abi = IP_PLUGIN_ABI, .size = sizeof(struct ip_plugin),                                        \
    .check_size = sizeof(struct ip_check_decl)

/* ---- settings (setup time) ------------------------------------------------------------ */

/*
 * Typed getters for the probe's settings. Each one marks its key as read: a key that no
 * getter read is a configuration error with its FILE:LINE. A getter that finds a bad value
 * prints `FILE:LINE: probe "NAME": KEY ...` on stderr, counts an error (ip_probe_err())
 * and returns the default, so that setup() reports every mistake in one pass.
 *
 * Strings are expanded: `${VAR}` (an error when VAR is unset) and `${VAR:-default}`;
 * defaults are expanded too. A numeric getter also takes a string, which it parses after
 * expansion; a double or duration getter also takes an int; a list getter also takes one
 * comma-separated string. Returned strings are borrowed from the probe until teardown.
 * Call them from setup() only (they are not thread-safe).
 */
IP_EXPORT const char *ip_probe_name(const struct ip_probe *probe);
IP_EXPORT const char *ip_probe_string(struct ip_probe *probe, const char *key, const char *def);
IP_EXPORT long long ip_probe_int(struct ip_probe *probe, const char *key, long long def,
                                 long long min, long long max);
IP_EXPORT double ip_probe_double(struct ip_probe *probe, const char *key, double def, double min,
                                 double max);
/* Seconds: 0, or 0.001 to 31536000 (a year); anything else (negative, NaN, infinite, between
 * 0 and a millisecond) is an error at FILE:LINE and gives def. */
IP_EXPORT double ip_probe_duration(struct ip_probe *probe, const char *key, double def);
IP_EXPORT int ip_probe_bool(struct ip_probe *probe, const char *key, int def);
/* A list of strings (or one comma-separated string); NULL-terminated, *n set when n is
 * not NULL. An absent key gives an empty list, never NULL. */
IP_EXPORT const char *const *ip_probe_strings(struct ip_probe *probe, const char *key, size_t *n);
/* A secret: the value of `key`, or the first line of the file named by `key`_file. Both
 * set is an error. NULL when neither is set. Never printed by the SDK. */
IP_EXPORT const char *ip_probe_secret(struct ip_probe *probe, const char *key);
/* A group such as `pool = { max_open = 10; }`: a view whose getters read inside it (an
 * absent group gives a view whose getters return their defaults). Owned by the probe. */
IP_EXPORT struct ip_probe *ip_probe_group(struct ip_probe *probe, const char *key);
/* Does the key exist (marks nothing as read)? */
IP_EXPORT int ip_probe_has(struct ip_probe *probe, const char *key);
/* A plugin's own validation error about `key` (may be NULL), printed with FILE:LINE. */
IP_EXPORT void ip_probe_fail(struct ip_probe *probe, const char *key, const char *fmt, ...)
    IP_PRINTF(3, 4);
/* The number of errors reported so far for this probe (a group shares its probe's). */
IP_EXPORT int ip_probe_err(const struct ip_probe *probe);
/* The probe's run timeout in seconds. */
IP_EXPORT double ip_probe_timeout(const struct ip_probe *probe);

/* Split "host:port" or "[v6addr]:port" into host (without brackets) and port 1..65535. Returns 0,
 * or IP_EINVAL for anything else (an empty host, a missing or bad port, a host longer than hostlen
 * - 1). Thread-safe. */
IP_EXPORT int ip_hostport(const char *s, char *host, size_t hostlen, int *port);

/* The room a numeric IPv4 or IPv6 address takes as a string, with its NUL. */
#define IP_ADDRSTRLEN 46

/*
 * Resolve `host` (a name, or a numeric address, which never waits) by `deadline`: up to `max`
 * distinct numeric addresses, in getaddrinfo()'s order, into addrs[0..]. Hand them to a client
 * library in turn, so that it never resolves on its own without a deadline. Returns how many
 * (>= 1), or IP_ETIMEDOUT, IP_ERESOLVE, IP_EINVAL or IP_ENOMEM with the reason in err (which
 * names the host). A lookup still running at the deadline is left to finish in the
 * background; the call returns on time. Thread-safe.
 */
IP_EXPORT int ip_resolve(const char *host, double deadline, char (*addrs)[IP_ADDRSTRLEN], int max,
                         char *err, size_t errlen);

/* ---- logging -------------------------------------------------------------------------- */

enum ip_log_level { IP_LOG_ERROR = 0, IP_LOG_WARNING = 1, IP_LOG_INFO = 2, IP_LOG_DEBUG = 3 };

/* A line on stderr prefixed with the probe's name, at setup time; thread-safe. Errors and
 * warnings always show, info with -v, debug with -vv. */
IP_EXPORT void ip_log(const struct ip_probe *probe, enum ip_log_level level, const char *fmt, ...)
    IP_PRINTF(3, 4);
/* The same at run time, from run() or its helper threads: `PROBE: LEVEL: message` on
 * stderr, at the levels -v / -vv select, also from an isolated probe's child (whose stderr
 * is infraprobe's). A line is for the operator; the report's checks are for the outputs. */
IP_EXPORT void ip_report_log(const struct ip_report *report, enum ip_log_level level,
                             const char *fmt, ...) IP_PRINTF(3, 4);

/* ---- recording (run time) ------------------------------------------------------------- */

/* The run's deadline (ip_clock() seconds) and what is left of it (>= 0). */
IP_EXPORT double ip_report_deadline(const struct ip_report *report);
IP_EXPORT double ip_report_remaining(const struct ip_report *report);
/* The run's id: unique across hosts and restarts; borrowed for the run. */
IP_EXPORT const char *ip_report_run_id(const struct ip_report *report);

/*
 * Record a check: a name the plugin declared, an optional target (e.g. "127.0.0.1:6379",
 * one check per target), a status, the duration it measured in seconds, and a one-line
 * message. The core applies the latency thresholds to `seconds`. Returns 0, IP_EINVAL for
 * a name the plugin did not declare (which the core records as `unknown: plugin bug:
 * undeclared check "x"`), or IP_ENOMEM. Thread-safe.
 */
IP_EXPORT int ip_check(struct ip_report *report, const char *name, const char *target,
                       enum ip_status status, double seconds, const char *fmt, ...) IP_PRINTF(6, 7);
/* The same for an IP_VALUE_* check: the core applies the thresholds to `value`. */
IP_EXPORT int ip_check_value(struct ip_report *report, const char *name, const char *target,
                             enum ip_status status, double seconds, double value, const char *fmt,
                             ...) IP_PRINTF(7, 8);

/*
 * Attach a hint to the check `name` (with `target`, NULL: none) that this run recorded last: one
 * line that tells the operator where to look first ("maxmemory 1mb is reached and the eviction
 * policy is noeviction: raise maxmemory or choose an eviction policy"). Chosen from what the
 * plugin saw, never a fixed text per check: a check without a clue has no hint. It travels with
 * the check (text, JSON "hint", Nagios long output, the status page), also out of an isolated
 * probe's child. A hint on a check that ends ok or skipped is dropped, so a plugin may give one
 * to a check that only a threshold can fail (a slow query). A second call replaces the first.
 * Returns 0, IP_EINVAL when the run has not recorded that check (nothing to attach to), or
 * IP_ENOMEM. Thread-safe. Added in libtool interface 3 (no ABI change: a plugin that calls it needs
 * libinfraprobe.so.1.3 or later).
 */
IP_EXPORT int ip_check_hint(struct ip_report *report, const char *name, const char *target,
                            const char *fmt, ...) IP_PRINTF(4, 5);

/*
 * Should run() do the work of check `name`? 0 when the probe disables it: a check marked
 * IP_CHECK_WRITES under `read_only = true`, or a name left out by `checks = [...]` or listed
 * in `skip = [...]`; then the core records it `skipped` with the reason, unless the plugin
 * recorded it itself. 1 otherwise, and for a name the plugin did not declare. Thread-safe.
 */
IP_EXPORT int ip_check_enabled(const struct ip_report *report, const char *name);

enum ip_metric_type { IP_GAUGE = 0, IP_COUNTER = 1 };

/*
 * Record a metric. `name` is unprefixed ("connected_clients"); the core names it
 * infraprobe_<plugin>_<name>[_<unit>][_total] and adds the labels `probe`, and `target`
 * where it is not NULL. `unit` is a base unit ("seconds", "bytes", "ratio") or NULL.
 * `labels` is NULL or a NULL-terminated list of name, value pairs. Returns 0, IP_EINVAL
 * for a malformed name, or IP_ENOMEM.
 */
IP_EXPORT int ip_metric(struct ip_report *report, enum ip_metric_type type, const char *name,
                        const char *unit, const char *help, const char *target,
                        const char *const *labels, double value);

/* What an entry of the run's timeline is. Append-only; the values never change. */
enum ip_event_kind {
    IP_EVENT_OPERATION = 0, /* one operation against the service, ok or failed */
    IP_EVENT_FAULT = 1,     /* the fault was made (a partition, a stop) */
    IP_EVENT_RESTORE = 2,   /* the fault was put back (a heal, a start) */
    IP_EVENT_DETECTED = 3,  /* the fault was noticed */
    IP_EVENT_RECOVERED = 4, /* an operation succeeded again */
    IP_EVENT_REJOINED = 5,  /* the system is whole again */
    IP_EVENT_LOST = 6,      /* an acknowledged operation (id) that a read-back did not find */
};

/*
 * Record an entry of the run's timeline, the one ip_drill_execute() and ip_fault() fill, for a
 * plugin that makes faults outside a drill (netpart's partitions in a regular run): `start` and
 * `end` are ip_clock() seconds (a moment: both the same), `id` an operation's (-1: none), `ok`
 * its outcome, `message` one line (NULL: none): a failed operation's error, the fault's or the
 * restore's name ("blackhole redis://127.0.0.1:6379"). Entries keep the order they are
 * recorded in; several faults, each with its restore, make several episodes of one timeline,
 * which the outputs draw apart. JSON carries the timeline whole, the text report summarises
 * it, --format html and the status page draw it. An isolated probe's child forwards each entry
 * as it is recorded, so a child that dies leaves what it recorded. ip_fault() records its
 * action's fault and restore itself: do not record them again. Past 20000 entries a run's are
 * counted, not kept (0 all the same). Returns 0, IP_EINVAL for an unknown kind or a time that
 * is not finite, or IP_ENOMEM. Thread-safe. Added in libtool interface 4 (no ABI change: a
 * plugin that calls it needs libinfraprobe.so.1.4 or later).
 */
IP_EXPORT int ip_event(struct ip_report *report, enum ip_event_kind kind, long long id,
                       double start, double end, int ok, const char *message);

/* ---- drills (run time) ---------------------------------------------------------------- */

/*
 * A drill breaks the backend on purpose (stops a leader, a master, a broker) and measures
 * how fast it detects and recovers, and what was lost. It runs only under `--drill`, in
 * the same run, after the probe's regular checks, and records its own check ("failover",
 * or "exhaustion"). The probe's `failover = { stop = "..."; start = "..."; timeout = 30.0; }`
 * setting holds the fault actions, shell commands the core runs for the plugin.
 *
 * ip_drill() says whether this run is a drill run; if so, *deadline is the drill's own
 * deadline (failover.timeout, default 30 s, from this call), which the core has added to
 * the run's. A plugin calls it once, after its regular checks.
 */
IP_EXPORT int ip_drill(struct ip_report *report, double *deadline);

/*
 * Run the fault action `action` ("stop", "start", ...) of the probe's failover block with
 * /bin/sh, in its own process group, killed with it after failover.action_timeout (default
 * 10 s): a restore action must run even when the drill's deadline has passed. Its output
 * (stdout and stderr) never reaches infraprobe's own. In the command,
 * %{probe} is the probe's name and %{NAME} the value paired with NAME in `vars` (a
 * NULL-terminated list of name, value pairs, e.g. "master", "127.0.0.1:6379"); each value
 * is shell-quoted, so a server-supplied name cannot inject a command. %% is a literal %.
 * Returns 0 when the command exited 0; IP_EINVAL when the action is not configured or names
 * a placeholder not in vars (err says which); IP_EACTION when it failed or timed out, with
 * its exit status and the last line of its stderr in err. Thread-safe. It works in a regular
 * run too (netpart's partition / heal), with the same restore guarantee.
 */
IP_EXPORT int ip_fault(struct ip_report *report, const char *action, const char *const *vars,
                       char *err, size_t errlen);
/* Is fault action `action` configured? */
IP_EXPORT int ip_fault_has(const struct ip_report *report, const char *action);

/* ---- the drill framework (run time) -------------------------------------------------- */

/*
 * The skeleton every drill shares, written once: write what must survive, inject the fault,
 * watch for detection and recovery with a writer, read back what was acknowledged, restore,
 * wait for the system to be whole again, and record the drill's check and standard metrics.
 * A plugin fills a struct ip_drill_ops with callbacks and calls ip_drill_execute(); every
 * callback gets `ctx` and the drill `d`, a deadline (never past the drill's), and an err
 * buffer for a one-line reason when it returns non-zero.
 *
 *   1. before: `before` operations (say, marker writes a replica acknowledged); one that
 *      fails ends the drill `critical` with no fault injected;
 *   2. inject: ops->inject, or the fault action "stop" with ops->vars; one that fails ends
 *      the drill `unknown` (the restore still runs);
 *   3. watch, until the drill's deadline: each round asks ops->detected (when set) until it
 *      says yes, then runs one operation; the first that succeeds once the fault is detected
 *      is the recovery (without ops->detected, the first that succeeds);
 *   4. verify: ops->verify reads back every acknowledged operation (ip_drill_acked()) and
 *      says which it found with ip_drill_seen(); the framework counts the lost (acknowledged,
 *      never seen) and the duplicated (seen more than once);
 *   5. restore: ops->restore, or the fault action "start" (when the inject was an action,
 *      the core also owes it: it runs whatever happens to the run);
 *   6. rejoin: ops->rejoined (when set) until it says yes: the system is whole again;
 *   7. ops->cleanup (when set), always, once the first operation was attempted.
 *
 * Every operation (its id, start, end, outcome), the fault and the restore go into the
 * report's timeline, which JSON carries whole and the text report summarises. The check
 * `ops->check` carries the recovery time in seconds as its value, so declare it IP_VALUE_MAX
 * with thresholds in seconds (a drill that did not recover is critical). The metrics, named
 * after the plugin (<plugin>_drill_...), with ops->target as their target:
 * drill_detect_seconds, drill_recover_seconds (from the start of the fault),
 * drill_unavailable_seconds (the longest time with no successful operation, from the fault
 * until the recovery), drill_lost_operations, drill_duplicated_operations, and
 * drill_rejoin_seconds (from the start of the restore).
 */
struct ip_drill; /* opaque: one drill in progress */

struct ip_drill_ops {
    const char *check;       /* the drill's declared check: "failover", "exhaustion" */
    const char *target;      /* the check's and the metrics' target; NULL: none */
    const char *const *vars; /* placeholders of the fault actions (see ip_fault()); NULL: none */
    int before;              /* operations before the fault; each must be acknowledged */
    double interval;         /* seconds between rounds while watching; 0: 0.05 */
    double op_timeout;       /* one operation's (or question's) limit, seconds; 0: 1 */
    /* One operation against the service (a write, tagged with `id`, unique in the drill):
     * 0 when the service acknowledged it, which the framework records in the ledger. */
    int (*operate)(void *ctx, struct ip_drill *d, long long id, double deadline, char *err,
                   size_t errlen);
    /* Optional. Break the service (NULL: the fault action "stop"; the timeline names no action
     * for the plugin's own). 0 or non-zero. */
    int (*inject)(void *ctx, struct ip_drill *d, char *err, size_t errlen);
    /* Optional. Has the system noticed the fault (a new leader named)? 1 yes, 0 not yet, with
     * what it says now in err. */
    int (*detected)(void *ctx, struct ip_drill *d, double deadline, char *err, size_t errlen);
    /* Optional. Read back the acknowledged operations: ip_drill_seen() for each copy found.
     * 0, or non-zero when it could not read (then nothing is counted as lost). */
    int (*verify)(void *ctx, struct ip_drill *d, double deadline, char *err, size_t errlen);
    /* Optional. Put the service back (NULL: the fault action "start"). 0 or non-zero. */
    int (*restore)(void *ctx, struct ip_drill *d, char *err, size_t errlen);
    /* Optional. Is the system whole again (the old member back, replicating)? 1 yes, 0 not
     * yet, with what it is now in err. */
    int (*rejoined)(void *ctx, struct ip_drill *d, double deadline, char *err, size_t errlen);
    /* Optional. Remove what the operations wrote; best effort. */
    void (*cleanup)(void *ctx, struct ip_drill *d, double deadline);
};

/*
 * Run the drill of `ops` when this run is a drill run (ip_drill()), else do nothing. It
 * records the check ops->check (its message says what happened, and ends with
 * ip_drill_note()'s words), the standard metrics and the timeline, and fills `out` (may be
 * NULL) for a plugin that also records figures of its own. Returns 1 when it ran a drill, 0
 * when this is no drill run, IP_EINVAL for ops without check or operate, IP_ENOMEM.
 */
struct ip_drill_result {
    double detect, recover, unavailable, rejoin; /* seconds; -1: not that far */
    long long acknowledged, lost, duplicated;    /* lost, duplicated: -1 when not verified */
};
IP_EXPORT int ip_drill_execute(struct ip_report *report, const struct ip_drill_ops *ops, void *ctx,
                               struct ip_drill_result *out);

/* For the callbacks: the run's report, and the drill's deadline. */
IP_EXPORT struct ip_report *ip_drill_report(const struct ip_drill *d);
IP_EXPORT double ip_drill_deadline(const struct ip_drill *d);
/* Record an acknowledged operation by hand (one made outside operate(), e.g. by a helper
 * thread): `id` acknowledged now. 0 or IP_ENOMEM. Thread-safe. */
IP_EXPORT int ip_drill_ack(struct ip_drill *d, long long id);
/* The acknowledged ids, in the order acknowledged: *n of them; for verify(), borrowed until
 * it returns. */
IP_EXPORT const long long *ip_drill_acked(const struct ip_drill *d, size_t *n);
/* verify() saw one copy of `id`. Thread-safe. */
IP_EXPORT void ip_drill_seen(struct ip_drill *d, long long id);
/* What the drill found wrong beyond what the framework measures (more connections than
 * allowed, an order broken): the check gets `status` and this message, unless the framework
 * found worse (not detected, not recovered, lost, no restore). The worst call wins. */
IP_EXPORT void ip_drill_fail(struct ip_drill *d, enum ip_status status, const char *fmt, ...)
    IP_PRINTF(3, 4);
/* ip_drill_fail() and ip_drill_note() are for the callbacks, on the drill's own thread. */
/* A few words the drill's check message ends with ("Sentinel named 127.0.0.1:6380"); each
 * call replaces the last. */
IP_EXPORT void ip_drill_note(struct ip_drill *d, const char *fmt, ...) IP_PRINTF(2, 3);

/* ---- connection pool ------------------------------------------------------------------ */

struct ip_pool; /* opaque; thread-safe */

/* How the pool opens, checks and closes a connection. open() and ping() get the
 * caller's deadline; open() writes a one-line reason into err on failure (the server's
 * own words where it has them) and returns non-zero. ping() may be NULL. */
struct ip_pool_ops {
    int (*open)(void *ctx, double deadline, void **conn, char *err, size_t errlen);
    void (*close)(void *ctx, void *conn);
    int (*ping)(void *ctx, void *conn, double deadline); /* 0: alive */
};

struct ip_pool_config {
    int max_open;        /* at most this many open at once (opening and closing ones count);
                          * 0 or less: no limit */
    int max_idle;        /* at most this many idle kept; the rest are closed on release;
                          * 0 or less: none kept */
    double max_lifetime; /* seconds after which a connection is closed, not reused; 0: none */
};

/* Like Go's sql.DBStats. */
struct ip_pool_stats {
    int max_open;
    int open; /* in use + idle */
    int in_use;
    int idle;
    long long opened;              /* connections opened since the pool was made */
    long long wait_count;          /* acquisitions that had to wait */
    double wait_duration;          /* seconds spent waiting, in total */
    long long max_idle_closed;     /* closed because max_idle was reached */
    long long max_lifetime_closed; /* closed because they passed max_lifetime */
};

/* A new pool; NULL when out of memory or when ops lacks open or close. ctx is passed to
 * every op. Idle connections are reused last-in first-out; one idle for 1 s or more is
 * pinged (when ops->ping is set) before it is handed out, and replaced if dead. */
IP_EXPORT struct ip_pool *ip_pool_new_sized(const struct ip_pool_ops *ops, size_t ops_size,
                                            void *ctx, const struct ip_pool_config *config,
                                            size_t config_size);
/* The sizes are those of the header the plugin is compiled with, so that the structs can grow:
 * fields past a caller's size read as 0. (ip_pool_new and ip_pool_stats are also exported as
 * functions, for plugins of ABI 1, which pass no size.) */
#define ip_pool_new(ops, ctx, config)                                                              \
    ip_pool_new_sized((ops), sizeof(struct ip_pool_ops), (ctx), (config),                          \
                      sizeof(struct ip_pool_config))
/* An idle connection, or a new one when fewer than max_open are open; else wait in line
 * (first come, first served) until one is released or `deadline` (may be INFINITY) passes:
 * IP_ETIMEDOUT. A deadline already passed returns IP_ETIMEDOUT at once unless a connection
 * is idle. IP_EOPEN when open() failed. err (may be NULL) says why on every error. */
IP_EXPORT int ip_pool_acquire(struct ip_pool *pool, double deadline, void **conn, char *err,
                              size_t errlen);
/* Give a healthy connection back. A pointer the pool did not hand out is ignored. */
IP_EXPORT void ip_pool_release(struct ip_pool *pool, void *conn);
/* Close a broken connection instead of giving it back. */
IP_EXPORT void ip_pool_discard(struct ip_pool *pool, void *conn);
/* Fill the first `size` bytes of *stats (the fields a smaller caller knows). */
IP_EXPORT void ip_pool_stats_sized(struct ip_pool *pool, struct ip_pool_stats *stats, size_t size);
#define ip_pool_stats(pool, stats)                                                                 \
    ip_pool_stats_sized((pool), (stats), sizeof(struct ip_pool_stats))
/* Close idle connections; in-use ones must have been released or discarded. NULL is ok. */
IP_EXPORT void ip_pool_free(struct ip_pool *pool);

/* ---- helpers: what every plugin would otherwise write again ------------------------------ */

/*
 * Deadlines (ip_clock() seconds; INFINITY: none) as the system calls want them. One rule for
 * every conversion: the time left is never negative (a deadline passed, or NaN, leaves 0) and
 * never more than IP_WAIT_MAX seconds (INFINITY too), so nothing overflows; a caller that
 * waits in a loop checks ip_clock() and waits again. All thread-safe.
 */
#define IP_WAIT_MAX 2000000.0 /* seconds, about 23 days: below INT_MAX milliseconds */

/* Milliseconds left, for poll() and friends: rounded up, so a wait never ends early. */
IP_EXPORT int ip_deadline_ms(double deadline);
/* The time left as a timeval (a client library's timeout), rounded up to the microsecond. */
IP_EXPORT struct timeval ip_deadline_timeval(double deadline);
/* The CLOCK_MONOTONIC time of `deadline`, for pthread_cond_timedwait() on a condition whose
 * clock is CLOCK_MONOTONIC (pthread_condattr_setclock) and clock_nanosleep(TIMER_ABSTIME). */
IP_EXPORT struct timespec ip_deadline_timespec(double deadline);
/* The same, `secs` from now. */
IP_EXPORT struct timespec ip_timespec_after(double secs);
/* Sleep until `deadline` (at once when it has passed), whatever signals arrive. */
IP_EXPORT void ip_sleep_until(double deadline);
/* poll() until one of fds is ready or `deadline` passes, through EINTR: poll()'s result (> 0),
 * 0 when the deadline passed, or -1 with errno. */
IP_EXPORT int ip_poll_until(struct pollfd *fds, nfds_t n, double deadline);

/* Record each check of `names` (NULL-terminated) as skipped for `target` (may be NULL), the
 * reason as its message: the checks that depend on a connect that failed ("not connected"). */
IP_EXPORT void ip_skip_checks(struct ip_report *report, const char *target,
                              const char *const *names, const char *fmt, ...) IP_PRINTF(4, 5);

/* Setup time: the settings group `pool = { max_open; max_idle; max_lifetime; }` into *config,
 * whose values on entry are the plugin's defaults. max_open and max_idle are 0..100000
 * (max_open 0: no limit), max_lifetime a duration (0: none); max_idle more than a max_open
 * limit is a mistake, reported as `pool: max_idle = 3: must not exceed max_open = 2`. */
IP_EXPORT void ip_probe_pool(struct ip_probe *probe, struct ip_pool_config *config);

/* Record the pool's nine figures as the metrics pool_max_open, pool_open, pool_in_use,
 * pool_idle (gauges), pool_opened, pool_wait_count, pool_wait_duration (seconds),
 * pool_max_idle_closed and pool_max_lifetime_closed (counters), for `target` (may be NULL). */
IP_EXPORT void ip_pool_metrics(struct ip_report *report, const struct ip_pool_stats *stats,
                               const char *target);

/* A tag for the data this run writes, safe in keys, file names and quoted SQL strings: the run
 * id (ip_report_run_id()) with only letters, digits and '-' kept, cut to len - 1 characters
 * (a UUID needs 37 bytes). Returns buf. */
IP_EXPORT const char *ip_run_tag(const struct ip_report *report, char *buf, size_t len);

/*
 * One cheap operation of the backend `kind` (a plugin name: "tcp", "redis", "mysql", ...)
 * against `address`, through that plugin's own client (its vtable's operate hook), so that a
 * plugin that tests the path to other services (netpart) has no second client of its own. The
 * core loads plugin `kind` on its search path (and runs its init()) when it is not loaded yet.
 * Each call opens a connection of its own and closes it: nothing pooled survives a call, so a
 * connection broken by a network fault is never reused. Returns 0, or an IP_E* code that
 * classifies the failure (see the operate hook) with a one-line reason in err; IP_ENOTSUP when
 * the plugin has no operate hook, IP_EINVAL when `kind` is no loadable plugin. Honours
 * `deadline`. Thread-safe: run() and its helper threads may call it at once.
 * ip_operation_check() says at setup time (main thread; no network I/O) whether `kind` has an
 * operation: 0, or IP_EINVAL / IP_ENOTSUP with the reason in err. It also loads the plugin, so
 * call it in setup() for every kind that run() will use.
 */
IP_EXPORT int ip_operate(struct ip_report *report, const char *kind, const char *address,
                         const char *const *options, double deadline, char *err, size_t errlen);
IP_EXPORT int ip_operation_check(const char *kind, char *err, size_t errlen);

/*
 * N concurrent workers until a deadline, the first error kept. ip_workers_start() starts n
 * threads that wait for each other (so that they contend, as real clients do), then each calls
 * fn(arg, worker, call, err, errlen) for call = 0 .. calls - 1; fn returns 0, or non-zero with
 * the reason in err. A call the deadline has passed for is not made and fails with "deadline
 * exceeded". Fewer than n threads may start: ip_workers_wait() says how many. NULL when out of
 * memory (the other calls accept it). ip_workers_done() says whether every worker has
 * finished, for a caller that watches the backend meanwhile. ip_workers_wait() joins them and
 * frees w: it returns how many calls failed (IP_ENOMEM for NULL), with the first failure's
 * reason in err ("" when none) and the threads that started in *started (may be NULL).
 * ip_workers_run() starts and waits. A plugin waits for its workers before run() returns.
 */
struct ip_workers; /* opaque */
typedef int (*ip_work_fn)(void *arg, int worker, int call, char *err, size_t errlen);
IP_EXPORT struct ip_workers *ip_workers_start(int n, int calls, double deadline, ip_work_fn fn,
                                              void *arg);
IP_EXPORT int ip_workers_done(struct ip_workers *w);
IP_EXPORT long long ip_workers_wait(struct ip_workers *w, int *started, char *err, size_t errlen);
IP_EXPORT long long ip_workers_run(int n, int calls, double deadline, ip_work_fn fn, void *arg,
                                   int *started, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
