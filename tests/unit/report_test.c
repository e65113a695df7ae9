/*
 * Recording checks, metrics and timeline events, and the thresholds the core applies when a run
 * ends.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <infraprobe/plugin.h>

#include "report.h"

static const struct ip_check_decl decls[] = {
    {.name = "write", .kind = IP_LATENCY, .warn = 10, .crit = 100},
    {.name = "plain", .kind = IP_LATENCY},
    {.name = "throughput", .kind = IP_VALUE_MIN, .warn = 20000, .crit = 10000, .unit = "msg/s"},
    {.name = "lag", .kind = IP_VALUE_MAX, .warn = 1000, .crit = 5000, .unit = "bytes"},
    {0},
};

static struct ip_report *r;

static void setup(void)
{
    r = report_new("probe-1", "redis", ip_clock() + 5);
    ck_assert_ptr_nonnull(r);
    r->decls = decls;
}

static void teardown(void)
{
    report_free(r);
}

static const struct check_result *check(size_t i)
{
    ck_assert_uint_lt(i, r->nchecks);
    return &r->checks[i];
}

START_TEST(records_declared_checks)
{
    ck_assert_int_eq(ip_check(r, "write", "127.0.0.1:1", IP_OK, 0.001, "set %s", "k1"), 0);
    ck_assert_int_eq(ip_check(r, "plain", NULL, (enum ip_status)9, 0, "x"), IP_EINVAL);
    ck_assert_uint_eq(r->nchecks, 1);
    ck_assert_str_eq(check(0)->name, "write");
    ck_assert_str_eq(check(0)->target, "127.0.0.1:1");
    ck_assert_str_eq(check(0)->message, "set k1");
    ck_assert_double_eq(check(0)->duration, 0.001);
}
END_TEST

/* A hint goes to the last check of that name and target, one line; none without a check. */
START_TEST(hints_attach_to_the_last_matching_check)
{
    struct ip_report *copy;

    ck_assert_int_eq(ip_check_hint(r, "write", NULL, "nothing recorded yet"), IP_EINVAL);
    ip_check(r, "write", "127.0.0.1:1", IP_CRITICAL, 0, "refused");
    ip_check(r, "write", "127.0.0.1:2", IP_CRITICAL, 0, "refused");
    ip_check(r, "write", "127.0.0.1:1", IP_CRITICAL, 0, "refused again");
    ck_assert_int_eq(ip_check_hint(r, "write", "127.0.0.1:1", "is %s\nrunning?", "it"), 0);
    ck_assert_int_eq(ip_check_hint(r, "write", "127.0.0.1:3", "no such target"), IP_EINVAL);
    ck_assert_int_eq(ip_check_hint(r, "write", NULL, "no check without a target"), IP_EINVAL);
    ck_assert_ptr_null(check(0)->hint);
    ck_assert_ptr_null(check(1)->hint);
    ck_assert_str_eq(check(2)->hint, "is it running?");
    ck_assert_int_eq(ip_check_hint(r, "write", "127.0.0.1:1", "second"), 0);
    ck_assert_str_eq(check(2)->hint, "second");
    /* carried into a copy (a run taken over at its deadline) */
    copy = report_new("probe-1", "redis", ip_clock() + 5);
    ck_assert_ptr_nonnull(copy);
    ck_assert_int_eq(report_copy_checks(copy, r), 0);
    ck_assert_uint_eq(copy->nchecks, 3);
    ck_assert_ptr_null(copy->checks[0].hint);
    ck_assert_str_eq(copy->checks[2].hint, "second");
    report_free(copy);
    /* kept on a failed check, dropped on one that ends ok */
    ip_check(r, "plain", NULL, IP_OK, 0, "fine");
    ck_assert_int_eq(ip_check_hint(r, "plain", NULL, "only if it fails"), 0);
    report_finish(r);
    ck_assert_ptr_null(check(3)->hint);
    ck_assert_str_eq(check(2)->hint, "second");
}
END_TEST

/* A latency threshold fails a check the plugin called ok: the hint it gave in case stays. */
START_TEST(hints_stay_on_a_check_a_threshold_failed)
{
    ip_check(r, "write", NULL, IP_OK, 0.5, "slow");
    ip_check_hint(r, "write", NULL, "look at the slow log");
    report_finish(r);
    ck_assert_int_eq(check(0)->status, IP_CRITICAL);
    ck_assert_str_eq(check(0)->hint, "look at the slow log");
}
END_TEST

