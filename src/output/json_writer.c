/*
 * The JSON writer of json.c. Everything goes into one buffer, so that a probe's line reaches
 * the output with one fwrite() (a reader of JSON Lines never sees half a line from us) and a
 * token costs a memcpy, not a locked stdio call.
 */
#include "config.h"

#include "json_writer.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "output_util.h"

void jw_init(struct jw *w, int indent)
{
    memset(w, 0, sizeof(*w));
    w->indent = indent;
}

static long allocs_left = -1; /* tests only: jw_fail_after() */

void jw_fail_after(long n)
{
    __atomic_store_n(&allocs_left, n, __ATOMIC_RELAXED);
}

static int jw_room(struct jw *w, size_t n)
{
    size_t cap;
    char *b = NULL;

    if (w->failed)
        return 0;
    if (w->len + n <= w->cap)
        return 1;
    cap = w->cap ? w->cap : 1024;
    while (cap < w->len + n)
        cap *= 2;
    if (__atomic_load_n(&allocs_left, __ATOMIC_RELAXED) != 0)
        b = realloc(w->buf, cap);
    if (__atomic_load_n(&allocs_left, __ATOMIC_RELAXED) > 0)
        __atomic_sub_fetch(&allocs_left, 1, __ATOMIC_RELAXED);
    if (!b) {
        w->failed = 1;
        return 0;
    }
    w->buf = b;
    w->cap = cap;
    return 1;
}

static void jw_put(struct jw *w, const char *s, size_t n)
{
    if (jw_room(w, n)) {
        memcpy(w->buf + w->len, s, n);
        w->len += n;
    }
}

static void jw_char(struct jw *w, char c)
{
    if (jw_room(w, 1))
        w->buf[w->len++] = c;
}

/* A new line indented to `depth`, when pretty. */
static void jw_newline(struct jw *w, int depth)
{
    size_t n = (size_t)(depth * w->indent);

    if (!w->indent || !jw_room(w, n + 1))
        return;
    w->buf[w->len++] = '\n';
    memset(w->buf + w->len, ' ', n);
    w->len += n;
}

/* Before a member or an element of the innermost container: a comma after the first. */
static void jw_member(struct jw *w)
{
    if (w->depth == 0)
        return;
    if (w->members[w->depth - 1])
        jw_char(w, ',');
    w->members[w->depth - 1] = 1;
    jw_newline(w, w->depth);
}

/* A value starts: in an array it is an element; after a key it is already placed. */
static void jw_value(struct jw *w)
{
    if (w->depth > 0 && w->members[w->depth - 1] == 2) {
        w->members[w->depth - 1] = 1; /* the value of the key just written */
        return;
    }
    jw_member(w);
}

void jw_open(struct jw *w, char bracket)
{
    jw_value(w);
    jw_char(w, bracket);
    if (w->depth == JW_MAX_DEPTH) {
        w->failed = 1;
        return;
    }
    w->members[w->depth++] = 0;
}

void jw_close(struct jw *w, char bracket)
{
    if (w->depth == 0) {
        w->failed = 1;
        return;
    }
    if (w->members[--w->depth])
        jw_newline(w, w->depth);
    jw_char(w, bracket);
}

static void jw_colon(struct jw *w)
{
    if (w->indent)
        jw_put(w, ": ", 2);
    else
        jw_char(w, ':');
    if (w->depth > 0)
        w->members[w->depth - 1] = 2; /* a value is due */
}

/* A key known to need no escaping (json.c's own names): copied as it is. */
void jw_key(struct jw *w, const char *key)
{
    size_t n = strlen(key);

    jw_member(w);
    if (jw_room(w, n + 2)) {
        w->buf[w->len++] = '"';
        memcpy(w->buf + w->len, key, n);
        w->len += n;
        w->buf[w->len++] = '"';
    }
    jw_colon(w);
}

void jw_key_quoted(struct jw *w, const char *key)
{
    jw_member(w);
    jw_quote(w, key);
    jw_colon(w);
}

/* The bytes a string cannot hold as they are: controls, '"', '\\', and any byte of a UTF-8
 * sequence (checked, and kept when valid); NUL ends the string. A table: this loop is most of
 * what writing a string costs. */
