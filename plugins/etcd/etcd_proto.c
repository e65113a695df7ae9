/*
 * etcd's v3 JSON gateway, without a server (see etcd_proto.h). The gateway marshals every
 * uint64 as a decimal string: member and cluster ids use all 64 bits, so they are parsed with
 * strtoull and never pass through a signed or a double.
 */
#include "etcd_proto.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char b64_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int etcd_b64_encode(const void *in, size_t n, char *out, size_t outlen)
{
    const unsigned char *p = in;
    size_t o = 0;

    if (outlen < 4 * ((n + 2) / 3) + 1)
        return -1;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16;

        if (i + 1 < n)
            v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        out[o++] = b64_chars[(v >> 18) & 63];
        out[o++] = b64_chars[(v >> 12) & 63];
        out[o++] = i + 1 < n ? b64_chars[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? b64_chars[v & 63] : '=';
    }
    out[o] = '\0';
    return 0;
}

static int b64_value(char c)
{
    const char *p = c ? strchr(b64_chars, c) : NULL;

    return p ? (int)(p - b64_chars) : -1;
}

long etcd_b64_decode(const char *s, char *out, size_t outlen)
{
    size_t len = strlen(s), o = 0;

    if (len % 4)
        return -1;
    for (size_t i = 0; i < len; i += 4) {
        int v[4], pad = 0;

        for (int j = 0; j < 4; j++) {
            v[j] = b64_value(s[i + j]);
            if (s[i + j] == '=' && i + 4 == len && j >= 2)
                v[j] = 0, pad++;
            else if (v[j] < 0 || pad)
                return -1;
        }
        if (o + 3 - (size_t)pad >= outlen)
            return -1;
        out[o++] = (char)((v[0] << 2) | (v[1] >> 4));
        if (pad < 2)
            out[o++] = (char)(((v[1] & 15) << 4) | (v[2] >> 2));
        if (pad < 1)
            out[o++] = (char)(((v[2] & 3) << 6) | v[3]);
    }
    if (o >= outlen)
        return -1;
    out[o] = '\0';
    return (long)o;
}

int etcd_u64(const json_t *obj, const char *key, uint64_t *v)
{
    const json_t *x = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    const char *s;
    char *end;
    unsigned long long u;

    if (json_is_integer(x) && json_integer_value(x) >= 0) {
        *v = (uint64_t)json_integer_value(x);
        return 0;
    }
    if (!json_is_string(x))
        return -1;
    s = json_string_value(x);
    if (!isdigit((unsigned char)s[0]))
        return -1; /* strtoull would take "-1" as 2^64 - 1 */
    errno = 0;
    u = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *v = (uint64_t)u;
    return 0;
}

uint64_t etcd_u64_or0(const json_t *obj, const char *key)
{
    uint64_t v = 0;

    return etcd_u64(obj, key, &v) == 0 ? v : 0;
}

int etcd_reply_error(const json_t *reply, char *err, size_t errlen)
{
    const json_t *e = json_object_get(reply, "error");
    const json_t *m = json_object_get(reply, "message");
    const char *msg = json_is_string(m)   ? json_string_value(m)
                      : json_is_string(e) ? json_string_value(e)
                                          : NULL;

    if (!msg)
        return 0;
    snprintf(err, errlen, "%s", msg);
    return 1;
}

static void copy_string(const json_t *obj, const char *key, char *out, size_t outlen)
{
    const json_t *x = json_object_get(obj, key);

    snprintf(out, outlen, "%s", json_is_string(x) ? json_string_value(x) : "");
}

int etcd_parse_status(const json_t *reply, struct etcd_status *s, char *err, size_t errlen)
{
    const json_t *h = json_object_get(reply, "header"), *errs;
    size_t i;
    json_t *e;

    memset(s, 0, sizeof(*s));
    if (!json_is_object(h) || etcd_u64(h, "member_id", &s->member_id) != 0 ||
        !json_is_string(json_object_get(reply, "version"))) {
        snprintf(err, errlen, "not an etcd status reply (no header.member_id or version)");
        return -1;
    }
    s->cluster_id = etcd_u64_or0(h, "cluster_id");
    s->revision = etcd_u64_or0(h, "revision");
    s->leader = etcd_u64_or0(reply, "leader");
    s->raft_term = etcd_u64_or0(reply, "raftTerm");
    s->raft_index = etcd_u64_or0(reply, "raftIndex");
    s->applied_index = etcd_u64_or0(reply, "raftAppliedIndex");
    s->db_size = etcd_u64_or0(reply, "dbSize");
    s->db_in_use = etcd_u64_or0(reply, "dbSizeInUse");
    s->db_quota = etcd_u64_or0(reply, "dbSizeQuota"); /* 3.6; 0 before */
    s->learner = json_is_true(json_object_get(reply, "isLearner"));
    copy_string(reply, "version", s->version, sizeof(s->version));
    copy_string(reply, "storageVersion", s->storage_version, sizeof(s->storage_version));
    errs = json_object_get(reply, "errors");
    json_array_foreach(errs, i, e)
    {
        size_t n = strlen(s->errors);

        if (json_is_string(e))
            snprintf(s->errors + n, sizeof(s->errors) - n, "%s%s", n ? "; " : "",
                     json_string_value(e));
    }
    return 0;
}

void etcd_url_hostport(const char *url, char *out, size_t outlen)
{
    const char *p = strstr(url, "://");
    size_t n;

    p = p ? p + 3 : url;
    n = strcspn(p, "/");
    snprintf(out, outlen, "%.*s", (int)n, p);
}

