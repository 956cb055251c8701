#!/usr/bin/env bash
# `make demo`: build two revisions of the real Transatomic set and run BuildTrace on them.
set -euo pipefail
out="${1:-out/demo}"
bin=.venv/bin
mkdir -p "$out"
$bin/python examples/make_revision.py "$out"
echo
echo "== buildtrace sheets $out/rev-B.pdf"
$bin/buildtrace sheets "$out/rev-B.pdf" | tee "$out/sheets.txt"
echo
echo "== buildtrace pair $out/rev-A.pdf $out/rev-B.pdf"
$bin/buildtrace pair "$out/rev-A.pdf" "$out/rev-B.pdf" | tee "$out/pairs.txt"
$bin/buildtrace pair "$out/rev-A.pdf" "$out/rev-B.pdf" --json -q > "$out/pairs.json"
echo
echo "demo output is in $out/ (rev-A.pdf, rev-B.pdf, sheets.txt, pairs.txt, pairs.json)"
