/*
 * The daemon's status page at /: every probe's last complete run (verdict, checks, the
 * figures of its drill), the last runs of each as a strip of bars (colour: status; height:
 * duration), and a meta refresh in place of a script.
 */
#include "config.h"

#include <time.h>

#include "html_parts.h"
#include "pages.h"

#define STRIP_BAR 12
#define STRIP_H   32

static void status_strip(FILE *out, const struct published_run *h, size_t n)
{
    double longest = 0;

    for (size_t i = 0; i < n; i++)
        if (h[i].duration > longest)
            longest = h[i].duration;
    fprintf(out,
            "<svg class=\"strip\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"last %zu runs\">\n",
            STRIP_BAR * PUBLISHED_HISTORY, STRIP_H, STRIP_BAR * PUBLISHED_HISTORY, STRIP_H, n);
    for (size_t i = 0; i < n; i++) {
        double hgt = longest > 0 ? 4 + (STRIP_H - 4) * h[i].duration / longest : STRIP_H;
        char when[32] = "";
        time_t t = (time_t)h[i].wall;
        struct tm tm;

        if (h[i].wall > 0 && gmtime_r(&t, &tm))
            strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ ", &tm);
        fprintf(out,
                "<rect class=\"run %s\" x=\"%zu\" y=\"%.1f\" width=\"%d\" height=\"%.1f\">"
                "<title>%s%s, %.3f s</title></rect>\n",
                html_status(h[i].status), i * STRIP_BAR, STRIP_H - hgt, STRIP_BAR - 2, hgt, when,
                html_status(h[i].status), h[i].duration);
    }
    fputs("</svg>\n", out);
}

/* The last drill's report (drill_report): its probes as --format html draws them. */
static void status_drill(FILE *out, const struct status_extra *x)
{
    if (!x->drill_file)
        return;
    fputs("<h1>Last drill</h1>\n", out);
    if (!x->drill) {
        fputs("<p class=\"meta\">No drill report: ", out);
        html_text(out, x->drill_error);
        fputs("</p>\n", out);
        return;
    }
    fprintf(out, "<p class=\"meta\">From ");
    html_text(out, x->drill_file);
    fprintf(out, ": <span class=\"badge %s\">%s</span>, %zu probe%s, %.3f s</p>\n",
            html_status(x->drill->status), html_status(x->drill->status), x->drill->nprobes,
            x->drill->nprobes == 1 ? "" : "s", x->drill->duration);
    for (size_t i = 0; i < x->drill->nprobes; i++) {
        html_probe_begin(out, x->drill->probes[i]);
        html_probe_body(out, x->drill->probes[i]);
        fputs("</section>\n", out);
    }
}

int page_status(FILE *out, const struct published_view *v, const struct status_extra *x)
{
    html_begin(out, "infraprobe status", x->refresh);
    html_summary(out, "infraprobe status", &v->run);
    fprintf(out, "<p class=\"meta\">%zu probe%s with a complete run; this page made at ",
            v->run.nprobes, v->run.nprobes == 1 ? "" : "s");
    html_time(out, (double)time(NULL));
    fputs("</p>\n", out);
    if (v->run.nprobes == 0)
        fputs("<p>No probe has completed a run yet.</p>\n", out);
    for (size_t i = 0; i < v->run.nprobes; i++) {
        html_probe_begin(out, v->run.probes[i]);
        fprintf(out, "<p class=\"meta\">%llu run%s, %llu failed; the last %zu:</p>\n", v->runs[i],
                v->runs[i] == 1 ? "" : "s", v->failures[i], v->nhistory[i]);
        status_strip(out, v->history[i], v->nhistory[i]);
        html_probe_body(out, v->run.probes[i]);
        fputs("</section>\n", out);
    }
    status_drill(out, x);
    html_end(out);
    return 0;
}
