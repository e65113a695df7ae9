/*
 * HTML shared by --format html and the status page: escaping, head and style, a probe's
 * checks and drill figures. The page is plain HTML and CSS, valid HTML5, self-contained.
 */
#include "config.h"

#include "html_parts.h"

#include <math.h>
#include <string.h>
#include <time.h>

#include "output_util.h"

/* Colours by status: the same in the badges, the check rows and the strips. */
static const char html_style[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}"
    "h1{font-size:1.4em}h2{font-size:1.15em;margin:0 0 .4em}"
    "section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:1em;margin:0 0 1em}"
    "table{border-collapse:collapse;width:100%}table.drill{width:auto}th,td{text-align:left;"
    "padding:.2em .6em;"
    "border-bottom:1px solid #eee;vertical-align:top}td.num{text-align:right;white-space:nowrap}"
    ".badge{display:inline-block;padding:0 .5em;border-radius:3px;color:#fff;font-weight:600}"
    ".badge.ok{background:#2e7d32}.badge.warning{background:#ef8f00}"
    ".badge.critical{background:#c62828}.badge.unknown{background:#6a1b9a}"
    ".badge.skipped{background:#888}.meta{color:#666}"
    "svg text{font:11px sans-serif;fill:#444}"
    "rect.run.ok,circle.op.acked{fill:#2e7d32}rect.run.warning{fill:#ef8f00}"
    "rect.run.critical,circle.op.failed{fill:#c62828}rect.run.unknown{fill:#6a1b9a}"
    "rect.run.skipped{fill:#888}circle.op.lost{fill:#000}"
    "line.fault{stroke:#c62828;stroke-width:2}line.restore{stroke:#1565c0;stroke-width:2}"
    "rect.span.detect{fill:#fbe3e3}rect.span.recover{fill:#fff3d6}line.axis{stroke:#999}"
    "ul.lost{color:#c62828}.hint{color:#8a4b00}";

void html_text(FILE *out, const char *s)
{
    unsigned long cp;
    char buf[4];

    for (s = format_str(s); *s;) {
        s += format_utf8_next(s, &cp);
        if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || (cp >= 0x7f && cp < 0xa0) ||
            (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe)
            cp = 0xfffd;
        switch (cp) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&#39;", out);
            break;
        default:
            fwrite(buf, 1, format_utf8_put(buf, cp), out);
        }
    }
}

const char *html_status(enum ip_status s)
{
    return ip_status_name(format_status(s));
}

void html_begin(FILE *out, const char *title, int refresh)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n", out);
    if (refresh > 0)
        fprintf(out, "<meta http-equiv=\"refresh\" content=\"%d\">\n", refresh);
    fputs("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>", out);
    html_text(out, title);
    fprintf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n", html_style);
}

void html_end(FILE *out)
{
    fprintf(out, "<p class=\"meta\">infraprobe %s</p>\n</body>\n</html>\n", PACKAGE_VERSION);
}

void html_time(FILE *out, double wall)
{
    char buf[32];
    time_t t = (time_t)wall;
    struct tm tm;

    if (wall <= 0 || !gmtime_r(&t, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
        return;
    fprintf(out, "<time datetime=\"%s\">%s</time>", buf, buf);
}

void html_summary(FILE *out, const char *title, const struct run_result *run)
{
    fputs("<h1>", out);
    html_text(out, title);
    fprintf(out, " <span class=\"badge %s\">%s</span></h1>\n", html_status(run->status),
            html_status(run->status));
}

void html_probe_begin(FILE *out, const struct ip_report *p)
{
    fputs("<section class=\"probe\">\n<h2>", out);
    html_text(out, p->probe);
    fprintf(out, " <span class=\"badge %s\">%s</span></h2>\n", html_status(p->status),
            html_status(p->status));
    fputs("<p class=\"meta\">plugin ", out);
    html_text(out, p->plugin);
    fprintf(out, ", %.3f s", p->duration);
    if (p->wall > 0) {
        fputs(", started ", out);
        html_time(out, p->wall);
    }
    fputs("</p>\n", out);
}

/* Six significant digits: a reader's figure, not a round-trip value. */
static void html_number(FILE *out, double v)
{
    if (isfinite(v))
        fprintf(out, "%.6g", v);
    else
        fputs(isnan(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf", out);
}

static void html_check(FILE *out, const struct check_result *c)
{
    fprintf(out, "<tr class=\"check %s\"><td>", html_status(c->status));
    html_text(out, c->name);
    if (c->target) {
        fputs(" <span class=\"meta\">", out);
        html_text(out, c->target);
        fputs("</span>", out);
    }
    fprintf(out, "</td><td><span class=\"badge %s\">%s</span></td><td class=\"num\">%.3f ms</td>",
            html_status(c->status), html_status(c->status), c->duration * 1e3);
    fputs("<td class=\"num\">", out);
    if (c->has_value) {
        html_number(out, c->value);
        if (c->unit) {
            fputc(' ', out);
            html_text(out, c->unit);
        }
    }
    fputs("</td><td>", out);
    html_text(out, c->message);
    /* Where the operator paged at night looks first. */
    if (c->hint) {
        fputs("<br><span class=\"hint\">hint: ", out);
        html_text(out, c->hint);
        fputs("</span>", out);
    }
    fputs("</td></tr>\n", out);
}

/* The drill's figures: the standard drill metrics the framework recorded. */
static void html_drill_figures(FILE *out, const struct ip_report *p)
{
    int any = 0;

    for (size_t i = 0; i < p->nmetrics; i++) {
        const struct metric_result *m = &p->metrics[i];
        const char *d = m->name ? strstr(m->name, "_drill_") : NULL;

        if (!d)
            continue;
        if (!any++)
            fputs("<table class=\"drill\">\n<tr><th>drill</th><th>value</th></tr>\n", out);
        fputs("<tr><td>", out);
        html_text(out, d + strlen("_drill_"));
        fputs("</td><td class=\"num\">", out);
        html_number(out, m->value);
        fputs("</td></tr>\n", out);
    }
    if (any)
        fputs("</table>\n", out);
}

void html_probe_body(FILE *out, const struct ip_report *p)
{
    enum ip_status extra = format_probe_extra(p);

    if (p->nchecks || extra != IP_OK) {
        fputs("<table class=\"checks\">\n<tr><th>check</th><th>status</th><th>duration</th>"
              "<th>value</th><th>message</th></tr>\n",
              out);
        for (size_t i = 0; i < p->nchecks; i++)
            html_check(out, &p->checks[i]);
        /* A probe unknown with no check saying why must not look healthy. */
        if (extra != IP_OK)
            html_check(out, &(struct check_result){.name = FORMAT_EXTRA_NAME,
                                                   .status = extra,
                                                   .message = (char *)format_extra_message(extra)});
        fputs("</table>\n", out);
    }
    html_drill_figures(out, p);
    timeline_svg(out, p);
}
