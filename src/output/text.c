/*
 * --format text: the human report. A header line per probe, one aligned line per check
 * (status, probe, check [target], duration, message), a drill's timeline summarised on a
 * line, and a summary line for the run.
 * Colour (ANSI) only when the caller asks, i.e. on a TTY. Whatever a server wrote into a
 * message, no control character reaches the terminal: they are shown as '?' (tab and line
 * breaks as a space), invalid UTF-8 as U+FFFD.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "output_util.h"
#include "writers.h"

static const char *const text_colours[] = {
    [IP_OK] = "\033[32m",       /* green */
    [IP_WARNING] = "\033[33m",  /* yellow */
    [IP_CRITICAL] = "\033[31m", /* red */
    [IP_UNKNOWN] = "\033[35m",  /* magenta */
    [IP_SKIPPED] = "\033[2m",   /* dim */
};
#define TEXT_RESET "\033[0m"

/* "critical" is the longest status name. */
#define TEXT_STATUS_WIDTH 8

struct text_widths {
    size_t probe;
    size_t check; /* "check [target]" */
};

/* The columns `s` takes once written by text_put() (one per character). */
static size_t text_width(const char *s)
{
    size_t n = 0;
    unsigned long cp;

    for (s = format_str(s); *s; n++)
        s += format_utf8_next(s, &cp);
    return n;
}

/* Write `s` safe for a terminal; returns the columns written. */
static size_t text_put(FILE *out, const char *s)
{
    size_t n = 0;
    unsigned long cp;
    char buf[4];

    for (s = format_str(s); *s; n++) {
        s += format_utf8_next(s, &cp);
        if (cp == '\t' || cp == '\n' || cp == '\r')
            cp = ' ';
        else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) /* C0, DEL, C1 (CSI is 0x9b) */
            cp = '?';
        fwrite(buf, 1, format_utf8_put(buf, cp), out);
    }
    return n;
}

static void text_pad(FILE *out, size_t written, size_t width)
{
    for (; written < width; written++)
        fputc(' ', out);
}

static void text_status(FILE *out, enum ip_status s, int colour, size_t width)
{
    s = format_status(s);
    if (colour)
        fputs(text_colours[s], out);
    fputs(ip_status_name(s), out);
    if (colour)
        fputs(TEXT_RESET, out);
    text_pad(out, strlen(ip_status_name(s)), width);
}

/* Milliseconds with 3 significant digits (at most 3 decimals): 0.412, 3.10, 41.7, 1234. */
static void text_ms(char *buf, size_t size, double seconds)
{
    double ms = seconds * 1000.0;

    if (!isfinite(ms))
        snprintf(buf, size, "?");
    else if (ms < 1.0)
        snprintf(buf, size, "%.3f", ms);
    else if (ms < 10.0)
        snprintf(buf, size, "%.2f", ms);
    else if (ms < 100.0)
        snprintf(buf, size, "%.1f", ms);
    else
        snprintf(buf, size, "%.0f", ms);
}

static size_t text_check_width(const char *name, const char *target)
{
    return text_width(name) + (target ? text_width(target) + 3 : 0);
}

static void text_widths_add(struct text_widths *w, const struct ip_report *p)
{
    size_t n = text_width(p->probe);

    if (n > w->probe)
        w->probe = n;
    for (size_t i = 0; i < p->nchecks; i++) {
        n = text_check_width(p->checks[i].name, p->checks[i].target);
        if (n > w->check)
            w->check = n;
    }
    if (format_probe_extra(p) != IP_OK && strlen(FORMAT_EXTRA_NAME) > w->check)
        w->check = strlen(FORMAT_EXTRA_NAME);
}

