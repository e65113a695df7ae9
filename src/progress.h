/*
 * The progress line of --once and --drill on a terminal: one line on stderr, rewritten as
 * probes finish and drill phases pass, erased before the report is written. Only when stderr
 * is a terminal (the report goes to stdout or --output, so `infraprobe --once > report` still
 * shows it, and `2> log` never gets it); without colour under NO_COLOR or TERM=dumb, and
 * without any escape sequence under TERM=dumb.
 */
#ifndef IP_PROGRESS_H
#define IP_PROGRESS_H

#include <stddef.h>
#include <stdio.h>

#include <infraprobe/plugin.h>

struct progress;

/* A progress line for `total` probes on `out` when `out` is a terminal, else NULL (the other
 * calls accept NULL). */
struct progress *progress_new(FILE *out, size_t total);
/* A probe's run ended with `status`. Thread-safe. */
void progress_probe_done(struct progress *p, const char *probe, enum ip_status status);
/* A drill's phase started (a report_phase_fn). Thread-safe. */
void progress_phase(void *p, const char *probe, const char *phase);
/* Erase the line; later calls draw nothing. Thread-safe. */
void progress_end(struct progress *p);
/* Erase the line and free p, once nothing can call it any more. */
void progress_free(struct progress *p);

#endif