/* The plugin's bug shows in the report instead of the check going missing. */
START_TEST(undeclared_checks_are_recorded_as_bugs)
{
    ck_assert_int_eq(ip_check(r, "nope", "t1", IP_OK, 0.001, "x"), IP_EINVAL);
    ck_assert_int_eq(ip_check(r, NULL, NULL, IP_OK, 0.001, "x"), IP_EINVAL);
    ck_assert_uint_eq(r->nchecks, 2);
    ck_assert_str_eq(check(0)->name, "nope");
    ck_assert_str_eq(check(0)->target, "t1");
    ck_assert_int_eq(check(0)->status, IP_UNKNOWN);
    ck_assert_str_eq(check(0)->message, "plugin bug: undeclared check \"nope\"");
    ck_assert_str_eq(check(1)->name, "run");
    ck_assert_str_eq(check(1)->message, "plugin bug: a check without a name");
    report_finish(r);
    ck_assert_int_eq(r->status, IP_UNKNOWN);
}
END_TEST

/* A disabled check: ip_check_enabled() says so, and the core records it skipped with the
 * reason unless the plugin recorded it; a drill's check only in a drill run. */
START_TEST(disabled_checks_are_skipped_with_the_reason)
{
    static const char *const disabled[] = {"read_only = true (why)", NULL, NULL, "skip", NULL};

    r->disabled = disabled;
    ck_assert_int_eq(ip_check_enabled(r, "write"), 0);
    ck_assert_int_eq(ip_check_enabled(r, "plain"), 1);
    ck_assert_int_eq(ip_check_enabled(r, "lag"), 0);
    ck_assert_int_eq(ip_check_enabled(r, "undeclared"), 1);
    ip_check(r, "lag", NULL, IP_OK, 0, "recorded all the same");
    report_skip_disabled(r);
    ck_assert_uint_eq(r->nchecks, 2);
    ck_assert_str_eq(check(0)->message, "recorded all the same");
    ck_assert_str_eq(check(1)->name, "write");
    ck_assert_int_eq(check(1)->status, IP_SKIPPED);
    ck_assert_str_eq(check(1)->message, "read_only = true (why)");
}
END_TEST

START_TEST(nothing_disabled_by_default)
{
    ck_assert_int_eq(ip_check_enabled(r, "write"), 1);
    report_skip_disabled(r);
    ck_assert_uint_eq(r->nchecks, 0);
}
END_TEST

START_TEST(messages_are_one_line)
{
    ip_check(r, "plain", NULL, IP_CRITICAL, 0, "ERR a\r\nb\tc");
    ck_assert_str_eq(check(0)->message, "ERR a  b c");
}
END_TEST

START_TEST(latency_thresholds_from_defaults)
{
    ip_check(r, "write", "fast", IP_OK, 0.005, "ok");
    ip_check(r, "write", "slow", IP_OK, 0.050, "ok");
    ip_check(r, "write", "slower", IP_OK, 0.150, "ok");
    ip_check(r, "plain", NULL, IP_OK, 10.0, "no thresholds");
    report_finish(r);
    ck_assert_int_eq(check(0)->status, IP_OK);
    ck_assert_int_eq(check(1)->status, IP_WARNING);
    ck_assert_ptr_nonnull(strstr(check(1)->message, "took 50 ms > warning 10 ms"));
    ck_assert_int_eq(check(2)->status, IP_CRITICAL);
    ck_assert_ptr_nonnull(strstr(check(2)->message, "> critical 100 ms"));
    ck_assert_int_eq(check(3)->status, IP_OK);
    ck_assert_double_eq(check(0)->warn, 10);
    ck_assert_double_eq(check(0)->crit, 100);
    ck_assert_int_eq(r->status, IP_CRITICAL);
}
END_TEST

START_TEST(latency_thresholds_overridden)
{
    static const struct threshold over[] = {
        {.check = "write", .has_warn = 1, .warn = 60},
    };

    r->thresholds = over;
    r->nthresholds = 1;
    ip_check(r, "write", NULL, IP_OK, 0.050, "ok");
    ip_check(r, "write", NULL, IP_OK, 0.070, "ok");
    report_finish(r);
    ck_assert_int_eq(check(0)->status, IP_OK);
    ck_assert_int_eq(check(1)->status, IP_WARNING);
    ck_assert_double_eq(check(1)->warn, 60);
    ck_assert_double_eq(check(1)->crit, 100); /* the default stays */
}
END_TEST

