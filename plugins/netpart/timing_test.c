/*
 * The netpart plugin's judgement of an operation's time (timing.c): the client's own time is
 * what is judged, and the kernel's count of this thread's wait for a CPU is really read.
 */
#define _GNU_SOURCE
#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "netpart_plugin.h"
#include "testutil.h"

START_TEST(blackhole_judged_on_the_clients_own_time)
{
    ck_assert_int_eq(netpart_timing(NETPART_BLACKHOLE, 3.0, 3.01, 0), NETPART_IN_TIME);
    ck_assert_int_eq(netpart_timing(NETPART_BLACKHOLE, 3.0, 3.29, 0), NETPART_IN_TIME);
    ck_assert_int_eq(netpart_timing(NETPART_BLACKHOLE, 3.0, 3.31, 0), NETPART_LATE);
    /* Late by the wall clock, in time once the wait for a CPU is left out. */
    ck_assert_int_eq(netpart_timing(NETPART_BLACKHOLE, 3.0, 3.8, 0.6), NETPART_IN_TIME);
    /* A client that overran its deadline stays late, whatever the host's load. */
    ck_assert_int_eq(netpart_timing(NETPART_BLACKHOLE, 3.0, 9.0, 0.6), NETPART_LATE);
    ck_assert_int_eq(netpart_timing(NETPART_BLACKHOLE, 3.0, 3.5, -1), NETPART_LATE);
}
END_TEST

START_TEST(reset_must_be_noticed_at_once)
{
    ck_assert_int_eq(netpart_timing(NETPART_REJECT, 3.0, 0.01, 0), NETPART_IN_TIME);
    ck_assert_int_eq(netpart_timing(NETPART_REJECT, 3.0, 3.0, 0), NETPART_NOT_AT_ONCE);
    ck_assert_int_eq(netpart_timing(NETPART_HALFOPEN, 3.0, 3.2, 0), NETPART_NOT_AT_ONCE);
    ck_assert_int_eq(netpart_timing(NETPART_REJECT, 3.0, 3.2, 0.5), NETPART_IN_TIME);
}
END_TEST

static atomic_int spinning = 1;

static void *spin(void *arg)
{
    (void)arg;
    while (atomic_load(&spinning))
        ;
    return NULL;
}

/* Two threads busy on one CPU: each waits for it while the other runs, and the kernel counts
 * that wait, which netpart_cpu_wait() must read (a kernel without the count fails here). */
START_TEST(cpu_wait_is_read_from_the_kernel)
{
    cpu_set_t one;
    pthread_t t;
    struct timespec end, now;
    double w0;

    CPU_ZERO(&one);
    CPU_SET(sched_getcpu(), &one);
    ck_assert_int_eq(sched_setaffinity(0, sizeof(one), &one), 0);
    ck_assert_int_eq(pthread_create(&t, NULL, spin, NULL), 0);
    w0 = netpart_cpu_wait();
    clock_gettime(CLOCK_MONOTONIC, &end);
    end.tv_sec += 1;
    do
        clock_gettime(CLOCK_MONOTONIC, &now);
    while (now.tv_sec < end.tv_sec || (now.tv_sec == end.tv_sec && now.tv_nsec < end.tv_nsec));
    ck_assert_msg(netpart_cpu_wait() > w0, "no wait for a CPU counted: %f", netpart_cpu_wait());
    atomic_store(&spinning, 0);
    pthread_join(t, NULL);
}
END_TEST

int main(void)
{
    const TTest *const tests[] = {blackhole_judged_on_the_clients_own_time,
                                  reset_must_be_noticed_at_once, cpu_wait_is_read_from_the_kernel};

    return run_tests("netpart_timing", tests, sizeof(tests) / sizeof(tests[0]));
}
