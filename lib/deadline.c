/*
 * Deadlines as the system calls want them: milliseconds for poll(), an absolute
 * CLOCK_MONOTONIC timespec for pthread_cond_timedwait() and clock_nanosleep(), a timeval for
 * client libraries, and the sleep and poll loops built on them. One rule for every
 * conversion: the time left is never negative (NaN and a passed deadline are 0) and never
 * more than IP_WAIT_MAX (INFINITY too), so that no conversion overflows and a caller that
 * waits in a loop simply waits again.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <sys/time.h>
#include <time.h>

#include <infraprobe/plugin.h>

/* The time left by the rule above. */
static double wait_left(double secs)
{
    if (!(secs > 0)) /* also NaN */
        return 0;
    return secs < IP_WAIT_MAX ? secs : IP_WAIT_MAX;
}

int ip_deadline_ms(double deadline)
{
    double left = wait_left(deadline - ip_clock());

    if (left <= 0)
        return 0;
    /* Round up: a poll() that wakes a little early would only spin once more. IP_WAIT_MAX
     * is below INT_MAX milliseconds. */
    return (int)ceil(left * 1000.0);
}

struct timeval ip_deadline_timeval(double deadline)
{
    double left = wait_left(deadline - ip_clock());
    struct timeval tv = {.tv_sec = (time_t)left};

    tv.tv_usec = (suseconds_t)ceil((left - (double)tv.tv_sec) * 1e6);
    if (tv.tv_usec >= 1000000) {
        tv.tv_sec++;
        tv.tv_usec -= 1000000;
    }
    return tv;
}

struct timespec ip_timespec_after(double secs)
{
    struct timespec ts;
    double left = wait_left(secs);
    time_t whole = (time_t)left;

    /* From the time left rather than from a deadline, so that nothing depends on a caller's
     * clock sharing CLOCK_MONOTONIC's origin (the pool's tests replace theirs). */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += whole;
    ts.tv_nsec += (long)((left - (double)whole) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

struct timespec ip_deadline_timespec(double deadline)
{
    return ip_timespec_after(deadline - ip_clock());
}

void ip_sleep_until(double deadline)
{
    double now;

    /* The clock decides: a signal, or a wait capped at IP_WAIT_MAX, only sleeps again. */
    while ((now = ip_clock()) < deadline) {
        struct timespec ts = ip_timespec_after(deadline - now);

        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
            ;
    }
}

int ip_poll_until(struct pollfd *fds, nfds_t n, double deadline)
{
    for (;;) {
        int ms = ip_deadline_ms(deadline), r = poll(fds, n, ms);

        if (r > 0 || (r < 0 && errno != EINTR))
            return r;
        if (r == 0 && !(ip_clock() < deadline)) /* also NaN */
            return 0;
    }
}
