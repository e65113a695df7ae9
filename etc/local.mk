# The documented sample configuration, installed as $(sysconfdir)/infraprobe/infra.conf.
infraprobeconfdir = $(sysconfdir)/infraprobe
dist_infraprobeconf_DATA = etc/infra.conf
EXTRA_DIST += etc/tcp.conf
