/*
 * redis_info.c without a server: INFO fields, replica lines, CLIENT LIST counting, client
 * names, and the persistence verdict on canned INFO texts.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "redis_info.h"
#include "testutil.h"

static const char info[] =
    "# Server\r\nredis_version:7.0.15\r\nserver_time_usec:1700000100000000\r\n"
    "# Replication\r\nrole:master\r\nconnected_slaves:2\r\n"
    "slave0:ip=127.0.0.1,port=16380,state=online,offset=1000,lag=0\r\n"
    "slave1:ip=127.0.0.2,port=6379,state=wait_bgsave,offset=400,lag=3\r\n"
    "master_failover_state:no-failover\r\nmaster_repl_offset:1200\r\n"
    "used_cpu_sys:12.5\r\n";

START_TEST(fields)
{
    char buf[64];
    long long v;

    ck_assert_int_eq(redis_info_field(info, "role", buf, sizeof(buf)), 0);
    ck_assert_str_eq(buf, "master");
    ck_assert_int_eq(redis_info_field(info, "redis_version", buf, 4), 0);
    ck_assert_str_eq(buf, "7.0");
    ck_assert_int_eq(redis_info_field(info, "ole", buf, sizeof(buf)), -1);
    ck_assert_int_eq(redis_info_field(info, "nothing", buf, sizeof(buf)), -1);
    ck_assert_int_eq(redis_info_ll(info, "connected_slaves", &v), 0);
    ck_assert_int_eq(v, 2);
    ck_assert_int_eq(redis_info_ll(info, "used_cpu_sys", &v), 0);
    ck_assert_int_eq(v, 12);
    ck_assert_int_eq(redis_info_ll(info, "role", &v), -1);
    ck_assert_int_eq(redis_info_field(NULL, "role", buf, sizeof(buf)), -1);
}
END_TEST

START_TEST(replicas)
{
    struct redis_replica r;

    ck_assert_int_eq(redis_info_replica(info, 0, &r), 0);
    ck_assert_str_eq(r.host, "127.0.0.1");
    ck_assert_int_eq(r.port, 16380);
    ck_assert_str_eq(r.state, "online");
    ck_assert_int_eq(r.offset, 1000);
    ck_assert_int_eq(r.lag, 0);
    ck_assert_int_eq(redis_info_replica(info, 1, &r), 0);
    ck_assert_str_eq(r.host, "127.0.0.2");
    ck_assert_str_eq(r.state, "wait_bgsave");
    ck_assert_int_eq(r.lag, 3);
    ck_assert_int_eq(redis_info_replica(info, 2, &r), -1);
}
END_TEST

/* Server data is never trusted: garbage, overflow and junk after a number are refused,
 * never read as 0 or as a wrapped value. */