long etcd_parse_members(const json_t *reply, struct etcd_member **out, char *err, size_t errlen)
{
    const json_t *ms = json_object_get(reply, "members");
    size_t i, n = json_array_size(ms);
    struct etcd_member *m;
    json_t *x;

    *out = NULL;
    if (!json_is_array(ms) || n == 0) {
        snprintf(err, errlen, "not an etcd member list (no members)");
        return -1;
    }
    m = calloc(n, sizeof(*m));
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    json_array_foreach(ms, i, x)
    {
        const json_t *urls = json_object_get(x, "clientURLs");

        if (etcd_u64(x, "ID", &m[i].id) != 0) {
            snprintf(err, errlen, "not an etcd member list (member %zu has no ID)", i);
            free(m);
            return -1;
        }
        copy_string(x, "name", m[i].name, sizeof(m[i].name));
        if (json_is_string(json_array_get(urls, 0))) {
            const char *u = json_string_value(json_array_get(urls, 0)), *sep = strstr(u, "://");

            etcd_url_hostport(u, m[i].client, sizeof(m[i].client));
            snprintf(m[i].client_url, sizeof(m[i].client_url), "%.*s://%s",
                     sep ? (int)(sep - u) : 4, sep ? u : "http", m[i].client);
        }
        m[i].learner = json_is_true(json_object_get(x, "isLearner"));
    }
    *out = m;
    return (long)n;
}

static const char *member_name(uint64_t id, const struct etcd_member *names, size_t n)
{
    for (size_t i = 0; names && i < n; i++)
        if (names[i].id == id && names[i].name[0])
            return names[i].name;
    return NULL;
}

int etcd_parse_alarms(const json_t *reply, const struct etcd_member *names, size_t nnames,
                      char *out, size_t outlen, char *err, size_t errlen)
{
    const json_t *as = json_object_get(reply, "alarms");
    size_t i;
    json_t *a;
    int count = 0;

    out[0] = '\0';
    /* etcd 3.4 sends {} when there is no alarm: no header either. */
    if (!json_is_object(reply) || (as && !json_is_array(as))) {
        snprintf(err, errlen, "not an etcd alarm reply");
        return -1;
    }
    json_array_foreach(as, i, a)
    {
        const json_t *kind = json_object_get(a, "alarm");
        uint64_t id = etcd_u64_or0(a, "memberID");
        const char *name = member_name(id, names, nnames);
        size_t n = strlen(out);
        char idbuf[32];

        /* NONE is the enum's zero value, which the gateway omits: an entry without a kind. */
        if (!json_is_string(kind) || strcmp(json_string_value(kind), "NONE") == 0)
            continue;
        snprintf(idbuf, sizeof(idbuf), "%llu", (unsigned long long)id);
        snprintf(out + n, outlen - n, "%s%s on %s", n ? ", " : "", json_string_value(kind),
                 name ? name : idbuf);
        count++;
    }
    return count;
}

int etcd_parse_range(const json_t *reply, char *val, size_t vallen, uint64_t *mod_rev,
                     uint64_t *header_rev, char *err, size_t errlen)
{
    const json_t *h = json_object_get(reply, "header");
    const json_t *kv = json_array_get(json_object_get(reply, "kvs"), 0);
    const json_t *v;

    if (!json_is_object(h) || etcd_u64(h, "revision", header_rev) != 0) {
        snprintf(err, errlen, "not an etcd range reply (no header.revision)");
        return -1;
    }
    if (!kv)
        return 0;
    v = json_object_get(kv, "value");
    if (etcd_u64(kv, "mod_revision", mod_rev) != 0) {
        snprintf(err, errlen, "not an etcd range reply (a kv without mod_revision)");
        return -1;
    }
    if (!v) { /* an empty value is omitted */
        val[0] = '\0';
        return 1;
    }
    if (!json_is_string(v) || etcd_b64_decode(json_string_value(v), val, vallen) < 0) {
        snprintf(err, errlen, "a value that is not base64 (or longer than %zu bytes)", vallen);
        return -1;
    }
    return 1;
}

static int watch_event_rev(const json_t *events, const char *key, uint64_t *rev)
{
    size_t i;
    json_t *e;

    json_array_foreach(events, i, e)
    {
        const json_t *kv = json_object_get(e, "kv"), *k = json_object_get(kv, "key");
        char raw[512];

        if (json_is_string(k) && etcd_b64_decode(json_string_value(k), raw, sizeof(raw)) >= 0 &&
            strcmp(raw, key) == 0 && etcd_u64(kv, "mod_revision", rev) == 0)
            return 1;
    }
    return 0;
}

enum etcd_watch_kind etcd_parse_watch(const json_t *line, const char *key, uint64_t *rev, char *err,
                                      size_t errlen)
{
    const json_t *res = json_object_get(line, "result"), *events;

    *rev = 0;
    if (etcd_reply_error(json_object_get(line, "error"), err, errlen) ||
        (!res && etcd_reply_error(line, err, errlen)))
        return ETCD_WATCH_ERROR;
    if (!json_is_object(res))
        return ETCD_WATCH_OTHER;
    if (json_is_true(json_object_get(res, "canceled"))) {
        const json_t *why = json_object_get(res, "cancel_reason");

        snprintf(err, errlen, "watch canceled%s%s", json_is_string(why) ? ": " : "",
                 json_is_string(why) ? json_string_value(why) : "");
        return ETCD_WATCH_ERROR;
    }
    if (json_is_true(json_object_get(res, "created")))
        return ETCD_WATCH_CREATED;
    events = json_object_get(res, "events");
    if (json_is_array(events)) {
        watch_event_rev(events, key, rev);
        return ETCD_WATCH_EVENT;
    }
    return ETCD_WATCH_OTHER;
}
