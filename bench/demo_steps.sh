#!/usr/bin/env bash
# The README's first command, step by step: runs scripts/demo.sh --stop (the
# seed's tutorial against the local AWS IoT) and prints each step's wall time
# from the demo's own "(N s)" lines, and the total. Run it twice to see the
# warm figures (the first run may build the firmware runtime from scratch).
# Usage: bench/demo_steps.sh
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$EPOCHREALTIME
scripts/demo.sh --stop >"$log" 2>&1 || { tail -40 "$log"; echo "demo failed" >&2; exit 1; }
end=$EPOCHREALTIME
# "==> 5. mos build: ..." then, some lines later, "    (3.2 s)".
sed 's/\x1b\[[0-9;]*m//g' "$log" | awk '
  /^==> [0-9]+\./ { sub(/^==> /, ""); step = substr($0, 1, 70) }
  /^    \([0-9.]+ s\)$/ && step != "" { gsub(/[()s ]/, ""); printf "%8.1f s  %s\n", $0, step; step = "" }'
awk -v a="$start" -v b="$end" 'BEGIN { printf "%8.1f s  total (scripts/demo.sh --stop, including the stop)\n", b - a }'
