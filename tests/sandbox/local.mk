# tests/sandbox: real redis, mariadb, etcd and kafka servers on 127.0.0.1 for the
# integration tests, the drills and the demo (see tests/sandbox/README).
# kafka-cluster and supervisor are built by `make`, not only `make check`: the demo
# runs the sandbox too. The sandbox script finds them in $(top_builddir)/tests/sandbox.

noinst_PROGRAMS += tests/sandbox/kafka-cluster tests/sandbox/supervisor

tests_sandbox_kafka_cluster_SOURCES = tests/sandbox/kafka-cluster.c
tests_sandbox_kafka_cluster_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
tests_sandbox_kafka_cluster_LDADD = $(RDKAFKA_LIBS)

tests_sandbox_supervisor_SOURCES = tests/sandbox/supervisor.c

dist_noinst_SCRIPTS += tests/sandbox/sandbox
dist_check_SCRIPTS += tests/sandbox/selftest.test
TESTS += tests/sandbox/selftest.test
EXTRA_DIST += tests/sandbox/README etc/sandbox.conf scripts/toxiproxy.sh
