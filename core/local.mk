# libinfraprobe, the SDK every plugin links, and the infraprobe program.
include_HEADERS =
infraprobeincludedir = $(includedir)/infraprobe
infraprobeinclude_HEADERS = include/infraprobe/plugin.h

lib_LTLIBRARIES += core/libinfraprobe.la
core_libinfraprobe_la_SOURCES = \
	core/status.c \
	core/log.c core/log.h \
	core/expand.c core/expand.h \
	core/probe.c core/probe.h \
	core/hostport.c \
	core/resolve.c \
	core/pool.c core/pool.h \
	core/fault.c \
	core/report.c core/report.h core/private.h
core_libinfraprobe_la_CFLAGS = $(AM_CFLAGS) $(LIBCONFIG_CFLAGS)
core_libinfraprobe_la_LIBADD = $(LIBCONFIG_LIBS)
core_libinfraprobe_la_LDFLAGS = -version-info $(IP_LT_VERSION) -no-undefined

bin_PROGRAMS += infraprobe
infraprobe_SOURCES = \
	core/main.c \
	core/conf.c core/conf.h \
	core/loader.c core/loader.h \
	core/runner.c core/runner.h \
	core/probe_run.c core/probe_run.h \
	core/isolate.c core/isolate.h \
	core/signals.c core/signals.h \
	core/format.c core/format.h core/format_impl.h \
	core/format_text.c core/format_json.c core/format_junit.c \
	core/format_tap.c core/format_prometheus.c core/format_nagios.c
infraprobe_CFLAGS = $(AM_CFLAGS) $(LIBCONFIG_CFLAGS) $(JANSSON_CFLAGS)
infraprobe_LDADD = core/libinfraprobe.la $(LIBCONFIG_LIBS) $(JANSSON_LIBS) $(LTDL_LIBS) -lm
