# Sourced by scripts/test and tests/sandbox/sandbox: the pinned Toxiproxy server (Shopify's
# fault proxy, not in Debian) that netpart's tests run. Built from the Go module proxy with
# `go install`, once, into a cache outside the tree, and reused when present.

IP_TOXIPROXY_VERSION=2.5.0
IP_TOXIPROXY_DIR=${XDG_CACHE_HOME:-$HOME/.cache}/infraprobe/toxiproxy-$IP_TOXIPROXY_VERSION
IP_TOXIPROXY_SERVER=$IP_TOXIPROXY_DIR/bin/server

ip_install_toxiproxy() {
    local go
    [ -x "$IP_TOXIPROXY_SERVER" ] && return 0
    go=$(command -v go || echo /usr/local/go/bin/go)
    if [ ! -x "$go" ]; then
        echo "toxiproxy $IP_TOXIPROXY_VERSION: not in $IP_TOXIPROXY_DIR, and no Go to build it" >&2
        return 1
    fi
    echo "installing toxiproxy $IP_TOXIPROXY_VERSION into $IP_TOXIPROXY_DIR" >&2
    mkdir -p "$IP_TOXIPROXY_DIR" || return 1
    # Its own GOPATH (module cache) and GOBIN, both under the cache directory.
    (cd "$IP_TOXIPROXY_DIR" && GOPATH=$IP_TOXIPROXY_DIR/gopath GOBIN=$IP_TOXIPROXY_DIR/bin \
        GOFLAGS=-modcacherw "$go" install \
        "github.com/Shopify/toxiproxy/v2/cmd/server@v$IP_TOXIPROXY_VERSION") \
        >"$IP_TOXIPROXY_DIR/install.log" 2>&1 || {
        tail -n 5 "$IP_TOXIPROXY_DIR/install.log" >&2
        return 1
    }
    [ -x "$IP_TOXIPROXY_SERVER" ]
}