START_TEST(garbage_and_overflow)
{
    static const char bad[] =
        "connected_slaves:abc\r\nused_memory:99999999999999999999\r\nmaxmemory:12abc\r\n"
        "evicted_keys: 5\r\nkeyspace_hits:-99999999999999999999\r\nempty:\r\n"
        "big:9223372036854775807\r\nfloaty:1.5e3\r\nplus:+3\r\n"
        "slave0:ip=127.0.0.1,port=99999,state=online,offset=1,lag=0\r\n"
        "slave1:ip=127.0.0.1,port=6379,state=online,offset=18446744073709551616,lag=0\r\n"
        "slave2:ip=127.0.0.1,port=6379x,state=online,offset=1,lag=0\r\n"
        "slave3:ip=127.0.0.1,port=6379,state=online,offset=5,lag=abc\r\n"
        "slave4:port=6379,state=online\r\n";
    struct redis_replica r;
    long long v = 42, ids[2] = {0, 0};

    ck_assert_int_eq(redis_info_ll(bad, "connected_slaves", &v), -1);
    ck_assert_int_eq(redis_info_ll(bad, "used_memory", &v), -1);
    ck_assert_int_eq(redis_info_ll(bad, "maxmemory", &v), -1);
    ck_assert_int_eq(redis_info_ll(bad, "evicted_keys", &v), -1);
    ck_assert_int_eq(redis_info_ll(bad, "keyspace_hits", &v), -1);
    ck_assert_int_eq(redis_info_ll(bad, "empty", &v), -1);
    ck_assert_int_eq(redis_info_ll(bad, "floaty", &v), -1);
    ck_assert_int_eq(redis_info_ll(bad, "plus", &v), -1);
    ck_assert_int_eq(v, 42); /* untouched by every refusal */
    ck_assert_int_eq(redis_info_ll(bad, "big", &v), 0);
    ck_assert_int_eq(v, 9223372036854775807LL);
    for (int i = 0; i < 5; i++)
        ck_assert_msg(redis_info_replica(bad, i, &r) == -2, "slave%d accepted", i);
    ck_assert_int_eq(redis_info_replica(bad, 5, &r), -1);
    ck_assert_int_eq(redis_ll("65535", 5, 1, 65535, &v), 0);
    ck_assert_int_eq(redis_ll("65536", 5, 1, 65535, &v), -1);
    ck_assert_int_eq(redis_ll("0x10", 4, 0, 100, &v), -1);
    ck_assert_int_eq(redis_ll("010", 3, 0, 100, &v), 0);
    ck_assert_int_eq(v, 10); /* base 10, never octal */
    /* A client id that is not a number is counted, as -1. */
    ck_assert_int_eq(
        redis_client_count("id=x1 name=p\nid=99999999999999999999 name=p\n", "p", ids, 2), 2);
    ck_assert_int_eq(ids[0], -1);
    ck_assert_int_eq(ids[1], -1);
}
END_TEST

START_TEST(client_list)
{
    const char list[] =
        "id=3 addr=127.0.0.1:5000 laddr=127.0.0.1:6379 fd=8 name=infraprobe:p age=1 cmd=ping\n"
        "id=4 addr=127.0.0.1:5001 laddr=127.0.0.1:6379 fd=9 name=infraprobe:p:pool age=1\n"
        "id=7 addr=127.0.0.1:5002 laddr=127.0.0.1:6379 fd=10 name=infraprobe:p:pool age=0\n"
        "id=9 addr=127.0.0.1:5003 laddr=127.0.0.1:6379 fd=11 name= age=0\n";
    long long ids[4] = {0};

    ck_assert_int_eq(redis_client_count(list, "infraprobe:p:pool", ids, 4), 2);
    ck_assert_int_eq(ids[0], 4);
    ck_assert_int_eq(ids[1], 7);
    ck_assert_int_eq(redis_client_count(list, "infraprobe:p", NULL, 0), 1);
    ck_assert_int_eq(redis_client_count(list, "infraprobe", NULL, 0), 0);
    ck_assert_int_eq(redis_client_count("", "x", NULL, 0), 0);
}
END_TEST

START_TEST(client_names)
{
    char out[64];

    redis_client_name("redis main\t\xc3\xa9", NULL, out, sizeof(out));
    ck_assert_str_eq(out, "infraprobe:redis_main___");
    redis_client_name("r", ":pool:h:1", out, sizeof(out));
    ck_assert_str_eq(out, "infraprobe:r:pool:h:1");
}
END_TEST

static const char persist_ok[] =
    "rdb_changes_since_last_save:3\r\nrdb_last_save_time:1700000000\r\n"
    "rdb_last_bgsave_status:ok\r\naof_enabled:1\r\n"
    "aof_last_bgrewrite_status:ok\r\naof_last_write_status:ok\r\n";

