# Sourced by the integration tests: run infraprobe from the build tree and assert on what
# it did. Each test script exits 1 when any assertion failed (never 77: nothing is skipped).

: "${INFRAPROBE:?run me through make check}"
: "${INFRAPROBE_PLUGIN_PATH:?run me through make check}"
failures=0
work=$(mktemp -d "${TMPDIR:-/tmp}/infraprobe-test.XXXXXX")
trap 'rm -rf "$work"' EXIT

# ip ARGS...: run infraprobe; stdout in $work/out, stderr in $work/err, exit code in $rc.
# A hang is a failure, not a stuck test suite: it is killed after 120 s (exit 137).
ip() {
    timeout -s KILL 120 "$INFRAPROBE" --plugin-dir "$INFRAPROBE_PLUGIN_PATH" "$@" >"$work/out" 2>"$work/err" </dev/null
    rc=$?
}

fail() {
    echo "FAIL: $*" >&2
    echo "  stdout: $(head -c 2000 "$work/out" 2>/dev/null)" >&2
    echo "  stderr: $(head -c 2000 "$work/err" 2>/dev/null)" >&2
    failures=$((failures + 1))
}

ok() { echo "ok: $*"; }

expect_rc() { # expect_rc N WHAT
    if [ "$rc" = "$1" ]; then ok "$2: exit $1"; else fail "$2: exit $rc, expected $1"; fi
}

expect_in() { # expect_in FILE TEXT WHAT: FILE (out or err) contains TEXT literally
    if grep -qF -- "$2" "$work/$1"; then ok "$3"; else fail "$3: $1 lacks \"$2\""; fi
}

expect_lines() { # expect_lines FILE N WHAT
    local n
    n=$(wc -l <"$work/$1")
    if [ "$n" = "$2" ]; then ok "$3"; else fail "$3: $1 has $n lines, expected $2"; fi
}

# conf NAME TEXT: write a config file $work/NAME.
conf() { printf '%s\n' "$2" >"$work/$1"; }

finish() {
    if [ "$failures" != 0 ]; then
        echo "$failures assertion(s) failed" >&2
        exit 1
    fi
    exit 0
}
