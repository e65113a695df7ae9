# Sourced by scripts/test and scripts/demo: configure and build in build/ (or build-san/
# with --enable-sanitizers), out of the source tree, reconfiguring only when needed.

ip_build() {
    local top=$1 dir=$2
    shift 2
    if [ ! -x "$top/configure" ] || [ "$top/configure.ac" -nt "$top/configure" ] ||
        [ -n "$(find "$top" \( -name '*.am' -o -name local.mk \) -newer "$top/configure" \
            -not -path '*/build*' 2>/dev/null | head -n1)" ]; then
        (cd "$top" && autoreconf -fi) >"$top/autoreconf.log" 2>&1 || {
            cat "$top/autoreconf.log" >&2
            return 1
        }
    fi
    mkdir -p "$dir"
    if [ ! -f "$dir/Makefile" ] || [ "$top/configure" -nt "$dir/Makefile" ]; then
        (cd "$dir" && "$top/configure" -q "$@") || return 1
    fi
    make -C "$dir" -s -j"$(nproc)"
}
