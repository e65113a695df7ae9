/*
 * Unit tests of the SDK's deadline conversions (lib/deadline.c): the one overflow rule (a
 * deadline passed or NaN leaves nothing, INFINITY leaves IP_WAIT_MAX), milliseconds rounded
 * up, and sleeps and polls that outlast signals and never end before their deadline.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <infraprobe/plugin.h>

#include "testutil.h"

START_TEST(ms_rule)
{
    int inf = ip_deadline_ms(INFINITY);

    ck_assert_int_eq(ip_deadline_ms(ip_clock() - 1), 0);
    ck_assert_int_eq(ip_deadline_ms(NAN), 0);
    ck_assert_int_eq(ip_deadline_ms(-INFINITY), 0);
    ck_assert_msg(inf == (int)(IP_WAIT_MAX * 1000), "INFINITY gave %d ms", inf);
    ck_assert_int_eq(ip_deadline_ms(ip_clock() + 1e300), inf);
}
END_TEST

/* Rounded up: a wait of the milliseconds it gives never ends before the deadline. */
START_TEST(ms_rounds_up)
{
    for (int i = 0; i < 100; i++) {
        double d = ip_clock() + 10.0 + i * 0.0000371;
        int ms = ip_deadline_ms(d);
        double left = d - ip_clock();

        ck_assert_msg(ms / 1000.0 >= left, "%d ms for %.7f s left", ms, left);
        ck_assert_msg(ms <= 10004, "%d ms for a deadline 10.004 s away at most", ms);
    }
}
END_TEST

START_TEST(timeval_rule)
{
    struct timeval past = ip_deadline_timeval(ip_clock() - 5), nan = ip_deadline_timeval(NAN);
    struct timeval inf = ip_deadline_timeval(INFINITY);
    struct timeval soon = ip_deadline_timeval(ip_clock() + 2.5);

    ck_assert_msg(past.tv_sec == 0 && past.tv_usec == 0, "past: %ld.%06ld", (long)past.tv_sec,
                  (long)past.tv_usec);
    ck_assert_msg(nan.tv_sec == 0 && nan.tv_usec == 0, "NaN: %ld.%06ld", (long)nan.tv_sec,
                  (long)nan.tv_usec);
    ck_assert_msg(inf.tv_sec == (time_t)IP_WAIT_MAX && inf.tv_usec == 0, "INFINITY: %ld.%06ld",
                  (long)inf.tv_sec, (long)inf.tv_usec);
    ck_assert_msg(soon.tv_sec <= 2 && soon.tv_usec < 1000000 &&
                      soon.tv_sec * 1000000 + soon.tv_usec <= 2500000,
                  "2.5 s: %ld.%06ld", (long)soon.tv_sec, (long)soon.tv_usec);
}
END_TEST

/* An absolute CLOCK_MONOTONIC time: in the past for a passed deadline, IP_WAIT_MAX ahead
 * for INFINITY, and always normalised. */
START_TEST(timespec_rule)
{
    struct timespec now, inf = ip_deadline_timespec(INFINITY), past, nan, after;

    clock_gettime(CLOCK_MONOTONIC, &now);
    past = ip_deadline_timespec(ip_clock() - 100);
    nan = ip_deadline_timespec(NAN);
    after = ip_timespec_after(0.75);
    ck_assert_msg(inf.tv_sec >= now.tv_sec + (time_t)IP_WAIT_MAX - 1 &&
                      inf.tv_sec <= now.tv_sec + (time_t)IP_WAIT_MAX + 1,
                  "INFINITY: %ld, now %ld", (long)inf.tv_sec, (long)now.tv_sec);
    ck_assert_msg(past.tv_sec < now.tv_sec + 2, "passed: %ld, now %ld", (long)past.tv_sec,
                  (long)now.tv_sec);
    ck_assert_msg(nan.tv_sec < now.tv_sec + 2, "NaN: %ld, now %ld", (long)nan.tv_sec,
                  (long)now.tv_sec);
    ck_assert_msg(after.tv_nsec >= 0 && after.tv_nsec < 1000000000L, "tv_nsec %ld", after.tv_nsec);
    ck_assert_msg(after.tv_sec * 1000000000LL + after.tv_nsec >=
                      now.tv_sec * 1000000000LL + now.tv_nsec + 750000000LL,
                  "0.75 s after %ld.%09ld gave %ld.%09ld", (long)now.tv_sec, now.tv_nsec,
                  (long)after.tv_sec, after.tv_nsec);
}
END_TEST

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
}

/* SIGALRM every millisecond, without SA_RESTART: every sleep and poll sees EINTR. */
static void alarms_start(void)
{
    struct sigaction sa = {.sa_handler = on_alarm};
    struct itimerval it = {{0, 1000}, {0, 1000}};

    sigemptyset(&sa.sa_mask);
    ck_assert_int_eq(sigaction(SIGALRM, &sa, NULL), 0);
    alarms = 0;
    ck_assert_int_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
}

static void alarms_stop(void)
{
    struct itimerval it = {{0, 0}, {0, 0}};

    setitimer(ITIMER_REAL, &it, NULL);
}

START_TEST(sleep_outlasts_signals)
{
    double d;

    alarms_start();
    d = ip_clock() + 0.1;
    ip_sleep_until(d);
    alarms_stop();
    ck_assert_msg(ip_clock() >= d, "woke %.6f s before the deadline", d - ip_clock());
    ck_assert_msg(alarms > 0, "no signal arrived during the sleep");
    ip_sleep_until(ip_clock() - 1); /* returns at once */
    ip_sleep_until(NAN);
}
END_TEST

START_TEST(poll_until)
{
    int fds[2];
    struct pollfd p;
    double d;
    int r;

    ck_assert_int_eq(pipe(fds), 0);
    p = (struct pollfd){.fd = fds[0], .events = POLLIN};
    alarms_start();
    d = ip_clock() + 0.1;
    r = ip_poll_until(&p, 1, d);
    alarms_stop();
    ck_assert_msg(r == 0, "nothing to read, got %d (errno %d)", r, errno);
    ck_assert_msg(ip_clock() >= d, "gave up %.6f s before the deadline", d - ip_clock());
    ck_assert_msg(alarms > 0, "no signal arrived during the poll");
    ck_assert_int_eq(write(fds[1], "x", 1), 1);
    r = ip_poll_until(&p, 1, ip_clock() + 60);
    ck_assert_msg(r == 1 && (p.revents & POLLIN), "readable: got %d, revents %#x", r, p.revents);
    r = ip_poll_until(&p, 1, ip_clock() - 1); /* ready and passed: ready wins */
    ck_assert_msg(r == 1, "readable after the deadline: got %d", r);
    ck_assert_int_eq(ip_poll_until(NULL, 1, ip_clock() + 60), -1);
    ck_assert_int_eq(errno, EFAULT);
    close(fds[0]);
    close(fds[1]);
}
END_TEST

int main(void)
{
    const TTest *const tests[] = {
        ms_rule, ms_rounds_up, timeval_rule, timespec_rule, sleep_outlasts_signals, poll_until,
    };

    return run_tests("deadline", tests, sizeof(tests) / sizeof(tests[0]));
}
