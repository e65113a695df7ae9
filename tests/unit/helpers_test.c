/*
 * Unit tests of the SDK's helpers (lib/helpers.c, lib/workers.c): skipping the checks a failed
 * connect leaves unrun, the pool's settings group, the pool's nine metrics, the run's tag, and
 * N concurrent workers until a deadline with the first error kept.
 */
#include "config.h"

#include <check.h>
#include <libconfig.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <infraprobe/plugin.h>

#include "probe.h"
#include "report.h"
#include "testutil.h"

static const struct ip_check_decl decls[] = {
    {.name = "connect"},
    {.name = "read"},
    {.name = "write"},
    {0},
};

static struct ip_report *new_report(void)
{
    struct ip_report *r = report_new("probe-1", "redis", ip_clock() + 60);

    ck_assert_ptr_nonnull(r);
    r->decls = decls;
    return r;
}

START_TEST(skip_checks)
{
    struct ip_report *r = new_report();

    ip_skip_checks(r, "127.0.0.1:6379", (const char *[]){"read", "write", NULL}, "not %s",
                   "connected");
    ip_skip_checks(r, NULL, NULL, "nothing");
    ck_assert_uint_eq(r->nchecks, 2);
    for (size_t i = 0; i < 2; i++) {
        ck_assert_str_eq(r->checks[i].name, i ? "write" : "read");
        ck_assert_msg(r->checks[i].status == IP_SKIPPED, "%s: status %d", r->checks[i].name,
                      r->checks[i].status);
        ck_assert_str_eq(r->checks[i].message, "not connected");
        ck_assert_str_eq(r->checks[i].target, "127.0.0.1:6379");
    }
    report_free(r);
}
END_TEST

/* ip_probe_pool() over a probe group `text`; the errors it printed into *errors. */
static struct ip_pool_config pool_of(const char *text, struct ip_pool_config def, int *nerr,
                                     char **errors)
{
    config_t cfg;
    struct capture cap;
    struct ip_probe *probe;

    config_init(&cfg);
    ck_assert_msg(config_read_string(&cfg, text), "libconfig: %s", config_error_text(&cfg));
    probe = probe_new(config_root_setting(&cfg), "p1", NULL, 2.5);
    ck_assert_ptr_nonnull(probe);
    capture_start(&cap);
    ip_probe_pool(probe, &def);
    *errors = capture_end(&cap);
    *nerr = ip_probe_err(probe);
    probe_free(probe);
    config_destroy(&cfg);
    return def;
}

START_TEST(probe_pool)
{
    const struct ip_pool_config def = {.max_open = 25, .max_idle = 5, .max_lifetime = 300};
    struct ip_pool_config c;
    char *errors;
    int nerr;

    c = pool_of("x = 1;", def, &nerr, &errors);
    ck_assert_msg(nerr == 0 && c.max_open == 25 && c.max_idle == 5 && c.max_lifetime == 300,
                  "defaults: %d errors, %d/%d/%g: %s", nerr, c.max_open, c.max_idle, c.max_lifetime,
                  errors);
    free(errors);
    c = pool_of("pool = { max_open = 3; max_idle = 1; max_lifetime = 0.5; };", def, &nerr, &errors);
    ck_assert_msg(nerr == 0 && c.max_open == 3 && c.max_idle == 1 && c.max_lifetime == 0.5,
                  "set: %d errors, %d/%d/%g: %s", nerr, c.max_open, c.max_idle, c.max_lifetime,
                  errors);
    free(errors);
    c = pool_of("pool = { max_open = 0; max_idle = 50; };", def, &nerr, &errors);
    ck_assert_msg(nerr == 0 && c.max_open == 0 && c.max_idle == 50,
                  "no limit: %d errors, %d/%d: %s", nerr, c.max_open, c.max_idle, errors);
    free(errors);
    c = pool_of("pool = { max_open = 2; max_idle = 3; };", def, &nerr, &errors);
    ck_assert_msg(nerr == 1 && strstr(errors, "pool: max_idle = 3: must not exceed max_open = 2"),
                  "%d errors: %s", nerr, errors);
    free(errors);
    c = pool_of("pool = { max_open = -1; max_idle = 100001; };", def, &nerr, &errors);
    ck_assert_msg(nerr == 2, "out of range: %d errors: %s", nerr, errors);
    free(errors);
}
END_TEST

static const struct metric_result *metric(const struct ip_report *r, const char *name)
{
    for (size_t i = 0; i < r->nmetrics; i++)
        if (!strcmp(r->metrics[i].name, name))
            return &r->metrics[i];
    ck_abort_msg("no metric %s among %zu", name, r->nmetrics);
    return NULL;
}

START_TEST(pool_metrics)
{
    static const struct {
        const char *name;
        enum ip_metric_type type;
        double value;
    } want[] = {
        {"infraprobe_redis_pool_max_open", IP_GAUGE, 10},
        {"infraprobe_redis_pool_open", IP_GAUGE, 7},
        {"infraprobe_redis_pool_in_use", IP_GAUGE, 5},
        {"infraprobe_redis_pool_idle", IP_GAUGE, 2},
        {"infraprobe_redis_pool_opened_total", IP_COUNTER, 40},
        {"infraprobe_redis_pool_wait_count_total", IP_COUNTER, 12},
        {"infraprobe_redis_pool_wait_duration_seconds_total", IP_COUNTER, 1.5},
        {"infraprobe_redis_pool_max_idle_closed_total", IP_COUNTER, 30},
        {"infraprobe_redis_pool_max_lifetime_closed_total", IP_COUNTER, 3},
    };
    const struct ip_pool_stats s = {10, 7, 5, 2, 40, 12, 1.5, 30, 3};
    struct ip_report *r = new_report();

    ip_pool_metrics(r, &s, "127.0.0.1:6379");
    ck_assert_uint_eq(r->nmetrics, 9);
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const struct metric_result *m = metric(r, want[i].name);

        ck_assert_msg(m->type == want[i].type && m->value == want[i].value, "%s: type %d, value %g",
                      want[i].name, m->type, m->value);
        ck_assert_str_eq(m->target, "127.0.0.1:6379");
    }
    report_free(r);
}
END_TEST

