# Unit tests (Check) and integration tests; the sandbox has its own local.mk.
include $(srcdir)/tests/plugins/local.mk

# Unit tests see the private headers of lib/ and src/ and link their convenience libraries,
# exporting the SDK as the program does (plugins they load call the test's copy).
UNIT_CPPFLAGS = $(SRC_CPPFLAGS) -I$(top_srcdir)/tests/unit
UNIT_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBCONFIG_CFLAGS)
UNIT_LINK = $(PROGRAM_LINK)
UNIT_LDADD = lib/libsdk.la $(CHECK_LIBS) $(LIBCONFIG_LIBS) -lm
UNIT_PROGRAM_LDADD = src/libprogram.la $(CHECK_LIBS) $(LIBCONFIG_LIBS) -lm

if HAVE_CHECK
check_PROGRAMS += tests/unit/status_test tests/unit/conf_test tests/unit/report_test
TESTS += tests/unit/status_test tests/unit/conf_test tests/unit/report_test
endif

tests_unit_status_test_SOURCES = tests/unit/status_test.c
tests_unit_status_test_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_status_test_LDFLAGS = $(UNIT_LINK)
tests_unit_status_test_CFLAGS = $(UNIT_CFLAGS)
tests_unit_status_test_LDADD = $(UNIT_LDADD)

tests_unit_conf_test_SOURCES = tests/unit/conf_test.c tests/unit/testutil.h
tests_unit_conf_test_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_conf_test_LDFLAGS = $(UNIT_LINK)
tests_unit_conf_test_CFLAGS = $(UNIT_CFLAGS)
tests_unit_conf_test_LDADD = $(UNIT_PROGRAM_LDADD)

tests_unit_report_test_SOURCES = tests/unit/report_test.c
tests_unit_report_test_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_report_test_LDFLAGS = $(UNIT_LINK)
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

TESTS += tests/integration/cli.test tests/integration/run.test tests/integration/drill.test \
	tests/integration/lifecycle.test tests/integration/daemon.test tests/integration/progress.test
EXTRA_DIST += tests/integration/lib.sh tests/integration/cli.test tests/integration/run.test \
	tests/integration/drill.test tests/integration/lifecycle.test tests/integration/daemon.test \
	tests/integration/progress.test

# The daemon's published results: views that outlive newer runs, counters, history.
if HAVE_CHECK
check_PROGRAMS += tests/unit/published_test
TESTS += tests/unit/published_test
endif
tests_unit_published_test_SOURCES = tests/unit/published_test.c tests/unit/testutil.h
tests_unit_published_test_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_published_test_LDFLAGS = $(UNIT_LINK)
tests_unit_published_test_CFLAGS = $(UNIT_CFLAGS)
tests_unit_published_test_LDADD = $(UNIT_PROGRAM_LDADD)

# The daemon's listener (/metrics, the status page, auth, TLS), and the HTML pages in
# headless Chromium and an HTML5 parser.
TESTS += tests/integration/listen.test tests/integration/html.test
EXTRA_DIST += tests/integration/listen.test tests/integration/html.test \
	tests/integration/html_valid.py tests/integration/png_colours.py tests/integration/browser.sh

# The Prometheus examples of etc/prometheus/, read by promtool.
TESTS += tests/prometheus.test
EXTRA_DIST += tests/prometheus.test tests/prometheus/alerts_test.yml

# Output formats: unit tests, and each format read by its real consumer.
if HAVE_CHECK
check_PROGRAMS += tests/unit/format_test
TESTS += tests/unit/format_test
endif
check_PROGRAMS += tests/unit/format_sample
TESTS += tests/formats.test tests/service.test
dist_check_SCRIPTS += tests/formats.test tests/service.test
EXTRA_DIST += tests/junit.xsd tests/unit/golden/json-rich.json tests/unit/golden/json-lines.jsonl
# contrib/ci's GitHub and GitLab recipes: parsed, and their command run against the sandbox.
TESTS += tests/ci.test
dist_check_SCRIPTS += tests/ci.test
EXTRA_DIST += tests/ci_recipes.py contrib/ci/github-actions.yml contrib/ci/gitlab-ci.yml \
	contrib/ci/infra-ci.conf
tests_unit_format_test_SOURCES = tests/unit/format_test.c tests/unit/format_fixture.c \
	tests/unit/format_fixture.h
