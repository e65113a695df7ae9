# The mysql plugin (MariaDB Connector/C); --disable-mysql leaves it out.
if BUILD_MYSQL
pkglib_LTLIBRARIES += plugins/mysql/mysql.la
plugins_mysql_mysql_la_SOURCES = plugins/mysql/mysql.c plugins/mysql/mysql_plugin.h \
	plugins/mysql/mysql_checks.c plugins/mysql/mysql_pool.c plugins/mysql/mysql_drill.c \
	plugins/mysql/mysql_conn.c plugins/mysql/mysql_conn.h plugins/mysql/mysql_dsn.c \
	plugins/mysql/mysql_dsn.h plugins/mysql/mysql_hint.c plugins/mysql/mysql_hint.h \
	plugins/mysql/mysql_operate.c
plugins_mysql_mysql_la_CFLAGS = $(AM_CFLAGS) $(MARIADB_CFLAGS)
plugins_mysql_mysql_la_LDFLAGS = -module -avoid-version -shared -export-symbols-regex '^infraprobe_plugin$$'
plugins_mysql_mysql_la_LIBADD = lib/libinfraprobe.la $(MARIADB_LIBS) -lm

if HAVE_CHECK
# The DSN parser, without a server.
check_PROGRAMS += plugins/mysql/mysql_dsn_test
TESTS += plugins/mysql/mysql_dsn_test
# The hints, from canned errors and figures.
check_PROGRAMS += plugins/mysql/mysql_hint_test
TESTS += plugins/mysql/mysql_hint_test
# Against the sandbox's real MariaDB, through the infraprobe program.
check_PROGRAMS += tests/integration/mysql_test
TESTS += tests/integration/mysql_test
endif
plugins_mysql_mysql_dsn_test_SOURCES = plugins/mysql/mysql_dsn_test.c plugins/mysql/mysql_dsn.c \
	plugins/mysql/mysql_dsn.h
plugins_mysql_mysql_dsn_test_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/tests/unit
plugins_mysql_mysql_dsn_test_LDADD = $(CHECK_LIBS) -lm
plugins_mysql_mysql_hint_test_SOURCES = plugins/mysql/mysql_hint_test.c \
	plugins/mysql/mysql_hint.c plugins/mysql/mysql_hint.h
plugins_mysql_mysql_hint_test_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/tests/unit
plugins_mysql_mysql_hint_test_LDADD = $(CHECK_LIBS)
tests_integration_mysql_test_SOURCES = tests/integration/mysql_test.c \
	tests/integration/testlib.c tests/integration/testlib.h
tests_integration_mysql_test_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(JANSSON_CFLAGS) \
	$(MARIADB_CFLAGS)
tests_integration_mysql_test_LDADD = $(CHECK_LIBS) $(JANSSON_LIBS) $(MARIADB_LIBS)

# bench/mysql-select1: SELECT 1 through the plugin's pool against a raw libmariadb loop.
# make check builds it so that it never rots; no timing is part of pass/fail.
check_PROGRAMS += bench/mysql_select1
bench_mysql_select1_SOURCES = bench/mysql_select1.c plugins/mysql/mysql_conn.c \
	plugins/mysql/mysql_conn.h plugins/mysql/mysql_dsn.h
bench_mysql_select1_CFLAGS = $(AM_CFLAGS) $(MARIADB_CFLAGS) -I$(top_srcdir)/plugins/mysql
bench_mysql_select1_LDADD = lib/libinfraprobe.la $(MARIADB_LIBS) -lm
endif
EXTRA_DIST += plugins/mysql/README bench/mysql-select1
