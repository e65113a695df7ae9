/*
 * etcd's v3 JSON gateway, without a server: base64 keys and values, uint64 ids that the gateway
 * sends as strings, and the few responses the plugin reads (maintenance status, member list,
 * alarms, range, watch). Pure functions over jansson values, tested by etcd_proto_test.c.
 */
#ifndef ETCD_PROTO_H
#define ETCD_PROTO_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Standard base64 (with padding) of n bytes into out (outlen >= 4 * ((n + 2) / 3) + 1): 0, or -1
 * when out is too small. */
int etcd_b64_encode(const void *in, size_t n, char *out, size_t outlen);
/* Decode base64 s into out (NUL-terminated): the length, or -1 when s is not base64 or out is too
 * small. */
long etcd_b64_decode(const char *s, char *out, size_t outlen);

/* The uint64 at `key` of obj, sent as a decimal string (or, by other gateways, a JSON integer):
 * 0 with *v set, -1 when absent or not an unsigned decimal (never parsed as signed). */
int etcd_u64(const json_t *obj, const char *key, uint64_t *v);
/* The same, 0 when absent or malformed. */
uint64_t etcd_u64_or0(const json_t *obj, const char *key);

/* The error of a gateway reply ({"error": "...", "message": "...", "code": 14}) into err: 1 when
 * it is one, 0 when not. */
int etcd_reply_error(const json_t *reply, char *err, size_t errlen);

/* /v3/maintenance/status. */
struct etcd_status {
    uint64_t cluster_id, member_id, leader, raft_term, revision;
    uint64_t raft_index, applied_index, db_size, db_in_use, db_quota;
    char version[32];
    char storage_version[32]; /* 3.6: the data's schema version; "" before */
    int learner;
    char errors[256]; /* the member's own errors ("etcdserver: no leader"), "; "-joined */
};
/* 0, or -1 with err when the reply is not a status (a JSON value that is not etcd's). */
int etcd_parse_status(const json_t *reply, struct etcd_status *s, char *err, size_t errlen);

/* /v3/cluster/member/list. */
struct etcd_member {
    uint64_t id;
    char name[64];
    char client[300];     /* the first client URL's host:port; "" when it has none (not started) */
    char client_url[300]; /* that URL: scheme://host:port */
    int learner;
};
/* The members into *out (malloc'd, the caller frees): how many, or -1 with err. */
long etcd_parse_members(const json_t *reply, struct etcd_member **out, char *err, size_t errlen);

/* /v3/maintenance/alarm: the active alarms as "NOSPACE on <member id>" joined into out: how many,
 * or -1 with err. names (may be NULL) maps member ids to names for the message. */
int etcd_parse_alarms(const json_t *reply, const struct etcd_member *names, size_t nnames,
                      char *out, size_t outlen, char *err, size_t errlen);

/* /v3/kv/range of one key: 1 found (value decoded into val, its mod_revision), 0 absent, -1 not a
 * range reply. *header_rev gets the member's revision. */
int etcd_parse_range(const json_t *reply, char *val, size_t vallen, uint64_t *mod_rev,
                     uint64_t *header_rev, char *err, size_t errlen);

/* One line of a /v3/watch stream. */
enum etcd_watch_kind { ETCD_WATCH_OTHER, ETCD_WATCH_CREATED, ETCD_WATCH_EVENT, ETCD_WATCH_ERROR };
/* For ETCD_WATCH_EVENT, the mod_revision of the first event whose key is `key` (raw) into *rev, 0
 * when none of its events is; for ETCD_WATCH_ERROR, why in err. */
enum etcd_watch_kind etcd_parse_watch(const json_t *line, const char *key, uint64_t *rev, char *err,
                                      size_t errlen);

/* "http://host:port" -> "host:port" (the cluster's way of naming a member). */
void etcd_url_hostport(const char *url, char *out, size_t outlen);

#endif
