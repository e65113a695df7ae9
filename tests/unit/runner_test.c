/*
 * The runner, with an in-test plugin whose runs wait on a gate the test opens: runs are
 * collected, an overrun is given up on at its deadline and its thread reclaimed when it
 * returns, an interrupt ends queued and running probes, and a drill given up on is restored.
 * Nothing here waits on the clock for a verdict: the gate decides when a run returns.
 */
#include "config.h"

#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <infraprobe/plugin.h>

#include "conf.h"
#include "report.h"
#include "runner.h"

static const struct ip_check_decl gate_checks[] = {
    {.name = "ran", .kind = IP_LATENCY},
    {.name = "failover", .kind = IP_LATENCY, .flags = IP_CHECK_DRILL},
    {0},
};

struct gate {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int open;    /* runs may return */
    int running; /* runs inside run() now */
    int runs;
};

static struct gate gate = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0};

static void gate_set(int open)
{
    pthread_mutex_lock(&gate.lock);
    gate.open = open;
    pthread_cond_broadcast(&gate.cond);
    pthread_mutex_unlock(&gate.lock);
}

static int gate_run(void *state, struct ip_report *rep)
{
    int *hold = state;
    char err[256];

    if (ip_drill(rep, NULL))
        ip_fault(rep, "stop", NULL, err, sizeof(err));
    pthread_mutex_lock(&gate.lock);
    gate.running++;
    gate.runs++;
    while (*hold && !gate.open)
        pthread_cond_wait(&gate.cond, &gate.lock);
    gate.running--;
    pthread_mutex_unlock(&gate.lock);
    return ip_check(rep, "ran", NULL, IP_OK, 0, "ran");
}

static const struct ip_plugin gate_plugin = {IP_PLUGIN_HEADER, .name = "gate",
                                             .checks = gate_checks, .run = gate_run};

static int hold_yes = 1, hold_no = 0;
static struct conf conf;
static struct probe_conf probes[2];
static struct ip_report *got[2];
static size_t ngot;

static void collect_one(void *ctx, size_t probe, struct ip_report *report)
{
    (void)ctx;
    ck_assert_uint_lt(probe, 2);
    ck_assert_ptr_null(got[probe]);
    got[probe] = report;
    ngot++;
}

static void setup(void)
{
    memset(&conf, 0, sizeof(conf));
    memset(probes, 0, sizeof(probes));
    for (int i = 0; i < 2; i++) {
        probes[i].name = i ? "second" : "first";
        probes[i].plugin = &gate_plugin;
        probes[i].state = &hold_no;
        probes[i].ready = 1;
        probes[i].timeout = 5;
        probes[i].isolation = ISOLATION_THREAD;
    }
    conf.probes = probes;
    conf.nprobes = 2;
    memset(got, 0, sizeof(got));
    ngot = 0;
    gate_set(0);
    gate.runs = 0;
}

static void teardown(void)
{
    gate_set(1);
    for (int i = 0; i < 2; i++)
        report_free(got[i]);
}

static void collect_all(struct runner *r, size_t n)
{
    while (ngot < n)
        runner_collect(r, INFINITY, collect_one, NULL);
}

static const char *run_message(const struct ip_report *rep)
{
    for (size_t i = 0; i < rep->nchecks; i++)
        if (!strcmp(rep->checks[i].name, "run"))
            return rep->checks[i].message;
    return "";
}

/* Wait (boundedly: a hang fails the test by Check's timeout) until `cond` holds. */
#define EVENTUALLY(cond)                                                                           \
    do {                                                                                           \
        while (!(cond))                                                                            \
            usleep(1000);                                                                          \
    } while (0)

START_TEST(runs_are_collected)
{
    struct runner *r = runner_new(&conf, 2);

    ck_assert_ptr_nonnull(r);
    runner_submit(r, 0);
    runner_submit(r, 1);
    collect_all(r, 2);
    for (int i = 0; i < 2; i++) {
        ck_assert_msg(got[i]->status == IP_OK, "probe %d: %s: %s", i,
                      ip_status_name(got[i]->status), run_message(got[i]));
        ck_assert_str_eq(got[i]->checks[0].name, "ran");
    }
    ck_assert_uint_eq(runner_pending(r), 0);
    runner_free(r);
}
END_TEST

START_TEST(an_overrun_is_given_up_and_its_thread_reclaimed)
{
    struct runner *r;

    probes[0].state = &hold_yes;
    probes[0].timeout = 0.05;
    r = runner_new(&conf, 1);
    ck_assert_ptr_nonnull(r);
    runner_submit(r, 0);
    collect_all(r, 1);
    ck_assert_msg(got[0]->status == IP_UNKNOWN, "%s", ip_status_name(got[0]->status));
    ck_assert_msg(strstr(run_message(got[0]), "timed out after 0.050 s"), "run: %s",
                  run_message(got[0]));
    ck_assert_uint_eq(runner_stuck(r), 1);
    ck_assert_int_eq(runner_busy(r, 0), 1);  /* not started again while stuck */
    ck_assert_uint_eq(runner_threads(r), 2); /* the stuck one, and the one in its place */
    /* The pool kept its strength: another probe runs while the first is stuck. */
    runner_submit(r, 1);
    collect_all(r, 2);
    ck_assert_int_eq(got[1]->status, IP_OK);
    gate_set(1);
    EVENTUALLY(runner_stuck(r) == 0);
    ck_assert_int_eq(runner_busy(r, 0), 0);
    ck_assert_uint_eq(runner_threads(r), 1);
    runner_free(r);
}
END_TEST

