# The redis plugin (hiredis); --disable-redis leaves it out.
if BUILD_REDIS
pkglib_LTLIBRARIES += plugins/redis/redis.la
plugins_redis_redis_la_SOURCES = plugins/redis/redis.c plugins/redis/redis_plugin.h \
	plugins/redis/redis_conn.c plugins/redis/redis_sentinel.c plugins/redis/redis_pool.c \
	plugins/redis/redis_drill.c plugins/redis/redis_info.c plugins/redis/redis_info.h \
	plugins/redis/redis_hint.c plugins/redis/redis_hint.h plugins/redis/redis_operate.c
plugins_redis_redis_la_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
plugins_redis_redis_la_LDFLAGS = -module -avoid-version -shared -export-symbols-regex '^infraprobe_plugin$$'
plugins_redis_redis_la_LIBADD = lib/libinfraprobe.la $(HIREDIS_LIBS) -lm

if HAVE_CHECK
# The INFO / CLIENT LIST parser, without a server.
check_PROGRAMS += plugins/redis/redis_info_test
TESTS += plugins/redis/redis_info_test
# The hints, from canned errors and INFO texts.
check_PROGRAMS += plugins/redis/redis_hint_test
TESTS += plugins/redis/redis_hint_test
# The plugin against the sandbox's real Redis, Sentinels and replica.
check_PROGRAMS += tests/integration/redis_test
TESTS += tests/integration/redis_test
endif
plugins_redis_redis_info_test_SOURCES = plugins/redis/redis_info_test.c \
	plugins/redis/redis_info.c plugins/redis/redis_info.h
plugins_redis_redis_info_test_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/tests/unit
plugins_redis_redis_info_test_LDADD = $(CHECK_LIBS)
plugins_redis_redis_hint_test_SOURCES = plugins/redis/redis_hint_test.c \
	plugins/redis/redis_hint.c plugins/redis/redis_hint.h \
	plugins/redis/redis_info.c plugins/redis/redis_info.h
plugins_redis_redis_hint_test_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/tests/unit
plugins_redis_redis_hint_test_LDADD = $(CHECK_LIBS)

tests_integration_redis_test_SOURCES = tests/integration/redis_test.c \
	tests/integration/testlib.c tests/integration/testlib.h
tests_integration_redis_test_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(JANSSON_CFLAGS) \
	$(HIREDIS_CFLAGS)
tests_integration_redis_test_LDADD = $(CHECK_LIBS) $(JANSSON_LIBS) $(HIREDIS_LIBS)
endif
# Plugin read latency against redis-benchmark's, on one sandbox redis: bench/redis-latency.
EXTRA_DIST += bench/redis-latency
