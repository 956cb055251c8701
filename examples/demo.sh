#!/usr/bin/env bash
# `make demo`: build two revisions of the real Transatomic set and compare them.
set -euo pipefail
out="${1:-out/demo}"
bin=.venv/bin
mkdir -p "$out"
$bin/python examples/make_revision.py "$out"
echo
echo "== buildtrace pair $out/rev-A.pdf $out/rev-B.pdf"
$bin/buildtrace pair "$out/rev-A.pdf" "$out/rev-B.pdf" -q | tee "$out/pairs.txt"
echo
echo "== buildtrace compare $out/rev-A.pdf $out/rev-B.pdf --out $out/report --jobs 2"
$bin/buildtrace compare "$out/rev-A.pdf" "$out/rev-B.pdf" --out "$out/report" --jobs 2
echo
echo "open $out/report/index.html in a browser; forward $out/report/report.pdf"
