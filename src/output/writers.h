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

/* Daemon mode: one probe's lines of the text report; one JSON Lines record. */
int format_text_probe(FILE *out, const struct ip_report *probe, int colour);
int format_json_probe(FILE *out, const struct ip_report *probe);

#endif
