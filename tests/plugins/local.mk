# Test plugins: built for make check, never installed.
check_LTLIBRARIES += tests/plugins/fixture.la tests/plugins/badabi.la tests/plugins/nosym.la
TEST_MODULE_FLAGS = -module -avoid-version -shared -rpath /nowhere
tests_plugins_fixture_la_SOURCES = tests/plugins/fixture.c
tests_plugins_fixture_la_LDFLAGS = $(TEST_MODULE_FLAGS)
tests_plugins_fixture_la_LIBADD = lib/libinfraprobe.la
tests_plugins_badabi_la_SOURCES = tests/plugins/badabi.c
tests_plugins_badabi_la_LDFLAGS = $(TEST_MODULE_FLAGS)
tests_plugins_nosym_la_SOURCES = tests/plugins/nosym.c
tests_plugins_nosym_la_LDFLAGS = $(TEST_MODULE_FLAGS)
