# Sourced by scripts/test and scripts/demo: install the Debian packages infraprobe needs to
# build, test and run its sandbox, and nothing else. Runs apt-get only when something is
# missing, `apt-get update` once, and never starts a system service (a system Redis on
# 6379 would answer the tests' "unreachable" addresses).

IP_PACKAGES=(
    # build
    gcc make autoconf automake libtool libltdl-dev pkg-config
    libconfig-dev libjansson-dev check libmicrohttpd-dev libcrypt-dev libgnutls28-dev
    # plugins
    libhiredis-dev librdkafka-dev libmariadb-dev libcurl4-openssl-dev libnftables-dev
    # test consumers of each output format, and the peer the benchmark measures against
    jq libxml2-utils perl prometheus monitoring-plugins-basic valgrind bsdutils
    # the daemon's listener and HTML pages: a client, TLS certificates, a browser, a parser
    curl openssl chromium python3-html5lib
    # contrib/ci's recipes, parsed by tests/ci.test with Debian's /usr/bin/python3
    python3-yaml
    # the sandbox's real servers and their clients
    redis-server redis-sentinel redis-tools mariadb-server mariadb-client
    etcd-server etcd-client kcat iptables iproute2 procps
    # Apache Kafka for the sandbox: Java 17 runs it, Maven fetches it (scripts/testdeps.sh)
    openjdk-17-jre-headless maven
    # the unit's check (systemd-analyze verify)
    systemd
    # netpart's tests: nft in a namespace of their own (and the sandbox's netns mode: ip,
    # nsenter, unshare), setpriv to drop CAP_NET_ADMIN; curl
    # to look into Toxiproxy; Go builds Toxiproxy (scripts/toxiproxy.sh)
    nftables util-linux curl
)

ip_missing_packages() {
    local p
    for p in "$@"; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
            echo "$p"
    done
}

ip_install_packages() {
    local missing
    missing=$(ip_missing_packages policy-rcd-declarative-deny-all "${IP_PACKAGES[@]}")
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" != 0 ]; then
        echo "missing Debian packages (run as root to install them):" $missing >&2
        return 1
    fi
    echo "installing:" $missing >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq </dev/null || return 1
    # First, so that no package below starts its service.
    apt-get install -y -qq --no-install-recommends policy-rcd-declarative-deny-all \
        </dev/null >/dev/null || return 1
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing </dev/null >/dev/null
}
