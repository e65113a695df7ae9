/*
 * What infraprobe tells its operator, apart from what it reports: a line at start, a line
 * when a probe's status changes (once, not once per run: the runs' results go to the
 * outputs), reloads and errors, through the one sink of lib/log.c, at the level -q, -v and
 * -vv select.
 */
#ifndef IP_CORE_LOGGING_H
#define IP_CORE_LOGGING_H

#include <stddef.h>

#include "conf.h"
#include "log.h"
#include "report.h"

/* -q: errors only; default: also warnings and notices (start, status changes, reloads);
 * -v: info; -vv: debug. The destination: syslog with --syslog, else the journal when
 * JOURNAL_STREAM names stderr, else plain stderr. */
void logging_init(int verbose, int quiet, int use_syslog);
/* The line at start: version, configuration, probes, plugins, outputs and listeners. */
void logging_started(const struct conf *c, const char *outputs, const char *listeners);
/* A run of `probe` ended with `rep`; `before` is its previous status, or -1 for its first
 * run. Says so when the status changed. */
void logging_status(const char *probe, int before, const struct ip_report *rep);
/* "3 probes: 2 ok, 1 critical" from the latest status of each (-1: not run yet). */
void logging_summary(char *buf, size_t size, const int *status, size_t n);

#endif
