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

/* Whether r is what a sentinel that knows the master answers: its host and port. */
static int sentinel_named(const redisReply *r)
{
    return r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
           r->element[0]->type == REDIS_REPLY_STRING && r->element[1]->type == REDIS_REPLY_STRING;
}

/* Why a sentinel named no master, from its reply r (or from why when there is none). */
static void sentinel_why_not(const char *sentinel, const char *name, const redisReply *r,
                             const char *why, char *note, size_t notelen)
{
    if (r && r->type == REDIS_REPLY_NIL)
        snprintf(note, notelen, "%s: does not know master \"%s\" (nil)", sentinel, name);
    else if (r) {
        char got[160];

        redis_describe(r, got, sizeof(got));
        snprintf(note, notelen, "%s: expected an array of 2 bulks, got %s", sentinel, got);
    } else
        snprintf(note, notelen, "%s: %s", sentinel, why);
}

/* Ask one sentinel by `mine`: 0 with the master's host:port in addr, or -1 with why in note. */
static int sentinel_ask(const char *sentinel, const char *name, double mine, char *addr,
                        size_t addrlen, char *note, size_t notelen)
{
    const struct redis_conn_opts opts = {0};
    char host[256], why[512];
    redisContext *c;
    redisReply *r;
    int port;

    if (ip_hostport(sentinel, host, sizeof(host), &port) != 0) {
        snprintf(note, notelen, "%s: not host:port", sentinel);
        return -1;
    }
    c = redis_connect(host, port, &opts, mine, why, sizeof(why));
    if (!c) {
        snprintf(note, notelen, "%s: %s", sentinel, why);
        return -1;
    }
    r = redis_cmd(c, mine, why, sizeof(why), 3,
                  (const char *[]){"SENTINEL", "get-master-addr-by-name", name});
    if (sentinel_named(r)) {
        snprintf(addr, addrlen, "%s%s%s:%s", strchr(r->element[0]->str, ':') ? "[" : "",
                 r->element[0]->str, strchr(r->element[0]->str, ':') ? "]" : "",
                 r->element[1]->str);
        freeReplyObject(r);
        redis_free(c);
        return 0;
    }
    sentinel_why_not(sentinel, name, r, why, note, notelen);
    if (r)
        freeReplyObject(r);
    redis_free(c);
    return -1;
}

int redis_sentinel_master(const char *const *sentinels, size_t n, const char *name, double deadline,
                          char *addr, size_t addrlen, char *err, size_t errlen)
{
    err[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        char note[700];
        double left = deadline - ip_clock();

        if (left <= 0) {
            snprintf(note, sizeof(note), "%s: not asked: no time left", sentinels[i]);
            sentinel_note(err, errlen, note);
            continue;
        }
        /* A fair share of what is left: a hung sentinel must leave time for the others. */
        if (sentinel_ask(sentinels[i], name, ip_clock() + left / (double)(n - i), addr, addrlen,
                         note, sizeof(note)) == 0)
            return 0;
        sentinel_note(err, errlen, note);
    }
    if (n == 0)
        snprintf(err, errlen, "no sentinel configured");
    return -1;
}
