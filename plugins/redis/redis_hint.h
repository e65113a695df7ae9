/*
 * Where to look first when a Redis check fails: a one-line hint chosen from the server's own
 * error and what its INFO says (maxmemory and the eviction policy, the replication link, the
 * last save). Pure, so that it is unit-tested on canned replies (redis_hint_test.c).
 */
#ifndef REDIS_HINT_H
#define REDIS_HINT_H

#include <stddef.h>

/* For a failed command or connection: `err` is the message the check carries (the server's
 * words last), `info` the server's INFO (NULL: not read). The hint in buf, or NULL when the
 * error gives no clue. */
const char *redis_hint_error(const char *err, const char *info, char *buf, size_t len);

/* For a replication check that is not ok, from INFO: a replica whose link to its master is
 * down or syncing, replicas missing (`want` expected, -1: any) or not online. NULL: no clue. */
const char *redis_hint_replication(const char *info, int want, char *buf, size_t len);

/* For a persistence check that is not ok, from INFO persistence. NULL: no clue. */
const char *redis_hint_persistence(const char *info, char *buf, size_t len);

#endif
