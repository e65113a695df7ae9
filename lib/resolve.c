/*
 * Name resolution within a deadline, for every plugin. A plain getaddrinfo() can block on
 * DNS for far longer than a probe's timeout, so names go through getaddrinfo_a(). A lookup
 * still in flight at the deadline cannot always be cancelled: its request then belongs to
 * glibc's completion notification, which frees it, and the caller leaves at once.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <infraprobe/plugin.h>

/* One lookup, shared by the caller and glibc's completion thread: the last to let go frees. */
struct lookup {
    struct gaicb cb;
    struct addrinfo hints;
    char *name;
    pthread_mutex_t lock;
    pthread_cond_t done_cond;
    int done;
    atomic_int refs;
};

static void lookup_unref(struct lookup *l)
{
    if (atomic_fetch_sub(&l->refs, 1) != 1)
        return;
    if (l->cb.ar_result)
        freeaddrinfo(l->cb.ar_result);
    pthread_cond_destroy(&l->done_cond);
    pthread_mutex_destroy(&l->lock);
    free(l->name);
    free(l);
}

static void lookup_done(union sigval sv)
{
    struct lookup *l = sv.sival_ptr;

    pthread_mutex_lock(&l->lock);
    l->done = 1;
    pthread_cond_signal(&l->done_cond);
    pthread_mutex_unlock(&l->lock);
    lookup_unref(l);
}

static int copy_addrs(const struct addrinfo *ai, char (*addrs)[IP_ADDRSTRLEN], int max)
{
    int n = 0;

    for (; ai && n < max; ai = ai->ai_next) {
        int dup = 0;

        if (getnameinfo(ai->ai_addr, ai->ai_addrlen, addrs[n], IP_ADDRSTRLEN, NULL, 0,
                        NI_NUMERICHOST) != 0)
            continue;
        for (int i = 0; i < n && !dup; i++)
            dup = strcmp(addrs[i], addrs[n]) == 0;
        n += !dup;
    }
    return n;
}

static int wait_lookup(struct lookup *l, double deadline)
{
    struct timespec ts = ip_deadline_timespec(deadline);
    int timed_out = 0;

    pthread_mutex_lock(&l->lock);
    while (!l->done && !timed_out)
        timed_out = pthread_cond_timedwait(&l->done_cond, &l->lock, &ts) == ETIMEDOUT;
    timed_out = !l->done;
    pthread_mutex_unlock(&l->lock);
    return timed_out;
}

static struct lookup *lookup_new(const char *host)
{
    struct lookup *l = calloc(1, sizeof(*l));
    pthread_condattr_t attr;

    if (!l || !(l->name = strdup(host))) {
        free(l);
        return NULL;
    }
    l->hints.ai_socktype = SOCK_STREAM;
    l->hints.ai_flags = AI_ADDRCONFIG;
    l->cb.ar_name = l->name;
    l->cb.ar_request = &l->hints;
    pthread_mutex_init(&l->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&l->done_cond, &attr);
    pthread_condattr_destroy(&attr);
    atomic_init(&l->refs, 2); /* the caller's, and the notification's */
    return l;
}

int ip_resolve(const char *host, double deadline, char (*addrs)[IP_ADDRSTRLEN], int max, char *err,
               size_t errlen)
{
    struct addrinfo numeric = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST};
    struct addrinfo *ai = NULL;
    struct gaicb *list[1];
    struct sigevent sev = {.sigev_notify = SIGEV_THREAD};
    struct lookup *l;
    int rc, n;

    if (!host || !*host || !addrs || max < 1) {
        snprintf(err, errlen, "no host name");
        return IP_EINVAL;
    }
    /* An address needs no lookup, and must never wait for one. */
    if ((rc = getaddrinfo(host, NULL, &numeric, &ai)) == 0) {
        n = copy_addrs(ai, addrs, max);
        freeaddrinfo(ai);
        if (n == 0)
            snprintf(err, errlen, "%s: no usable address", host);
        return n > 0 ? n : IP_ERESOLVE;
    }
    if (!(l = lookup_new(host))) {
        snprintf(err, errlen, "out of memory");
        return IP_ENOMEM;
    }
    list[0] = &l->cb;
    sev.sigev_notify_function = lookup_done;
    sev.sigev_value.sival_ptr = l;
    if ((rc = getaddrinfo_a(GAI_NOWAIT, list, 1, &sev)) != 0) {
        snprintf(err, errlen, "%s: %s", host, gai_strerror(rc));
        atomic_store(&l->refs, 1);
        lookup_unref(l);
        return IP_ERESOLVE;
    }
    if (wait_lookup(l, deadline)) {
        /* A lookup still queued is removed and never notified: its reference is ours to
         * drop. One in flight keeps the notification's, which frees it when it ends. */
        if (gai_cancel(&l->cb) == EAI_CANCELED)
            lookup_unref(l);
        snprintf(err, errlen, "%s: not resolved by the deadline", host);
        lookup_unref(l);
        return IP_ETIMEDOUT;
    }
    rc = gai_error(&l->cb);
    n = rc == 0 ? copy_addrs(l->cb.ar_result, addrs, max) : 0;
    if (rc != 0)
        snprintf(err, errlen, "%s: %s", host, gai_strerror(rc));
    else if (n == 0)
        snprintf(err, errlen, "%s: no address", host);
    lookup_unref(l);
    return n > 0 ? n : IP_ERESOLVE;
}
