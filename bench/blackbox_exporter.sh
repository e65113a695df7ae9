#!/usr/bin/env bash
# The pinned blackbox_exporter (Prometheus' own prober, not in Debian) that bench/scrape
# measures /metrics against. Only bench/ uses it: scripts/test and make check never do.
# Sourced by bench/scrape, or run as `bench/blackbox_exporter.sh` to install it by hand.
# Built from the Go module proxy, once, into a cache outside the tree, and reused when
# present; never committed.
#
# Not `go install ...@vVERSION` as scripts/toxiproxy.sh does: go install looks up the module's
# deprecation in its version list, which the proxy reachable here refuses for this module
# (403) while it serves the exact version. So: download that version's module, and build it
# in the module's own directory, with its own go.mod and go.sum (the same pinned dependencies
# go install would take).

IP_BLACKBOX_VERSION=0.27.0
IP_BLACKBOX_DIR=${XDG_CACHE_HOME:-$HOME/.cache}/infraprobe/blackbox_exporter-$IP_BLACKBOX_VERSION
IP_BLACKBOX_EXPORTER=$IP_BLACKBOX_DIR/bin/blackbox_exporter

# How to get it, for a bench that finds it missing.
ip_blackbox_howto() {
    echo "blackbox_exporter $IP_BLACKBOX_VERSION: not in $IP_BLACKBOX_DIR; install it with" \
        "bench/blackbox_exporter.sh (needs Go >= 1.23 and the Go module proxy; about 2 minutes)," \
        "or name another build with BLACKBOX_EXPORTER=PATH"
}

ip_install_blackbox() {
    local go mod dir=$IP_BLACKBOX_DIR module=github.com/prometheus/blackbox_exporter
    [ -x "$IP_BLACKBOX_EXPORTER" ] && return 0
    go=$(command -v go || echo /usr/local/go/bin/go)
    if [ ! -x "$go" ]; then
        echo "blackbox_exporter $IP_BLACKBOX_VERSION: not in $dir, and no Go to build it" >&2
        return 1
    fi
    echo "installing blackbox_exporter $IP_BLACKBOX_VERSION into $dir" >&2
    mkdir -p "$dir" || return 1
    # Its own GOPATH (module cache) under the cache directory; the module's directory there.
    mod=$(cd "$dir" && GOPATH=$dir/gopath GOFLAGS=-modcacherw \
        "$go" mod download -json "$module@v$IP_BLACKBOX_VERSION" 2>"$dir/install.log" |
        sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    if [ -z "$mod" ] || [ ! -f "$mod/go.mod" ]; then
        tail -n 5 "$dir/install.log" >&2
        return 1
    fi
    (cd "$mod" && GOPATH=$dir/gopath GOFLAGS=-modcacherw \
        "$go" build -o "$IP_BLACKBOX_EXPORTER" .) >>"$dir/install.log" 2>&1 || {
        tail -n 5 "$dir/install.log" >&2
        return 1
    }
    [ -x "$IP_BLACKBOX_EXPORTER" ]
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    ip_install_blackbox && echo "$IP_BLACKBOX_EXPORTER"
fi