static const unsigned char jw_special[256] = {
    [0 ... 0x1f] = 1,
    ['"'] = 1,
    ['\\'] = 1,
    [0x80 ... 0xff] = 1,
};

void jw_quote(struct jw *w, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    const char *run;

    s = format_str(s);
    jw_char(w, '"');
    run = s;
    while (*s) {
        unsigned char c = (unsigned char)*s;
        char esc[6] = {'\\', 0};
        size_t n = 2;
        unsigned long cp;
        size_t len;

        if (!jw_special[c]) {
            s++;
            continue;
        }
        if (c >= 0x80) {
            char rep[4];

            len = format_utf8_next(s, &cp);
            if (cp != 0xFFFD || len != 1) {
                s += len; /* valid: kept as it is */
                continue;
            }
            /* An invalid byte: U+FFFD in its place. */
            jw_put(w, run, (size_t)(s - run));
            jw_put(w, rep, format_utf8_put(rep, 0xFFFD));
            run = ++s;
            continue;
        }
        switch (c) {
        case '"':
        case '\\':
            esc[1] = (char)c;
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        jw_put(w, run, (size_t)(s - run));
        jw_put(w, esc, n);
        run = ++s;
    }
    jw_put(w, run, (size_t)(s - run));
    jw_char(w, '"');
}

void jw_string(struct jw *w, const char *s)
{
    jw_value(w);
    jw_quote(w, s);
}

/* 10^0 .. 10^27, each exact in a long double's 64-bit mantissa (5^27 < 2^64). */
static const long double jw_pow10[] = {
    1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,  1e7L,  1e8L,  1e9L,
    1e10L, 1e11L, 1e12L, 1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L,
    1e20L, 1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L,
};

/* a * 10^(14 - e), within 2^-64 of the exact product (one rounding); -1 where 10^(14 - e) is
 * not in the table. */
static long double jw_scale(double a, int e)
{
    int k = 14 - e;

    if (k > 27 || k < -27)
        return -1;
    return k >= 0 ? (long double)a * jw_pow10[k] : (long double)a / jw_pow10[-k];
}

/* The 15 significant digits of a (> 0) that "%.15g" writes, as m in [1e14, 1e15), and the
 * decimal exponent of its first digit: 0, or -1 when it cannot be sure (then printf does it).
 * a * 10^(14 - e) is within 2^-14 of its exact value (below 2^50, one rounding of 2^-64), so
 * rounding it to an integer goes the same way as printf's exact rounding unless its fraction
 * is within that of one half. */
static int jw_digits(double a, unsigned long long *m, int *e)
{
    long double x, whole, frac;

    if (!(a >= 1e-13 && a < 1e41))
        return -1;
    *e = (int)floor(log10(a));
    x = jw_scale(a, *e);
    if (x < 1e14L) /* log10 rounded up across a power of ten */
        x = jw_scale(a, --*e);
    else if (x >= 1e15L)
        x = jw_scale(a, ++*e);
    if (x < 1e14L || x >= 1e15L)
        return -1;
    whole = floorl(x);
    frac = x - whole;
    if (fabsl(frac - 0.5L) < 1e-3L)
        return -1;
    *m = (unsigned long long)whole + (frac > 0.5L);
    if (*m == 1000000000000000ULL) { /* 999...9.7 rounded up to the next power of ten */
        *m /= 10;
        ++*e;
    }
    return 0;
}

/* "%.15g" of v, without printf: printf's decimal conversion of a double costs about 4,000
 * instructions, most of a JSON line's cost. n, or -1 for the cases left to printf. */
static int jw_real_fast(char *buf, double v)
{
    char d[16], *p = buf;
    unsigned long long m;
    int e, nd = 15;

    if (v == 0 || jw_digits(fabs(v), &m, &e) != 0)
        return -1;
    for (int i = 14; i >= 0; i--, m /= 10)
        d[i] = (char)('0' + m % 10);
    while (nd > 1 && d[nd - 1] == '0') /* %g drops trailing zeros */
        nd--;
    if (v < 0)
        *p++ = '-';
    if (e < -4 || e >= 15) { /* d.ddde+XX */
        *p++ = d[0];
        if (nd > 1) {
            *p++ = '.';
            memcpy(p, d + 1, (size_t)nd - 1);
            p += nd - 1;
        }
        *p++ = 'e';
        *p++ = e < 0 ? '-' : '+';
        *p++ = (char)('0' + abs(e) / 10); /* |e| <= 41 here */
        *p++ = (char)('0' + abs(e) % 10);
    } else if (e < 0) { /* 0.000ddd */
        memcpy(p, "0.0000", (size_t)(1 - e));
        p += 1 - e;
        memcpy(p, d, (size_t)nd);
        p += nd;
    } else { /* ddd.ddd */
        memcpy(p, d, (size_t)e + 1);
        p += e + 1;
        if (nd > e + 1) {
            *p++ = '.';
            memcpy(p, d + e + 1, (size_t)(nd - e - 1));
            p += nd - e - 1;
        }
    }
    *p = '\0';
    return (int)(p - buf);
}

int jw_real(char *buf, size_t size, double v)
{
    int n = size >= 32 ? jw_real_fast(buf, v) : -1;
    char *e;

    if (n < 0)
        n = snprintf(buf, size, "%.15g", v);

    if (n < 0 || (size_t)n + 3 > size)
        return -1;
    /* A dot or an exponent, so that a reader keeps it a real. */
    if (!strchr(buf, '.') && !strchr(buf, 'e')) {
        memcpy(buf + n, ".0", 3);
        n += 2;
    }
    /* No '+' and no leading zeros in the exponent: 1e20, 2.5e-7. */
    if ((e = strchr(buf, 'e'))) {
        char *from = e + 1, *to = e + 1;

        if (*to == '-')
            to++, from++;
        else if (*from == '+')
            from++;
        while (*from == '0' && from[1])
            from++;
        memmove(to, from, strlen(from) + 1);
        n = (int)strlen(buf);
    }
    return n;
}

void jw_number(struct jw *w, double v)
{
    char buf[32];
    int n;

    if (!isfinite(v)) {
        jw_null(w);
        return;
    }
    /* A whole number is written as one ("value": 3, not 3.0), while a double holds it. */
    if (v == floor(v) && fabs(v) < 9007199254740992.0) {
        jw_integer(w, (long long)v);
        return;
    }
    jw_value(w);
    if ((n = jw_real(buf, sizeof(buf), v)) < 0)
        w->failed = 1;
    else
        jw_put(w, buf, (size_t)n);
}

void jw_ms(struct jw *w, double seconds)
{
    double us = round(seconds * 1e6);
    long long k, whole;
    char buf[32], *p = buf + sizeof(buf);
    int digits = 0, neg;

    /* k / 1000, k the microseconds: a decimal of at most 15 digits, which "%.15g" of the
     * double nearest to it writes back exactly; written here from k, without printf. Beyond
     * that (or not finite), the general path. */
    if (!(fabs(us) < 1e15)) {
        jw_number(w, us / 1e3);
        return;
    }
    k = (long long)us;
    if (k % 1000 == 0) {
        jw_integer(w, k / 1000);
        return;
    }
    neg = k < 0;
    whole = neg ? -k : k;
    for (; digits < 3 && whole % 10 == 0; digits++) /* trailing zeros of the fraction */
        whole /= 10;
    for (int i = digits; i < 3; i++, whole /= 10)
        *--p = (char)('0' + whole % 10);
    *--p = '.';
    do {
        *--p = (char)('0' + whole % 10);
        whole /= 10;
    } while (whole);
    if (neg)
        *--p = '-';
    jw_value(w);
    jw_put(w, p, (size_t)(buf + sizeof(buf) - p));
}

void jw_integer(struct jw *w, long long v)
{
    char buf[24], *p = buf + sizeof(buf);
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

    jw_value(w);
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    jw_put(w, p, (size_t)(buf + sizeof(buf) - p));
}

void jw_bool(struct jw *w, int v)
{
    jw_value(w);
    if (v)
        jw_put(w, "true", 4);
    else
        jw_put(w, "false", 5);
}

void jw_null(struct jw *w)
{
    jw_value(w);
    jw_put(w, "null", 4);
}

int jw_finish(struct jw *w, FILE *out)
{
    int rc = 0;

    jw_char(w, '\n');
    if (w->failed || w->depth != 0) {
        errno = ENOMEM;
        rc = -1;
    } else {
        fwrite(w->buf, 1, w->len, out);
    }
    free(w->buf);
    w->buf = NULL;
    return rc;
}
