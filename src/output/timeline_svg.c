/*
 * A drill's timeline as an inline SVG plot, as Jepsen draws its histories after the fact:
 * time runs left to right from the first event to the last; each operation is a mark in
 * the row of its outcome (acknowledged, failed, or acknowledged and then lost); the fault
 * and the restore are vertical lines; the spans until the fault was detected and until the
 * service recovered are shaded. Every mark has a <title>, the tooltip a browser shows. A
 * timeline with several faults (netpart partitions its targets in turn) is drawn as one plot
 * per fault, each with its own time range and labelled with the fault's name.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "html_parts.h"
#include "output_util.h"

#define TL_W      760
#define TL_H      170
#define TL_X0     70.0
#define TL_X1     740.0
#define TL_TOP    22.0
#define TL_BOTTOM 122.0

enum tl_row { ROW_ACKED, ROW_FAILED, ROW_LOST };
static const char *const tl_rows[] = {"acked", "failed", "lost"};

struct tl_plot {
    const struct ip_report *p;
    size_t from, to; /* the events of this plot: p->events[from .. to - 1] */
    double t0, span;
    const struct timeline_event *fault, *restore, *detected, *recovered;
    long long *lost; /* sorted ids */
    size_t nlost;
};

static double tl_x(const struct tl_plot *t, double s)
{
    return TL_X0 + (s - t->t0) / t->span * (TL_X1 - TL_X0);
}

static double tl_y(enum tl_row r)
{
    return 45.0 + 30.0 * r;
}

static int tl_cmp(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;

    return x < y ? -1 : x > y;
}

static int tl_is_lost(const struct tl_plot *t, long long id)
{
    return t->nlost && bsearch(&id, t->lost, t->nlost, sizeof(id), tl_cmp);
}

/* The first event of each kind, the time range and the lost ids, of events from .. to - 1. */
static int tl_scan(struct tl_plot *t, const struct ip_report *p, size_t from, size_t to)
{
    const struct timeline_event **first[] = {
        [TL_FAULT] = &t->fault,
        [TL_RESTORE] = &t->restore,
        [TL_DETECTED] = &t->detected,
        [TL_RECOVERED] = &t->recovered,
    };
    double end = -INFINITY;

    t->p = p;
    t->from = from;
    t->to = to;
    t->t0 = INFINITY;
    t->lost = calloc(to - from + 1, sizeof(*t->lost));
    if (!t->lost)
        return -1;
    for (size_t i = from; i < to; i++) {
        const struct timeline_event *e = &p->events[i];

        if (e->kind == TL_LOST)
            t->lost[t->nlost++] = e->id;
        else if ((size_t)e->kind < sizeof(first) / sizeof(first[0]) && first[e->kind] &&
                 !*first[e->kind])
            *first[e->kind] = e;
        if (e->kind != TL_LOST && e->start < t->t0)
            t->t0 = e->start;
        if (e->kind != TL_LOST && e->end > end)
            end = e->end;
    }
    if (!isfinite(t->t0) || !isfinite(end))
        t->t0 = end = 0;
    t->span = end - t->t0 > 1e-6 ? end - t->t0 : 1e-3;
    qsort(t->lost, t->nlost, sizeof(*t->lost), tl_cmp);
    return 0;
}

static void tl_span(FILE *out, const struct tl_plot *t, const char *cls, double a, double b,
                    const char *what)
{
    fprintf(out,
            "<rect class=\"span %s\" x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"%.0f\">"
            "<title>%s: %.3f s</title></rect>\n",
            cls, tl_x(t, a), TL_TOP, fmax(tl_x(t, b) - tl_x(t, a), 1.0), TL_BOTTOM - TL_TOP, what,
            b - a);
}

static void tl_spans(FILE *out, const struct tl_plot *t)
{
    double from;

    if (!t->fault)
        return;
    from = t->fault->start;
    if (t->detected) {
        tl_span(out, t, "detect", from, t->detected->start, "until the fault was detected");
        from = t->detected->start;
    }
    if (t->recovered)
        tl_span(out, t, "recover", from, t->recovered->start, "until the service recovered");
}

static void tl_line(FILE *out, const struct tl_plot *t, const struct timeline_event *e,
                    const char *cls)
{
    double x = tl_x(t, e->start);

    fprintf(out, "<line class=\"%s\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.0f\" y2=\"%.0f\"><title>%s ",
            cls, x, x, TL_TOP - 4, TL_BOTTOM + 4, cls);
    html_text(out, e->message);
    fprintf(out, " at %.3f s for %.3f s%s</title></line>\n", e->start, e->end - e->start,
            e->ok ? "" : " (failed)");
}

