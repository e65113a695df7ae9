# The tcp plugin: the model plugin, with no dependency but libc.
pkglib_LTLIBRARIES += plugins/tcp/tcp.la
plugins_tcp_tcp_la_SOURCES = plugins/tcp/tcp.c plugins/tcp/tcp_operate.c plugins/tcp/tcp_plugin.h
plugins_tcp_tcp_la_LDFLAGS = -module -avoid-version -shared -export-symbols-regex '^infraprobe_plugin$$'
plugins_tcp_tcp_la_LIBADD = lib/libinfraprobe.la
