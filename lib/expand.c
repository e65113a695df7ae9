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

int expand_vars(const char *in, char **out, char *err, size_t errlen, int flags)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    const char *p = in;
    /* A secret's reasons say where, never what: not one byte of it is quoted, not even a
     * variable's name (a password may hold "${" by mistake). */
    int secret = flags & EXPAND_SECRET;

    *out = NULL;
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    while (*p) {
        const char *end, *colon, *value;
        size_t namelen, at = (size_t)(p - in) + 1;
        char name[256];

        if (p[0] == '$' && p[1] == '$') {
            fputc('$', f);
            p += 2;
            continue;
        }
        if (p[0] != '$' || p[1] != '{') {
            fputc(*p++, f);
            continue;
        }
        end = strchr(p + 2, '}');
        if (!end) {
            if (secret)
                snprintf(err, errlen,
                         "unterminated \"${\" at character %zu (write $$ for a literal $)", at);
            else
                snprintf(err, errlen, "\"%s\": unterminated \"${\"", in);
            goto fail;
        }
        colon = memchr(p + 2, ':', (size_t)(end - p - 2));
        namelen = (size_t)((colon ? colon : end) - (p + 2));
        if (!valid_var(p + 2, namelen) || namelen >= sizeof(name) || (colon && colon[1] != '-')) {
            if (secret)
                snprintf(err, errlen,
                         "bad variable reference at character %zu (write $$ for a literal $)", at);
            else
                snprintf(err, errlen, "\"%s\": bad variable reference \"%.*s\"", in,
                         (int)(end - p + 1), p);
            goto fail;
        }
        memcpy(name, p + 2, namelen);
        name[namelen] = '\0';
        value = getenv(name);
        if (colon) {
            if (!value || !*value) {
                fwrite(colon + 2, 1, (size_t)(end - colon - 2), f);
                value = NULL;
            }
        } else if (!value) {
            if (secret)
                snprintf(err, errlen,
                         "the variable at character %zu is not set (give a default: "
                         "${NAME:-VALUE})",
                         at);
            else
                snprintf(err, errlen, "${%s} is not set (give a default: ${%s:-VALUE})", name,
                         name);
            goto fail;
        }
        if (value)
            fputs(value, f);
        p = end + 1;
    }
    if (fclose(f) != 0) {
        free(buf);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    *out = buf;
    return 0;
fail:
    fclose(f);
    free(buf);
    return -1;
}
