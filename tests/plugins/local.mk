# Test plugins: built for make check, never installed.
check_LTLIBRARIES += tests/plugins/fixture.la tests/plugins/fixture_own.la \
	tests/plugins/badabi.la tests/plugins/nosym.la tests/plugins/abione.la \
	tests/plugins/smaller.la tests/plugins/larger.la
TEST_MODULE_FLAGS = -module -avoid-version -shared -rpath /nowhere
tests_plugins_fixture_la_SOURCES = tests/plugins/fixture.c
tests_plugins_fixture_la_LDFLAGS = $(TEST_MODULE_FLAGS)
tests_plugins_fixture_la_LIBADD = lib/libinfraprobe.la
# The same plugin asking for a process of its own (IP_PLUGIN_OWN_PROCESS).
tests_plugins_fixture_own_la_SOURCES = tests/plugins/fixture.c
tests_plugins_fixture_own_la_CPPFLAGS = $(AM_CPPFLAGS) -DFIXTURE_OWN_PROCESS
tests_plugins_fixture_own_la_LDFLAGS = $(TEST_MODULE_FLAGS)
tests_plugins_fixture_own_la_LIBADD = lib/libinfraprobe.la
tests_plugins_badabi_la_SOURCES = tests/plugins/badabi.c
tests_plugins_badabi_la_LDFLAGS = $(TEST_MODULE_FLAGS)
tests_plugins_nosym_la_SOURCES = tests/plugins/nosym.c
tests_plugins_nosym_la_LDFLAGS = $(TEST_MODULE_FLAGS)
# Built against ABI 1's header, not include/: the core must still load it.
tests_plugins_abione_la_SOURCES = tests/plugins/abi1/abione.c
tests_plugins_abione_la_CPPFLAGS = -I$(top_srcdir)/tests/plugins/abi1
tests_plugins_abione_la_LDFLAGS = $(TEST_MODULE_FLAGS)
tests_plugins_abione_la_LIBADD = lib/libinfraprobe.la
EXTRA_DIST += tests/plugins/abi1/infraprobe/plugin.h
# ABI 2 of a smaller size (loaded) and of a larger one (refused).
tests_plugins_smaller_la_SOURCES = tests/plugins/sized.c
tests_plugins_smaller_la_LDFLAGS = $(TEST_MODULE_FLAGS)
tests_plugins_smaller_la_LIBADD = lib/libinfraprobe.la
tests_plugins_larger_la_SOURCES = tests/plugins/sized.c
tests_plugins_larger_la_CPPFLAGS = $(AM_CPPFLAGS) -DSIZED_LARGER
tests_plugins_larger_la_LDFLAGS = $(TEST_MODULE_FLAGS)
tests_plugins_larger_la_LIBADD = lib/libinfraprobe.la
