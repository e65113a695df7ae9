/*
 * What the writers share: statuses that index arrays, counts, the entry a probe's extra
 * status gets, UTF-8 and numbers as every format spells them, a drill's timeline in a line.
 */
#include "config.h"

#include "output_util.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum ip_status format_status(enum ip_status s)
{
    switch (s) {
    case IP_OK:
    case IP_WARNING:
    case IP_CRITICAL:
    case IP_UNKNOWN:
    case IP_SKIPPED:
        return s;
    }
    return IP_UNKNOWN;
}

void format_count(const struct ip_report *probe, struct format_counts *counts)
{
    memset(counts, 0, sizeof(*counts));
    for (size_t i = 0; i < probe->nchecks; i++)
        counts->n[format_status(probe->checks[i].status)]++;
    counts->total = probe->nchecks;
}

enum ip_status format_probe_extra(const struct ip_report *probe)
{
    enum ip_status status = format_status(probe->status);
    enum ip_status worst = IP_OK;

    if (status == IP_OK || status == IP_SKIPPED)
        return IP_OK;
    for (size_t i = 0; i < probe->nchecks; i++)
        worst = ip_status_worst(worst, format_status(probe->checks[i].status));
    /* Statuses of equal severity other than ok/skipped are equal values. */
    if (ip_status_worst(worst, status) == worst)
        return IP_OK;
    return status;
}

const char *format_extra_message(enum ip_status status)
{
    switch (format_status(status)) {
    case IP_WARNING:
        return "probe is warning, and no check says why";
    case IP_CRITICAL:
        return "probe is critical, and no check says why";
    default:
        return "probe is unknown, and no check says why";
    }
}

const char *format_str(const char *s)
{
    return s ? s : "";
}

size_t format_utf8_next(const char *s, unsigned long *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned long c = u[0], min;
    size_t len;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        c &= 0x1f;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        c &= 0x0f;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        c &= 0x07;
        min = 0x10000;
    } else {
        goto invalid;
    }
    for (size_t i = 1; i < len; i++) {
        if ((u[i] & 0xc0) != 0x80) /* also stops at the terminating NUL */
            goto invalid;
        c = (c << 6) | (u[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        goto invalid;
    *cp = c;
    return len;
invalid:
    *cp = 0xfffd;
    return 1;
}

size_t format_utf8_put(char *buf, unsigned long cp)
{
    unsigned char *b = (unsigned char *)buf;

    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        b[0] = (unsigned char)(0xc0 | (cp >> 6));
        b[1] = (unsigned char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        b[0] = (unsigned char)(0xe0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (unsigned char)(0x80 | (cp & 0x3f));
        return 3;
    }
    b[0] = (unsigned char)(0xf0 | (cp >> 18));
    b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
    b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
    b[3] = (unsigned char)(0x80 | (cp & 0x3f));
    return 4;
}

char *format_utf8_dup(const char *s)
{
    char *copy, *p;
    unsigned long cp;

    s = format_str(s);
    /* At worst every byte is invalid and becomes U+FFFD, 3 bytes. */
    copy = malloc(strlen(s) * 3 + 1);
    if (!copy)
        return NULL;
    p = copy;
    while (*s) {
        s += format_utf8_next(s, &cp);
        p += format_utf8_put(p, cp);
    }
    *p = '\0';
    return copy;
}

void format_number(char *buf, size_t size, double v)
{
    int prec;

    if (isnan(v)) {
        snprintf(buf, size, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, size, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    for (prec = 1; prec < 17; prec++) {
        snprintf(buf, size, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    if (prec == 17)
        snprintf(buf, size, "%.17g", v);
    /* %g writes 100 as 1e+02 and 15000 as 1.5e+04 at their shortest: people and some
     * readers prefer the plain digits, which are as exact in this range. */
    if (strchr(buf, 'e') && fabs(v) >= 1e-5 && fabs(v) < 1e15) {
        char plain[FORMAT_NUMBER_SIZE];
        int decimals = prec - 1 - (int)floor(log10(fabs(v)));

        snprintf(plain, sizeof(plain), "%.*f", decimals > 0 ? decimals : 0, v);
        if (strtod(plain, NULL) == v && strlen(plain) < size)
            memcpy(buf, plain, strlen(plain) + 1);
    }
}

/* Append to buf what fits. */
static void append(char *buf, size_t size, size_t *len, const char *fmt, ...) IP_PRINTF(4, 5);
static void append(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (*len >= size)
        return;
    va_start(ap, fmt);
    n = vsnprintf(buf + *len, size - *len, fmt, ap);
    va_end(ap);
    if (n > 0)
        *len = *len + (size_t)n < size ? *len + (size_t)n : size;
}

/* A run of operations, summarised. */
static void append_ops(char *buf, size_t size, size_t *len, size_t ops, size_t ok)
{
    append(buf, size, len, "%zu operation%s, %zu ok, %zu failed; ", ops, ops == 1 ? "" : "s", ok,
           ops - ok);
}

/* An event other than an operation: the fault and the restore last, the others are moments. */
static void append_event(char *buf, size_t size, size_t *len, const struct timeline_event *e)
{
    if (e->kind == TL_FAULT || e->kind == TL_RESTORE)
        append(buf, size, len, "%s%s%s at %.3f s for %.3f s%s; ", report_event_name(e->kind),
               e->message ? " " : "", format_str(e->message), e->start, e->end - e->start,
               e->ok ? "" : " (failed)");
    else
        append(buf, size, len, "%s at %.3f s; ", report_event_name(e->kind), e->start);
}

size_t format_episode_end(const struct ip_report *p, size_t from)
{
    int fault = 0;

    for (size_t i = from; i < p->nevents; i++) {
        if (p->events[i].kind != TL_FAULT)
            continue;
        if (fault)
            return i;
        fault = 1;
    }
    return p->nevents;
}

int format_timeline(const struct ip_report *p, size_t from, size_t to, char *buf, size_t size)
{
    size_t len = 0, ops = 0, ok = 0, lost = 0;

    if (from >= to || to > p->nevents || !size)
        return 0;
    buf[0] = '\0';
    for (size_t i = from; i < to; i++) {
        const struct timeline_event *e = &p->events[i];

        /* Counted, not listed: the JSON and HTML reports name each. */
        if (e->kind == TL_LOST) {
            lost++;
            continue;
        }
        if (e->kind == TL_OPERATION) {
            ops++;
            ok += e->ok != 0;
            continue;
        }
        if (ops) {
            append_ops(buf, size, &len, ops, ok);
            ops = ok = 0;
        }
        append_event(buf, size, &len, e);
    }
    if (ops)
        append_ops(buf, size, &len, ops, ok);
    if (lost)
        append(buf, size, &len, "%zu acknowledged operation%s lost; ", lost, lost == 1 ? "" : "s");
    if (to == p->nevents && p->events_dropped)
        append(buf, size, &len, "%lld more not kept; ", p->events_dropped);
    /* Without the last "; ". */
    if (len >= 2 && len < size)
        buf[len - 2] = '\0';
    return 1;
}
