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

# Issue #2's target: MQTT codec + session <= 6 KB text; anchor coreMQTT v2.3.1
# (MQTT 3.1.1, no reconnect logic) = 6.9 KB with the same flags.
mqtt=0
for lib in "$build"/device/mqtt/libmos_mqtt*.a; do
  t=$(arm-none-eabi-size -t "$lib" | awk '/\(TOTALS\)/ {print $1}')
  mqtt=$((mqtt + t))
done
verdict=MISS; [ "$mqtt" -le 6144 ] && verdict=PASS
printf 'MQTT codec + session: %d bytes text (target <= 6144: %s; coreMQTT v2.3.1 anchor 6.9 KB, ratio %s)\n' \
  "$mqtt" "$verdict" "$(awk -v a="$mqtt" 'BEGIN {printf "%.2f", a / (6.9 * 1024)}')"