static void text_line(FILE *out, const struct ip_report *p, const struct text_widths *w,
                      enum ip_status status, const char *name, const char *target, double duration,
                      const char *message, int colour)
{
    char ms[32];
    size_t n;

    fputs("  ", out);
    text_status(out, status, colour, TEXT_STATUS_WIDTH);
    fputs("  ", out);
    text_pad(out, text_put(out, p->probe), w->probe);
    fputs("  ", out);
    n = text_put(out, name);
    if (target) {
        fputs(" [", out);
        n += text_put(out, target) + 3;
        fputc(']', out);
    }
    text_pad(out, n, w->check);
    text_ms(ms, sizeof(ms), duration);
    fprintf(out, "  %8s ms", ms);
    if (message && *message) {
        fputs("  ", out);
        text_put(out, message);
    }
    fputc('\n', out);
}

/* A line of its own under the checks, in their columns: "timeline", "hint". */
static void text_note(FILE *out, const struct ip_report *p, const struct text_widths *w,
                      const char *label, const char *text)
{
    text_pad(out, 0, 2 + TEXT_STATUS_WIDTH + 2);
    text_pad(out, text_put(out, p->probe), w->probe);
    fputs("  ", out);
    text_pad(out, text_put(out, label), w->check);
    fputs("  ", out);
    text_put(out, text);
    fputc('\n', out);
}

/* A timeline, summarised on a line of its own under the checks, in their columns: a line per
 * fault (a drill has one; netpart one per partition). */
static void text_timeline(FILE *out, const struct ip_report *p, const struct text_widths *w)
{
    char line[2048];

    for (size_t i = 0, end; i < p->nevents; i = end) {
        end = format_episode_end(p, i);
        if (format_timeline(p, i, end, line, sizeof(line)))
            text_note(out, p, w, "timeline", line);
    }
}

/* The probe's header and check lines; adds its checks to *sum when not NULL. */
static void text_probe(FILE *out, const struct ip_report *p, const struct text_widths *w,
                       int colour, struct format_counts *sum)
{
    enum ip_status extra = format_probe_extra(p);
    char ms[32];

    text_put(out, p->probe);
    fputs(" (", out);
    text_put(out, p->plugin);
    fputs("): ", out);
    text_status(out, p->status, colour, 0);
    text_ms(ms, sizeof(ms), p->duration);
    fprintf(out, ", %zu check%s in %s ms\n", p->nchecks, p->nchecks == 1 ? "" : "s", ms);

    for (size_t i = 0; i < p->nchecks; i++) {
        const struct check_result *c = &p->checks[i];

        text_line(out, p, w, c->status, c->name, c->target, c->duration, c->message, colour);
        if (c->hint)
            text_note(out, p, w, "  hint", c->hint);
    }
    if (extra != IP_OK)
        text_line(out, p, w, extra, FORMAT_EXTRA_NAME, NULL, p->duration,
                  format_extra_message(extra), colour);
    text_timeline(out, p, w);

    if (sum) {
        struct format_counts counts;

        format_count(p, &counts);
        for (int s = 0; s <= IP_SKIPPED; s++)
            sum->n[s] += counts.n[s];
        sum->total += counts.total;
        if (extra != IP_OK) {
            sum->n[extra]++;
            sum->total++;
        }
    }
}

int format_text(FILE *out, const struct run_result *run, int colour)
{
    struct text_widths w = {0, 0};
    struct format_counts sum;
    char ms[32];

    memset(&sum, 0, sizeof(sum));
    for (size_t i = 0; i < run->nprobes; i++)
        text_widths_add(&w, run->probes[i]);
    for (size_t i = 0; i < run->nprobes; i++)
        text_probe(out, run->probes[i], &w, colour, &sum);

    text_ms(ms, sizeof(ms), run->duration);
    fputs("status: ", out);
    text_status(out, run->status, colour, 0);
    fprintf(out,
            " \xe2\x80\x94 %zu ok, %zu warning, %zu critical, %zu unknown, %zu skipped in %s ms\n",
            sum.n[IP_OK], sum.n[IP_WARNING], sum.n[IP_CRITICAL], sum.n[IP_UNKNOWN],
            sum.n[IP_SKIPPED], ms);
    return 0;
}

int format_text_probe(FILE *out, const struct ip_report *probe, int colour)
{
    struct text_widths w = {0, 0};

    text_widths_add(&w, probe);
    text_probe(out, probe, &w, colour, NULL);
    return 0;
}
