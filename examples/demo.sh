#!/bin/sh
# Regenerate the README's example outputs: see examples/demo.py.
exec python3 "$(dirname "$0")/demo.py" "$@"
