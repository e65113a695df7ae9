/*
 * The JSON report of the last `infraprobe --drill -f json -o FILE`, read back into reports
 * so that the daemon's status page shows the last drill's figures and timeline
 * (drill_report = FILE in the infraprobe group).
 */
#ifndef IP_DRILL_REPORT_H
#define IP_DRILL_REPORT_H

#include <stddef.h>

#include "report.h"

/* Read `path` into *run (its probes, checks, metrics and timelines): 0, or -1 with the
 * reason in err (the file and, for bad JSON, its line). */
int drill_report_load(const char *path, struct run_result *run, char *err, size_t errlen);
/* Free what drill_report_load() filled. */
void drill_report_free(struct run_result *run);

#endif
