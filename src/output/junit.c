/*
 * --format junit: JUnit XML as GitLab, GitHub (test-reporter actions) and Jenkins read it.
 * A testsuite per probe, a testcase per check named "CHECK[ TARGET]" (unique in its suite),
 * with classname "PLUGIN.PROBE". Statuses map to what a CI gate acts on:
 *   critical -> <failure type="critical">
 *   warning  -> <failure type="warning">: a CI gate must see a warning (--once exits 1 for
 *               it), and JUnit has no "passed with a warning"; the type tells them apart
 *   unknown  -> <error type="unknown">: we could not tell, which is not a pass either
 *   skipped  -> <skipped/>
 * The message is in the element's message attribute and in <system-out> (with the check's
 * value and hint). Each testsuite carries its probe's start as `timestamp` (UTC, with a Z) and
 * the `hostname` that ran it, as Ant's and Jenkins' schemas have them; tests/junit.xsd checks it.
 */
#include "config.h"

#include <math.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "output_util.h"
#include "writers.h"

/* Write `s` as XML 1.0 character data or attribute value. Markup characters become
 * entities; tab and line breaks character references (an attribute would otherwise read
 * them as spaces); characters XML 1.0 forbids (other C0 controls, U+FFFE, U+FFFF) and
 * invalid UTF-8 become U+FFFD. */
static void xml_escape(FILE *out, const char *s)
{
    unsigned long cp;
    char buf[4];

    for (s = format_str(s); *s;) {
        s += format_utf8_next(s, &cp);
        switch (cp) {
        case '&':
            fputs("&amp;", out);
            continue;
        case '<':
            fputs("&lt;", out);
            continue;
        case '>':
            fputs("&gt;", out);
            continue;
        case '"':
            fputs("&quot;", out);
            continue;
        case '\'':
            fputs("&apos;", out);
            continue;
        case '\t':
        case '\n':
        case '\r':
            fprintf(out, "&#%lu;", cp);
            continue;
        }
        if (cp < 0x20 || cp == 0xfffe || cp == 0xffff)
            cp = 0xfffd;
        fwrite(buf, 1, format_utf8_put(buf, cp), out);
    }
}

/* xs:decimal seconds. */
static void junit_time(FILE *out, double seconds)
{
    fprintf(out, " time=\"%.6f\"", isfinite(seconds) && seconds > 0 ? seconds : 0.0);
}

/* xs:dateTime, UTC, to the second; nothing for an unknown start (0). */
static void junit_timestamp(FILE *out, double wall)
{
    time_t secs = (time_t)wall;
    struct tm tm;
    char buf[40];

    if (!(wall > 0) || !gmtime_r(&secs, &tm))
        return;
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(out, " timestamp=\"%s\"", buf);
}

static void junit_hostname(FILE *out)
{
    char host[256];

    if (gethostname(host, sizeof(host)) != 0 || !host[0])
        snprintf(host, sizeof(host), "localhost");
    host[sizeof(host) - 1] = '\0';
    fputs(" hostname=\"", out);
    xml_escape(out, host);
    fputc('"', out);
}

struct junit_counts {
    size_t tests, failures, errors, skipped;
};

static void junit_add(struct junit_counts *c, enum ip_status s)
{
    c->tests++;
    switch (format_status(s)) {
    case IP_WARNING:
    case IP_CRITICAL:
        c->failures++;
        break;
    case IP_UNKNOWN:
        c->errors++;
        break;
    case IP_SKIPPED:
        c->skipped++;
        break;
    case IP_OK:
        break;
    }
}

static void junit_count(const struct ip_report *p, struct junit_counts *c)
{
    enum ip_status extra = format_probe_extra(p);

    for (size_t i = 0; i < p->nchecks; i++)
        junit_add(c, p->checks[i].status);
    if (extra != IP_OK)
        junit_add(c, extra);
}

static int junit_same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* How many checks before checks[i] have its name and target. */
static size_t junit_dups(const struct ip_report *p, size_t i)
{
    size_t n = 0;

    for (size_t j = 0; j < i; j++)
        if (junit_same(p->checks[j].name, p->checks[i].name) &&
            junit_same(p->checks[j].target, p->checks[i].target))
            n++;
    return n;
}

