/*
 * --format html (--once, --drill): one self-contained HTML page, every probe with its
 * verdict and checks, and each drill's timeline drawn as an inline SVG plot. It opens from
 * a CI job's artifacts or a mail without a network: no script, nothing fetched.
 */
#include "config.h"

#include "html_parts.h"
#include "writers.h"

int format_html(FILE *out, const struct run_result *run, int colour)
{
    (void)colour;
    html_begin(out, "infraprobe report", 0);
    html_summary(out, "infraprobe report", run);
    fprintf(out, "<p class=\"meta\">%zu probe%s, %.3f s</p>\n", run->nprobes,
            run->nprobes == 1 ? "" : "s", run->duration);
    for (size_t i = 0; i < run->nprobes; i++) {
        html_probe_begin(out, run->probes[i]);
        html_probe_body(out, run->probes[i]);
        fputs("</section>\n", out);
    }
    html_end(out);
    return 0;
}
