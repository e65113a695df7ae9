/*
 * N concurrent workers until a deadline, the first error kept: the burst that a pool check
 * or a drill runs against a backend. The threads start together (a gate the caller's thread
 * opens once all are made), so that they contend for the pool as real clients do.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <infraprobe/plugin.h>

/* A worker's stack: a plugin's call and its error buffers, a client library's frames. */
#define WORKER_STACK (512 * 1024)

struct worker {
    struct ip_workers *w;
    int index;
    pthread_t thread;
};

struct ip_workers {
    ip_work_fn fn;
    void *arg;
    int calls;
    double deadline;
    pthread_mutex_t lock;
    pthread_cond_t gate;
    int open, started, finished;
    long long failed;
    char first_err[512];
    struct worker *ws;
};

static void workers_fail(struct ip_workers *w, const char *err)
{
    pthread_mutex_lock(&w->lock);
    if (w->failed++ == 0)
        snprintf(w->first_err, sizeof(w->first_err), "%s", err);
    pthread_mutex_unlock(&w->lock);
}

static void *worker_main(void *arg)
{
    struct worker *me = arg;
    struct ip_workers *w = me->w;

    pthread_mutex_lock(&w->lock);
    while (!w->open)
        pthread_cond_wait(&w->gate, &w->lock);
    pthread_mutex_unlock(&w->lock);
    for (int call = 0; call < w->calls; call++) {
        char err[512] = "";

        if (ip_clock() >= w->deadline)
            workers_fail(w, ip_strerror(IP_ETIMEDOUT));
        else if (w->fn(w->arg, me->index, call, err, sizeof(err)) != 0)
            workers_fail(w, err[0] ? err : "failed");
    }
    pthread_mutex_lock(&w->lock);
    w->finished++;
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static struct ip_workers *workers_new(int n, int calls, double deadline, ip_work_fn fn, void *arg)
{
    struct ip_workers *w = calloc(1, sizeof(*w));

    if (!w)
        return NULL;
    w->ws = calloc(n > 0 ? (size_t)n : 1, sizeof(*w->ws));
    if (!w->ws || pthread_mutex_init(&w->lock, NULL) != 0) {
        free(w->ws);
        free(w);
        return NULL;
    }
    if (pthread_cond_init(&w->gate, NULL) != 0) {
        pthread_mutex_destroy(&w->lock);
        free(w->ws);
        free(w);
        return NULL;
    }
    w->fn = fn;
    w->arg = arg;
    w->calls = calls;
    w->deadline = deadline;
    return w;
}

struct ip_workers *ip_workers_start(int n, int calls, double deadline, ip_work_fn fn, void *arg)
{
    struct ip_workers *w = fn ? workers_new(n, calls, deadline, fn, arg) : NULL;
    pthread_attr_t attr;

    if (!w)
        return NULL;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, WORKER_STACK);
    for (int i = 0; i < n; i++) {
        w->ws[w->started] = (struct worker){.w = w, .index = i};
        if (pthread_create(&w->ws[w->started].thread, &attr, worker_main, &w->ws[w->started]))
            break;
        w->started++;
    }
    pthread_attr_destroy(&attr);
    pthread_mutex_lock(&w->lock);
    w->open = 1;
    pthread_cond_broadcast(&w->gate);
    pthread_mutex_unlock(&w->lock);
    return w;
}

int ip_workers_done(struct ip_workers *w)
{
    int done;

    if (!w)
        return 1;
    pthread_mutex_lock(&w->lock);
    done = w->finished == w->started;
    pthread_mutex_unlock(&w->lock);
    return done;
}

long long ip_workers_wait(struct ip_workers *w, int *started, char *err, size_t errlen)
{
    long long failed;

    if (started)
        *started = w ? w->started : 0;
    if (!w) {
        if (err && errlen)
            snprintf(err, errlen, "%s", ip_strerror(IP_ENOMEM));
        return IP_ENOMEM;
    }
    for (int i = 0; i < w->started; i++)
        pthread_join(w->ws[i].thread, NULL);
    failed = w->failed;
    if (err && errlen)
        snprintf(err, errlen, "%s", w->first_err);
    pthread_cond_destroy(&w->gate);
    pthread_mutex_destroy(&w->lock);
    free(w->ws);
    free(w);
    return failed;
}

long long ip_workers_run(int n, int calls, double deadline, ip_work_fn fn, void *arg, int *started,
                         char *err, size_t errlen)
{
    return ip_workers_wait(ip_workers_start(n, calls, deadline, fn, arg), started, err, errlen);
}
