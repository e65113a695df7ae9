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
tests_integration_tcp_test_SOURCES = tests/integration/tcp_test.c
tests_integration_tcp_test_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(JANSSON_CFLAGS)
tests_integration_tcp_test_LDADD = $(CHECK_LIBS) $(JANSSON_LIBS)

TESTS += tests/integration/cli.test tests/integration/run.test
EXTRA_DIST += tests/integration/lib.sh tests/integration/cli.test tests/integration/run.test
