# tests/sandbox: real redis, mariadb, etcd and kafka servers on 127.0.0.1 for the
# integration tests, the drills and the demo (see tests/sandbox/README).
# supervisor is built by `make`, not only `make check`: the demo runs the sandbox too.
# The sandbox script finds it in $(top_builddir)/tests/sandbox. Kafka is Apache Kafka's
# own jars, fetched by scripts/testdeps.sh (tests/sandbox/kafka/pom.xml pins the version).

noinst_PROGRAMS += tests/sandbox/supervisor

tests_sandbox_supervisor_SOURCES = tests/sandbox/supervisor.c

dist_noinst_SCRIPTS += tests/sandbox/sandbox
dist_check_SCRIPTS += tests/sandbox/selftest.test
TESTS += tests/sandbox/selftest.test
EXTRA_DIST += tests/sandbox/README etc/sandbox.conf scripts/toxiproxy.sh scripts/etcd.sh \
	tests/sandbox/kafka/pom.xml tests/sandbox/kafka/cache.sh tests/sandbox/kafka/log4j2.yaml \
	tests/sandbox/kafka/tools-log4j2.yaml