START_TEST(value_thresholds_both_directions)
{
    ip_check_value(r, "throughput", NULL, IP_OK, 1, 25000, "fast");
    ip_check_value(r, "throughput", NULL, IP_OK, 1, 15000, "meh");
    ip_check_value(r, "throughput", NULL, IP_OK, 1, 5000, "slow");
    ip_check_value(r, "lag", NULL, IP_OK, 0, 10, "small");
    ip_check_value(r, "lag", NULL, IP_OK, 0, 2000, "some");
    ip_check_value(r, "lag", NULL, IP_OK, 0, 9000, "far");
    report_finish(r);
    ck_assert_int_eq(check(0)->status, IP_OK);
    ck_assert_int_eq(check(1)->status, IP_WARNING);
    ck_assert_ptr_nonnull(strstr(check(1)->message, "value 15000 < warning 20000"));
    ck_assert_int_eq(check(2)->status, IP_CRITICAL);
    ck_assert_int_eq(check(3)->status, IP_OK);
    ck_assert_int_eq(check(4)->status, IP_WARNING);
    ck_assert_int_eq(check(5)->status, IP_CRITICAL);
    ck_assert_str_eq(check(5)->unit, "bytes");
    ck_assert(check(5)->has_value);
}
END_TEST

START_TEST(a_configured_zero_is_a_threshold)
{
    static const struct threshold over[] = {
        {.check = "lag", .has_warn = 1, .warn = 0},
    };

    r->thresholds = over;
    r->nthresholds = 1;
    ip_check_value(r, "lag", NULL, IP_OK, 0, 0, "none");
    ip_check_value(r, "lag", NULL, IP_OK, 0, 1, "one");
    report_finish(r);
    ck_assert_int_eq(check(0)->status, IP_OK);
    ck_assert_int_eq(check(1)->status, IP_WARNING);
    ck_assert(check(1)->has_warn);
    ck_assert_double_eq(check(1)->warn, 0);
}
END_TEST

START_TEST(failed_checks_keep_their_status)
{
    ip_check(r, "write", NULL, IP_CRITICAL, 0.150, "refused");
    ip_check(r, "write", NULL, IP_UNKNOWN, 0.150, "no idea");
    ip_check(r, "write", NULL, IP_SKIPPED, 0.150, "not connected");
    ip_check(r, "write", NULL, IP_WARNING, 0.150, "slow and odd");
    report_finish(r);
    ck_assert_int_eq(check(0)->status, IP_CRITICAL);
    ck_assert_str_eq(check(0)->message, "refused");
    ck_assert_int_eq(check(1)->status, IP_UNKNOWN);
    ck_assert_int_eq(check(2)->status, IP_SKIPPED);
    ck_assert_int_eq(check(3)->status, IP_CRITICAL); /* a warning can still get worse */
}
END_TEST

START_TEST(probe_status_is_the_worst_check)
{
    ip_check(r, "plain", NULL, IP_OK, 0, "a");
    ip_check(r, "plain", NULL, IP_UNKNOWN, 0, "b");
    ip_check(r, "plain", NULL, IP_WARNING, 0, "c");
    report_finish(r);
    ck_assert_int_eq(r->status, IP_UNKNOWN);
    ck_assert(r->duration >= 0);
}
END_TEST

START_TEST(no_checks_is_unknown)
{
    report_finish(r);
    ck_assert_int_eq(r->status, IP_UNKNOWN);
}
END_TEST

START_TEST(run_check_is_the_cores_own)
{
    ck_assert_int_eq(report_run_check(r, IP_UNKNOWN, "timed out after %.3f s", 1.5), 0);
    report_finish(r);
    ck_assert_str_eq(check(0)->name, "run");
    ck_assert_str_eq(check(0)->message, "timed out after 1.500 s");
    ck_assert_int_eq(r->status, IP_UNKNOWN);
}
END_TEST

