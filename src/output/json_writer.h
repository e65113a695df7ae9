/*
 * A small JSON writer into a growing buffer: objects, arrays, keys, strings (escaped, invalid
 * UTF-8 replaced by U+FFFD), numbers as jansson writes them with 15 significant digits (a
 * whole number below 2^53 as an integer, a non-finite one as null), true/false/null. Pretty
 * (an indent per level) or compact. A failed allocation is remembered and reported once, by
 * jw_finish(): the callers write straight through without checking each token.
 */
#ifndef IP_OUTPUT_JSON_WRITER_H
#define IP_OUTPUT_JSON_WRITER_H

#include <stddef.h>
#include <stdio.h>

#define JW_MAX_DEPTH 32

struct jw {
    char *buf;
    size_t len, cap;
    int failed;
    int indent; /* spaces per level; 0: compact */
    int depth;
    unsigned char members[JW_MAX_DEPTH]; /* per open container: has it a member yet? */
};

void jw_init(struct jw *w, int indent);
/* Open '{' or '['; close with '}' or ']'. */
void jw_open(struct jw *w, char bracket);
void jw_close(struct jw *w, char bracket);
/* An object member's key; the value follows. jw_key() copies a key that needs no escaping
 * (the writer's own names); jw_key_quoted() escapes any string (a label's name). */
void jw_key(struct jw *w, const char *key);
void jw_key_quoted(struct jw *w, const char *key);
/* Values: in an array each is an element; after jw_key(), the member's value. */
void jw_string(struct jw *w, const char *s); /* NULL reads as "" */
void jw_number(struct jw *w, double v);
void jw_integer(struct jw *w, long long v);
/* Milliseconds from `seconds`, rounded to the microsecond: jw_number(round(s * 1e6) / 1e3),
 * without printf. */
void jw_ms(struct jw *w, double seconds);
void jw_bool(struct jw *w, int v);
void jw_null(struct jw *w);
/* Write what was built and a newline to `out`, and free the buffer: 0, or -1 with errno
 * ENOMEM when building failed (write errors are left in ferror(out)). */
int jw_finish(struct jw *w, FILE *out);

/* Append `s` to the buffer as a JSON string, quoted and escaped (tests compare it with
 * jansson). */
void jw_quote(struct jw *w, const char *s);
/* Tests: the buffer's allocations after the next `n` fail (n < 0: none fails). */
void jw_fail_after(long n);
/* `v` as jansson writes a real with JSON_REAL_PRECISION(15) into buf (32 bytes). */
int jw_real(char *buf, size_t size, double v);

#endif
