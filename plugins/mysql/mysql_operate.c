/*
 * The mysql plugin's operation for other plugins (ip_operate(), netpart): connect and
 * `SELECT 1` through mysql_conn.c on a connection of its own, closed at once, so that nothing
 * pooled outlives a network fault.
 */
#include <stdio.h>
#include <string.h>

#include <infraprobe/plugin.h>

#include "mysql_conn.h"

/* Options: user, password, database, ssl_mode. 0, or IP_EINVAL with the reason in err. */
static int mysql_operate_options(const char *const *options, struct mysql_conn_opts *o, char *err,
                                 size_t errlen)
{
    static const char *const modes[] = {"disabled", "preferred", "required", "verify_ca",
                                        "verify_identity"};

    for (size_t i = 0; options && options[i] && options[i + 1]; i += 2) {
        const char *k = options[i], *v = options[i + 1];
        size_t m = 0;

        if (strcmp(k, "user") == 0) {
            o->user = v;
        } else if (strcmp(k, "password") == 0) {
            o->password = v;
        } else if (strcmp(k, "database") == 0) {
            o->database = v;
        } else if (strcmp(k, "ssl_mode") == 0) {
            while (m < sizeof(modes) / sizeof(modes[0]) && strcmp(modes[m], v) != 0)
                m++;
            if (m == sizeof(modes) / sizeof(modes[0])) {
                snprintf(err, errlen, "mysql: ssl_mode = \"%s\": unknown", v);
                return IP_EINVAL;
            }
            o->ssl_mode = v;
        } else {
            snprintf(err, errlen, "mysql: unknown option \"%s\"", k);
            return IP_EINVAL;
        }
    }
    return 0;
}

int mysql_operate(const char *address, const char *const *options, double deadline, char *err,
                  size_t errlen)
{
    struct mysql_conn_opts o = {.user = "root", .ssl_mode = "disabled"};
    struct mysql_conn *c = NULL;
    char host[256], value[32];
    int code = IP_EOPEN, rc;

    if (mysql_operate_options(options, &o, err, errlen) != 0)
        return IP_EINVAL;
    if (ip_hostport(address, host, sizeof(host), &o.port) != 0) {
        snprintf(err, errlen, "\"%s\": expected host:port", address);
        return IP_EINVAL;
    }
    o.host = host;
    o.code = &code;
    if (mysql_conn_open(&o, deadline, &c, err, errlen) != 0)
        return code ? code : IP_EOPEN;
    rc = mysql_conn_value(c, "SELECT 1", deadline, value, sizeof(value), err, errlen);
    if (rc == MYSQL_CONN_TIMEDOUT)
        code = IP_ETIMEDOUT;
    else if (rc != 0)
        code = mysql_conn_code(c);
    else
        code = 0;
    mysql_conn_close(c);
    return code;
}
