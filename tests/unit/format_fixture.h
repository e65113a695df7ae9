/*
 * Runs built by hand for the output-format tests (format_test.c) and for format_sample,
 * which tests/formats.test feeds to the real consumers (jq, xmllint, prove, promtool).
 */
#ifndef IP_TESTS_FORMAT_FIXTURE_H
#define IP_TESTS_FORMAT_FIXTURE_H

#include "report.h"

/*
 * Five probes and every status: redis-main (critical: ok, critical, warning, skipped and
 * unknown checks, a target, special characters, a NaN metric), kafka-main (warning: a value
 * check with a minimum on target "#TODO", two checks of one name on two targets, a metric
 * without help), redis-replica (ok: a metric of the same name as redis-main's),
 * `etcd <eu> & "west" #1` (critical: unknown and critical checks, a NaN value) and
 * mysql-main (unknown, no check: a timed-out run). 14 checks counting mysql-main's, of
 * which 7 fail (TAP "not ok").
 */
struct run_result *fixture_rich(void);
#define FIXTURE_RICH_TESTS  14
#define FIXTURE_RICH_FAILED 7

/* One probe whose checks are ok and skipped: everything passes. */
struct run_result *fixture_ok(void);

/* One small redis probe (warning) for the exact Nagios line. */
struct run_result *fixture_one(void);

void fixture_free(struct run_result *run);

#endif
