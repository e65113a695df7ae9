/*
 * The runner: probes run on a fixed number of worker threads, each run with a deadline
 * that the core enforces. A run isolated in a process is killed at its deadline. One on a
 * thread is abandoned, not killed: its probe is reported unknown at once, is not started again
 * until the run returns, and a new worker takes the stuck one's place.
 */
#ifndef IP_CORE_RUNNER_H
#define IP_CORE_RUNNER_H

#include "conf.h"
#include "report.h"

struct runner;

/* A runner for the probes of `c` (their state must stay valid while it runs). */
struct runner *runner_new(struct conf *c, int workers);
/* Queue probe `i` for a run: 1, or 0 when it was not (that probe is queued or running, or the
 * runner was interrupted). */
int runner_submit(struct runner *r, size_t i);
/* Wait until `until` (ip_clock()) or until at least one run ended or was abandoned, and
 * hand each such report to `done` (which takes ownership). Returns how many it handed. */
size_t runner_collect(struct runner *r, double until,
                      void (*done)(void *ctx, size_t probe, struct ip_report *report), void *ctx);
/* Is probe `i` queued or running (including an abandoned run that has not returned)? */
int runner_busy(struct runner *r, size_t i);
/* How many probes are queued, running or done and not yet collected (abandoned runs are
 * not counted: they were). */
size_t runner_pending(struct runner *r);
/* End every run now (from any thread): queued probes are not run, isolated children are
 * killed, runs on threads are given up on; each is reported unknown with `why`, after the
 * restore its drill owes. Later submissions are ignored. */
void runner_interrupt(struct runner *r, const char *why);
/* Make runner_collect() return now (from any thread). */
void runner_wake(struct runner *r);
/* How many runs were abandoned and have not returned yet. */
size_t runner_stuck(struct runner *r);
/* The threads the runner holds: its workers, and the stuck runs' (at most workers + stuck). */
size_t runner_threads(struct runner *r);
/* Take probe `i`'s isolated child (NULL: none) out of the runner, for another runner to adopt
 * (a reload keeps an unchanged probe's child). Only while that probe is not busy. */
struct child *runner_take_child(struct runner *r, size_t i);
/* Probe `i` runs in `ch` (from runner_take_child()) instead of a child of its own. Before the
 * first runner_submit(). */
void runner_adopt_child(struct runner *r, size_t i, struct child *ch);
/* Stop the workers and free the runner; only when runner_stuck() is 0. */
void runner_free(struct runner *r);

#endif
