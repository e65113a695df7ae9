#!/usr/bin/python3
# html_valid.py FILE...: parse each file with html5lib in strict mode (any parse error, such
# as a stray tag, a bad character reference or a missing doctype, is an exception); print
# the first error with its position and exit 1, or exit 0 when every file is valid HTML5.
import sys

import html5lib

status = 0
for path in sys.argv[1:]:
    parser = html5lib.HTMLParser(strict=True)
    try:
        with open(path, "rb") as f:
            parser.parse(f)
    except Exception as e:  # html5lib.html5parser.ParseError, and encoding errors
        print(f"{path}: not valid HTML: {e} {parser.errors[:1]}")
        status = 1
sys.exit(status)
