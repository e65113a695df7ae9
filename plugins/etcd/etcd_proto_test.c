/*
 * etcd_proto.c without a server: base64 both ways, uint64 ids as strings (the full 64 bits,
 * never signed), and the status, member list, alarm, range and watch replies as etcd 3.4's
 * gateway sends them, plus what is not etcd's.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "etcd_proto.h"

static json_t *parse(const char *s)
{
    json_error_t e;
    json_t *j = json_loads(s, 0, &e);

    ck_assert_msg(j != NULL, "bad test JSON: %s", e.text);
    return j;
}

START_TEST(b64_round_trip)
{
    const char *in[] = {"", "f", "fo", "foo", "foob", "/infraprobe/p/x", "\xff\x01"};
    char enc[64], dec[64];

    for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
        ck_assert_int_eq(etcd_b64_encode(in[i], strlen(in[i]), enc, sizeof(enc)), 0);
        ck_assert_int_eq(etcd_b64_decode(enc, dec, sizeof(dec)), (long)strlen(in[i]));
        ck_assert_str_eq(dec, in[i]);
    }
    ck_assert_int_eq(etcd_b64_encode("foo", 3, enc, sizeof(enc)), 0);
    ck_assert_str_eq(enc, "Zm9v");
    ck_assert_int_eq(etcd_b64_encode("foo", 3, enc, 4), -1);
    ck_assert_int_eq(etcd_b64_decode("Zm9", dec, sizeof(dec)), -1);
    ck_assert_int_eq(etcd_b64_decode("Zm!v", dec, sizeof(dec)), -1);
    ck_assert_int_eq(etcd_b64_decode("Z=9v", dec, sizeof(dec)), -1);
    ck_assert_int_eq(etcd_b64_decode("Zm9vYmFy", dec, 4), -1);
}
END_TEST

START_TEST(u64_strings)
{
    json_t *j = parse("{\"a\":\"18446744073709551615\",\"b\":\"-1\",\"c\":\"18446744073709551616\","
                      "\"d\":7,\"e\":\"12x\",\"f\":\"\"}");
    uint64_t v = 0;

    ck_assert_int_eq(etcd_u64(j, "a", &v), 0);
    ck_assert(v == UINT64_MAX);
    ck_assert_int_eq(etcd_u64(j, "b", &v), -1);
    ck_assert_int_eq(etcd_u64(j, "c", &v), -1);
    ck_assert_int_eq(etcd_u64(j, "d", &v), 0);
    ck_assert(v == 7);
    ck_assert_int_eq(etcd_u64(j, "e", &v), -1);
    ck_assert_int_eq(etcd_u64(j, "f", &v), -1);
    ck_assert_int_eq(etcd_u64(j, "zz", &v), -1);
    ck_assert(etcd_u64_or0(j, "b") == 0);
    json_decref(j);
}
END_TEST

START_TEST(status_reply)
{
    json_t *j = parse(
        "{\"header\":{\"cluster_id\":\"46875034509356155\",\"member_id\":\"15961195270242911370\","
        "\"revision\":\"2\",\"raft_term\":\"2\"},\"version\":\"3.4.23\",\"dbSize\":\"20480\","
        "\"raftIndex\":\"16\",\"raftTerm\":\"2\",\"raftAppliedIndex\":\"15\","
        "\"errors\":[\"etcdserver: no leader\",\"memberID:1 alarm:NOSPACE\"],"
        "\"dbSizeInUse\":\"16384\"}");
    struct etcd_status s;
    char err[128];

    ck_assert_int_eq(etcd_parse_status(j, &s, err, sizeof(err)), 0);
    ck_assert(s.member_id == 15961195270242911370ull);
    ck_assert(s.leader == 0);
    ck_assert(s.raft_index == 16 && s.applied_index == 15 && s.raft_term == 2);
    ck_assert(s.db_size == 20480 && s.db_in_use == 16384 && s.revision == 2);
    ck_assert_str_eq(s.version, "3.4.23");
    ck_assert_str_eq(s.errors, "etcdserver: no leader; memberID:1 alarm:NOSPACE");
    ck_assert_str_eq(s.storage_version, "");
    json_decref(j);
    /* 3.6's, as its gateway sends it: more fields (the quota, the storage version), spaces. */
    j = parse("{\"header\":{\"cluster_id\":\"6494483262317367254\", \"member_id\":"
              "\"7129116581789144561\", \"revision\":\"1\", \"raft_term\":\"2\"}, \"version\":"
              "\"3.6.16\", \"dbSize\":\"20480\", \"leader\":\"7129116581789144561\", "
              "\"raftIndex\":\"8\", \"raftTerm\":\"2\", \"raftAppliedIndex\":\"8\", "
              "\"dbSizeInUse\":\"16384\", \"storageVersion\":\"3.6.0\", \"dbSizeQuota\":"
              "\"33554432\", \"downgradeInfo\":{}}");
    ck_assert_int_eq(etcd_parse_status(j, &s, err, sizeof(err)), 0);
    ck_assert(s.leader == 7129116581789144561ull && s.leader == s.member_id);
    ck_assert(s.db_quota == 33554432);
    ck_assert_str_eq(s.version, "3.6.16");
    ck_assert_str_eq(s.storage_version, "3.6.0");
    json_decref(j);
    j = parse("{\"status\":\"ok\",\"version\":\"1\"}");
    ck_assert_int_eq(etcd_parse_status(j, &s, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "not an etcd status reply"));
    json_decref(j);
}
END_TEST

