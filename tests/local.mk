# Unit tests (Check) and integration tests; the sandbox has its own local.mk.
include $(srcdir)/tests/plugins/local.mk

UNIT_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBCONFIG_CFLAGS) -I$(top_srcdir)/tests/unit
UNIT_LDADD = core/libinfraprobe.la $(CHECK_LIBS) $(LIBCONFIG_LIBS) -lm

if HAVE_CHECK
check_PROGRAMS += tests/unit/status_test tests/unit/conf_test tests/unit/report_test
TESTS += tests/unit/status_test tests/unit/conf_test tests/unit/report_test
endif

tests_unit_status_test_SOURCES = tests/unit/status_test.c
tests_unit_status_test_CFLAGS = $(UNIT_CFLAGS)
tests_unit_status_test_LDADD = $(UNIT_LDADD)

tests_unit_conf_test_SOURCES = tests/unit/conf_test.c tests/unit/testutil.h \
	core/conf.c core/loader.c
tests_unit_conf_test_CFLAGS = $(UNIT_CFLAGS)
tests_unit_conf_test_LDADD = $(UNIT_LDADD) $(LTDL_LIBS)

tests_unit_report_test_SOURCES = tests/unit/report_test.c
tests_unit_report_test_CFLAGS = $(UNIT_CFLAGS)
tests_unit_report_test_LDADD = $(UNIT_LDADD)

if HAVE_CHECK
check_PROGRAMS += tests/integration/tcp_test
TESTS += tests/integration/tcp_test
endif
tests_integration_tcp_test_SOURCES = tests/integration/tcp_test.c \
	tests/integration/testlib.c tests/integration/testlib.h
tests_integration_tcp_test_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(JANSSON_CFLAGS)
tests_integration_tcp_test_LDADD = $(CHECK_LIBS) $(JANSSON_LIBS)

TESTS += tests/integration/cli.test tests/integration/run.test tests/integration/drill.test
EXTRA_DIST += tests/integration/lib.sh tests/integration/cli.test tests/integration/run.test \
	tests/integration/drill.test

# Output formats: unit tests, and each format read by its real consumer.
FORMAT_SOURCES = core/format.c core/format.h core/format_impl.h \
	core/format_text.c core/format_json.c core/format_junit.c \
	core/format_tap.c core/format_prometheus.c core/format_nagios.c
if HAVE_CHECK
check_PROGRAMS += tests/unit/format_test
TESTS += tests/unit/format_test
endif
check_PROGRAMS += tests/unit/format_sample
TESTS += tests/formats.test
dist_check_SCRIPTS += tests/formats.test
tests_unit_format_test_SOURCES = tests/unit/format_test.c tests/unit/format_fixture.c \
	tests/unit/format_fixture.h $(FORMAT_SOURCES)
tests_unit_format_test_CFLAGS = $(UNIT_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_format_test_LDADD = $(UNIT_LDADD) $(JANSSON_LIBS)
tests_unit_format_sample_SOURCES = tests/unit/format_sample.c tests/unit/format_fixture.c \
	tests/unit/format_fixture.h $(FORMAT_SOURCES)
tests_unit_format_sample_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) -I$(top_srcdir)/tests/unit
tests_unit_format_sample_LDADD = core/libinfraprobe.la $(JANSSON_LIBS) -lm

# The SDK's connection pool, under many threads.
if HAVE_CHECK
check_PROGRAMS += tests/unit/pool_test
TESTS += tests/unit/pool_test
endif
tests_unit_pool_test_SOURCES = tests/unit/pool_test.c
tests_unit_pool_test_CFLAGS = $(UNIT_CFLAGS)
tests_unit_pool_test_LDADD = $(UNIT_LDADD)

# The fault matrix: tcp, redis and mysql against badserver's misbehaving servers and paused
# sandbox servers (tests/faults/matrix_test.c; its figures are the README's table).
check_PROGRAMS += tests/faults/badserver
tests_faults_badserver_SOURCES = tests/faults/badserver.c
MATRIX_DEFS =
if BUILD_REDIS
MATRIX_DEFS += -DMATRIX_REDIS
endif
if BUILD_MYSQL
MATRIX_DEFS += -DMATRIX_MYSQL
endif
if HAVE_CHECK
check_PROGRAMS += tests/faults/matrix_test
TESTS += tests/faults/matrix_test
endif
tests_faults_matrix_test_SOURCES = tests/faults/matrix_test.c \
	tests/integration/testlib.c tests/integration/testlib.h
tests_faults_matrix_test_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(JANSSON_CFLAGS) $(MATRIX_DEFS) \
	-I$(top_srcdir)/tests/integration
tests_faults_matrix_test_LDADD = $(CHECK_LIBS) $(JANSSON_LIBS)