static void junit_testcase(FILE *out, const struct ip_report *p, enum ip_status status,
                           const char *name, const char *target, size_t dups, double duration,
                           const char *message, const struct check_result *c)
{
    static const char *const elements[] = {
        [IP_WARNING] = "failure",
        [IP_CRITICAL] = "failure",
        [IP_UNKNOWN] = "error",
    };
    char num[FORMAT_NUMBER_SIZE];

    status = format_status(status);
    fputs("    <testcase classname=\"", out);
    xml_escape(out, p->plugin);
    fputc('.', out);
    xml_escape(out, p->probe);
    fputs("\" name=\"", out);
    xml_escape(out, name);
    if (target) {
        fputc(' ', out);
        xml_escape(out, target);
    }
    if (dups)
        fprintf(out, " (%zu)", dups + 1);
    fputc('"', out);
    junit_time(out, duration);
    fputs(">\n", out);

    if (status == IP_SKIPPED) {
        fputs("      <skipped message=\"", out);
        xml_escape(out, message);
        fputs("\"/>\n", out);
    } else if (status != IP_OK) {
        fprintf(out, "      <%s message=\"", elements[status]);
        xml_escape(out, message);
        fprintf(out, "\" type=\"%s\">", ip_status_name(status));
        xml_escape(out, message);
        fprintf(out, "</%s>\n", elements[status]);
    }

    fputs("      <system-out>", out);
    xml_escape(out, message);
    if (c && c->has_value) {
        format_number(num, sizeof(num), c->value);
        fprintf(out, "&#10;value: %s", num);
        if (c->unit) {
            fputc(' ', out);
            xml_escape(out, c->unit);
        }
    }
    if (c && c->hint) {
        fputs("&#10;hint: ", out);
        xml_escape(out, c->hint);
    }
    fputs("</system-out>\n", out);
    fputs("    </testcase>\n", out);
}

static void junit_suite(FILE *out, const struct ip_report *p)
{
    enum ip_status extra = format_probe_extra(p);
    struct junit_counts c = {0, 0, 0, 0};

    junit_count(p, &c);
    fputs("  <testsuite name=\"", out);
    xml_escape(out, p->probe);
    fprintf(out, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\"", c.tests,
            c.failures, c.errors, c.skipped);
    junit_time(out, p->duration);
    junit_timestamp(out, p->wall);
    junit_hostname(out);
    fputs(">\n    <properties>\n      <property name=\"plugin\" value=\"", out);
    xml_escape(out, p->plugin);
    fprintf(out, "\"/>\n      <property name=\"status\" value=\"%s\"/>\n    </properties>\n",
            ip_status_name(format_status(p->status)));

    for (size_t i = 0; i < p->nchecks; i++) {
        const struct check_result *ck = &p->checks[i];

        junit_testcase(out, p, ck->status, ck->name, ck->target, junit_dups(p, i), ck->duration,
                       ck->message, ck);
    }
    if (extra != IP_OK)
        junit_testcase(out, p, extra, FORMAT_EXTRA_NAME, NULL, 0, p->duration,
                       format_extra_message(extra), NULL);
    fputs("  </testsuite>\n", out);
}

int format_junit(FILE *out, const struct run_result *run, int colour)
{
    struct junit_counts c = {0, 0, 0, 0};
    double first = 0;

    (void)colour;
    for (size_t i = 0; i < run->nprobes; i++) {
        junit_count(run->probes[i], &c);
        if (run->probes[i]->wall > 0 && (first == 0 || run->probes[i]->wall < first))
            first = run->probes[i]->wall;
    }
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
    fprintf(out, "<testsuites name=\"infraprobe\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\"",
            c.tests, c.failures, c.errors);
    junit_time(out, run->duration);
    junit_timestamp(out, first);
    fputs(">\n", out);
    for (size_t i = 0; i < run->nprobes; i++)
        junit_suite(out, run->probes[i]);
    fputs("</testsuites>\n", out);
    return 0;
}
