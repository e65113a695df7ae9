/*
 * --format: parse a format name, dispatch to the writer of that format (one per
 * core/format_<name>.c), flush and report write errors; and the helpers the writers share.
 */
#include "config.h"

#include "format.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "format_impl.h"

static const char *const format_names[] = {
    [FORMAT_TEXT] = "text",
    [FORMAT_JSON] = "json",
    [FORMAT_JUNIT] = "junit",
    [FORMAT_TAP] = "tap",
    [FORMAT_PROMETHEUS] = "prometheus",
    [FORMAT_NAGIOS] = "nagios",
};

#define NFORMATS (sizeof(format_names) / sizeof(format_names[0]))

int format_parse(const char *name, enum format *out)
{
    if (!name || !out)
        return -1;
    for (size_t i = 0; i < NFORMATS; i++) {
        if (strcmp(name, format_names[i]) == 0) {
            *out = (enum format)i;
            return 0;
        }
    }
    return -1;
}

const char *format_name(enum format f)
{
    if ((unsigned)f >= NFORMATS)
        return "unknown";
    return format_names[f];
}

static int format_dispatch(enum format f, FILE *out, const struct run_result *run, int colour)
{
    switch (f) {
    case FORMAT_TEXT:
        return format_text(out, run, colour);
    case FORMAT_JSON:
        return format_json(out, run, colour);
    case FORMAT_JUNIT:
        return format_junit(out, run, colour);
    case FORMAT_TAP:
        return format_tap(out, run, colour);
    case FORMAT_PROMETHEUS:
        return format_prometheus(out, run, colour);
    case FORMAT_NAGIOS:
        return format_nagios(out, run, colour);
    }
    errno = EINVAL;
    return -1;
}

/*
 * JSON, XML, TAP, Prometheus and Nagios readers want "0.5", never "0,5", and the writers'
 * character tests are meant for ASCII: write in the "C" locale on this thread whatever
 * locale the program set (uselocale() is per thread: concurrent daemon writers do not
 * disturb each other or the program).
 */
static locale_t format_c_locale(locale_t *old)
{
    locale_t c = newlocale(LC_ALL_MASK, "C", (locale_t)0);

    if (c != (locale_t)0)
        *old = uselocale(c);
    return c;
}

static void format_restore_locale(locale_t c, locale_t old)
{
    if (c != (locale_t)0) {
        uselocale(old);
        freelocale(c);
    }
}

/*
 * Write a run, or in daemon mode one probe (run == NULL), in the "C" locale, and flush:
 * 0, or -1 with errno set (EIO when a write error left errno 0).
 */
static int format_do(enum format f, FILE *out, const struct run_result *run,
                     const struct ip_report *probe, int colour)
{
    locale_t c, old = (locale_t)0;
    int rc, err;

    c = format_c_locale(&old);
    errno = 0;
    if (run)
        rc = format_dispatch(f, out, run, colour);
    else if (f == FORMAT_JSON)
        rc = format_json_probe(out, probe);
    else
        rc = format_text_probe(out, probe, colour);
    /* On failure the writer has set errno; what it wrote is incomplete. */
    if (rc == 0 && (fflush(out) != 0 || ferror(out))) {
        if (errno == 0)
            errno = EIO;
        rc = -1;
    }
    err = errno;
    format_restore_locale(c, old);
    errno = err;
    return rc;
}

int format_write(enum format f, FILE *out, const struct run_result *run, int colour)
{
    if (!out || !run || (run->nprobes && !run->probes)) {
        errno = EINVAL;
        return -1;
    }
    return format_do(f, out, run, NULL, colour);
}

int format_write_probe(enum format f, FILE *out, const struct ip_report *probe, int colour)
{
    if (!out || !probe) {
        errno = EINVAL;
        return -1;
    }
    if (f == FORMAT_JSON || f == FORMAT_TEXT)
        return format_do(f, out, NULL, probe, colour);

    /* The run's fields are const: the probe is only read. */
    struct ip_report *one[1] = {(struct ip_report *)probe};
    struct run_result run = {
        .status = probe->status,
        .duration = probe->duration,
        .probes = one,
        .nprobes = 1,
    };
    return format_do(f, out, &run, NULL, colour);
}

/* ---- helpers shared by the writers ----------------------------------------------------- */

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
