/*
 * One run of one probe. The same code runs on a worker thread (isolation "thread") and in a
 * supervised child (isolation "process"), so that both report alike.
 */
#include "config.h"

#include "probe_run.h"

#include <infraprobe/plugin.h>

#include "signals.h"

/* The deadline a plugin sees comes a little before the one the core enforces, so that a
 * plugin that gives up on time has time left to record why and return: its own message
 * ("SET timed out") says more than the core's "timed out". */
double probe_run_plugin_deadline(double deadline, double timeout)
{
    double margin = timeout * 0.1;

    return deadline - (margin < 0.1 ? margin : 0.1);
}

double probe_run_deadline(const struct probe_conf *pc, double started, int drill)
{
    /* A drill has its own budget, after the regular checks'. */
    return started + pc->timeout + (drill ? pc->drill.timeout : 0);
}

struct ip_report *probe_run_report(const struct probe_conf *pc, double deadline, int drill,
                                   int light, const char *run_id)
{
    struct ip_report *rep = report_new_as(pc->name, pc->plugin->name, deadline, run_id);

    if (!rep)
        return NULL;
    rep->decls = pc->plugin->checks;
    rep->disabled = light && pc->light_disabled ? pc->light_disabled : pc->disabled;
    rep->thresholds = pc->thresholds;
    rep->nthresholds = pc->nthresholds;
    if (drill && pc->drills)
        rep->drill = &pc->drill;
    /* Fault actions are the drill's, but a plugin may make a fault in its regular checks
     * (netpart's partition / heal): the core's restore guarantee holds there too. */
    if (pc->drill.nactions)
        rep->faults = &pc->drill;
    return rep;
}

/* Is `rc` one of the IP_E* codes? */
static int ip_errno_known(int rc)
{
    switch (rc) {
#define IP_ERRNO_CASE(name, value, text) case value:
        IP_ERRNO_MAP(IP_ERRNO_CASE)
#undef IP_ERRNO_CASE
        return 1;
    default:
        return 0;
    }
}

void probe_run(const struct probe_conf *pc, struct ip_report *rep)
{
    int rc;

    signals_current_probe(pc->name, pc->plugin->name);
    rc = pc->plugin->run(pc->state, rep);

    if (rc != 0 && ip_errno_known(rc))
        report_run_check(rep, IP_UNKNOWN, "plugin %s failed: %s", pc->plugin->name,
                         ip_strerror(rc));
    else if (rc != 0)
        report_run_check(rep, IP_UNKNOWN, "plugin %s failed: returned %d (not an IP_E* code)",
                         pc->plugin->name, rc);
    report_skip_disabled(rep);
    /* A drill that returned owing a restore (an error path that forgot it) is put right
     * here, before anything else can happen to it. */
    fault_restore(rep, "the drill returned without it");
    if (pc->plugin->metrics)
        pc->plugin->metrics(pc->state, rep);
    if (rep->nchecks == 0)
        report_run_check(rep, IP_UNKNOWN, "plugin %s recorded no check", pc->plugin->name);
    signals_current_probe(NULL, NULL);
}
