# Man pages, and the out-of-tree example plugin and its test. The man pages are made from
# their .in by sed (ip_edit, which packaging/local.mk uses too), so that the paths they name
# follow --prefix, --sysconfdir, --libdir and --docdir.

ip_edit = $(SED) \
	-e 's|@bindir[@]|$(bindir)|g' \
	-e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	-e 's|@libdir[@]|$(libdir)|g' \
	-e 's|@pkglibdir[@]|$(pkglibdir)|g' \
	-e 's|@includedir[@]|$(includedir)|g' \
	-e 's|@docdir[@]|$(docdir)|g' \
	-e 's|@exampledir[@]|$(exampledir)|g' \
	-e 's|@VERSION[@]|$(VERSION)|g'
# Edit $(srcdir)/TARGET.in into TARGET, read-only (explicit rules: a pattern rule is not
# portable make, which automake -Wall refuses).
ip_edit_rule = $(AM_V_GEN)$(MKDIR_P) $(@D) && rm -f $@ $@.tmp && \
	$(ip_edit) $(srcdir)/$@.in >$@.tmp && chmod a-w $@.tmp && mv $@.tmp $@

# ---- man pages --------------------------------------------------------------------------
man_MANS = man/infraprobe.1 man/infraprobe.conf.5 man/infraprobe-plugin.3
EXTRA_DIST += man/infraprobe.1.in man/infraprobe.conf.5.in man/infraprobe-plugin.3.in
CLEANFILES += $(man_MANS)

man/infraprobe.1: $(srcdir)/man/infraprobe.1.in Makefile
	$(ip_edit_rule)
man/infraprobe.conf.5: $(srcdir)/man/infraprobe.conf.5.in Makefile
	$(ip_edit_rule)
man/infraprobe-plugin.3: $(srcdir)/man/infraprobe-plugin.3.in Makefile
	$(ip_edit_rule)

# ---- the example plugin, installed as documentation -------------------------------------
# It builds out of tree against the installed SDK (its own Makefile, pkg-config); never
# by this Makefile. tests/sdk.test installs the SDK into a temporary DESTDIR, builds the
# installed copy of the example with it, and runs it.
# A package that ships the example in its -dev package's documentation builds and installs
# with exampledir=/usr/share/doc/PACKAGE-dev/examples, so that the man pages say so.
exampledir = $(docdir)/examples
helloexampledir = $(exampledir)/hello
dist_helloexample_DATA = plugins/example/README plugins/example/Makefile plugins/example/hello.c

TESTS += tests/sdk.test
EXTRA_DIST += tests/sdk.test
