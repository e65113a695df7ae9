/*
 * The program links the SDK statically and exports it to the plugins it loads (infraprobe.dyn),
 * so that they share its state (the log level, the progress line's watcher of drill phases)
 * instead of that of a second copy in libinfraprobe.so. A static link takes only the objects
 * something refers to: this table refers to one function of each SDK object the core itself
 * never calls, so that every ip_* function a plugin may call is the program's.
 */
#include "config.h"

#include <infraprobe/plugin.h>

__attribute__((used)) static const void *const sdk_exports[] = {
    (const void *)ip_drill_execute,  /* drill.c */
    (const void *)ip_pool_new_sized, /* pool.c */
    (const void *)ip_resolve,        /* resolve.c */
    (const void *)ip_hostport,       /* hostport.c */
    (const void *)ip_workers_start,  /* workers.c */
    (const void *)ip_skip_checks,    /* helpers.c */
};
