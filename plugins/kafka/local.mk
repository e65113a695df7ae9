# The kafka plugin (librdkafka); --disable-kafka leaves it out.
if BUILD_KAFKA
pkglib_LTLIBRARIES += plugins/kafka/kafka.la
plugins_kafka_kafka_la_SOURCES = plugins/kafka/kafka.c plugins/kafka/kafka_plugin.h \
	plugins/kafka/kafka_client.c plugins/kafka/kafka_admin.c plugins/kafka/kafka_topic.c \
	plugins/kafka/kafka_health.c plugins/kafka/kafka_health.h plugins/kafka/kafka_produce.c \
	plugins/kafka/kafka_consume.c plugins/kafka/kafka_groups.c plugins/kafka/kafka_drill.c \
	plugins/kafka/kafka_operate.c
plugins_kafka_kafka_la_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
plugins_kafka_kafka_la_LDFLAGS = -module -avoid-version -shared -export-symbols-regex '^infraprobe_plugin$$'
plugins_kafka_kafka_la_LIBADD = lib/libinfraprobe.la $(RDKAFKA_LIBS) -lm

if HAVE_CHECK
# The partition-health verdicts, on hand-made metadata.
check_PROGRAMS += plugins/kafka/kafka_health_test
TESTS += plugins/kafka/kafka_health_test
# Against the sandbox's real 3-node Kafka cluster, through the infraprobe program.
check_PROGRAMS += tests/integration/kafka_test
TESTS += tests/integration/kafka_test
endif
plugins_kafka_kafka_health_test_SOURCES = plugins/kafka/kafka_health_test.c \
	plugins/kafka/kafka_health.c plugins/kafka/kafka_health.h
plugins_kafka_kafka_health_test_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(RDKAFKA_CFLAGS)
plugins_kafka_kafka_health_test_LDADD = $(CHECK_LIBS)

tests_integration_kafka_test_SOURCES = tests/integration/kafka_test.c \
	tests/integration/testlib.c tests/integration/testlib.h
tests_integration_kafka_test_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(JANSSON_CFLAGS) \
	$(RDKAFKA_CFLAGS)
tests_integration_kafka_test_LDADD = $(CHECK_LIBS) $(JANSSON_LIBS) $(RDKAFKA_LIBS)

endif
