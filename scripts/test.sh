#!/usr/bin/env bash
# Runs every test of mos: installs what is missing, then builds and tests the
# host (gcc), the sanitizer build (clang ASan+UBSan) with the fuzzers, and the
# Cortex-M4 cross build of the device core with its size table.
# Usage: scripts/test.sh [--quick]   (--quick: the default preset only)
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
[ "${1:-}" = "--quick" ] && quick=1

start=$SECONDS
step() { printf '\n==== %s (at %ds) ====\n' "$*" $((SECONDS - start)); }

step "setup (Debian packages)"
scripts/setup.sh

step "default preset (gcc): build and all tests"
cmake --preset default >/dev/null
cmake --build --preset default
ctest --preset default

[ $quick -eq 1 ] && exit 0

step "arm preset (Cortex-M4 -Os): device core size table"
cmake --preset arm >/dev/null
cmake --build --preset arm
scripts/size-table.sh build/arm

step "asan preset (clang ASan+UBSan): unit tests and fuzzers"
cmake --preset asan >/dev/null
cmake --build --preset asan
ctest --preset asan -L unit
scripts/fuzz.sh build/asan "${MOS_FUZZ_SECONDS:-20}"

step "all done"
