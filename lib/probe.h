/*
 * A configured probe as the SDK getters see it: its libconfig group, the keys read so far,
 * and the strings the getters handed out.
 */
#ifndef IP_CORE_PROBE_H
#define IP_CORE_PROBE_H

#include <libconfig.h>

#include <infraprobe/plugin.h>

#include "private.h"

/* A probe over `group` (a probe's entry in `probes`); NULL when out of memory. With a NULL
 * name, errors name no probe and keys are prefixed with `path` ("infraprobe."): the core
 * reads its own group with the same getters. */
IP_PRIVATE struct ip_probe *probe_new(config_setting_t *group, const char *name, const char *path,
                                      double timeout);
IP_PRIVATE void probe_free(struct ip_probe *p);
/* The setting `key` of the probe, marked as read (the core's own keys), or NULL. */
IP_PRIVATE config_setting_t *probe_take(struct ip_probe *p, const char *key);
/* Mark a setting already reported as wrong: probe_unread() passes over it and its keys. */
IP_PRIVATE void probe_reported(config_setting_t *s);
/* Print an error at `s` (or at the probe when NULL) and count it. */
IP_PRIVATE void probe_error(struct ip_probe *p, const config_setting_t *s, const char *fmt, ...)
    IP_PRINTF(3, 4);
/* A duration of the core's, in seconds: min..max (NaN and infinities never are), or an error
 * at FILE:LINE and def. */
IP_PRIVATE double probe_duration(struct ip_probe *probe, const char *key, double def, double min,
                                 double max);
/* Report every key that nothing read; returns how many. */
IP_PRIVATE int probe_unread(struct ip_probe *p);

/* Print `FILE:LINE: ` of a setting (the file being loaded when the setting has none). */
IP_PRIVATE void config_where(FILE *out, const config_setting_t *s);

#endif
