/*
 * Helpers the writers share (output_util.c): status counting, UTF-8 decoding, numbers.
 */
#ifndef IP_OUTPUT_UTIL_H
#define IP_OUTPUT_UTIL_H

#include <stddef.h>
#include <stdio.h>

#include "report.h"

/* A status that indexes an array of IP_SKIPPED + 1 entries: a value outside the enum (a
 * bug elsewhere) reads as IP_UNKNOWN, never as healthy. */
enum ip_status format_status(enum ip_status s);

/* Counts of a probe's checks by status, indexed by enum ip_status. */
struct format_counts {
    size_t n[IP_SKIPPED + 1];
    size_t total;
};
void format_count(const struct ip_report *probe, struct format_counts *counts);

/*
 * A probe status that none of its checks accounts for (the plugin failed, or the run was
 * abandoned, without a check saying so), else IP_OK. The writers that list only checks
 * (text, junit, tap, nagios) then add an entry named FORMAT_EXTRA_NAME with
 * format_extra_message(), so that a CI gate never reads an unknown probe as passing.
 */
enum ip_status format_probe_extra(const struct ip_report *probe);
#define FORMAT_EXTRA_NAME "probe"
/* "probe is unknown, and no check says why" for `status`; static storage. */
const char *format_extra_message(enum ip_status status);

/* A timeline is one episode per fault (a drill has one; netpart one per partition): the events
 * from `from` up to the fault after the first one at or after `from` (the events before the
 * first fault belong to the first episode). The index past the episode that `from` begins. */
size_t format_episode_end(const struct ip_report *probe, size_t from);
/* A one-line summary of the timeline's events from .. to - 1 into buf ("fault stop at 1.20 s
 * for 0.05 s; 57 operations, 41 ok, 16 failed; detected at 2.90 s; ..."), times from the
 * probe's start; 0 when there are none. */
int format_timeline(const struct ip_report *probe, size_t from, size_t to, char *buf, size_t size);

/* The string, or "" for NULL: messages and names are never printed as "(null)". */
const char *format_str(const char *s);

/*
 * Decode one character of `s` (not at its terminating NUL) into *cp and return its length
 * in bytes (>= 1). A byte that does not start a valid UTF-8 sequence (overlong, surrogate,
 * beyond U+10FFFF, truncated) decodes to U+FFFD with length 1, so that every writer emits
 * valid UTF-8 whatever a server put in a message.
 */
size_t format_utf8_next(const char *s, unsigned long *cp);
/* Encode `cp` into buf (at least 4 bytes); returns the length. */
size_t format_utf8_put(char *buf, unsigned long cp);
/* A valid UTF-8 copy of `s` (NULL reads as ""), invalid bytes replaced; NULL: ENOMEM. */
char *format_utf8_dup(const char *s);

/* The shortest "%g" form of `v` that reads back as `v` (at most 17 digits); "NaN", "+Inf",
 * "-Inf" for non-finite values (the spelling Prometheus reads). `buf` has 32 bytes. */
#define FORMAT_NUMBER_SIZE 32
void format_number(char *buf, size_t size, double v);

#endif
