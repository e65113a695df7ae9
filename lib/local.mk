# libinfraprobe: the SDK every plugin links, and nothing else. Its objects are built once,
# into a convenience library that the installed library, the infraprobe program and the unit
# tests all link; the installed library exports only the ip_* API (libinfraprobe.sym).
include_HEADERS =
infraprobeincludedir = $(includedir)/infraprobe
infraprobeinclude_HEADERS = include/infraprobe/plugin.h

# The SDK's own headers (report.h, probe.h, ...) are private: only lib/, src/ and the unit
# tests see them. A plugin gets AM_CPPFLAGS alone, so including one is a build error.
LIB_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib

noinst_LTLIBRARIES += lib/libsdk.la
lib_libsdk_la_SOURCES = \
	lib/status.c \
	lib/log.c lib/log.h \
	lib/expand.c lib/expand.h \
	lib/probe.c lib/probe.h \
	lib/hostport.c \
	lib/resolve.c \
	lib/deadline.c \
	lib/helpers.c \
	lib/workers.c \
	lib/pool.c lib/pool.h \
	lib/fault.c \
	lib/drill.c \
	lib/operate.c lib/operate.h \
	lib/report.c lib/report.h lib/private.h
lib_libsdk_la_CPPFLAGS = $(LIB_CPPFLAGS)
lib_libsdk_la_CFLAGS = $(AM_CFLAGS) $(LIBCONFIG_CFLAGS)
# -lm: deadline.c's ceil() is an IFUNC of libm, which the library must name itself, or a
# program bound at once (-z now, as distributions link) dies at start.
lib_libsdk_la_LIBADD = $(LIBCONFIG_LIBS) -lm

lib_LTLIBRARIES += lib/libinfraprobe.la
lib_libinfraprobe_la_SOURCES =
# Linked by the C compiler (no source of its own).
nodist_EXTRA_lib_libinfraprobe_la_SOURCES = lib/dummy.c
lib_libinfraprobe_la_LIBADD = lib/libsdk.la $(LIBCONFIG_LIBS)
lib_libinfraprobe_la_LDFLAGS = -version-info $(IP_LT_VERSION) -no-undefined \
	-Wl,--version-script=$(top_srcdir)/lib/libinfraprobe.sym
EXTRA_lib_libinfraprobe_la_DEPENDENCIES = $(top_srcdir)/lib/libinfraprobe.sym
EXTRA_DIST += lib/libinfraprobe.sym
