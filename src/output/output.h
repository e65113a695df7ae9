/*
 * Output formats of a run's results (`--format`): text, json, junit, tap, prometheus,
 * nagios and html. Each format lives in its own src/output/<name>.c; this header is what the rest
 * of the program calls: parse a --format name, write a --once run, write one probe's run in
 * daemon mode.
 */
#ifndef IP_OUTPUT_H
#define IP_OUTPUT_H

#include <stdio.h>

#include "report.h"

enum format {
    FORMAT_TEXT,
    FORMAT_JSON,
    FORMAT_JUNIT,
    FORMAT_TAP,
    FORMAT_PROMETHEUS,
    FORMAT_NAGIOS,
    FORMAT_HTML,
};

/* The format called `name` ("text", "json", ...) into *out: 0, or -1 for an unknown name. */
int format_parse(const char *name, enum format *out);
/* The --format name of `f` ("text", ...); "unknown" for a value outside the enum. */
const char *format_name(enum format f);

/*
 * Write the results of a whole run (--once) to `out` and flush it. `colour` asks the text
 * format for ANSI colours (the caller decides it from isatty); the other formats ignore it.
 * Returns 0, or -1 with errno set: a write error (including at the final fflush), ENOMEM,
 * or EINVAL (NULL arguments; for FORMAT_NAGIOS, a run that has not exactly one probe: the
 * caller prints the usage error).
 */
int format_write(enum format f, FILE *out, const struct run_result *run, int colour);

/*
 * Write one probe's run in daemon mode and flush: json writes the probe object on one line
 * (JSON Lines), text the probe's lines without the run summary; the others write the probe
 * as a run of one probe. Returns like format_write().
 */
int format_write_probe(enum format f, FILE *out, const struct ip_report *probe, int colour);

/* The pages the daemon serves, from a view of what it published: /metrics (also its
 * textfile) and the status page at /. */
struct published_view;
enum page { PAGE_METRICS, PAGE_STATUS };
/* What the status page shows besides the view. */
struct status_extra {
    int refresh;                    /* its reload period, seconds */
    const char *drill_file;         /* drill_report: NULL: none configured */
    const struct run_result *drill; /* that report as read; NULL: drill_error says why */
    const char *drill_error;
};
/* Write `page` of `v` to `out` in the "C" locale and flush; `x` is for PAGE_STATUS (may be
 * NULL otherwise). Returns like format_write(). */
int format_write_page(enum page page, FILE *out, const struct published_view *v,
                      const struct status_extra *x);

#endif