START_TEST(metric_names_follow_prometheus)
{
    static const char *const labels[] = {"role", "master", NULL};

    ck_assert_int_eq(ip_metric(r, IP_GAUGE, "connected_clients", NULL, "clients", NULL, NULL, 3),
                     0);
    ck_assert_int_eq(
        ip_metric(r, IP_GAUGE, "used_memory", "bytes", "memory", "127.0.0.1:1", labels, 1024), 0);
    ck_assert_int_eq(ip_metric(r, IP_COUNTER, "writes", NULL, "writes", NULL, NULL, 7), 0);
    ck_assert_int_eq(ip_metric(r, IP_COUNTER, "lost_writes_total", NULL, "x", NULL, NULL, 0), 0);
    ck_assert_int_eq(ip_metric(r, IP_GAUGE, "lag_bytes", "bytes", "x", NULL, NULL, 0), 0);
    ck_assert_int_eq(ip_metric(r, IP_GAUGE, "wait", "seconds", "x", NULL, NULL, 0.5), 0);
    ck_assert_uint_eq(r->nmetrics, 6);
    ck_assert_str_eq(r->metrics[0].name, "infraprobe_redis_connected_clients");
    ck_assert_str_eq(r->metrics[1].name, "infraprobe_redis_used_memory_bytes");
    ck_assert_str_eq(r->metrics[1].target, "127.0.0.1:1");
    ck_assert_str_eq(r->metrics[1].labels[0], "role");
    ck_assert_str_eq(r->metrics[1].labels[1], "master");
    ck_assert_ptr_null(r->metrics[1].labels[2]);
    ck_assert_str_eq(r->metrics[2].name, "infraprobe_redis_writes_total");
    ck_assert_int_eq(r->metrics[2].type, IP_COUNTER);
    ck_assert_str_eq(r->metrics[3].name, "infraprobe_redis_lost_writes_total");
    ck_assert_str_eq(r->metrics[4].name, "infraprobe_redis_lag_bytes");
    ck_assert_str_eq(r->metrics[5].name, "infraprobe_redis_wait_seconds");
}
END_TEST

START_TEST(metric_bad_names_refused)
{
    static const char *const probe_label[] = {"probe", "x", NULL};
    static const char *const odd_label[] = {"bad-label", "x", NULL};
    static const char *const half_label[] = {"a", NULL};

    ck_assert_int_eq(ip_metric(r, IP_GAUGE, "bad-name", NULL, "x", NULL, NULL, 1), IP_EINVAL);
    ck_assert_int_eq(ip_metric(r, IP_GAUGE, "1abc", NULL, "x", NULL, NULL, 1), IP_EINVAL);
    ck_assert_int_eq(ip_metric(r, IP_GAUGE, "ok", "m/s", "x", NULL, NULL, 1), IP_EINVAL);
    ck_assert_int_eq(ip_metric(r, IP_GAUGE, "ok", NULL, "x", NULL, probe_label, 1), IP_EINVAL);
    ck_assert_int_eq(ip_metric(r, IP_GAUGE, "ok", NULL, "x", NULL, odd_label, 1), IP_EINVAL);
    ck_assert_int_eq(ip_metric(r, IP_GAUGE, "ok", NULL, "x", NULL, half_label, 1), IP_EINVAL);
    ck_assert_uint_eq(r->nmetrics, 0);
}
END_TEST

START_TEST(run_ids_are_unique_uuids)
{
    struct ip_report *other = report_new("probe-1", "redis", 0);
    const char *id = ip_report_run_id(r);

    ck_assert_uint_eq(strlen(id), 36);
    ck_assert_int_eq(id[14], '4');
    ck_assert_str_ne(id, ip_report_run_id(other));
    report_free(other);
}
END_TEST

/* Make getrandom() fail with ENOSYS in this process, as on a kernel older than 3.17 or
 * under a sandbox that denies it: a seccomp filter, so no other source is touched. */
static void deny_getrandom(void)
{
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getrandom, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = sizeof(code) / sizeof(code[0]), .filter = code};

    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
        _exit(100 + errno);
}

/* Without getrandom() there is no run id: infraprobe says so and exits 3, never falling
 * back to rand() (ids that would repeat across hosts). */
START_TEST(no_getrandom_no_run_id)
{
    char out[512] = "";
    int fds[2], status;
    ssize_t n;
    pid_t pid;

    ck_assert_int_eq(pipe(fds), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        deny_getrandom();
        report_free(report_new("probe-1", "redis", ip_clock() + 5));
        _exit(0);
    }
    close(fds[1]);
    n = read(fds[0], out, sizeof(out) - 1);
    out[n > 0 ? n : 0] = '\0';
    close(fds[0]);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 3,
                  "status %#x (exit %d), expected exit 3; stderr: %s", status,
                  WIFEXITED(status) ? WEXITSTATUS(status) : -1, out);
    ck_assert_msg(strstr(out, "infraprobe: cannot make a run id: getrandom: Function not "
                              "implemented\n"),
                  "stderr: %s", out);
}
END_TEST

/* What an isolated child would forward to its parent: every event as it is recorded. */
static size_t forwarded;
static void forward_event(void *ctx, const struct timeline_event *e)
{
    (void)ctx;
    (void)e;
    forwarded++;
}

