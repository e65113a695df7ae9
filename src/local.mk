# The infraprobe program: what it is made of (a convenience library that the unit tests link
# too) and main.c. It links the SDK statically and exports its ip_* functions, so that the
# plugins it loads call this copy, whose state (the log level) is the program's. It also
# needs libinfraprobe.so itself: a plugin's DT_NEEDED on it is then met by the library
# already loaded, wherever the plugin was built.
SRC_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib -I$(top_srcdir)/src -I$(top_srcdir)/src/output
PROGRAM_LINK = -Wl,--dynamic-list=$(top_srcdir)/src/infraprobe.dyn
EXTRA_DIST += src/infraprobe.dyn

noinst_LTLIBRARIES += src/libprogram.la
src_libprogram_la_SOURCES = \
	src/conf.c src/conf.h \
	src/nameset.c src/nameset.h \
	src/schedule.c src/schedule.h \
	src/loader.c src/loader.h \
	src/runner.c src/runner.h \
	src/probe_run.c src/probe_run.h \
	src/isolate.c src/isolate.h \
	src/signals.c src/signals.h \
	src/logging.c src/logging.h \
	src/notify.c src/notify.h \
	src/reload.c src/reload.h \
	src/published.c src/published.h \
	src/http.c src/http.h src/http_auth.c src/http_auth.h \
	src/drill_report.c src/drill_report.h \
	src/progress.c src/progress.h \
	src/output/output.c src/output/output.h src/output/writers.h \
	src/output/text.c src/output/json.c src/output/json_writer.c src/output/json_writer.h \
	src/output/junit.c \
	src/output/tap.c src/output/prometheus.c src/output/nagios.c \
	src/output/output_util.c src/output/output_util.h \
	src/output/html.c src/output/html_parts.c src/output/html_parts.h \
	src/output/timeline_svg.c \
	src/output/metrics_page.c src/output/status_page.c src/output/pages.h
src_libprogram_la_CPPFLAGS = $(SRC_CPPFLAGS)
src_libprogram_la_CFLAGS = $(AM_CFLAGS) $(LIBCONFIG_CFLAGS) $(JANSSON_CFLAGS) $(MHD_CFLAGS) \
	$(CRYPT_CFLAGS) $(GNUTLS_CFLAGS)
src_libprogram_la_LIBADD = lib/libsdk.la $(LIBCONFIG_LIBS) $(JANSSON_LIBS) $(LTDL_LIBS) \
	$(MHD_LIBS) $(CRYPT_LIBS) $(GNUTLS_LIBS) -lm

bin_PROGRAMS += infraprobe
infraprobe_SOURCES = src/main.c src/sdk_exports.c
infraprobe_CPPFLAGS = $(SRC_CPPFLAGS)
infraprobe_CFLAGS = $(AM_CFLAGS) $(LIBCONFIG_CFLAGS)
infraprobe_LDFLAGS = $(PROGRAM_LINK) -Wl,--no-as-needed
infraprobe_LDADD = src/libprogram.la lib/libinfraprobe.la
