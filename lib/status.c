/*
 * Statuses, their severity order, SDK error texts and the clock every deadline uses.
 */
#include "config.h"

#include <errno.h>
#include <time.h>

#include <infraprobe/plugin.h>

const char *ip_strerror(int err)
{
    switch (err) {
#define IP_ERRNO_CASE(name, value, text)                                                           \
    case value:                                                                                    \
        return text;
        IP_ERRNO_MAP(IP_ERRNO_CASE)
#undef IP_ERRNO_CASE
    case 0:
        return "success";
    }
    return "unknown error";
}

const char *ip_errname(int err)
{
    switch (err) {
#define IP_ERRNO_NAME(name, value, text)                                                           \
    case value:                                                                                    \
        return #name;
        IP_ERRNO_MAP(IP_ERRNO_NAME)
#undef IP_ERRNO_NAME
    case 0:
        return "OK";
    }
    return "EUNKNOWN";
}

int ip_errno_code(int errnum)
{
    switch (errnum) {
    case 0:
        return 0;
    case ECONNREFUSED:
        return IP_ECONNREFUSED;
    case ECONNRESET:
    case ECONNABORTED:
    case EPIPE:
        return IP_ECONNRESET;
    case ETIMEDOUT:
        return IP_ETIMEDOUT;
    case ENETUNREACH:
    case EHOSTUNREACH:
    case ENETDOWN:
    case EHOSTDOWN:
        return IP_EUNREACH;
    case ENOMEM:
    case ENOBUFS:
        return IP_ENOMEM;
    }
    return IP_EOPEN;
}

const char *ip_status_name(enum ip_status s)
{
    switch (s) {
    case IP_OK:
        return "ok";
    case IP_WARNING:
        return "warning";
    case IP_CRITICAL:
        return "critical";
    case IP_UNKNOWN:
        return "unknown";
    case IP_SKIPPED:
        return "skipped";
    }
    return "unknown";
}

/* Unknown ("we could not tell") ranks above warning: a CI gate must not read a probe that
 * timed out as healthier than one that is merely slow. */
static int severity(enum ip_status s)
{
    switch (s) {
    case IP_OK:
    case IP_SKIPPED:
        return 0;
    case IP_WARNING:
        return 1;
    case IP_UNKNOWN:
        return 2;
    case IP_CRITICAL:
        return 3;
    }
    return 2;
}

enum ip_status ip_status_worst(enum ip_status a, enum ip_status b)
{
    if (severity(a) != severity(b))
        return severity(a) > severity(b) ? a : b;
    /* ok and skipped tie: a probe whose checks were all skipped is not "ok" on its own,
     * but one ok check makes it ok. */
    return a == IP_OK || b == IP_OK ? IP_OK : a;
}

double ip_clock(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
