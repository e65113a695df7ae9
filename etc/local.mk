# The documented sample configuration, installed as $(sysconfdir)/infraprobe/infra.conf.
infraprobeconfdir = $(sysconfdir)/infraprobe
dist_infraprobeconf_DATA = etc/infra.conf
EXTRA_DIST += etc/tcp.conf
# Prometheus examples: a scrape configuration and alerting rules, installed as documentation.
promexamplesdir = $(docdir)/examples/prometheus
dist_promexamples_DATA = etc/prometheus/prometheus.yml etc/prometheus/infraprobe-alerts.yml
