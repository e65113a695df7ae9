# Sourced by the tests that look at HTML pages in a browser (html.test, netpart_html.test), after
# lib.sh and with $here (this directory) set: Chromium's DOM and screenshot of a page, counts in
# that DOM, HTML5 validity, a network namespace with only loopback for the browser when the
# system allows one. The tools it needs missing is a failure; it sets PY.

: "${CHROMIUM:?run me through make check}" "${CURL:?}"
PY=/usr/bin/python3
for t in "$CHROMIUM" "$CURL" "$PY"; do
    [ -x "$t" ] || { echo "FAIL: $t is missing (scripts/packages.sh installs it)" >&2; exit 1; }
done
"$PY" -c 'import html5lib' 2>/dev/null || { echo "FAIL: python3-html5lib is missing" >&2; exit 1; }

# Run a command in a network namespace of its own with only loopback, when one can be made.
if unshare -rn true 2>/dev/null; then
    netns() { unshare -rn bash -c 'ip link set lo up 2>/dev/null; "$@"' netns "$@"; }
else
    netns() { "$@"; }
fi
export -f netns 2>/dev/null

# browse WHAT URL: Chromium's DOM of URL into $work/WHAT.dom, its screenshot $work/WHAT.png.
browse() {
    local flags=(--headless --no-sandbox --disable-gpu --no-first-run --disable-sync
        --disable-background-networking --disable-component-update --disable-default-apps
        --disable-extensions --user-data-dir="$work/chromium" --proxy-server=http://127.0.0.1:9
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1" --window-size=1000,1200)
    timeout -s KILL 120 "$CHROMIUM" "${flags[@]}" --dump-dom "$2" >"$work/$1.dom" 2>"$work/$1.chromium.err" ||
        fail "$1: chromium --dump-dom failed: $(tail -3 "$work/$1.chromium.err")"
    timeout -s KILL 120 "$CHROMIUM" "${flags[@]}" --screenshot="$work/$1.png" "$2" \
        >/dev/null 2>>"$work/$1.chromium.err" ||
        fail "$1: chromium --screenshot failed: $(tail -3 "$work/$1.chromium.err")"
}

dom_count() { # dom_count WHAT PATTERN: how many times PATTERN occurs in the DOM
    grep -o -- "$2" "$work/$1.dom" | wc -l
}

expect_count() { # expect_count WHAT PATTERN N DESCRIPTION
    local n
    n=$(dom_count "$1" "$2")
    if [ "$n" = "$3" ]; then ok "$1: $4 ($n)"; else fail "$1: $4: $n of $2, expected $3"; fi
}

not_blank() { # not_blank WHAT: the screenshot has more than a few colours
    local n
    n=$("$PY" "$here/png_colours.py" "$work/$1.png" 2>&1)
    if [ "$n" -gt 8 ] 2>/dev/null; then ok "$1: the screenshot is not blank ($n colours)"; else fail "$1: screenshot: $n"; fi
}

valid() { # valid FILE WHAT
    if "$PY" "$here/html_valid.py" "$1" >"$work/valid.out" 2>&1; then ok "$2 is valid HTML5"; else fail "$2: $(cat "$work/valid.out")"; fi
}