START_TEST(an_interrupt_ends_queued_and_running_probes)
{
    struct runner *r;

    probes[0].state = &hold_yes;
    r = runner_new(&conf, 1); /* one worker: the second probe waits in the queue */
    ck_assert_ptr_nonnull(r);
    runner_submit(r, 0);
    runner_submit(r, 1);
    EVENTUALLY(gate.running == 1);
    runner_interrupt(r, "interrupted by SIGTEST");
    collect_all(r, 2);
    ck_assert_str_eq(run_message(got[0]), "interrupted by SIGTEST");
    ck_assert_str_eq(run_message(got[1]), "not run: interrupted by SIGTEST");
    ck_assert_int_eq(got[0]->status, IP_UNKNOWN);
    ck_assert_int_eq(got[1]->status, IP_UNKNOWN);
    ck_assert_int_eq(gate.runs, 1);
    ck_assert_int_eq(runner_submit(r, 1), 0); /* refused from now on */
    ck_assert_int_eq(runner_busy(r, 1), 0);
    gate_set(1);
    EVENTUALLY(runner_stuck(r) == 0);
    runner_free(r);
}
END_TEST

/* A worker whose run returns after the interrupt takes nothing more from the queue: what is
 * queued is reported "not run", never started (a drill started then would go unrestored). */
START_TEST(after_an_interrupt_a_worker_starts_nothing)
{
    struct runner *r;

    probes[0].state = &hold_yes;
    probes[1].state = &hold_yes;
    r = runner_new(&conf, 1);
    ck_assert_ptr_nonnull(r);
    runner_submit(r, 0);
    runner_submit(r, 1);
    EVENTUALLY(gate.running == 1);
    runner_interrupt(r, "interrupted by SIGTEST");
    gate_set(1); /* the first run returns while the second is still queued */
    EVENTUALLY(gate.running == 0);
    collect_all(r, 2);
    EVENTUALLY(runner_stuck(r) == 0);
    ck_assert_int_eq(gate.runs, 1);
    ck_assert_str_eq(run_message(got[1]), "not run: interrupted by SIGTEST");
    runner_free(r);
}
END_TEST

/* A run whose report cannot be made is still handed out, so that --once never waits on it. */
START_TEST(a_run_without_memory_is_accounted_for)
{
    struct runner *r = runner_new(&conf, 1);

    ck_assert_ptr_nonnull(r);
    report_fail_next(1);
    runner_submit(r, 0);
    collect_all(r, 1);
    ck_assert_ptr_nonnull(got[0]);
    ck_assert_int_eq(got[0]->status, IP_UNKNOWN);
    ck_assert_str_eq(run_message(got[0]), "out of memory");
    ck_assert_int_eq(gate.runs, 0);
    runner_free(r);
}
END_TEST

START_TEST(a_drill_given_up_on_is_restored)
{
    char dir[] = "/tmp/runner-test-XXXXXX", restored[64], cmd[128];
    struct fault_action actions[2] = {{"stop", "true"}, {"start", cmd}};
    struct runner *r;
    const struct check_result *restore = NULL;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(restored, sizeof(restored), "%s/restored", dir);
    snprintf(cmd, sizeof(cmd), "touch %s", restored);
    conf.drill = 1;
    probes[0].state = &hold_yes;
    probes[0].timeout = 0.05;
    probes[0].drills = 1;
    probes[0].drill =
        (struct drill){.timeout = 0.05, .action_timeout = 10, .actions = actions, .nactions = 2};
    r = runner_new(&conf, 1);
    ck_assert_ptr_nonnull(r);
    runner_submit(r, 0);
    collect_all(r, 1);
    ck_assert_int_eq(access(restored, F_OK), 0);
    for (size_t i = 0; i < got[0]->nchecks; i++)
        if (!strcmp(got[0]->checks[i].name, "restore"))
            restore = &got[0]->checks[i];
    ck_assert_ptr_nonnull(restore);
    ck_assert_int_eq(restore->status, IP_OK);
    ck_assert_msg(strstr(restore->message, "(run by infraprobe: timed out after 0.100 s)"), "%s",
                  restore->message);
    gate_set(1);
    EVENTUALLY(runner_stuck(r) == 0);
    runner_free(r);
    unlink(restored);
    rmdir(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("runner");
    TCase *tc = tcase_create("runner");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, runs_are_collected);
    tcase_add_test(tc, an_overrun_is_given_up_and_its_thread_reclaimed);
    tcase_add_test(tc, an_interrupt_ends_queued_and_running_probes);
    tcase_add_test(tc, after_an_interrupt_a_worker_starts_nothing);
    tcase_add_test(tc, a_run_without_memory_is_accounted_for);
    tcase_add_test(tc, a_drill_given_up_on_is_restored);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
