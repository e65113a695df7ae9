/*
 * Pure parsing of what a Redis server says about itself: INFO's "key:value" lines, the
 * slaveN lines of INFO replication, CLIENT LIST, and the verdict on INFO persistence. No
 * I/O, so that all of it is unit-tested without a server (redis_info_test.c).
 */
#ifndef REDIS_INFO_H
#define REDIS_INFO_H

#include <stddef.h>

#include <infraprobe/plugin.h>

/* The value of `key` in an INFO reply, copied into out (truncated to outlen - 1). 0 when
 * found, -1 when not. */
int redis_info_field(const char *info, const char *key, char *out, size_t outlen);
/* The same, parsed as an integer (or the integer part of a float, e.g. "12.5" -> 12); -1
 * when absent or not a number in range (garbage, "1e3", "99999999999999999999"). */
int redis_info_ll(const char *info, const char *key, long long *value);
/* The base-10 integer s[0..len) in [min, max] into *value: 0, or -1 for anything else. */
int redis_ll(const char *s, size_t len, long long min, long long max, long long *value);

/* One replica as its master lists it: "slave0:ip=127.0.0.1,port=16380,state=online,...". */
struct redis_replica {
    char host[256];
    int port;
    char state[32];
    long long offset;
    long long lag; /* seconds since its last ack, -1 when not given */
};

/* Replica i (0-based) of INFO replication; 0 when there is one, -1 when not, -2 when its
 * line is malformed (no ip, a port not in 1..65535, an offset or lag not a number). */
int redis_info_replica(const char *info, int i, struct redis_replica *r);

/* The number of CLIENT LIST lines whose name is exactly `name`. When ids is not NULL, the
 * ids of those clients go there (at most maxids). */
int redis_client_count(const char *list, const char *name, long long *ids, size_t maxids);

/* "infraprobe:<probe>[<suffix>]" where every byte that Redis refuses in a client name (a
 * space, a control or non-ASCII byte) is an underscore. */
void redis_client_name(const char *probe, const char *suffix, char *out, size_t outlen);

enum redis_persist {
    REDIS_PERSIST_ANY = 0,
    REDIS_PERSIST_RDB,
    REDIS_PERSIST_AOF,
    REDIS_PERSIST_NONE,
};

/* "any", "rdb", "aof", "none" -> 0 and the mode; -1 for anything else. */
int redis_persist_parse(const char *s, enum redis_persist *mode);

/*
 * The persistence verdict from INFO persistence: `save` is CONFIG GET save's value (""
 * when RDB snapshots are off, NULL when unknown: CONFIG may be renamed away), now the
 * server's Unix time. Warning when the expected mode is not what the server does, or when
 * its last RDB save, AOF write or AOF rewrite failed; critical when the INFO lacks the
 * fields. *unsaved_age is the age in seconds of the oldest change not yet in a snapshot
 * (0 when every change is saved). The message says what was found.
 */
enum ip_status redis_persist_eval(const char *info, const char *save, enum redis_persist mode,
                                  long long now, double *unsaved_age, char *msg, size_t msglen);

#endif
