/*
 * Process isolation: a probe whose isolation is "process" runs in a supervised child, a fresh
 * exec of infraprobe itself (`--run-probe NAME`), never a fork of this threaded program. The
 * child loads the configuration, sets up that one probe and serves its runs over a
 * SOCK_SEQPACKET socket, one message per frame; it lives across runs, so a plugin's
 * connection pool lives as long as it would on a thread. A child that overruns its deadline is
 * killed with its process group; a crash or an exit() is the probe's `unknown`, nothing more.
 */
#ifndef IP_CORE_ISOLATE_H
#define IP_CORE_ISOLATE_H

#include "conf.h"
#include "report.h"

struct child;

/* How to start a child: infraprobe's own path and the options it passes on (the
 * configuration, the plugin path, -v). `argv` is NULL-terminated and copied. */
int isolate_init(const char *exe, const char *const *argv);
void isolate_cleanup(void);

/* A supervisor for probe `pc`'s child, not started yet. */
struct child *child_new(const struct probe_conf *pc);
/* The child now serves `pc` (the same probe, at a new address after a reload). Idle only. */
void child_rebind(struct child *ch, const struct probe_conf *pc);
/* One run of the probe in its child, into `rep`, by `deadline` (the core's): starts the child
 * when there is none, kills it at the deadline, and records a crash, an exit or a kill as the
 * core's "run" check. Then runs the restore a drill still owes. Never returns later than
 * `deadline` plus the time a restore takes. */
void child_run(struct child *ch, struct ip_report *rep, double deadline);
/* Kill the child now (from any thread): its run ends with `why` ("interrupted by SIGTERM"). */
void child_kill(struct child *ch, const char *why);
/* Ask the child to tear down and exit, without waiting (so that many tear down at once). */
void child_hangup(struct child *ch);
/* Ask the child to tear down and exit; kill it if it has not by `deadline`. */
void child_free(struct child *ch, double deadline);

/* The child's side: `infraprobe --run-probe NAME`, with the socket on fd 3. Returns the exit
 * status. */
int isolate_serve(struct conf *c, const char *probe);

#endif