tests_unit_format_test_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_format_test_LDFLAGS = $(UNIT_LINK)
tests_unit_format_test_CFLAGS = $(UNIT_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_format_test_LDADD = $(UNIT_PROGRAM_LDADD) $(JANSSON_LIBS)
tests_unit_format_sample_SOURCES = tests/unit/format_sample.c tests/unit/format_fixture.c \
	tests/unit/format_fixture.h
tests_unit_format_sample_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_format_sample_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_format_sample_LDADD = src/libprogram.la $(JANSSON_LIBS) -lm

# The runner, with an in-test plugin whose runs wait on a gate.
if HAVE_CHECK
check_PROGRAMS += tests/unit/runner_test
TESTS += tests/unit/runner_test
# ip_operate() through the loader, with the build's tcp plugin and the fixture plugin.
check_PROGRAMS += tests/unit/operate_test
TESTS += tests/unit/operate_test
tests_unit_operate_test_SOURCES = tests/unit/operate_test.c
tests_unit_operate_test_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_operate_test_LDFLAGS = $(UNIT_LINK)
tests_unit_operate_test_CFLAGS = $(UNIT_CFLAGS)
tests_unit_operate_test_LDADD = $(UNIT_PROGRAM_LDADD)
endif
tests_unit_runner_test_SOURCES = tests/unit/runner_test.c
tests_unit_runner_test_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_runner_test_LDFLAGS = $(UNIT_LINK)
tests_unit_runner_test_CFLAGS = $(UNIT_CFLAGS)
tests_unit_runner_test_LDADD = $(UNIT_PROGRAM_LDADD)

# The daemon's schedule: phases, the first runs spread, the grid, skipped turns.
if HAVE_CHECK
check_PROGRAMS += tests/unit/schedule_test
TESTS += tests/unit/schedule_test
endif
tests_unit_schedule_test_SOURCES = tests/unit/schedule_test.c
tests_unit_schedule_test_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_schedule_test_LDFLAGS = $(UNIT_LINK)
tests_unit_schedule_test_CFLAGS = $(UNIT_CFLAGS)
tests_unit_schedule_test_LDADD = $(UNIT_PROGRAM_LDADD)

# Reloads: which probes of a new file are unchanged, and what a commit keeps.
if HAVE_CHECK
check_PROGRAMS += tests/unit/reload_test
TESTS += tests/unit/reload_test
endif
tests_unit_reload_test_SOURCES = tests/unit/reload_test.c tests/unit/testutil.h
tests_unit_reload_test_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_reload_test_LDFLAGS = $(UNIT_LINK)
tests_unit_reload_test_CFLAGS = $(UNIT_CFLAGS)
tests_unit_reload_test_LDADD = $(UNIT_PROGRAM_LDADD)

# The SDK's connection pool, under many threads.
if HAVE_CHECK
check_PROGRAMS += tests/unit/pool_test
TESTS += tests/unit/pool_test
endif
tests_unit_pool_test_SOURCES = tests/unit/pool_test.c
tests_unit_pool_test_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_pool_test_LDFLAGS = $(UNIT_LINK)
tests_unit_pool_test_CFLAGS = $(UNIT_CFLAGS)
tests_unit_pool_test_LDADD = $(UNIT_LDADD)

# Deadlines as the system calls want them: one overflow rule, sleeps and polls through signals.
if HAVE_CHECK
check_PROGRAMS += tests/unit/deadline_test
TESTS += tests/unit/deadline_test
endif
tests_unit_deadline_test_SOURCES = tests/unit/deadline_test.c tests/unit/testutil.h
tests_unit_deadline_test_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_deadline_test_LDFLAGS = $(UNIT_LINK)
tests_unit_deadline_test_CFLAGS = $(UNIT_CFLAGS)
tests_unit_deadline_test_LDADD = $(UNIT_LDADD)

# The helpers every plugin would write again: skips, pool settings and metrics, run tag, workers.
if HAVE_CHECK
check_PROGRAMS += tests/unit/helpers_test
TESTS += tests/unit/helpers_test
endif
tests_unit_helpers_test_SOURCES = tests/unit/helpers_test.c tests/unit/testutil.h
tests_unit_helpers_test_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_helpers_test_LDFLAGS = $(UNIT_LINK)
tests_unit_helpers_test_CFLAGS = $(UNIT_CFLAGS)
tests_unit_helpers_test_LDADD = $(UNIT_LDADD)

# Name resolution within a deadline (ip_resolve), and the tcp plugin's use of it, inside a
# network and mount namespace of the test's own (root).
if HAVE_CHECK
check_PROGRAMS += tests/unit/resolve_test
TESTS += tests/unit/resolve_test
endif
# The mysql plugin's cases, when it is built.
RESOLVE_TEST_MYSQL =
if BUILD_MYSQL
RESOLVE_TEST_MYSQL += -DWITH_MYSQL_PLUGIN
endif
tests_unit_resolve_test_SOURCES = tests/unit/resolve_test.c \
	tests/integration/testlib.c tests/integration/testlib.h
tests_unit_resolve_test_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_resolve_test_LDFLAGS = $(UNIT_LINK)
tests_unit_resolve_test_CFLAGS = $(UNIT_CFLAGS) $(JANSSON_CFLAGS) -I$(top_srcdir)/tests/integration \
	$(RESOLVE_TEST_MYSQL)
tests_unit_resolve_test_LDADD = $(UNIT_LDADD) $(JANSSON_LIBS)

# The drills' fault actions (lib/fault.c) through the SDK, on a report built as the runner
# builds one.
if HAVE_CHECK
check_PROGRAMS += tests/unit/fault_test
TESTS += tests/unit/fault_test
endif
tests_unit_fault_test_SOURCES = tests/unit/fault_test.c
tests_unit_fault_test_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_fault_test_LDFLAGS = $(UNIT_LINK)
tests_unit_fault_test_CFLAGS = $(UNIT_CFLAGS)
tests_unit_fault_test_LDADD = $(UNIT_LDADD)

# The fault matrix: tcp, redis, mysql, etcd and kafka against badserver's misbehaving servers and paused
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
if BUILD_KAFKA
MATRIX_DEFS += -DMATRIX_KAFKA
endif
if BUILD_ETCD
MATRIX_DEFS += -DMATRIX_ETCD
endif
if BUILD_NETPART
MATRIX_DEFS += -DMATRIX_NETPART
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
