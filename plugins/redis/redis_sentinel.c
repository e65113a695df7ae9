/*
 * Master discovery through Sentinel, as production clients do it: ask the sentinels in
 * turn SENTINEL get-master-addr-by-name; the first that names a master wins. A sentinel
 * that is down, hangs, or does not know the name only sends us to the next one, and the
 * failure then says what each of them answered.
 */
#include <stdio.h>
#include <string.h>

#include "redis_plugin.h"

/* Append ", what" (or "what" first) to err. */
static void sentinel_note(char *err, size_t errlen, const char *what)
{
    size_t len = strlen(err);

    if (len + 3 < errlen)
        snprintf(err + len, errlen - len, "%s%s", len ? "; " : "", what);
}

int redis_sentinel_master(const char *const *sentinels, size_t n, const char *name, double deadline,
                          char *addr, size_t addrlen, char *err, size_t errlen)
{
    const struct redis_conn_opts opts = {0};

    err[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        char host[256], why[512], note[700];
        double left = deadline - ip_clock(), mine;
        redisContext *c;
        redisReply *r;
        int port;

        if (left <= 0) {
            snprintf(note, sizeof(note), "%s: not asked: no time left", sentinels[i]);
            sentinel_note(err, errlen, note);
            continue;
        }
        /* A fair share of what is left: a hung sentinel must leave time for the others. */
        mine = ip_clock() + left / (double)(n - i);
        if (ip_hostport(sentinels[i], host, sizeof(host), &port) != 0) {
            snprintf(note, sizeof(note), "%s: not host:port", sentinels[i]);
            sentinel_note(err, errlen, note);
            continue;
        }
        c = redis_connect(host, port, &opts, mine, why, sizeof(why));
        if (!c) {
            snprintf(note, sizeof(note), "%s: %s", sentinels[i], why);
            sentinel_note(err, errlen, note);
            continue;
        }
        r = redis_cmd(c, mine, why, sizeof(why), 3,
                      (const char *[]){"SENTINEL", "get-master-addr-by-name", name});
        if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
            r->element[0]->type == REDIS_REPLY_STRING &&
            r->element[1]->type == REDIS_REPLY_STRING) {
            snprintf(addr, addrlen, "%s%s%s:%s", strchr(r->element[0]->str, ':') ? "[" : "",
                     r->element[0]->str, strchr(r->element[0]->str, ':') ? "]" : "",
                     r->element[1]->str);
            freeReplyObject(r);
            redis_free(c);
            return 0;
        }
        if (r && r->type == REDIS_REPLY_NIL)
            snprintf(note, sizeof(note), "%s: does not know master \"%s\" (nil)", sentinels[i],
                     name);
        else if (r) {
            char got[160];

            redis_describe(r, got, sizeof(got));
            snprintf(note, sizeof(note), "%s: expected an array of 2 bulks, got %s", sentinels[i],
                     got);
        } else
            snprintf(note, sizeof(note), "%s: %s", sentinels[i], why);
        sentinel_note(err, errlen, note);
        if (r)
            freeReplyObject(r);
        redis_free(c);
    }
    if (n == 0)
        snprintf(err, errlen, "no sentinel configured");
    return -1;
}
