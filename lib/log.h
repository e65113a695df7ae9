/*
 * Logging for the core and, through ip_log(), for plugins: one line per message on stderr.
 */
#ifndef IP_CORE_LOG_H
#define IP_CORE_LOG_H

#include <infraprobe/plugin.h>

#include "private.h"

/* Messages above `level` are dropped; set once at start, before any thread runs. */
IP_PRIVATE void log_set_level(enum ip_log_level level);

#endif