START_TEST(run_tag)
{
    struct ip_report *r = new_report();
    char tag[64], small[5];

    free(r->run_id);
    r->run_id = strdup("0b1e'; DROP--\"x:y*`z 9F");
    ck_assert_str_eq(ip_run_tag(r, tag, sizeof(tag)), "0b1eDROP--xyz9F");
    ck_assert_str_eq(ip_run_tag(r, small, sizeof(small)), "0b1e");
    report_free(r);
    r = new_report(); /* a real run id: a UUID, kept whole */
    ck_assert_str_eq(ip_run_tag(r, tag, sizeof(tag)), r->run_id);
    ck_assert_uint_eq(strlen(tag), 36);
    report_free(r);
}
END_TEST

/* ---- workers ---- */

struct work {
    pthread_mutex_t lock;
    int n;       /* workers */
    int inside;  /* in a call now */
    int most;    /* the most inside at once */
    int calls;   /* made */
    int fail_at; /* worker * 100 + call that fails; -1: none */
    int hold;    /* the first calls wait until all n are inside */
    int release; /* let blocked calls go */
};

/* A first call waits for all n workers to be inside one (when w->hold), every call for the
 * release. */
static int must_wait(struct work *w, int call)
{
    int wait;

    pthread_mutex_lock(&w->lock);
    wait = (w->hold && call == 0 && w->most < w->n) || !w->release;
    pthread_mutex_unlock(&w->lock);
    return wait;
}

static int work_call(void *arg, int worker, int call, char *err, size_t errlen)
{
    struct work *w = arg;
    double give_up = ip_clock() + 30; /* only so that a broken helper cannot hang the test */
    int rc = 0;

    pthread_mutex_lock(&w->lock);
    w->calls++;
    if (++w->inside > w->most)
        w->most = w->inside;
    pthread_mutex_unlock(&w->lock);
    while (must_wait(w, call) && ip_clock() < give_up)
        ip_sleep_until(ip_clock() + 0.001);
    if (worker * 100 + call == w->fail_at) {
        snprintf(err, errlen, "boom %d.%d", worker, call);
        rc = -1;
    }
    pthread_mutex_lock(&w->lock);
    w->inside--;
    pthread_mutex_unlock(&w->lock);
    return rc;
}

START_TEST(workers_concurrent_first_error)
{
    struct work w = {.n = 8, .fail_at = 501, .hold = 1, .release = 1};
    char err[128];
    int started = -1;
    long long failed;

    pthread_mutex_init(&w.lock, NULL);
    failed = ip_workers_run(8, 3, ip_clock() + 60, work_call, &w, &started, err, sizeof(err));
    ck_assert_msg(failed == 1 && started == 8 && w.calls == 24, "failed %lld, started %d, calls %d",
                  failed, started, w.calls);
    ck_assert_msg(w.most == 8, "at most %d of 8 workers at once", w.most);
    ck_assert_str_eq(err, "boom 5.1");
    pthread_mutex_destroy(&w.lock);
}
END_TEST

START_TEST(workers_deadline_passed)
{
    struct work w = {.n = 4, .fail_at = -1, .release = 1};
    char err[128];
    int started;
    long long failed;

    pthread_mutex_init(&w.lock, NULL);
    failed = ip_workers_run(4, 2, ip_clock() - 1, work_call, &w, &started, err, sizeof(err));
    ck_assert_msg(failed == 8 && started == 4 && w.calls == 0, "failed %lld, started %d, calls %d",
                  failed, started, w.calls);
    ck_assert_str_eq(err, "deadline exceeded");
    ck_assert_int_eq(ip_workers_wait(NULL, &started, err, sizeof(err)), IP_ENOMEM);
    ck_assert_int_eq(started, 0);
    ck_assert_int_eq(ip_workers_done(NULL), 1);
    pthread_mutex_destroy(&w.lock);
}
END_TEST

/* ip_workers_done() says no while a worker is busy, and yes once all have finished. */
START_TEST(workers_done)
{
    struct work w = {.n = 3, .fail_at = -1};
    struct ip_workers *ws;
    double give_up = ip_clock() + 30;
    char err[128];

    pthread_mutex_init(&w.lock, NULL);
    ws = ip_workers_start(3, 1, ip_clock() + 60, work_call, &w);
    ck_assert_ptr_nonnull(ws);
    ck_assert_int_eq(ip_workers_done(ws), 0);
    pthread_mutex_lock(&w.lock);
    w.release = 1;
    pthread_mutex_unlock(&w.lock);
    while (!ip_workers_done(ws) && ip_clock() < give_up)
        ip_sleep_until(ip_clock() + 0.001);
    ck_assert_msg(ip_workers_done(ws), "not done; %d calls", w.calls);
    ck_assert_int_eq(ip_workers_wait(ws, NULL, err, sizeof(err)), 0);
    ck_assert_str_eq(err, "");
    ck_assert_int_eq(w.calls, 3);
    pthread_mutex_destroy(&w.lock);
}
END_TEST

int main(void)
{
    const TTest *const tests[] = {
        skip_checks,
        probe_pool,
        pool_metrics,
        run_tag,
        workers_concurrent_first_error,
        workers_deadline_passed,
        workers_done,
    };

    return run_tests("helpers", tests, sizeof(tests) / sizeof(tests[0]));
}
