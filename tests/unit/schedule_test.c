/*
 * The daemon's schedule: each probe's phase comes from its name (stable across restarts and
 * versions, spread over the interval), the first runs of many probes are spread over their
 * interval instead of all falling at the start, runs stay on their grid, a probe still
 * running skips its turn, and the runner hands out every run of a thousand probes once.
 * Every clock here is a number the test passes: nothing waits on time for a verdict.
 */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <infraprobe/plugin.h>

#include "conf.h"
#include "nameset.h"
#include "report.h"
#include "runner.h"
#include "schedule.h"
#include "testutil.h"

#define N 1000

static const struct ip_check_decl noop_checks[] = {{.name = "ran", .kind = IP_LATENCY}, {0}};

static int noop_run(void *state, struct ip_report *rep)
{
    (void)state;
    return ip_check(rep, "ran", NULL, IP_OK, 0, "ran");
}

static const struct ip_plugin noop_plugin = {IP_PLUGIN_HEADER, .name = "noop",
                                             .checks = noop_checks, .run = noop_run};

static struct conf conf;
static struct probe_conf probes[N];
static char names[N][16];

static void setup(void)
{
    memset(&conf, 0, sizeof(conf));
    memset(probes, 0, sizeof(probes));
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof(names[i]), "probe-%d", i);
        probes[i].name = names[i];
        probes[i].plugin = &noop_plugin;
        probes[i].ready = 1;
        probes[i].interval = 1.0;
        probes[i].timeout = 5;
        probes[i].isolation = ISOLATION_THREAD;
    }
    conf.probes = probes;
    conf.nprobes = N;
}

/* The phase must not change with a version: it is FNV-1a, whose published vectors these are. */
START_TEST(the_hash_is_fnv1a)
{
    ck_assert_uint_eq(nameset_hash(""), 0xcbf29ce484222325ULL);
    ck_assert_uint_eq(nameset_hash("a"), 0xaf63dc4c8601ec8cULL);
    ck_assert_uint_eq(nameset_hash("foobar"), 0x85944171f73967e8ULL);
}
END_TEST

START_TEST(phases_are_stable_and_spread)
{
    int buckets[10] = {0};

    for (int i = 0; i < N; i++) {
        double p = schedule_phase(names[i], 1.0);

        ck_assert_msg(p >= 0 && p < 1.0, "%s: phase %g", names[i], p);
        ck_assert_double_eq(p, schedule_phase(names[i], 1.0));
        ck_assert_double_eq_tol(schedule_phase(names[i], 60.0), 60 * p, 1e-9);
        buckets[(int)(p * 10)]++;
    }
    /* 100 expected in each tenth of the interval. */
    for (int b = 0; b < 10; b++)
        ck_assert_msg(buckets[b] > 60 && buckets[b] < 140, "tenth %d of the interval: %d probes", b,
                      buckets[b]);
}
END_TEST

