/*
 * "host:port" and "[v6addr]:port", the form every backend's address takes in a config.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <infraprobe/plugin.h>

int ip_hostport(const char *s, char *host, size_t hostlen, int *port)
{
    const char *h = s, *colon, *end;
    size_t n;
    char *pend;
    long p;

    if (!s || !*s)
        return IP_EINVAL;
    if (*s == '[') {
        end = strchr(s, ']');
        if (!end || end[1] != ':')
            return IP_EINVAL;
        h = s + 1;
        n = (size_t)(end - h);
        colon = end + 1;
    } else {
        colon = strrchr(s, ':');
        /* An unbracketed IPv6 address has more than one colon: ambiguous, refuse it. */
        if (!colon || memchr(s, ':', (size_t)(colon - s)))
            return IP_EINVAL;
        n = (size_t)(colon - s);
    }
    if (n == 0 || n >= hostlen || colon[1] < '0' || colon[1] > '9')
        return IP_EINVAL;
    p = strtol(colon + 1, &pend, 10);
    if (*pend || p < 1 || p > 65535)
        return IP_EINVAL;
    memcpy(host, h, n);
    host[n] = '\0';
    *port = (int)p;
    return 0;
}
