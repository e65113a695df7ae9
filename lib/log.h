/*
 * The one log sink of the process: the core's messages, the plugins' ip_log() and
 * ip_report_log() lines, and whatever anything else writes to stderr all leave through it,
 * at syslog(3)'s priorities, to stderr, to the journal (stderr with sd-daemon's "<N>"
 * prefixes) or to syslog.
 */
#ifndef IP_CORE_LOG_H
#define IP_CORE_LOG_H

#include <stdarg.h>
#include <syslog.h>

#include <infraprobe/plugin.h>

#include "private.h"

enum log_dest {
    LOG_DEST_STDERR = 0,  /* plain lines */
    LOG_DEST_JOURNAL = 1, /* stderr is the journal's stream: each line gets "<N>" */
    LOG_DEST_SYSLOG = 2,  /* syslog(3), facility daemon */
};

/* Lines above `max_priority` (LOG_ERR .. LOG_DEBUG) are dropped; set once at start, before
 * any thread runs. Other than LOG_DEST_STDERR, stderr itself is made a stream into the sink,
 * so that a line a library or a plugin prints there is an error of the log too. */
IP_PRIVATE void log_setup(int max_priority, enum log_dest dest);
/* Is stderr the journal's stream (JOURNAL_STREAM names its device and inode)? */
IP_PRIVATE int log_stderr_is_journal(void);
IP_PRIVATE enum log_dest log_destination(void);
IP_PRIVATE int log_enabled(int priority);
/* One line "infraprobe: MESSAGE" at `priority`. */
IP_PRIVATE void log_msg(int priority, const char *fmt, ...) IP_PRINTF(2, 3);
IP_PRIVATE void log_vmsg(int priority, const char *who, const char *fmt, va_list ap);

#endif