/* ip_event(): a plugin's own timeline, in the run's clock, through the report's hooks. */
START_TEST(events_are_recorded_in_the_runs_clock)
{
    struct report_hooks hooks = {.event = forward_event};
    double t = r->started + 2.5;

    forwarded = 0;
    r->hooks = &hooks;
    ck_assert_int_eq(ip_event(r, IP_EVENT_FAULT, 7, t, t + 0.25, 1, "blackhole redis://x:1"), 0);
    ck_assert_int_eq(ip_event(r, IP_EVENT_OPERATION, 0, t + 0.5, t + 1.5, 0, "ETIMEDOUT: PING"), 0);
    ck_assert_int_eq(ip_event(r, IP_EVENT_DETECTED, -5, t + 1.5, t + 1.5, 3, NULL), 0);
    ck_assert_int_eq(ip_event(r, (enum ip_event_kind)(TL_KIND_MAX + 1), -1, t, t, 1, NULL),
                     IP_EINVAL);
    ck_assert_int_eq(ip_event(r, IP_EVENT_RESTORE, -1, NAN, t, 1, NULL), IP_EINVAL);
    ck_assert_int_eq(ip_event(r, IP_EVENT_RESTORE, -1, t, INFINITY, 1, NULL), IP_EINVAL);
    ck_assert_int_eq(ip_event(NULL, IP_EVENT_RESTORE, -1, t, t, 1, NULL), IP_EINVAL);
    r->hooks = NULL;
    ck_assert_uint_eq(r->nevents, 3);
    ck_assert_uint_eq(forwarded, 3);
    ck_assert_int_eq(r->events[0].kind, TL_FAULT);
    ck_assert_int_eq(r->events[0].id, 7);
    ck_assert_double_eq_tol(r->events[0].start, 2.5, 1e-9);
    ck_assert_double_eq_tol(r->events[0].end, 2.75, 1e-9);
    ck_assert_str_eq(r->events[0].message, "blackhole redis://x:1");
    ck_assert_int_eq(r->events[1].ok, 0);
    ck_assert_str_eq(r->events[1].message, "ETIMEDOUT: PING");
    /* No id is -1, and ok is a truth value, whatever the plugin passed. */
    ck_assert_int_eq(r->events[2].id, -1);
    ck_assert_int_eq(r->events[2].ok, 1);
    ck_assert_ptr_null(r->events[2].message);
}
END_TEST

/* A plugin looping over faults cannot grow a report without end: past the bound, counted. */
START_TEST(events_past_the_bound_are_counted)
{
    double t = ip_clock();

    for (int i = 0; i < TIMELINE_MAX + 3; i++)
        ck_assert_int_eq(ip_event(r, IP_EVENT_OPERATION, i, t, t, 1, NULL), 0);
    ck_assert_uint_eq(r->nevents, TIMELINE_MAX);
    ck_assert_int_eq(r->events_dropped, 3);
}
END_TEST

START_TEST(deadline_and_remaining)
{
    double left = ip_report_remaining(r);

    ck_assert(left > 0 && left <= 5);
    r->deadline = ip_clock() - 1;
    ck_assert_double_eq(ip_report_remaining(r), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("report");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, records_declared_checks);
    tcase_add_test(tc, undeclared_checks_are_recorded_as_bugs);
    tcase_add_test(tc, disabled_checks_are_skipped_with_the_reason);
    tcase_add_test(tc, nothing_disabled_by_default);
    tcase_add_test(tc, messages_are_one_line);
    tcase_add_test(tc, hints_attach_to_the_last_matching_check);
    tcase_add_test(tc, hints_stay_on_a_check_a_threshold_failed);
    tcase_add_test(tc, latency_thresholds_from_defaults);
    tcase_add_test(tc, latency_thresholds_overridden);
    tcase_add_test(tc, value_thresholds_both_directions);
    tcase_add_test(tc, a_configured_zero_is_a_threshold);
    tcase_add_test(tc, failed_checks_keep_their_status);
    tcase_add_test(tc, probe_status_is_the_worst_check);
    tcase_add_test(tc, no_checks_is_unknown);
    tcase_add_test(tc, run_check_is_the_cores_own);
    tcase_add_test(tc, metric_names_follow_prometheus);
    tcase_add_test(tc, metric_bad_names_refused);
    tcase_add_test(tc, run_ids_are_unique_uuids);
    tcase_add_test(tc, no_getrandom_no_run_id);
    tcase_add_test(tc, deadline_and_remaining);
    tcase_add_test(tc, events_are_recorded_in_the_runs_clock);
    tcase_add_test(tc, events_past_the_bound_are_counted);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
