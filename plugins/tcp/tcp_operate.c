/*
 * The tcp plugin's operation for other plugins (ip_operate(), netpart): one TCP connect to
 * host:port by a deadline, each resolved address tried in turn with a fair share of the time
 * left, and the failure classified from the connect's errno.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <infraprobe/plugin.h>

#include "tcp_plugin.h"

/* One connect to numeric `ip` by `deadline`: 0, or an IP_E* code with the reason in err. */
static int tcp_operate_one(const char *ip, const char *port, double deadline, char *err,
                           size_t errlen)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    struct pollfd p = {.fd = -1, .events = POLLOUT};
    int soerr = 0, rc;
    socklen_t len = sizeof(soerr);

    if (getaddrinfo(ip, port, &hints, &ai) != 0) {
        snprintf(err, errlen, "%s: not a numeric address", ip);
        return IP_EINVAL;
    }
    p.fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (p.fd < 0 || (connect(p.fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS))
        soerr = errno;
    freeaddrinfo(ai);
    if (!soerr && ip_poll_until(&p, 1, deadline) == 0) {
        snprintf(err, errlen, "connect timed out");
        rc = IP_ETIMEDOUT;
        goto out;
    }
    if (!soerr && getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
        soerr = errno;
    rc = ip_errno_code(soerr);
    if (rc)
        snprintf(err, errlen, "connect: %s", strerror(soerr));
out:
    if (p.fd >= 0)
        close(p.fd);
    return rc;
}

int tcp_operate(const char *address, const char *const *options, double deadline, char *err,
                size_t errlen)
{
    char host[256], port[8], ips[TCP_MAX_ADDRS][IP_ADDRSTRLEN];
    int portnum, n, rc = IP_EOPEN;

    if (options && options[0]) {
        snprintf(err, errlen, "tcp: unknown option \"%s\"", options[0]);
        return IP_EINVAL;
    }
    if (ip_hostport(address, host, sizeof(host), &portnum) != 0) {
        snprintf(err, errlen, "\"%s\": expected host:port", address);
        return IP_EINVAL;
    }
    snprintf(port, sizeof(port), "%d", portnum);
    if ((n = ip_resolve(host, deadline, ips, TCP_MAX_ADDRS, err, errlen)) <= 0)
        return n < 0 ? n : IP_ERESOLVE;
    for (int i = 0; i < n; i++) {
        double left = deadline - ip_clock();

        if (left <= 0) {
            snprintf(err, errlen, "connect timed out");
            return IP_ETIMEDOUT;
        }
        rc = tcp_operate_one(ips[i], port, ip_clock() + left / (double)(n - i), err, errlen);
        if (rc == 0)
            return 0;
    }
    return rc;
}
