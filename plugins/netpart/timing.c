/*
 * How the netpart plugin judges an operation's time under a partition. What it asks is
 * whether the client kept its deadline; time that the operation's thread spent runnable but
 * waiting for a CPU is the host's load, not the client's doing, and is left out (a loaded
 * test host would otherwise read as a client that overran its timeout).
 */
#include <stdio.h>

#include "netpart_plugin.h"

double netpart_cpu_wait(void)
{
    /* The second field: nanoseconds spent on a run queue (CONFIG_SCHED_INFO). */
    FILE *f = fopen("/proc/thread-self/schedstat", "re");
    unsigned long long run = 0, wait = 0;
    int n;

    if (!f)
        return 0;
    n = fscanf(f, "%llu %llu", &run, &wait);
    fclose(f);
    return n == 2 ? (double)wait / 1e9 : 0;
}

enum netpart_timing netpart_timing(enum netpart_mode mode, double op_timeout, double took,
                                   double waited)
{
    double own = took - (waited > 0 ? waited : 0);

    /* A reset is noticed at once; a blackhole and a long delay only by the timeout. */
    if ((mode == NETPART_REJECT || mode == NETPART_HALFOPEN) && own >= op_timeout)
        return NETPART_NOT_AT_ONCE;
    return own > op_timeout * NETPART_TIMEOUT_SLACK ? NETPART_LATE : NETPART_IN_TIME;
}
