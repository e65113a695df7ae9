# Benchmarks: `bench/run [BUILD_DIR]` prints the figures. make check only builds these
# (so they never rot); no timing is ever part of its pass/fail.
check_LTLIBRARIES += bench/noop.la
bench_noop_la_SOURCES = bench/noop.c
bench_noop_la_LDFLAGS = -module -avoid-version -shared -rpath /nowhere
bench_noop_la_LIBADD = lib/libinfraprobe.la -lm
check_PROGRAMS += bench/listeners
bench_listeners_SOURCES = bench/listeners.c
EXTRA_DIST += bench/run bench/README bench/isolation bench/soak bench/lateness
