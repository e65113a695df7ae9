/*
 * redis_hint.c without a server: the hint follows what the server said, not the check.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "redis_hint.h"
#include "testutil.h"

static const char oom_info[] = "# Memory\r\nused_memory_human:1.02M\r\nmaxmemory_human:1.00M\r\n"
                               "maxmemory_policy:noeviction\r\n";
static const char lru_info[] = "used_memory_human:9M\r\nmaxmemory_human:8M\r\n"
                               "maxmemory_policy:volatile-lru\r\n";

START_TEST(oom_follows_the_eviction_policy)
{
    char buf[512];
    const char *err = "SET: OOM command not allowed when used memory > 'maxmemory'.";

    ck_assert_ptr_eq(redis_hint_error(err, oom_info, buf, sizeof(buf)), buf);
    ck_assert_ptr_nonnull(strstr(buf, "used memory 1.02M has reached maxmemory 1.00M"));
    ck_assert_ptr_nonnull(strstr(buf, "maxmemory-policy is noeviction"));
    redis_hint_error(err, lru_info, buf, sizeof(buf));
    ck_assert_ptr_nonnull(strstr(buf, "volatile-lru evicts only keys with a TTL"));
    redis_hint_error(err, NULL, buf, sizeof(buf)); /* no INFO: still a hint */
    ck_assert_ptr_nonnull(strstr(buf, "maxmemory ? and maxmemory-policy ?"));
}
END_TEST

START_TEST(errors_by_their_code)
{
    char buf[512];

    ck_assert_ptr_nonnull(redis_hint_error("AUTH: WRONGPASS invalid", NULL, buf, sizeof(buf)));
    ck_assert_ptr_nonnull(strstr(buf, "authentication failed"));
    ck_assert_ptr_nonnull(redis_hint_error("Connection refused", NULL, buf, sizeof(buf)));
    ck_assert_ptr_nonnull(strstr(buf, "nothing listens"));
    ck_assert_ptr_nonnull(
        redis_hint_error("CLIENT SETNAME timed out after 1.9 s", NULL, buf, sizeof(buf)));
    ck_assert_ptr_nonnull(strstr(buf, "health and connectivity"));
    ck_assert_ptr_nonnull(redis_hint_error("SET: MISCONF Redis is", NULL, buf, sizeof(buf)));
    ck_assert_ptr_nonnull(strstr(buf, "stop-writes-on-bgsave-error"));
    ck_assert_ptr_null(redis_hint_error("GET: got \"x\", wrote \"y\"", NULL, buf, sizeof(buf)));
    ck_assert_ptr_null(redis_hint_error(NULL, NULL, buf, sizeof(buf)));
}
END_TEST

START_TEST(replication_from_info)
{
    char buf[512];

    ck_assert_ptr_nonnull(redis_hint_replication(
        "role:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:6390\r\nmaster_link_status:down\r\n"
        "master_sync_in_progress:0\r\nmaster_link_down_since_seconds:12\r\n",
        -1, buf, sizeof(buf)));
    ck_assert_ptr_nonnull(strstr(buf, "cannot reach its master 127.0.0.1:6390"));
    ck_assert_ptr_nonnull(redis_hint_replication(
        "role:slave\r\nmaster_host:h\r\nmaster_port:1\r\nmaster_link_status:down\r\n"
        "master_sync_in_progress:1\r\n",
        -1, buf, sizeof(buf)));
    ck_assert_ptr_nonnull(strstr(buf, "full resync from h:1"));
    ck_assert_ptr_nonnull(
        redis_hint_replication("role:master\r\nconnected_slaves:1\r\n", 2, buf, sizeof(buf)));
    ck_assert_ptr_nonnull(strstr(buf, "replicas are missing"));
    ck_assert_ptr_nonnull(redis_hint_replication(
        "role:master\r\nconnected_slaves:1\r\n"
        "slave0:ip=127.0.0.1,port=16380,state=wait_bgsave,offset=1,lag=0\r\n",
        1, buf, sizeof(buf)));
    ck_assert_ptr_nonnull(strstr(buf, "state wait_bgsave"));
    ck_assert_ptr_null(
        redis_hint_replication("role:master\r\nconnected_slaves:1\r\n"
                               "slave0:ip=127.0.0.1,port=16380,state=online,offset=1,lag=0\r\n",
                               1, buf, sizeof(buf)));
}
END_TEST

START_TEST(persistence_from_info)
{
    char buf[512];

    ck_assert_ptr_nonnull(
        redis_hint_persistence("rdb_last_bgsave_status:err\r\n", buf, sizeof(buf)));
    ck_assert_ptr_nonnull(strstr(buf, "cannot write its snapshot"));
    ck_assert_ptr_nonnull(redis_hint_persistence(
        "rdb_last_bgsave_status:ok\r\naof_last_write_status:err\r\n", buf, sizeof(buf)));
    ck_assert_ptr_nonnull(strstr(buf, "append-only file"));
    ck_assert_ptr_null(redis_hint_persistence("rdb_last_bgsave_status:ok\r\n", buf, sizeof(buf)));
}
END_TEST

int main(void)
{
    const TTest *const tests[] = {
        oom_follows_the_eviction_policy,
        errors_by_their_code,
        replication_from_info,
        persistence_from_info,
    };

    return run_tests("redis_hint", tests, sizeof(tests) / sizeof(tests[0]));
}
