/*
 * The daemon's /metrics page and Prometheus textfile: what was published (the last complete
 * run of every probe), with the counters only the daemon keeps, through the one renderer
 * that --format prometheus uses.
 */
#include "config.h"

#include "pages.h"
#include "writers.h"

int page_metrics(FILE *out, const struct published_view *v)
{
    const struct prom_counters k = {.runs = v->runs, .failures = v->failures};

    return prom_render(out, &v->run, &k);
}
