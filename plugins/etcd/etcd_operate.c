/*
 * The etcd plugin's operation for other plugins (ip_operate(), netpart): one status request
 * (/v3/maintenance/status) to one member through etcd_http.c, on curl handles made for it and
 * freed after it, so that no kept-alive connection outlives a network fault; the failure
 * classified from curl's result and the socket's errno.
 */
#include <stdio.h>
#include <string.h>

#include "etcd_plugin.h"

/* Options: username, password. 0, or IP_EINVAL with the reason in err. */
static int etcd_operate_options(const char *const *options, struct etcd_state *st, char *err,
                                size_t errlen)
{
    for (size_t i = 0; options && options[i] && options[i + 1]; i += 2) {
        if (strcmp(options[i], "username") == 0) {
            st->username = options[i + 1];
        } else if (strcmp(options[i], "password") == 0) {
            st->password = options[i + 1];
        } else {
            snprintf(err, errlen, "etcd: unknown option \"%s\"", options[i]);
            return IP_EINVAL;
        }
    }
    return 0;
}

/* The IP_E* class of a call that failed. */
static int etcd_operate_class(const struct etcd_call *c, CURL *easy)
{
    long oserr = 0;

    if (c->timed_out)
        return IP_ETIMEDOUT;
    switch (c->cc) {
    case CURLE_OK:
        if (c->status == 401)
            return IP_EAUTH;
        return c->len ? IP_ESERVER : IP_ECONNRESET; /* an empty reply: the connection closed */
    case CURLE_COULDNT_RESOLVE_HOST:
        return IP_ERESOLVE;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
        return IP_ETLS;
    case CURLE_GOT_NOTHING:
        return IP_ECONNRESET;
    default:
        break;
    }
    curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &oserr);
    return oserr ? ip_errno_code((int)oserr) : IP_EOPEN;
}

int etcd_operate(const char *address, const char *const *options, double deadline, char *err,
                 size_t errlen)
{
    struct etcd_ep ep = {0};
    struct etcd_state st = {.eps = &ep, .nep = 1};
    struct etcd_call c = {.ep = &ep, .path = "/v3/maintenance/status"};
    char host[256];
    int port, rc;

    if (etcd_operate_options(options, &st, err, errlen) != 0)
        return IP_EINVAL;
    if (ip_hostport(address, host, sizeof(host), &port) != 0) {
        snprintf(err, errlen, "\"%s\": expected host:port", address);
        return IP_EINVAL;
    }
    snprintf(ep.hostport, sizeof(ep.hostport), "%s", address);
    snprintf(ep.url, sizeof(ep.url), "http://%s", address);
    if (etcd_http_init(&st) != 0 || etcd_body(&c, "{}") != 0) {
        etcd_http_free(&st);
        snprintf(err, errlen, "etcd: out of memory");
        return IP_ENOMEM;
    }
    etcd_http_resolve(&st, deadline);
    st.req_timeout = deadline - ip_clock();
    rc = etcd_call1(&st, &c, st.req_timeout > 0.001 ? st.req_timeout : 0.001, deadline);
    if (rc != 0) {
        rc = etcd_operate_class(&c, ep.easy);
        snprintf(err, errlen, "%s", c.err[0] ? c.err : "status request failed");
    }
    etcd_calls_free(&c, 1);
    etcd_http_free(&st);
    return rc;
}
