# Benchmarks: `bench/run [BUILD_DIR]` prints the figures. make check only builds these
# (so they never rot); no timing is ever part of its pass/fail.
check_LTLIBRARIES += bench/noop.la
bench_noop_la_SOURCES = bench/noop.c
bench_noop_la_LDFLAGS = -module -avoid-version -shared -rpath /nowhere
bench_noop_la_LIBADD = lib/libinfraprobe.la -lm
check_PROGRAMS += bench/listeners
bench_listeners_SOURCES = bench/listeners.c
EXTRA_DIST += bench/run bench/README bench/isolation bench/soak bench/lateness bench/scrape \
	bench/blackbox_exporter.sh bench/auth
# The kafka plugin's throughput against ProducerPerformance and kcat, its produce latency
# against a bare librdkafka loop: bench/kafka.
if BUILD_KAFKA
check_PROGRAMS += bench/kafka_rawlat
bench_kafka_rawlat_SOURCES = bench/kafka_rawlat.c
bench_kafka_rawlat_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
bench_kafka_rawlat_LDADD = $(RDKAFKA_LIBS)
endif
EXTRA_DIST += bench/kafka
