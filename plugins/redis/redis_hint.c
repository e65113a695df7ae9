/*
 * The hints of the redis plugin: what the operator paged at night should look at first,
 * from what the server said. Each names the setting or the command that shows the cause.
 */
#include "redis_hint.h"

#include <stdio.h>
#include <string.h>

#include "redis_info.h"

/* The server's errors, by the code it starts them with, and what each means. */
static const struct {
    const char *code;
    const char *hint;
} redis_error_hints[] = {
    {"MISCONF", "snapshots fail and stop-writes-on-bgsave-error refuses writes: check the disk "
                "space and permissions of the data directory (CONFIG GET dir) and the server's "
                "log"},
    {"READONLY", "this is a read-only replica: point the probe at the master, or let Sentinel "
                 "name it (sentinels, master_name)"},
    {"WRONGPASS", "authentication failed: check the password (or password_file) and the ACL "
                  "user (username)"},
    {"NOAUTH", "the server requires a password: set password (and username for an ACL user)"},
    {"NOPERM", "the ACL user may not run this command: grant it (ACL SETUSER), or set read_only "
               "= true to skip the writing checks"},
    {"LOADING", "the server is loading its dataset after a restart: wait for it, and check the "
                "size of its RDB/AOF files if this lasts"},
    {"BUSY", "a script or function blocks the server: SCRIPT KILL or FUNCTION KILL, and look at "
             "SLOWLOG GET"},
    {"max number of clients", "maxclients is reached: look for connection leaks (CLIENT LIST, "
                              "grouped by name and address) or raise maxclients"},
    {"Connection refused", "nothing listens there: is redis-server running, and bound (bind, "
                           "port) to this address?"},
    {"timed out", "the server answers too slowly: check the cluster's health and connectivity "
                  "(packet loss, a saturated link), its CPU, SLOWLOG GET and blocking commands"},
    {"No route to host", "no route to the host: check connectivity and the address"},
    {"Connection reset", "the server dropped the connection: check its log (maxclients, "
                         "client-output-buffer-limit, a restart) and the network"},
};

/* Out of memory: what maxmemory-policy makes of it. */
static const char *redis_hint_oom(const char *info, char *buf, size_t len)
{
    char used[32] = "?", max[32] = "?", policy[32] = "?";

    redis_info_field(info, "used_memory_human", used, sizeof(used));
    redis_info_field(info, "maxmemory_human", max, sizeof(max));
    redis_info_field(info, "maxmemory_policy", policy, sizeof(policy));
    if (strcmp(policy, "noeviction") == 0)
        snprintf(buf, len,
                 "used memory %s has reached maxmemory %s and maxmemory-policy is noeviction, "
                 "so writes fail: raise maxmemory, or choose an evicting policy (allkeys-lru) if "
                 "the data is a cache",
                 used, max);
    else if (strncmp(policy, "volatile-", 9) == 0)
        snprintf(buf, len,
                 "used memory %s has reached maxmemory %s and maxmemory-policy %s evicts only "
                 "keys with a TTL, and there are too few: raise maxmemory, or use an allkeys-* "
                 "policy",
                 used, max, policy);
    else
        snprintf(buf, len,
                 "used memory %s has reached maxmemory %s and maxmemory-policy %s cannot free "
                 "enough: raise maxmemory, and look for big keys (redis-cli --bigkeys)",
                 used, max, policy);
    return buf;
}

const char *redis_hint_error(const char *err, const char *info, char *buf, size_t len)
{
    if (!err)
        return NULL;
    if (strstr(err, "OOM "))
        return redis_hint_oom(info, buf, len);
    for (size_t i = 0; i < sizeof(redis_error_hints) / sizeof(redis_error_hints[0]); i++) {
        if (strstr(err, redis_error_hints[i].code)) {
            snprintf(buf, len, "%s", redis_error_hints[i].hint);
            return buf;
        }
    }
    return NULL;
}

/* A replica's side: its link to the master. */
static const char *redis_hint_link(const char *info, char *buf, size_t len)
{
    char host[256] = "?", port[16] = "?", link[32] = "";
    long long syncing = 0, down = -1;

    redis_info_field(info, "master_host", host, sizeof(host));
    redis_info_field(info, "master_port", port, sizeof(port));
    redis_info_field(info, "master_link_status", link, sizeof(link));
    redis_info_ll(info, "master_sync_in_progress", &syncing);
    redis_info_ll(info, "master_link_down_since_seconds", &down);
    if (strcmp(link, "up") == 0)
        return NULL;
    if (syncing == 1)
        snprintf(buf, len,
                 "a full resync from %s:%s is in progress: a large dataset or a slow link; if it "
                 "repeats, raise repl-backlog-size",
                 host, port);
    else
        snprintf(buf, len,
                 "the replica cannot reach its master %s:%s%s: check that the master runs and "
                 "is reachable from the replica, and masterauth",
                 host, port, down > 0 ? " for a while (master_link_down_since_seconds)" : "");
    return buf;
}

const char *redis_hint_replication(const char *info, int want, char *buf, size_t len)
{
    char role[32] = "";
    long long have = 0;
    struct redis_replica r;

    redis_info_field(info, "role", role, sizeof(role));
    if (strcmp(role, "master") != 0)
        return redis_hint_link(info, buf, len);
    redis_info_ll(info, "connected_slaves", &have);
    if (want >= 0 && have < want) {
        snprintf(buf, len,
                 "replicas are missing: check that they run, that their replicaof names this "
                 "master, and masterauth (the master's log says who tried)");
        return buf;
    }
    for (int i = 0; redis_info_replica(info, i, &r) != -1; i++) {
        if (strcmp(r.state, "online") != 0) {
            snprintf(buf, len,
                     "replica %s:%d is in state %s: still syncing (a large dataset or a slow "
                     "link) or stuck; see its log",
                     r.host, r.port, r.state);
            return buf;
        }
    }
    return NULL;
}

const char *redis_hint_persistence(const char *info, char *buf, size_t len)
{
    char rdb[32] = "ok", aof[32] = "ok";

    redis_info_field(info, "rdb_last_bgsave_status", rdb, sizeof(rdb));
    redis_info_field(info, "aof_last_write_status", aof, sizeof(aof));
    if (strcmp(rdb, "ok") == 0 && strcmp(aof, "ok") == 0)
        return NULL;
    snprintf(buf, len,
             "the server cannot write its %s: check the disk space and permissions of the data "
             "directory (CONFIG GET dir) and the server's log",
             strcmp(rdb, "ok") != 0 ? "snapshot" : "append-only file");
    return buf;
}
