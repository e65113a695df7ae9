/*
 * The daemon's published results (src/published.c): a view holds the reports it saw while
 * newer runs are published and after the store is gone; counters and the history of the
 * last runs, oldest first; probes without a complete run are left out.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>

#include "published.h"
#include "report.h"
#include "testutil.h"

static struct ip_report *run_of(const char *probe, enum ip_status status, double duration)
{
    struct ip_report *r = report_new(probe, "fixture", ip_clock() + 5);

    ck_assert_ptr_nonnull(r);
    r->status = status;
    r->duration = duration;
    r->wall = 1000 + duration;
    return r;
}

START_TEST(test_view_outlives_newer_runs)
{
    struct published *p = published_new(3);
    struct published_view v, w;

    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(published_view(p, &v), 0);
    ck_assert_uint_eq(v.run.nprobes, 0); /* nothing complete yet */
    published_release(&v);

    published_put(p, 2, run_of("c", IP_CRITICAL, 1));
    published_put(p, 0, run_of("a", IP_OK, 2));
    ck_assert_int_eq(published_view(p, &v), 0);
    ck_assert_uint_eq(v.run.nprobes, 2);
    /* configuration order, whatever the order they finished in */
    ck_assert_str_eq(v.run.probes[0]->probe, "a");
    ck_assert_str_eq(v.run.probes[1]->probe, "c");
    ck_assert_int_eq(v.run.status, IP_CRITICAL);

    /* A newer run of "a": the view keeps the one it took (ASan sees a use after free). */
    published_put(p, 0, run_of("a", IP_WARNING, 3));
    ck_assert_double_eq(v.run.probes[0]->duration, 2);
    ck_assert_int_eq(published_view(p, &w), 0);
    ck_assert_double_eq(w.run.probes[0]->duration, 3);
    ck_assert_uint_eq(w.runs[0], 2);
    ck_assert_uint_eq(w.failures[0], 0);
    ck_assert_uint_eq(w.failures[1], 1);
    published_free(p);
    /* Both views are still whole after the store is gone. */
    ck_assert_str_eq(v.run.probes[1]->probe, "c");
    ck_assert_int_eq(w.run.probes[0]->status, IP_WARNING);
    published_release(&v);
    published_release(&w);
}
END_TEST

START_TEST(test_history)
{
    struct published *p = published_new(1);
    struct published_view v;
    size_t n = PUBLISHED_HISTORY + 5;

    ck_assert_ptr_nonnull(p);
    for (size_t i = 0; i < n; i++)
        published_put(p, 0, run_of("a", i % 2 ? IP_UNKNOWN : IP_OK, (double)i));
    ck_assert_int_eq(published_view(p, &v), 0);
    ck_assert_uint_eq(v.runs[0], n);
    ck_assert_uint_eq(v.failures[0], n / 2);
    ck_assert_uint_eq(v.nhistory[0], PUBLISHED_HISTORY);
    /* the last PUBLISHED_HISTORY runs, oldest first */
    for (size_t h = 0; h < PUBLISHED_HISTORY; h++)
        ck_assert_double_eq(v.history[0][h].duration, (double)(n - PUBLISHED_HISTORY + h));
    ck_assert_int_eq(v.history[0][PUBLISHED_HISTORY - 1].status, (n - 1) % 2 ? IP_UNKNOWN : IP_OK);
    published_put(p, 7, run_of("x", IP_OK, 1)); /* no such probe: freed, not kept */
    published_release(&v);
    published_free(p);
}
END_TEST

int main(void)
{
    const TTest *const tests[] = {test_view_outlives_newer_runs, test_history};

    return run_tests("published", tests, sizeof(tests) / sizeof(tests[0]));
}
