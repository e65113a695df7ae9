/*
 * ip_operate()'s provider: the SDK cannot load plugins (the loader belongs to the program), so
 * the program hands it the function that finds plugin `kind`'s operate hook.
 */
#ifndef IP_CORE_OPERATE_H
#define IP_CORE_OPERATE_H

#include <stddef.h>

#include "private.h"

/* A plugin's operate hook, as struct ip_plugin has it. */
typedef int (*operate_fn)(const char *address, const char *const *options, double deadline,
                          char *err, size_t errlen);

/* Plugin `kind`'s operate hook, the plugin loaded (and its init() run) if need be; NULL with
 * the reason in err and *code set (IP_EINVAL: no such plugin, IP_ENOTSUP: no operation).
 * Thread-safe. */
typedef operate_fn (*operate_find_fn)(const char *kind, int *code, char *err, size_t errlen);

/* Set (or, with NULL, clear) the provider; the program calls it before any probe is set up. */
IP_PRIVATE void operate_provide(operate_find_fn find);

#endif
