/*
 * format_sample FORMAT [rich|ok|one|lines]: write a fixture run (format_fixture.h; rich by
 * default) in FORMAT to stdout, for tests/formats.test to hand to the format's real
 * consumer; `lines` writes the rich run probe by probe as the daemon does
 * (format_write_probe()). Exits 0, 1 when the write fails (errno on stderr), 2 on usage.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "format_fixture.h"
#include "output.h"

int main(int argc, char **argv)
{
    const char *which = argc > 2 ? argv[2] : "rich";
    struct run_result *run;
    enum format f;
    int rc = 0;

    if (argc < 2 || argc > 3 || format_parse(argv[1], &f) != 0) {
        fprintf(stderr, "usage: format_sample text|json|junit|tap|prometheus|nagios "
                        "[rich|ok|one|lines]\n");
        return 2;
    }
    if (strcmp(which, "rich") == 0 || strcmp(which, "lines") == 0)
        run = fixture_rich();
    else if (strcmp(which, "ok") == 0)
        run = fixture_ok();
    else if (strcmp(which, "one") == 0)
        run = fixture_one();
    else {
        fprintf(stderr, "format_sample: unknown fixture \"%s\"\n", which);
        return 2;
    }
    /* Started at a fixed moment, as a real run's probes are: JUnit's timestamp needs one. */
    for (size_t i = 0; i < run->nprobes; i++)
        run->probes[i]->wall = 1796076303.0 + (double)i;
    if (strcmp(which, "lines") == 0)
        for (size_t i = 0; i < run->nprobes && rc == 0; i++)
            rc = format_write_probe(f, stdout, run->probes[i], 0);
    else
        rc = format_write(f, stdout, run, 0);
    if (rc != 0)
        fprintf(stderr, "format_sample: %s: %s\n", format_name(f), strerror(errno));
    fixture_free(run);
    return rc != 0;
}
