/*
 * --format: parse a format name, dispatch to the writer of that format (one per
 * src/output/<name>.c), flush and report write errors. The writers never call back here:
 * output.c -> each writer -> output_util.c.
 */
#include "config.h"

#include "output.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pages.h"
#include "writers.h"

static const char *const format_names[] = {
    [FORMAT_TEXT] = "text",
    [FORMAT_JSON] = "json",
    [FORMAT_JUNIT] = "junit",
    [FORMAT_TAP] = "tap",
    [FORMAT_PROMETHEUS] = "prometheus",
    [FORMAT_NAGIOS] = "nagios",
    [FORMAT_HTML] = "html",
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
    case FORMAT_HTML:
        return format_html(out, run, colour);
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

/* Flush `out` after a writer returned `rc`: 0, or -1 with errno set (EIO when a write error
 * left errno 0). */
static int format_flush(FILE *out, int rc)
{
    if (rc == 0 && (fflush(out) != 0 || ferror(out))) {
        if (errno == 0)
            errno = EIO;
        rc = -1;
    }
    return rc;
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
    rc = format_flush(out, rc);
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

int format_write_page(enum page page, FILE *out, const struct published_view *v,
                      const struct status_extra *x)
{
    locale_t c, old = (locale_t)0;
    int rc, err;

    if (!out || !v || (page == PAGE_STATUS && !x)) {
        errno = EINVAL;
        return -1;
    }
    c = format_c_locale(&old);
    errno = 0;
    rc = page == PAGE_STATUS ? page_status(out, v, x) : page_metrics(out, v);
    rc = format_flush(out, rc);
    err = errno;
    format_restore_locale(c, old);
    errno = err;
    return rc;
}
