# The netpart plugin (libcurl for Toxiproxy's API, jansson, libnftables); --disable-netpart
# leaves it out.
if BUILD_NETPART
pkglib_LTLIBRARIES += plugins/netpart/netpart.la
plugins_netpart_netpart_la_SOURCES = plugins/netpart/netpart.c plugins/netpart/netpart_plugin.h \
	plugins/netpart/toxiproxy.c plugins/netpart/nft.c plugins/netpart/timing.c \
	plugins/netpart/timeline.c plugins/netpart/drill.c plugins/netpart/drill_redis.c
plugins_netpart_netpart_la_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(JANSSON_CFLAGS) $(NFTABLES_CFLAGS)
plugins_netpart_netpart_la_LDFLAGS = -module -avoid-version -shared -export-symbols-regex '^infraprobe_plugin$$'
plugins_netpart_netpart_la_LIBADD = lib/libinfraprobe.la $(CURL_LIBS) $(JANSSON_LIBS) \
	$(NFTABLES_LIBS) -lm

if HAVE_CHECK
# How an operation's time is judged, and the kernel's count of a thread's wait for a CPU.
check_PROGRAMS += plugins/netpart/timing_test
TESTS += plugins/netpart/timing_test
# Real partitions through a real Toxiproxy, against the sandbox's Redis, MariaDB and a TCP port.
check_PROGRAMS += tests/integration/netpart_test
TESTS += tests/integration/netpart_test
endif
plugins_netpart_timing_test_SOURCES = plugins/netpart/timing_test.c plugins/netpart/timing.c \
	plugins/netpart/netpart_plugin.h
plugins_netpart_timing_test_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/tests/unit
plugins_netpart_timing_test_LDADD = $(CHECK_LIBS) -lpthread
tests_integration_netpart_test_SOURCES = tests/integration/netpart_test.c \
	tests/integration/testlib.c tests/integration/testlib.h
tests_integration_netpart_test_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(JANSSON_CFLAGS)
tests_integration_netpart_test_LDADD = $(CHECK_LIBS) $(JANSSON_LIBS)

# Its timeline drawn: --format html and the status page in headless Chromium (with the helpers
# html.test uses), partitions of a TCP listener of the test's own.
TESTS += tests/integration/netpart_html.test
EXTRA_DIST += tests/integration/netpart_html.test tests/integration/listener.py

# The partition drill between etcd members, with the sandbox's netns mode in a network
# namespace of the test's own.
if HAVE_CHECK
check_PROGRAMS += tests/integration/netpart_drill_test
TESTS += tests/integration/netpart_drill_test
endif
tests_integration_netpart_drill_test_SOURCES = tests/integration/netpart_drill_test.c \
	tests/integration/testlib.c tests/integration/testlib.h
tests_integration_netpart_drill_test_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(JANSSON_CFLAGS)
tests_integration_netpart_drill_test_LDADD = $(CHECK_LIBS) $(JANSSON_LIBS)

# The same program with the Kafka target alone, so that a slow Kafka start costs the other
# cases nothing. (A `.log: kafka_test.log` ordering would replace automake's own rule.)
if BUILD_KAFKA
if HAVE_CHECK
check_PROGRAMS += tests/integration/netpart_kafka_test
TESTS += tests/integration/netpart_kafka_test
endif
endif
tests_integration_netpart_kafka_test_SOURCES = $(tests_integration_netpart_test_SOURCES)
tests_integration_netpart_kafka_test_CFLAGS = $(tests_integration_netpart_test_CFLAGS) \
	-DNETPART_KAFKA_ONLY=1
tests_integration_netpart_kafka_test_LDADD = $(tests_integration_netpart_test_LDADD)
endif
