/*
 * The pieces of HTML that --format html and the daemon's status page share (html_parts.c):
 * escaping, the page's head with its inline style sheet, a probe's header, checks and
 * drill, and the drill's timeline as an inline SVG plot (timeline_svg.c). Nothing a page
 * makes is fetched from elsewhere and nothing runs: no script, no external style or font.
 */
#ifndef IP_OUTPUT_HTML_PARTS_H
#define IP_OUTPUT_HTML_PARTS_H

#include <stdio.h>

#include "report.h"

/* `s` as HTML text or attribute value: & < > " ' escaped, invalid UTF-8 and the control
 * characters HTML forbids as U+FFFD. NULL writes nothing. */
void html_text(FILE *out, const char *s);
/* "ok", "warning", ...: a status as a CSS class. */
const char *html_status(enum ip_status s);

/* <!DOCTYPE html> up to <body>; `refresh` > 0 adds a meta refresh of that many seconds. */
void html_begin(FILE *out, const char *title, int refresh);
void html_end(FILE *out);
/* A time since the epoch as RFC 3339, UTC, in a <time> element; nothing for 0. */
void html_time(FILE *out, double wall);
/* The run's verdict, as the page's heading. */
void html_summary(FILE *out, const char *title, const struct run_result *run);

/* A probe's section: html_probe_begin(), what the caller adds, html_probe_body() (its
 * checks and its drill), then </section>. */
void html_probe_begin(FILE *out, const struct ip_report *p);
void html_probe_body(FILE *out, const struct ip_report *p);

/* The drill timeline of `p` (timeline_svg.c): an <svg class="timeline"> with each
 * operation as a mark (acked, failed, lost), the fault and the restore as vertical lines,
 * the detect and recover spans shaded; then the list of lost operations. Nothing when `p`
 * has no timeline. */
void timeline_svg(FILE *out, const struct ip_report *p);

#endif
