/*
 * Finding and loading plugins (libtool modules) on a colon-separated search path.
 */
#ifndef IP_CORE_LOADER_H
#define IP_CORE_LOADER_H

#include <stddef.h>
#include <stdio.h>

#include <infraprobe/plugin.h>

/* Set the search path (directories, colon-separated; later ones are searched last). */
int loader_init(const char *path);
/* The plugin `name`, loaded once and kept loaded; NULL with the reason in err. */
const struct ip_plugin *loader_get(const char *name, char *err, size_t errlen);
/* Run setup() of plugin `p` for `probe`, after its init() if this is the process's first
 * setup() of the plugin; init() failing is a configuration error of the probe. Main thread. */
int loader_setup(const struct ip_plugin *p, struct ip_probe *probe, void **state);
/* Call shutdown() of every plugin whose init() ran (or that has none but was set up), once
 * every probe is torn down. Main thread. */
void loader_shutdown(void);
/* Write "name  description  path" for every plugin on the path; returns how many failed to
 * load (each reported on stderr). */
int loader_list(FILE *out);
/* The search path in use. */
const char *loader_path(void);

#endif
