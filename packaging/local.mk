# Packaging: the systemd unit, the RPM spec, Debian's directory.

# configure substitutes systemdsystemunitdir (--with-systemdsystemunitdir); when it is empty
# (--without-systemdsystemunitdir) automake's install rule installs nothing.
infraprobeunitdir = $(systemdsystemunitdir)
infraprobeunit_DATA = packaging/infraprobe.service
EXTRA_DIST += packaging/infraprobe.service.in
CLEANFILES += packaging/infraprobe.service

packaging/infraprobe.service: $(srcdir)/packaging/infraprobe.service.in Makefile
	$(ip_edit_rule)

# distcheck installs as the user into a temporary prefix: keep the unit there too.
AM_DISTCHECK_CONFIGURE_FLAGS = --with-systemdsystemunitdir='$${prefix}/lib/systemd/system'

# infraprobe.spec is made by configure (AC_CONFIG_FILES) from packaging/infraprobe.spec.in and
# shipped at the top of the tarball, so that `rpmbuild -ta infraprobe-VERSION.tar.gz` works.
# packaging/debian is Debian's directory: `cp -rL packaging/debian debian` (or a link) in an
# unpacked tarball, then dpkg-buildpackage.
# packaging/infraprobe.sysusers makes the system user the unit runs as: Debian's
# dh_installsysusers (debian/infraprobe.sysusers links to it) and the spec install it.
EXTRA_DIST += packaging/infraprobe.spec.in infraprobe.spec packaging/infraprobe.sysusers \
	packaging/debian/changelog packaging/debian/control packaging/debian/copyright \
	packaging/debian/rules packaging/debian/source/format packaging/debian/infraprobe.install \
	packaging/debian/libinfraprobe-dev.install packaging/debian/infraprobe.lintian-overrides \
	packaging/debian/infraprobe.sysusers \
	packaging/debian/infraprobe-plugin-redis.install packaging/debian/infraprobe-plugin-mysql.install \
	packaging/debian/infraprobe-plugin-etcd.install packaging/debian/infraprobe-plugin-kafka.install \
	packaging/debian/infraprobe-plugin-netpart.install
