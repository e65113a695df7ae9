/*
 * The configuration file: the core's own settings, and the probes bound to their plugins.
 */
#ifndef IP_CORE_CONF_H
#define IP_CORE_CONF_H

#include <libconfig.h>
#include <stddef.h>

#include <infraprobe/plugin.h>

#include "http.h"
#include "report.h"

/* Where a probe runs: in a supervised child of its own (the default: a crash, an exit() or a
 * runaway loop costs that probe's run and nothing else) or on a thread of this process. */
enum isolation { ISOLATION_PROCESS = 0, ISOLATION_THREAD = 1 };

struct probe_conf {
    const char *name; /* borrowed from the probe */
    const char *plugin_name;
    double interval; /* seconds between runs (daemon) */
    double timeout;  /* a run's deadline, seconds after it starts */
    config_setting_t *setting;
    struct ip_probe *probe;
    const struct ip_plugin *plugin; /* after conf_bind() */
    void *state;                    /* after a successful setup() */
    int ready;                      /* setup() succeeded */
    enum isolation isolation;
    struct threshold *thresholds;
    size_t nthresholds;
    int drills;                   /* the plugin has a drill (a check flagged IP_CHECK_DRILL) */
    struct drill drill;           /* its limits and fault actions */
    struct fault_action *actions; /* owned; drill.actions */
    const char **disabled;        /* owned; NULL, or per declared check why runs skip it */
    /* Checks flagged IP_CHECK_LOADS run in one daemon run of every load_every (the others are
     * light runs, whose disabled checks are light_disabled); NULL: every run is whole. */
    long long load_every;
    const char **light_disabled; /* owned */
    char *light_reason;          /* owned */
};

struct conf {
    config_t cfg;
    const char *file;
    double interval;
    double timeout;
    int workers;
    enum isolation isolation;
    double shutdown_timeout; /* grace for running probes at SIGTERM; < 0: not set */
    long long load_every;    /* load_checks_every: the default of every probe */
    const char *plugin_dir;  /* NULL: none set */
    int drill;               /* --drill: run the drills of the probes that have one */
    int once;                /* --once or --drill: every run is whole (no light runs) */
    struct ip_probe *core;   /* the `infraprobe` group, read with the SDK getters */
    struct http_conf http;   /* listen and its TLS and users; http.listen NULL: none */
    struct probe_conf *probes;
    size_t nprobes;
};

/* Parse `file` and check the core's keys. Prints FILE:LINE errors; returns their count
 * (or 1 for a file that cannot be read or parsed). */
int conf_load(struct conf *c, const char *file);
/* Load each probe's plugin, check its thresholds, run its setup() and report keys nothing
 * read. Probes not in `only` (NULL: all) are left unbound. Returns the number of errors. */
int conf_bind(struct conf *c, const char *const *only);
/* Tear down every probe that was set up, and free the configuration. */
void conf_free(struct conf *c);
/* The same, but the plugins stay initialised: other configurations may still use them (a
 * reload). conf_free() is conf_release() and then the plugins' shutdown(). */
void conf_release(struct conf *c);

#endif
