/*
 * What a regular netpart run puts in the report's timeline (ip_event()), partition by
 * partition: the fault that makes it, named after its mode and target, each operation on the
 * partitioned target while it holds and while it heals, the moment the failure was seen, the
 * heal, and the first operation that worked again. The drill (drill.c) has the framework's
 * timeline instead. Under method "actions", ip_fault() records the partition and heal actions
 * themselves; the moments name the mode and the target there too.
 */
#include <stdio.h>

#include "netpart_plugin.h"

/* "blackhole redis://127.0.0.1:6379": which partition an event belongs to. */
static void netpart_tl_name(const struct netpart_target *t, enum netpart_mode mode, char *out,
                            size_t outlen)
{
    snprintf(out, outlen, "%s %s", netpart_mode_name(mode), t->spec);
}

void netpart_tl_cut(struct netpart_state *st, struct ip_report *rep, const struct netpart_target *t,
                    enum netpart_mode mode, int heal, double t0, int rc)
{
    char name[400];

    if (st->method == NETPART_ACTIONS)
        return; /* ip_fault() has recorded the action */
    netpart_tl_name(t, mode, name, sizeof(name));
    ip_event(rep, heal ? IP_EVENT_RESTORE : IP_EVENT_FAULT, -1, t0, ip_clock(), rc == 0, name);
}

void netpart_tl_op(struct netpart_state *st, struct ip_report *rep, double start, double end,
                   int rc, const char *err)
{
    char why[700];

    if (rc != 0)
        snprintf(why, sizeof(why), "%s: %s", ip_errname(rc), err);
    ip_event(rep, IP_EVENT_OPERATION, st->next_op++, start, end, rc == 0, rc ? why : NULL);
}

void netpart_tl_moment(struct ip_report *rep, enum ip_event_kind kind,
                       const struct netpart_target *t, enum netpart_mode mode, double when,
                       const char *what)
{
    char name[400], msg[500];

    netpart_tl_name(t, mode, name, sizeof(name));
    snprintf(msg, sizeof(msg), "%s%s%s", name, what ? ": " : "", what ? what : "");
    ip_event(rep, kind, -1, when, when, 1, msg);
}
