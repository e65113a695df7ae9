/*
 * The writers, one per format (src/output/<name>.c), which output.c dispatches to.
 */
#ifndef IP_OUTPUT_WRITERS_H
#define IP_OUTPUT_WRITERS_H

#include <stddef.h>
#include <stdio.h>

#include "report.h"

/*
 * The writers. Each writes `run` to `out` and returns 0, or -1 with errno set when it
 * could not build its output (ENOMEM, EINVAL); write errors are left in ferror(out), which
 * format_write() checks after flushing.
 */
int format_text(FILE *out, const struct run_result *run, int colour);
int format_json(FILE *out, const struct run_result *run, int colour);
int format_junit(FILE *out, const struct run_result *run, int colour);
int format_tap(FILE *out, const struct run_result *run, int colour);
int format_prometheus(FILE *out, const struct run_result *run, int colour);
int format_nagios(FILE *out, const struct run_result *run, int colour);
int format_html(FILE *out, const struct run_result *run, int colour);

/*
 * The Prometheus exposition of `run`, the one renderer of --format prometheus, the daemon's
 * textfile and /metrics. `k` adds what only the daemon knows, the counters of each probe of
 * the run (indexed like run->probes); NULL in --once.
 */
struct prom_counters {
    const unsigned long long *runs, *failures;
};
int prom_render(FILE *out, const struct run_result *run, const struct prom_counters *k);

/* Daemon mode: one probe's lines of the text report; one JSON Lines record. */
int format_text_probe(FILE *out, const struct ip_report *probe, int colour);
int format_json_probe(FILE *out, const struct ip_report *probe);

#endif
