/*
 * ${VAR} and ${VAR:-default} expansion, as in the shell, so that one configuration file
 * serves every host: the address comes from the environment, with a default for a laptop.
 */
#include "config.h"

#include "expand.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int valid_var(const char *s, size_t n)
{
    if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];

        if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9')))
            return 0;
    }
    return 1;
}

/* One expansion's output and where its reason goes. */
struct expansion {
    FILE *f;
    const char *in;
    char *err;
    size_t errlen;
    /* A secret's reasons say where, never what: not one byte of it is quoted, not even a
     * variable's name (a password may hold "${" by mistake). */
    int secret;
};

/* ${NAME}'s value, or ${NAME:-default}'s default when NAME is unset or empty; `at` is the
 * reference's character, for a secret's reason. */
static int expand_value(struct expansion *x, const char *name, const char *colon, const char *end,
                        size_t at)
{
    const char *value = getenv(name);

    if (colon) {
        if (!value || !*value) {
            fwrite(colon + 2, 1, (size_t)(end - colon - 2), x->f);
            return 0;
        }
    } else if (!value) {
        if (x->secret)
            snprintf(x->err, x->errlen,
                     "the variable at character %zu is not set (give a default: "
                     "${NAME:-VALUE})",
                     at);
        else
            snprintf(x->err, x->errlen, "${%s} is not set (give a default: ${%s:-VALUE})", name,
                     name);
        return -1;
    }
    fputs(value, x->f);
    return 0;
}

/* Expand the reference "${" at p; returns what follows it, or NULL with the reason. */
static const char *expand_ref(struct expansion *x, const char *p)
{
    const char *end = strchr(p + 2, '}'), *colon;
    size_t namelen, at = (size_t)(p - x->in) + 1;
    char name[256];

    if (!end) {
        if (x->secret)
            snprintf(x->err, x->errlen,
                     "unterminated \"${\" at character %zu (write $$ for a literal $)", at);
        else
            snprintf(x->err, x->errlen, "\"%s\": unterminated \"${\"", x->in);
        return NULL;
    }
    colon = memchr(p + 2, ':', (size_t)(end - p - 2));
    namelen = (size_t)((colon ? colon : end) - (p + 2));
    if (!valid_var(p + 2, namelen) || namelen >= sizeof(name) || (colon && colon[1] != '-')) {
        if (x->secret)
            snprintf(x->err, x->errlen,
                     "bad variable reference at character %zu (write $$ for a literal $)", at);
        else
            snprintf(x->err, x->errlen, "\"%s\": bad variable reference \"%.*s\"", x->in,
                     (int)(end - p + 1), p);
        return NULL;
    }
    memcpy(name, p + 2, namelen);
    name[namelen] = '\0';
    return expand_value(x, name, colon, end, at) ? NULL : end + 1;
}

int expand_vars(const char *in, char **out, char *err, size_t errlen, int flags)
{
    char *buf = NULL;
    size_t len = 0;
    struct expansion x = {
        .f = open_memstream(&buf, &len),
        .in = in,
        .err = err,
        .errlen = errlen,
        .secret = flags & EXPAND_SECRET,
    };
    const char *p = in;

    *out = NULL;
    if (!x.f) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    while (*p) {
        if (p[0] == '$' && p[1] == '$') {
            fputc('$', x.f);
            p += 2;
            continue;
        }
        if (p[0] != '$' || p[1] != '{') {
            fputc(*p++, x.f);
            continue;
        }
        if (!(p = expand_ref(&x, p)))
            goto fail;
    }
    if (fclose(x.f) != 0) {
        free(buf);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    *out = buf;
    return 0;
fail:
    fclose(x.f);
    free(buf);
    return -1;
}