START_TEST(member_list)
{
    json_t *j =
        parse("{\"header\":{},\"members\":[{\"ID\":\"6329678045754123771\",\"name\":\"etcd-3\","
              "\"peerURLs\":[\"http://127.0.0.1:11068\"],\"clientURLs\":"
              "[\"http://127.0.0.1:32062\"]},{\"ID\":\"10992726429369307405\","
              "\"peerURLs\":[\"http://127.0.0.1:2\"],\"isLearner\":true},{\"ID\":\"7\","
              "\"clientURLs\":[\"https://localhost:2379/\"]}]}");
    struct etcd_member *m;
    char err[128];

    ck_assert_int_eq(etcd_parse_members(j, &m, err, sizeof(err)), 3);
    ck_assert(m[0].id == 6329678045754123771ull);
    ck_assert_str_eq(m[0].name, "etcd-3");
    ck_assert_str_eq(m[0].client, "127.0.0.1:32062");
    ck_assert_str_eq(m[0].client_url, "http://127.0.0.1:32062");
    ck_assert(!m[0].learner && m[1].learner);
    ck_assert_str_eq(m[1].client, "");
    ck_assert_str_eq(m[1].client_url, "");
    /* The URL that the quorum's count asks a member at: no path, the scheme kept. */
    ck_assert_str_eq(m[2].client, "localhost:2379");
    ck_assert_str_eq(m[2].client_url, "https://localhost:2379");
    free(m);
    json_decref(j);
    j = parse("{\"members\":[]}");
    ck_assert_int_eq(etcd_parse_members(j, &m, err, sizeof(err)), -1);
    json_decref(j);
}
END_TEST

