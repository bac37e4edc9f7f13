#!/usr/bin/env bash
# Prints text/data/bss per device-core library from the `arm` preset build
# (Cortex-M4, -Os, -fno-exceptions -fno-rtti, -DNDEBUG).
# Usage: scripts/size-table.sh [build-dir]
set -euo pipefail
build=${1:-build/arm}
printf '%-20s %8s %8s %8s\n' library text data bss
for lib in $(find "$build/device" -name 'libmos_*.a' | sort); do
  name=$(basename "$lib" .a); name=${name#lib}
  arm-none-eabi-size -t "$lib" | awk -v n="$name" '/\(TOTALS\)/ {printf "%-20s %8d %8d %8d\n", n, $1, $2, $3}'
done
