# The etcd plugin (libcurl + jansson, over etcd's v3 JSON gateway); --disable-etcd leaves it out.
if BUILD_ETCD
pkglib_LTLIBRARIES += plugins/etcd/etcd.la
plugins_etcd_etcd_la_SOURCES = plugins/etcd/etcd.c plugins/etcd/etcd_plugin.h \
	plugins/etcd/etcd_http.c plugins/etcd/etcd_checks.c plugins/etcd/etcd_watch.c \
	plugins/etcd/etcd_drill.c plugins/etcd/etcd_proto.c plugins/etcd/etcd_proto.h \
	plugins/etcd/etcd_operate.c
plugins_etcd_etcd_la_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(JANSSON_CFLAGS)
plugins_etcd_etcd_la_LDFLAGS = -module -avoid-version -shared -export-symbols-regex '^infraprobe_plugin$$'
plugins_etcd_etcd_la_LIBADD = lib/libinfraprobe.la $(CURL_LIBS) $(JANSSON_LIBS) -lm

if HAVE_CHECK
# The gateway's JSON and base64, without a server.
check_PROGRAMS += plugins/etcd/etcd_proto_test
TESTS += plugins/etcd/etcd_proto_test
# Against the sandbox's real 3-member etcd clusters, through the infraprobe program.
check_PROGRAMS += tests/integration/etcd_test
TESTS += tests/integration/etcd_test
endif
plugins_etcd_etcd_proto_test_SOURCES = plugins/etcd/etcd_proto_test.c plugins/etcd/etcd_proto.c \
	plugins/etcd/etcd_proto.h
plugins_etcd_etcd_proto_test_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(JANSSON_CFLAGS)
plugins_etcd_etcd_proto_test_LDADD = $(CHECK_LIBS) $(JANSSON_LIBS)
tests_integration_etcd_test_SOURCES = tests/integration/etcd_test.c \
	tests/integration/testlib.c tests/integration/testlib.h plugins/etcd/etcd_proto.c \
	plugins/etcd/etcd_proto.h
tests_integration_etcd_test_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(JANSSON_CFLAGS) $(CURL_CFLAGS) \
	-I$(top_srcdir)/plugins/etcd
tests_integration_etcd_test_LDADD = $(CHECK_LIBS) $(JANSSON_LIBS) $(CURL_LIBS)
endif
# bench/etcd-latency: the plugin's write and read latency against a raw libcurl loop
# (bench/etcd_raw) on one kept-alive connection, and the drill's detect time against the
# election timeout. make check builds etcd_raw so that it never rots; no timing is pass/fail.
if BUILD_ETCD
check_PROGRAMS += bench/etcd_raw
bench_etcd_raw_SOURCES = bench/etcd_raw.c plugins/etcd/etcd_proto.c plugins/etcd/etcd_proto.h
bench_etcd_raw_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(JANSSON_CFLAGS) -I$(top_srcdir)/plugins/etcd
bench_etcd_raw_LDADD = $(CURL_LIBS) $(JANSSON_LIBS)
endif
EXTRA_DIST += bench/etcd-latency
