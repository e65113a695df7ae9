/*
 * Pure parsing of INFO, CLIENT LIST and the persistence verdict (see redis_info.h). INFO
 * is "key:value" lines ending in CRLF, grouped under "# Section" lines; CLIENT LIST is one
 * line per client of space-separated "field=value" pairs.
 */
#include "redis_info.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The start of key's value in info, and its length, or NULL. Keys are matched at the
 * start of a line only, so "role" never matches "master_role". */
static const char *info_find(const char *info, const char *key, size_t *len)
{
    size_t klen = strlen(key);
    const char *p = info;

    while (p && *p) {
        if (strncmp(p, key, klen) == 0 && p[klen] == ':') {
            const char *v = p + klen + 1;

            *len = strcspn(v, "\r\n");
            return v;
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return NULL;
}

int redis_info_field(const char *info, const char *key, char *out, size_t outlen)
{
    size_t len;
    const char *v = info ? info_find(info, key, &len) : NULL;

    if (!v)
        return -1;
    if (outlen) {
        if (len >= outlen)
            len = outlen - 1;
        memcpy(out, v, len);
        out[len] = '\0';
    }
    return 0;
}

int redis_ll(const char *s, size_t len, long long min, long long max, long long *value)
{
    char buf[32], *end;
    long long v;

    /* A number, not whatever strtoll makes of a prefix: no sign tricks, spaces or junk. */
    if (len == 0 || len >= sizeof(buf) || (s[0] != '-' && (s[0] < '0' || s[0] > '9')))
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    v = strtoll(buf, &end, 10);
    if (end == buf || *end || errno == ERANGE || v < min || v > max)
        return -1;
    *value = v;
    return 0;
}

int redis_info_ll(const char *info, const char *key, long long *value)
{
    char buf[64];
    size_t len;

    if (redis_info_field(info, key, buf, sizeof(buf)) != 0)
        return -1;
    /* "12.5" is 12: the integer part of a float figure (used_cpu_sys). */
    len = strcspn(buf, ".");
    if (buf[len] == '.' &&
        (!buf[len + 1] || strspn(buf + len + 1, "0123456789") != strlen(buf + len + 1)))
        return -1;
    return redis_ll(buf, len, LLONG_MIN, LLONG_MAX, value);
}

/* The value of field `name` in a "a=1,b=2" (sep ',') or "a=1 b=2" (sep ' ') list. */
static int pairs_get(const char *s, size_t slen, char sep, const char *name, char *out,
                     size_t outlen)
{
    size_t nlen = strlen(name);
    const char *p = s, *end = s + slen;

    while (p < end) {
        const char *q = memchr(p, sep, (size_t)(end - p));

        if (!q)
            q = end;
        if ((size_t)(q - p) > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
            size_t len = (size_t)(q - p) - nlen - 1;

            if (len >= outlen)
                len = outlen - 1;
            memcpy(out, p + nlen + 1, len);
            out[len] = '\0';
            return 0;
        }
        p = q + 1;
    }
    return -1;
}

int redis_info_replica(const char *info, int i, struct redis_replica *r)
{
    char key[32], buf[64];
    const char *v;
    long long n;
    size_t len;

    snprintf(key, sizeof(key), "slave%d", i);
    v = info ? info_find(info, key, &len) : NULL;
    if (!v)
        return -1;
    memset(r, 0, sizeof(*r));
    r->lag = -1;
    if (pairs_get(v, len, ',', "ip", r->host, sizeof(r->host)) != 0)
        return -2;
    if (pairs_get(v, len, ',', "port", buf, sizeof(buf)) != 0 ||
        redis_ll(buf, strlen(buf), 1, 65535, &n) != 0)
        return -2;
    r->port = (int)n;
    if (pairs_get(v, len, ',', "state", r->state, sizeof(r->state)) != 0)
        snprintf(r->state, sizeof(r->state), "unknown");
    if (pairs_get(v, len, ',', "offset", buf, sizeof(buf)) == 0) {
        if (redis_ll(buf, strlen(buf), 0, LLONG_MAX, &r->offset) != 0)
            return -2;
    }
    if (pairs_get(v, len, ',', "lag", buf, sizeof(buf)) == 0) {
        if (redis_ll(buf, strlen(buf), 0, LLONG_MAX, &r->lag) != 0)
            return -2;
    }
    return 0;
}

int redis_client_count(const char *list, const char *name, long long *ids, size_t maxids)
{
    const char *p = list;
    int n = 0;

    while (p && *p) {
        size_t len = strcspn(p, "\r\n");
        char got[256], id[32];

        if (pairs_get(p, len, ' ', "name", got, sizeof(got)) == 0 && strcmp(got, name) == 0) {
            long long v = -1;

            /* An id that is not a number is -1: counted, never mistaken for another's. */
            if (pairs_get(p, len, ' ', "id", id, sizeof(id)) != 0 ||
                redis_ll(id, strlen(id), 0, LLONG_MAX, &v) != 0)
                v = -1;
            if (ids && (size_t)n < maxids)
                ids[n] = v;
            n++;
        }
        p += len;
        p += strspn(p, "\r\n");
    }
    return n;
}

void redis_client_name(const char *probe, const char *suffix, char *out, size_t outlen)
{
    size_t j;

    snprintf(out, outlen, "infraprobe:%s%s", probe, suffix ? suffix : "");
    for (j = 0; out[j]; j++) {
        unsigned char c = (unsigned char)out[j];

        if (c <= ' ' || c >= 0x7f)
            out[j] = '_';
    }
}

int redis_persist_parse(const char *s, enum redis_persist *mode)
{
    static const char *const names[] = {"any", "rdb", "aof", "none"};

    for (int i = 0; i < 4; i++) {
        if (strcmp(s, names[i]) == 0) {
            *mode = (enum redis_persist)i;
            return 0;
        }
    }
    return -1;
}

/* Whether persistence is what `mode` expects; if not, what is wrong into out (returns 1). */
static int persist_mode_problem(enum redis_persist mode, int rdb_on, int aof_on, char *out,
                                size_t outlen)
{
    if (mode == REDIS_PERSIST_RDB && !rdb_on)
        snprintf(out, outlen, "expected rdb, but RDB snapshots are off (save \"\")");
    else if (mode == REDIS_PERSIST_AOF && !aof_on)
        snprintf(out, outlen, "expected aof, but aof_enabled:0");
    else if (mode == REDIS_PERSIST_ANY && !rdb_on && !aof_on)
        snprintf(out, outlen, "expected rdb or aof, but neither is on");
    else if (mode == REDIS_PERSIST_NONE && (rdb_on || aof_on))
        snprintf(out, outlen, "expected none, but %s%s%s is on", rdb_on ? "rdb" : "",
                 rdb_on && aof_on ? " and " : "", aof_on ? "aof" : "");
    else
        return 0;
    return 1;
}

/* The last save, AOF write or AOF rewrite that failed, if any, into out. */
static void persist_failure(const char *bgsave, int aof_on, const char *aof_write,
                            const char *aof_rewrite, char *out, size_t outlen)
{
    if (strcmp(bgsave, "ok") != 0)
        snprintf(out, outlen, "the last RDB save failed (rdb_last_bgsave_status:%s)", bgsave);
    else if (aof_on && strcmp(aof_write, "ok") != 0)
        snprintf(out, outlen, "the last AOF write failed (aof_last_write_status:%s)", aof_write);
    else if (aof_on && strcmp(aof_rewrite, "ok") != 0)
        snprintf(out, outlen, "the last AOF rewrite failed (aof_last_bgrewrite_status:%s)",
                 aof_rewrite);
}

enum ip_status redis_persist_eval(const char *info, const char *save, enum redis_persist mode,
                                  long long now, double *unsaved_age, char *msg, size_t msglen)
{
    char bgsave[32], aof_write[32] = "ok", aof_rewrite[32] = "ok", problem[256] = "";
    long long aof_on, changes, last_save;
    enum ip_status st = IP_OK;
    int rdb_on;

    *unsaved_age = 0;
    if (redis_info_field(info, "rdb_last_bgsave_status", bgsave, sizeof(bgsave)) != 0 ||
        redis_info_ll(info, "aof_enabled", &aof_on) != 0 ||
        redis_info_ll(info, "rdb_changes_since_last_save", &changes) != 0 ||
        redis_info_ll(info, "rdb_last_save_time", &last_save) != 0) {
        snprintf(msg, msglen,
                 "INFO persistence lacks rdb_last_bgsave_status, aof_enabled, "
                 "rdb_changes_since_last_save or rdb_last_save_time");
        return IP_CRITICAL;
    }
    redis_info_field(info, "aof_last_write_status", aof_write, sizeof(aof_write));
    redis_info_field(info, "aof_last_bgrewrite_status", aof_rewrite, sizeof(aof_rewrite));
    /* Unknown save points (CONFIG renamed away): a snapshot ever taken says RDB is used. */
    rdb_on = save ? save[0] != '\0' : last_save > 0;
    if (changes > 0 && now >= last_save)
        *unsaved_age = (double)(now - last_save);

    if (!persist_mode_problem(mode, rdb_on, (int)aof_on, problem, sizeof(problem)))
        persist_failure(bgsave, (int)aof_on, aof_write, aof_rewrite, problem, sizeof(problem));
    if (problem[0])
        st = IP_WARNING;
    snprintf(msg, msglen, "%s%srdb %s, aof %s; %lld changes since the last save %lld s ago",
             problem, problem[0] ? "; " : "", rdb_on ? "on" : "off", aof_on ? "on" : "off", changes,
             now >= last_save ? now - last_save : 0);
    return st;
}
