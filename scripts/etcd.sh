# Sourced by scripts/test and tests/sandbox/sandbox: the pinned etcd 3.5 and 3.6 servers that
# the etcd plugin is tested against besides Debian's 3.4 (tests/integration/etcd_versions_test).
# Built from the Go module proxy, once each, into a cache outside the tree, and reused when
# present. The versions are pinned here and nowhere else.

IP_ETCD_VERSIONS="3.5.35 3.6.16"

ip_etcd_dir() { # VERSION -> its cache directory
    printf '%s\n' "${XDG_CACHE_HOME:-$HOME/.cache}/infraprobe/etcd-$1"
}

ip_etcd_server() { # VERSION -> the etcd binary's path (present or not)
    printf '%s/bin/etcd\n' "$(ip_etcd_dir "$1")"
}

# The server's main is go.etcd.io/etcd/server/v3 (main.go at the module's root since 3.5).
# `go install module@version` refuses a go.mod with replace directives, which server/v3's has
# (../api, ../pkg, ../client): so it is built inside a throwaway module that requires it,
# where a dependency's replace directives do not apply and its requirements pick the
# api, pkg and client modules of the same release.
ip_build_etcd() { # VERSION
    local v=$1 dir go tmp
    dir=$(ip_etcd_dir "$v")
    [ -x "$dir/bin/etcd" ] && return 0
    go=$(command -v go || echo /usr/local/go/bin/go)
    if [ ! -x "$go" ]; then
        echo "etcd $v: not in $dir, and no Go to build it" >&2
        return 1
    fi
    echo "building etcd $v into $dir" >&2
    mkdir -p "$dir/bin" || return 1
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/infraprobe-etcd-build.XXXXXX") || return 1
    # Its own GOPATH (module cache) and build cache, under the cache directory.
    (
        cd "$tmp" &&
            export GOPATH=$dir/gopath GOCACHE=$dir/gocache GOFLAGS=-modcacherw GOTOOLCHAIN=local &&
            "$go" mod init infraprobe.local/etcd-build &&
            "$go" get "go.etcd.io/etcd/server/v3@v$v" &&
            "$go" build -trimpath -o "$dir/bin/etcd.new" go.etcd.io/etcd/server/v3
    ) >"$dir/build.log" 2>&1
    local rc=$?
    rm -rf "$tmp"
    if [ "$rc" != 0 ] || [ ! -x "$dir/bin/etcd.new" ]; then
        tail -n 8 "$dir/build.log" >&2
        rm -f "$dir/bin/etcd.new"
        return 1
    fi
    # Renamed into place: a sandbox never runs a half-written binary. The module and build
    # caches (300 MB) are only for this build.
    mv "$dir/bin/etcd.new" "$dir/bin/etcd" && rm -rf "$dir/gocache" "$dir/gopath"
}

ip_build_etcds() {
    local v
    for v in $IP_ETCD_VERSIONS; do
        ip_build_etcd "$v" || return 1
    done
}
