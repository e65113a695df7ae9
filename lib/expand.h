/*
 * ${VAR} and ${VAR:-default} expansion of configuration strings.
 */
#ifndef IP_CORE_EXPAND_H
#define IP_CORE_EXPAND_H

#include <stddef.h>

#include "private.h"

/* `in` is a secret: a reason names positions only, never a byte of the input. */
#define EXPAND_SECRET 1

/* Expand `in` into a new string in *out (the caller frees it). `${VAR}` is an error when
 * VAR is unset; `${VAR:-default}` gives default when VAR is unset or empty; `$$` is a
 * literal `$`. Returns 0, or -1 with a reason in err (and *out NULL). `flags`: 0 or
 * EXPAND_SECRET. */
IP_PRIVATE int expand_vars(const char *in, char **out, char *err, size_t errlen, int flags);

#endif
