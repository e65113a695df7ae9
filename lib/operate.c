/*
 * ip_operate(): one operation of another backend through that backend's plugin, so that each
 * client lives in one plugin. The SDK only forwards: the program's loader finds the plugin.
 */
#include "config.h"

#include "operate.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>

#include <infraprobe/plugin.h>

#include "report.h"

static _Atomic(operate_find_fn) provider;

void operate_provide(operate_find_fn find)
{
    atomic_store(&provider, find);
}

static operate_fn find(const char *kind, int *code, char *err, size_t errlen)
{
    operate_find_fn f = atomic_load(&provider);

    if (!kind || !*kind) {
        snprintf(err, errlen, "no backend kind given");
        *code = IP_EINVAL;
        return NULL;
    }
    if (!f) {
        snprintf(err, errlen, "%s: this program loads no plugins, so it has no operations", kind);
        *code = IP_ENOTSUP;
        return NULL;
    }
    return f(kind, code, err, errlen);
}

int ip_operation_check(const char *kind, char *err, size_t errlen)
{
    int code = 0;

    return find(kind, &code, err, errlen) ? 0 : code;
}

int ip_operate(struct ip_report *report, const char *kind, const char *address,
               const char *const *options, double deadline, char *err, size_t errlen)
{
    int code = 0;
    operate_fn op = find(kind, &code, err, errlen);

    if (!op)
        return code;
    if (!address || !*address) {
        snprintf(err, errlen, "%s: no address given", kind);
        return IP_EINVAL;
    }
    /* Never past the run's own deadline, whatever the caller asked. */
    if (report && !(deadline <= report->deadline))
        deadline = report->deadline;
    if (isnan(deadline))
        deadline = ip_clock();
    err[0] = '\0';
    code = op(address, options, deadline, err, errlen);
    if (code != 0 && !err[0])
        snprintf(err, errlen, "%s", ip_strerror(code));
    return code;
}
