/*
 * The pages the daemon serves (and writes: the textfile), rendered from a view of what it
 * published (published.h): /metrics (metrics_page.c) and the status page at /
 * (status_page.c). Called through format_write_page(), which sets the locale and flushes.
 */
#ifndef IP_OUTPUT_PAGES_H
#define IP_OUTPUT_PAGES_H

#include <stdio.h>

#include "output.h"
#include "published.h"

int page_metrics(FILE *out, const struct published_view *v);
int page_status(FILE *out, const struct published_view *v, const struct status_extra *x);

#endif
