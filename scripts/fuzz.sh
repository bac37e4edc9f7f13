#!/usr/bin/env bash
# Runs every libFuzzer target of a MOS_FUZZ build for a short time each,
# starting from its seed corpus in the repo, and prints executions per target.
# Usage: scripts/fuzz.sh [build-dir] [seconds-per-target] [target...]
# With target names, runs only those (e.g. after building just them).
set -euo pipefail
build=${1:-build/asan}
seconds=${2:-30}
shift $(( $# < 2 ? $# : 2 ))
only=" $* "
list="$build/fuzzers.txt"
[ -s "$list" ] || { echo "fuzz: no fuzz targets listed in $list (configure the asan preset first)"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
printf '%-28s %12s %10s %s\n' target executions exec/s result
while IFS='=' read -r target seeds; do
  [ -n "$target" ] || continue
  [ "$only" = "  " ] || [[ "$only" == *" $target "* ]] || continue
  exe=$(find "$build" -type f -name "$target" -perm -u+x | head -n1)
  [ -n "$exe" ] || { echo "fuzz: $target was not built"; failed=1; continue; }
  corpus="$work/$target"
  mkdir -p "$corpus"
  [ -d "$seeds" ] && cp -r "$seeds"/. "$corpus"/ 2>/dev/null || true
  logf="$work/$target.log"
  if "$exe" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$work/$target-" \
      "$corpus" >"$logf" 2>&1; then
    result=ok
  else
    result=FAILED
    failed=1
  fi
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$logf" | grep -o '[0-9]*$' || echo 0)
  rate=$(( execs / (seconds > 0 ? seconds : 1) ))
  printf '%-28s %12s %10s %s\n' "$target" "$execs" "$rate" "$result"
  if [ "$result" != ok ]; then
    tail -n 40 "$logf"
    mkdir -p fuzz-artifacts && cp "$work/$target-"* fuzz-artifacts/ 2>/dev/null || true
  fi
done <"$list"
exit $failed