START_TEST(alarm_reply)
{
    json_t *j = parse("{\"header\":{},\"alarms\":[{\"memberID\":\"6329678045754123771\","
                      "\"alarm\":\"NOSPACE\"},{\"memberID\":\"5\",\"alarm\":\"CORRUPT\"}]}");
    struct etcd_member names[1] = {{.id = 6329678045754123771ull, .name = "etcd-3"}};
    char out[256], err[128];

    ck_assert_int_eq(etcd_parse_alarms(j, names, 1, out, sizeof(out), err, sizeof(err)), 2);
    ck_assert_str_eq(out, "NOSPACE on etcd-3, CORRUPT on 5");
    json_decref(j);
    j = parse("{\"header\":{}}");
    ck_assert_int_eq(etcd_parse_alarms(j, NULL, 0, out, sizeof(out), err, sizeof(err)), 0);
    json_decref(j);
    j = parse("{}");
    ck_assert_int_eq(etcd_parse_alarms(j, NULL, 0, out, sizeof(out), err, sizeof(err)), 0);
    json_decref(j);
    j = parse("{\"alarms\":7}");
    ck_assert_int_eq(etcd_parse_alarms(j, NULL, 0, out, sizeof(out), err, sizeof(err)), -1);
    json_decref(j);
}
END_TEST

START_TEST(range_reply)
{
    json_t *j = parse("{\"header\":{\"revision\":\"9\"},\"kvs\":[{\"key\":\"Zm9v\","
                      "\"mod_revision\":\"8\",\"value\":\"YmFy\"}],\"count\":\"1\"}");
    char val[32], err[128];
    uint64_t mod = 0, hrev = 0;

    ck_assert_int_eq(etcd_parse_range(j, val, sizeof(val), &mod, &hrev, err, sizeof(err)), 1);
    ck_assert_str_eq(val, "bar");
    ck_assert(mod == 8 && hrev == 9);
    json_decref(j);
    j = parse("{\"header\":{\"revision\":\"9\"}}");
    ck_assert_int_eq(etcd_parse_range(j, val, sizeof(val), &mod, &hrev, err, sizeof(err)), 0);
    json_decref(j);
    j = parse("[1,2]");
    ck_assert_int_eq(etcd_parse_range(j, val, sizeof(val), &mod, &hrev, err, sizeof(err)), -1);
    json_decref(j);
}
END_TEST

START_TEST(watch_lines)
{
    json_t *c = parse("{\"result\":{\"header\":{},\"created\":true}}");
    json_t *e = parse("{\"result\":{\"header\":{},\"events\":[{\"kv\":{\"key\":\"Zm9v\","
                      "\"mod_revision\":\"3\",\"value\":\"YmF6\"}}]}}");
    json_t *x = parse("{\"error\":{\"grpc_code\":9,\"message\":\"etcdserver: no leader\"}}");
    uint64_t rev = 0;
    char err[128];

    ck_assert_int_eq(etcd_parse_watch(c, "foo", &rev, err, sizeof(err)), ETCD_WATCH_CREATED);
    ck_assert_int_eq(etcd_parse_watch(e, "foo", &rev, err, sizeof(err)), ETCD_WATCH_EVENT);
    ck_assert(rev == 3);
    ck_assert_int_eq(etcd_parse_watch(e, "bar", &rev, err, sizeof(err)), ETCD_WATCH_EVENT);
    ck_assert(rev == 0);
    ck_assert_int_eq(etcd_parse_watch(x, "foo", &rev, err, sizeof(err)), ETCD_WATCH_ERROR);
    ck_assert_str_eq(err, "etcdserver: no leader");
    json_decref(c);
    json_decref(e);
    json_decref(x);
}
END_TEST

START_TEST(url_hostport)
{
    char out[64];

    etcd_url_hostport("http://127.0.0.1:2379", out, sizeof(out));
    ck_assert_str_eq(out, "127.0.0.1:2379");
    etcd_url_hostport("https://[::1]:2379/", out, sizeof(out));
    ck_assert_str_eq(out, "[::1]:2379");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("etcd_proto");
    TCase *tc = tcase_create("proto");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, b64_round_trip);
    tcase_add_test(tc, u64_strings);
    tcase_add_test(tc, status_reply);
    tcase_add_test(tc, member_list);
    tcase_add_test(tc, alarm_reply);
    tcase_add_test(tc, range_reply);
    tcase_add_test(tc, watch_lines);
    tcase_add_test(tc, url_hostport);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