static int by_due(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

START_TEST(first_runs_are_spread_over_the_interval)
{
    struct schedule s;
    static double due[N];
    size_t n = 0, i, distinct = 1;
    double now = 1000.0, wall = 1.8e9 + 0.3, d;

    ck_assert_int_eq(schedule_init(&s, &conf, now, wall), 0);
    ck_assert_double_eq(schedule_next(&s), s.heap[0].due);
    while ((i = schedule_pop(&s, INFINITY, &d)) != SIZE_MAX) {
        ck_assert_msg(d >= now && d < now + 1.0, "%s first due %g s after the start", names[i],
                      d - now);
        /* At the wall clock's point of its own phase. */
        ck_assert_double_eq_tol(fmod(wall + (d - now), 1.0), schedule_phase(names[i], 1.0), 1e-6);
        if (n > 0)
            ck_assert_double_le(due[n - 1], d); /* popped in order */
        due[n++] = d;
    }
    ck_assert_uint_eq(n, N);
    qsort(due, n, sizeof(*due), by_due);
    for (size_t k = 1; k < n; k++)
        distinct += due[k] != due[k - 1];
    ck_assert_msg(distinct > N * 9 / 10, "only %zu distinct first due times", distinct);
    ck_assert_double_gt(due[n - 1] - due[0], 0.9);
    schedule_free(&s);
}
END_TEST

/* A restart, any whole number of intervals later and on another monotonic clock, keeps each
 * probe's phase. */
START_TEST(a_restart_keeps_the_phases)
{
    struct schedule a, b;
    static double phase[N];
    size_t i;
    double d;

    ck_assert_int_eq(schedule_init(&a, &conf, 50.0, 1.8e9 + 0.25), 0);
    ck_assert_int_eq(schedule_init(&b, &conf, 7.0, 1.8e9 + 3600.75), 0);
    while ((i = schedule_pop(&a, INFINITY, &d)) != SIZE_MAX)
        phase[i] = fmod(1.8e9 + 0.25 + (d - 50.0), 1.0);
    while ((i = schedule_pop(&b, INFINITY, &d)) != SIZE_MAX)
        ck_assert_double_eq_tol(fmod(1.8e9 + 3600.75 + (d - 7.0), 1.0), phase[i], 1e-6);
    schedule_free(&a);
    schedule_free(&b);
}
END_TEST

/* After a reload, a kept probe (map[i], its old index) keeps its place on the schedule, a new
 * one (SIZE_MAX) is due at its phase. */
START_TEST(a_reload_keeps_the_due_times_of_kept_probes)
{
    struct schedule s;
    static double before[N];
    static size_t map[N];
    size_t i;
    double d;

    ck_assert_int_eq(schedule_init(&s, &conf, 10.0, 1.8e9), 0);
    /* Runs have moved every probe's due time on by some intervals. */
    for (size_t k = 0; k < s.n; k++) {
        s.heap[k].due += (double)(s.heap[k].probe % 7);
        before[s.heap[k].probe] = s.heap[k].due;
    }
    /* The new file: the old probes reversed, the first ten of them new. */
    for (size_t k = 0; k < N; k++)
        map[k] = k < 10 ? SIZE_MAX : N - 1 - k;
    ck_assert_int_eq(schedule_remap(&s, &conf, map, 20.0, 1.8e9 + 10.0), 0);
    ck_assert_uint_eq(s.n, N);
    while ((i = schedule_pop(&s, INFINITY, &d)) != SIZE_MAX) {
        if (map[i] == SIZE_MAX)
            ck_assert_double_eq_tol(fmod(1.8e9 + 10.0 + (d - 20.0), 1.0),
                                    schedule_phase(names[i], 1.0), 1e-6);
        else
            ck_assert_msg(d == before[map[i]], "%s: due %g, was %g as %s", names[i], d,
                          before[map[i]], names[map[i]]);
    }
    schedule_free(&s);
}
END_TEST

static size_t ncollected, counts[N];

static void count_one(void *ctx, size_t probe, struct ip_report *report)
{
    (void)ctx;
    ck_assert_ptr_nonnull(report);
    ck_assert_int_eq(report->status, IP_OK);
    counts[probe]++;
    ncollected++;
    report_free(report);
}

/* Over the first interval, stepped by 10 ms of a clock the test moves: every probe is submitted
 * once, a few at each step (never all at the start), and each run is handed out once. */
START_TEST(the_daemon_loop_spreads_the_runs)
{
    struct runner *r = runner_new(&conf, 4);
    struct schedule s;
    double now = 100.0, next;
    size_t most = 0, before;

    ck_assert_ptr_nonnull(r);
    memset(counts, 0, sizeof(counts));
    ncollected = 0;
    ck_assert_int_eq(schedule_init(&s, &conf, now, 1.8e9), 0);
    for (int step = 1; step <= 100; step++) {
        now = 100.0 + step * 0.01 - 1e-9;
        before = s.skipped;
        while (schedule_next(&s) <= now) {
            size_t queued = runner_pending(r);

            next = schedule_run(&s, &conf, r, now);
            ck_assert_double_gt(next, now);
            if (runner_pending(r) - queued > most)
                most = runner_pending(r) - queued;
        }
        ck_assert_uint_eq(s.skipped, before);
        while (runner_pending(r) > 0)
            runner_collect(r, INFINITY, count_one, NULL);
    }
    ck_assert_uint_eq(ncollected, N);
    for (int i = 0; i < N; i++)
        ck_assert_msg(counts[i] == 1, "%s ran %zu times", names[i], counts[i]);
    /* 10 expected in each 10 ms step. */
    ck_assert_msg(most < 40, "%zu probes started in one 10 ms step", most);
    /* Every probe is next due one interval after its first run, on its grid. */
    ck_assert_double_ge(schedule_next(&s), 101.0 - 1e-9);
    runner_free(r);
    schedule_free(&s);
}
END_TEST

/* A run that has not ended when its probe is next due: that turn is skipped, not queued, and
 * the grid stays where it was. */
START_TEST(a_busy_probe_skips_its_turn)
{
    struct runner *r;
    struct schedule s = {0};
    double next;

    conf.nprobes = 1;
    r = runner_new(&conf, 1);
    ck_assert_ptr_nonnull(r);
    s.heap = calloc(2, sizeof(*s.heap));
    ck_assert_ptr_nonnull(s.heap);
    schedule_push(&s, 0, 10.25);
    /* Late by 2.5 intervals: it runs now, and is next due on its grid. */
    next = schedule_run(&s, &conf, r, 12.75);
    ck_assert_double_eq_tol(next, 13.25, 1e-9);
    ck_assert_uint_eq(s.skipped, 0);
    /* Still queued or running (nobody collected it): its next turn is skipped. */
    ck_assert_int_eq(runner_busy(r, 0), 1);
    next = schedule_run(&s, &conf, r, 13.5);
    ck_assert_double_eq_tol(next, 14.25, 1e-9);
    ck_assert_uint_eq(s.skipped, 1);
    ncollected = 0;
    memset(counts, 0, sizeof(counts));
    while (ncollected < 1)
        runner_collect(r, INFINITY, count_one, NULL);
    ck_assert_uint_eq(counts[0], 1);
    runner_free(r);
    schedule_free(&s);
}
END_TEST

int main(void)
{
    const TTest *const tests[] = {
        the_hash_is_fnv1a,
        phases_are_stable_and_spread,
        first_runs_are_spread_over_the_interval,
        a_restart_keeps_the_phases,
        a_reload_keeps_the_due_times_of_kept_probes,
        the_daemon_loop_spreads_the_runs,
        a_busy_probe_skips_its_turn,
    };

    /* Each test runs in a child forked from here, with this configuration. */
    setup();
    return run_tests("schedule", tests, sizeof(tests) / sizeof(tests[0]));
}