START_TEST(persistence_expectations)
{
    char msg[512];
    double age;
    enum redis_persist m;

    ck_assert_int_eq(redis_persist_parse("aof", &m), 0);
    ck_assert_int_eq(m, REDIS_PERSIST_AOF);
    ck_assert_int_eq(redis_persist_parse("both", &m), -1);

    ck_assert_int_eq(redis_persist_eval(persist_ok, "60 1", REDIS_PERSIST_ANY, 1700000100, &age,
                                        msg, sizeof(msg)),
                     IP_OK);
    ck_assert_double_eq(age, 100);
    ck_assert_str_eq(msg, "rdb on, aof on; 3 changes since the last save 100 s ago");
    ck_assert_int_eq(
        redis_persist_eval(persist_ok, "", REDIS_PERSIST_RDB, 1700000100, &age, msg, sizeof(msg)),
        IP_WARNING);
    ck_assert_ptr_nonnull(strstr(msg, "expected rdb, but RDB snapshots are off"));
    ck_assert_int_eq(redis_persist_eval(persist_ok, "60 1", REDIS_PERSIST_NONE, 1700000100, &age,
                                        msg, sizeof(msg)),
                     IP_WARNING);
    ck_assert_ptr_nonnull(strstr(msg, "expected none, but rdb and aof is on"));
    ck_assert_int_eq(redis_persist_eval(persist_ok, "60 1", REDIS_PERSIST_AOF, 1700000100, &age,
                                        msg, sizeof(msg)),
                     IP_OK);
    /* Save points unknown (CONFIG renamed): a snapshot taken says RDB is in use. */
    ck_assert_int_eq(
        redis_persist_eval(persist_ok, NULL, REDIS_PERSIST_RDB, 1700000100, &age, msg, sizeof(msg)),
        IP_OK);
}
END_TEST

START_TEST(persistence_failures)
{
    const char bad_save[] = "rdb_changes_since_last_save:0\r\nrdb_last_save_time:1700000000\r\n"
                            "rdb_last_bgsave_status:err\r\naof_enabled:0\r\n";
    const char bad_aof[] = "rdb_changes_since_last_save:0\r\nrdb_last_save_time:1700000000\r\n"
                           "rdb_last_bgsave_status:ok\r\naof_enabled:1\r\n"
                           "aof_last_write_status:err\r\n";
    const char off[] = "rdb_changes_since_last_save:5\r\nrdb_last_save_time:0\r\n"
                       "rdb_last_bgsave_status:ok\r\naof_enabled:0\r\n";
    char msg[512];
    double age;

    ck_assert_int_eq(
        redis_persist_eval(bad_save, "60 1", REDIS_PERSIST_ANY, 1700000100, &age, msg, sizeof(msg)),
        IP_WARNING);
    ck_assert_ptr_nonnull(strstr(msg, "the last RDB save failed (rdb_last_bgsave_status:err)"));
    ck_assert_double_eq(age, 0);
    ck_assert_int_eq(
        redis_persist_eval(bad_aof, "", REDIS_PERSIST_AOF, 1700000100, &age, msg, sizeof(msg)),
        IP_WARNING);
    ck_assert_ptr_nonnull(strstr(msg, "the last AOF write failed"));
    ck_assert_int_eq(
        redis_persist_eval(off, "", REDIS_PERSIST_ANY, 1700000100, &age, msg, sizeof(msg)),
        IP_WARNING);
    ck_assert_ptr_nonnull(strstr(msg, "neither is on"));
    ck_assert_int_eq(
        redis_persist_eval(off, "", REDIS_PERSIST_NONE, 1700000100, &age, msg, sizeof(msg)), IP_OK);
    ck_assert_int_eq(
        redis_persist_eval("role:master\r\n", "", REDIS_PERSIST_ANY, 0, &age, msg, sizeof(msg)),
        IP_CRITICAL);
}
END_TEST

int main(void)
{
    const TTest *const tests[] = {
        fields,
        replicas,
        client_list,
        garbage_and_overflow,
        client_names,
        persistence_expectations,
        persistence_failures,
    };

    return run_tests("redis_info", tests, sizeof(tests) / sizeof(tests[0]));
}
