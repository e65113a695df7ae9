/*
 * The redis plugin's operation for other plugins (ip_operate(), netpart): a connection of its
 * own through redis_connect() (resolve, connect, AUTH, SELECT, PING, all by the deadline),
 * closed at once, so that nothing pooled outlives a network fault.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_plugin.h"

/* Options: username, password, database. 0, or IP_EINVAL with the reason in err. */
static int redis_operate_options(const char *const *options, struct redis_conn_opts *o, char *err,
                                 size_t errlen)
{
    for (size_t i = 0; options && options[i] && options[i + 1]; i += 2) {
        const char *k = options[i], *v = options[i + 1];
        char *end;

        if (strcmp(k, "username") == 0) {
            o->username = v;
        } else if (strcmp(k, "password") == 0) {
            o->password = v;
        } else if (strcmp(k, "database") == 0) {
            long db = strtol(v, &end, 10);

            if (*end || end == v || db < 0 || db > 1000000) {
                snprintf(err, errlen, "redis: database = \"%s\": expected 0..1000000", v);
                return IP_EINVAL;
            }
            o->database = (int)db;
        } else {
            snprintf(err, errlen, "redis: unknown option \"%s\"", k);
            return IP_EINVAL;
        }
    }
    return 0;
}

int redis_operate(const char *address, const char *const *options, double deadline, char *err,
                  size_t errlen)
{
    struct redis_conn_opts o = {0};
    char host[256];
    int port, code = IP_EOPEN;
    redisContext *c;

    if (redis_operate_options(options, &o, err, errlen) != 0)
        return IP_EINVAL;
    if (ip_hostport(address, host, sizeof(host), &port) != 0) {
        snprintf(err, errlen, "\"%s\": expected host:port", address);
        return IP_EINVAL;
    }
    o.code = &code;
    o.max_reply = 1024 * 1024;
    /* redis_connect() ends with the PING that says the server answers. */
    if (!(c = redis_connect(host, port, &o, deadline, err, errlen)))
        return code ? code : IP_EOPEN;
    redis_free(c);
    return 0;
}
