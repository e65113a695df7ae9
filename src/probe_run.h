/*
 * One run of one probe, in whatever process hosts it: the report it writes into, and the
 * plugin's run() and metrics() with the core's own checks around them.
 */
#ifndef IP_CORE_PROBE_RUN_H
#define IP_CORE_PROBE_RUN_H

#include "conf.h"
#include "report.h"

/* The deadline a plugin sees: a little before `deadline`, the one the core enforces. */
double probe_run_plugin_deadline(double deadline, double timeout);
/* The core's deadline for a run of `pc` started at `started`: a drill adds its own budget. */
double probe_run_deadline(const struct probe_conf *pc, double started, int drill);
/* The report one run of probe `pc` writes into, due by `deadline`, with `run_id` (NULL: a new
 * one); a `light` run skips the checks that load the backend (probe_conf.light_disabled). */
struct ip_report *probe_run_report(const struct probe_conf *pc, double deadline, int drill,
                                   int light, const char *run_id);
/* Run the plugin into `rep`: run(), metrics(), the core's "run" check when the plugin failed
 * or recorded nothing, and the restore a drill still owes. Does not finish the report. */
void probe_run(const struct probe_conf *pc, struct ip_report *rep);

#endif