static void tl_operations(FILE *out, const struct tl_plot *t)
{
    for (size_t i = t->from; i < t->to; i++) {
        const struct timeline_event *e = &t->p->events[i];
        enum tl_row row;

        if (e->kind != TL_OPERATION)
            continue;
        row = !e->ok ? ROW_FAILED : tl_is_lost(t, e->id) ? ROW_LOST : ROW_ACKED;
        fprintf(out,
                "<circle class=\"op %s\" cx=\"%.1f\" cy=\"%.0f\" r=\"3\"><title>operation %lld at "
                "%.3f s: %s",
                tl_rows[row], tl_x(t, e->start), tl_y(row), e->id, e->start, tl_rows[row]);
        if (e->message) {
            fputs(": ", out);
            html_text(out, e->message);
        }
        fputs("</title></circle>\n", out);
    }
}

/* Ticks at a round step, about five of them, with as many digits as the step needs to tell
 * them apart (a partition of 2 ms, 1 s into the run: 1.0195 s, 1.02 s). */
static void tl_axis(FILE *out, const struct tl_plot *t)
{
    double raw = t->span / 5, step = pow(10, floor(log10(raw))), top = fabs(t->t0 + t->span);
    int digits;

    if (raw / step >= 5)
        step *= 5;
    else if (raw / step >= 2)
        step *= 2;
    digits = (top >= 1 ? (int)floor(log10(top)) + 1 : 1) +
             (step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9));
    if (digits < 4)
        digits = 4;
    fprintf(out, "<line class=\"axis\" x1=\"%.0f\" x2=\"%.0f\" y1=\"%.0f\" y2=\"%.0f\"/>\n", TL_X0,
            TL_X1, TL_BOTTOM + 6, TL_BOTTOM + 6);
    for (double s = ceil(t->t0 / step) * step; s <= t->t0 + t->span + step * 1e-9; s += step)
        fprintf(out, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%.*g s</text>\n",
                tl_x(t, s), TL_BOTTOM + 22, digits, fabs(s) < step * 1e-9 ? 0.0 : s);
    for (enum tl_row r = ROW_ACKED; r <= ROW_LOST; r++)
        fprintf(out, "<text x=\"4\" y=\"%.0f\">%s</text>\n", tl_y(r) + 4, tl_rows[r]);
}

/* The lost operations, by id, with when each was acknowledged. */
static void tl_lost_list(FILE *out, const struct tl_plot *t)
{
    if (!t->nlost)
        return;
    fprintf(out, "<p>%zu acknowledged operation%s lost:</p>\n<ul class=\"lost\">\n", t->nlost,
            t->nlost == 1 ? "" : "s");
    for (size_t i = t->from; i < t->to; i++) {
        const struct timeline_event *e = &t->p->events[i];

        if (e->kind == TL_OPERATION && e->ok && tl_is_lost(t, e->id))
            fprintf(out, "<li>operation %lld, acknowledged at %.3f s</li>\n", e->id, e->end);
    }
    fputs("</ul>\n", out);
}

/* The plot of events from .. to - 1: the k-th of n faults (n > 1), or the whole timeline. */
static void tl_figure(FILE *out, const struct ip_report *p, size_t from, size_t to, size_t k,
                      size_t n)
{
    struct tl_plot t = {0};

    if (tl_scan(&t, p, from, to) != 0)
        return;
    fprintf(out,
            "<figure>\n<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" "
            "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
            "aria-label=\"",
            TL_W, TL_H, TL_W, TL_H);
    if (n > 1) {
        fprintf(out, "fault %zu of %zu: ", k, n);
        html_text(out, t.fault ? t.fault->message : NULL);
    } else {
        fputs("drill timeline", out);
    }
    fputs("\">\n", out);
    tl_spans(out, &t);
    if (t.fault)
        tl_line(out, &t, t.fault, "fault");
    if (t.restore)
        tl_line(out, &t, t.restore, "restore");
    tl_operations(out, &t);
    tl_axis(out, &t);
    fputs("</svg>\n<figcaption>", out);
    if (n > 1) {
        fprintf(out, "Fault %zu of %zu", k, n);
        if (t.fault && t.fault->message) {
            fputs(", ", out);
            html_text(out, t.fault->message);
        }
        fputs(": operations acknowledged and failed; the fault (red) and the restore (blue); "
              "shaded until detected, then until recovered.",
              out);
    } else {
        fputs("Drill timeline: operations acknowledged, failed and lost; the fault (red) and the "
              "restore (blue); shaded until detected, then until recovered.",
              out);
    }
    if (to == p->nevents && p->events_dropped)
        fprintf(out, " %lld more events not kept.", p->events_dropped);
    fputs("</figcaption>\n</figure>\n", out);
    tl_lost_list(out, &t);
    free(t.lost);
}

void timeline_svg(FILE *out, const struct ip_report *p)
{
    size_t n = 0, k = 0;

    for (size_t i = 0; i < p->nevents; i = format_episode_end(p, i))
        n++;
    for (size_t i = 0; i < p->nevents; i = format_episode_end(p, i))
        tl_figure(out, p, i, format_episode_end(p, i), ++k, n);
}
