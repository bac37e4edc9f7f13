#!/usr/bin/env bash
# mos flash on a virtual board, side by side in one run: a full flash of
# c_mqtt (onto a flash whose every sector differs, so dedupe skips nothing),
# a re-flash of the same bundle (per-sector MD5 dedupe), a one-line change
# (the version in mos.yml), and full flashes at 115200 and 921600 baud
# against the line rate (baud / 10 bytes per second; compression should beat
# it). Times are wall clock on a shared machine: look at the ratios.
#
# Usage: bench/flash_bench.sh [build-dir]      (default build/default)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build/default}
MOS=$PWD/$B/tools/mos/mos
W=$(mktemp -d /tmp/mos-flash-bench.XXXXXX)
export MOS_SIM_DIR=$W/sim XDG_STATE_HOME=$W/state
trap '"$MOS" sim stop bench >/dev/null 2>&1 || true; rm -rf "$W"' EXIT

cp -r apps/c_mqtt "$W/app" && rm -rf "$W/app/build" "$W/app/test"
echo "building c_mqtt with mos build (once)..."
(cd "$W/app" && "$MOS" build --arch sim >/dev/null)
port=$("$MOS" sim start --name bench | grep -o '/dev/pts/[0-9]*' | head -1)

flash() {  # label, extra args...
  local label=$1; shift
  local t0 t1 out
  t0=$(date +%s.%N)
  out=$(cd "$W/app" && "$MOS" --port "$port" flash "$@")
  t1=$(date +%s.%N)
  local wrote sectors
  wrote=$(grep -o 'Wrote [0-9]* bytes in [0-9.]* seconds ([0-9.]* KBit/sec)' <<<"$out")
  sectors=$(grep -o '[0-9]* of [0-9]* sectors differ' <<<"$out")
  printf '%-34s %8.2f s   %-26s %s\n' "$label" "$(echo "$t1 - $t0" | bc)" "$sectors" "$wrote"
  echo "$t1 - $t0" | bc > "$W/last"
}

bundle_bytes=$(python3 -c "import zipfile,sys; z=zipfile.ZipFile('$W/app/build/fw.zip'); print(sum(i.file_size for i in z.infolist() if not i.filename.endswith('.json')))")
echo
echo "bundle: $bundle_bytes bytes of parts"
printf '%-34s %10s   %-26s %s\n' "case" "wall" "dedupe" "transfer"
# A flash of zeros: no sector matches the bundle (an erased chip would match
# the file store's empty sectors and hide them from the full-flash figure).
restart_dirty() {
  "$MOS" sim stop bench >/dev/null
  head -c $((4 << 20)) /dev/zero > "$MOS_SIM_DIR/bench/flash.bin"
  port=$("$MOS" sim start --name bench | grep -o '/dev/pts/[0-9]*' | head -1)
}
restart_dirty
flash "full flash @ 921600"; full=$(cat "$W/last")
flash "re-flash, same bundle"; same=$(cat "$W/last")
sed -i 's/^version: 1.0.0/version: 1.0.1/' "$W/app/mos.yml"
(cd "$W/app" && "$MOS" build --arch sim >/dev/null)
flash "one-line change (version)"; change=$(cat "$W/last")
restart_dirty
flash "full flash @ 115200" --esp-baud-rate 0; slow=$(cat "$W/last")
flash "re-flash, same bundle @ 115200" --esp-baud-rate 0; slow_same=$(cat "$W/last")
echo
python3 - "$full" "$same" "$change" "$slow" "$slow_same" "$bundle_bytes" <<'PY'
import sys
full, same, change, slow, slow_same, n = map(float, sys.argv[1:])
print(f"unchanged re-flash @ 921600: {full / same:.1f}x faster than a full flash (target >= 20x)")
print(f"unchanged re-flash @ 115200: {slow / slow_same:.1f}x faster than a full flash")
print(f"one-line change @ 921600:    {full / change:.1f}x faster than a full flash")
for baud, t in ((921600, full), (115200, slow)):
    line = baud / 10
    print(f"{baud:>7} baud: {n / t / 1024:7.1f} KB/s of image per wall second, line rate {line / 1024:6.1f} KB/s, "
          f"ratio {n / t / line:.2f}")
PY
