#!/usr/bin/env bash
# The device core allocates nothing (ARCHITECTURE.md, STYLE.md: "no heap after
# init"; caller-owned buffers). This check makes that rule fail the build: it
# reads the relocations of every object in the given core archives and lists
# each function that calls or takes the address of an allocation function.
#
# Why relocations and not a link: every core object is built with
# -ffunction-sections, so a relocation in section `.text.<mangled>` names the
# exact function that refers to the symbol, and it finds references even in
# code no test image would keep after --gc-sections.
#
# One exception: a class with a virtual destructor gets a "deleting destructor"
# (Itanium C++ ABI §5.1.4, mangled `...D0Ev`) that calls operator delete. It is
# only reachable through `delete p`, which needs an object from `new`, and every
# `new` is rejected here, so delete referenced from a D0 destructor is allowed.
#
# With --cxx, it also links every core object (--whole-archive) with the C
# library into a throw-away image and warns about the C library functions the
# core calls that bring the C library's own heap (newlib's strtod and printf
# family do): the rule holds for our code, the port decides its libc.
#
# Usage: check-no-heap.sh <objdump> <c++filt> [--cxx <compiler> "<flags>" <dir>] <archive>...
set -euo pipefail
objdump=$1; cxxfilt=$2; shift 2
cxx=""
if [ "${1:-}" = --cxx ]; then
  cxx=$2; cxxflags=$3; workdir=$4; shift 4
fi

# Mangled names (32-bit ARM: size_t is `j`) of every allocation entry point:
# C heap (plus newlib's reentrant _r forms), every operator new/delete variant
# (plain, array, nothrow, sized, aligned), and the C++ exception allocator.
forbidden='^(malloc|free|calloc|realloc|reallocf|memalign|aligned_alloc|posix_memalign|valloc|pvalloc|strdup|strndup|_malloc_r|_free_r|_calloc_r|_realloc_r|_memalign_r|_strdup_r|_strndup_r|__cxa_allocate_exception|__cxa_throw|_Znw.*|_Zna.*|_Zdl.*|_Zda.*)$'

# libstdc++'s std::__throw_* helpers (e.g. from string_view::substr) throw, so
# on the device they pull in __cxa_allocate_exception and malloc. Reported as a
# warning, not an error, until the callers use bounds-checked code of their own.
throwers='^_ZSt[0-9]+__throw_'

scan() {  # scan <regex>: "archive(object)<TAB>function<TAB>symbol" per reference
  local re=$1 archive
  for archive in "${archives[@]}"; do
    "$objdump" -r "$archive" | awk -v lib="$(basename "$archive")" -v re="$re" '
      /file format/ { obj = $1; sub(/:$/, "", obj); next }
      /^RELOCATION RECORDS FOR/ { sec = $4; sub(/^\[/, "", sec); sub(/\]:$/, "", sec); next }
      NF == 3 && $3 ~ re {
        fn = sec; sub(/^\.text\./, "", fn)
        if ($3 ~ /^_Zd[la]/ && fn ~ /D0Ev$/) next   # deleting destructor, see above
        print lib "(" obj ")\t" fn "\t" $3
      }'
  done | sort -u
}

report() {  # report <prefix>: the scan lines on stdin, demangled, one per line
  local where fn sym
  while IFS=$'\t' read -r where fn sym; do
    printf '%s%s: %s uses %s\n' "$1" "$where" "$(echo "$fn" | "$cxxfilt")" "$(echo "$sym" | "$cxxfilt")"
  done
}

archives=("$@")
warned=$(scan "$throwers")
if [ -n "$warned" ]; then
  echo "no-heap: warning: these call libstdc++ helpers that throw (and so allocate) on the device:"
  report "  " <<<"$warned"
fi

if [ -n "$cxx" ]; then
  # No start files, no C++ runtime, unresolved symbols allowed (BearSSL, the
  # port's functions): only which libc members get pulled in matters here.
  # shellcheck disable=SC2086
  if "$cxx" $cxxflags -nostdlib -nostartfiles -Wl,-e,0 -Wl,--unresolved-symbols=ignore-all \
      -Wl,-Map="$workdir/no-heap-image.map" -Wl,--whole-archive "${archives[@]}" -Wl,--no-whole-archive \
      -lc -lgcc -o "$workdir/no-heap-image.elf"; then
    # The map's "Archive member included to satisfy reference by file
    # (symbol)" section: follow each libc heap member back to a core object.
    pulled=$(awk '
      /^Archive member included/ { on = 1; next }
      /^(Discarded input|Allocating common|Memory Configuration)/ { on = 0 }
      !on || NF == 0 { next }
      /^[^ \t]/ { m = $1; if (NF >= 3) { ref[m] = $2; sym[m] = $3 } next }
      { ref[m] = $1; sym[m] = $2 }
      END {
        for (m in ref) {
          if (sym[m] !~ /^\((malloc|calloc|realloc|_malloc_r|_calloc_r|_realloc_r)\)$/) continue
          chain = name(sym[m]); r = ref[m]
          while ((r in ref) && ref[r] != "(--whole-archive)") { chain = name(sym[r]) " -> " chain; r = ref[r] }
          sub(/.*\//, "", r)
          print "  " r ": " chain
        }
      }
      function name(s) { gsub(/[()]/, "", s); return s }' "$workdir/no-heap-image.map" | sort -u)
    if [ -n "$pulled" ]; then
      echo "no-heap: warning: C library calls that link the C library's heap (core object: call chain):"
      echo "$pulled"
    fi
  else
    echo "no-heap: warning: could not link the test image; C library heap use not checked"
  fi
fi

found=$(scan "$forbidden")

if [ -z "$found" ]; then
  echo "no-heap: ${#archives[@]} device-core libraries checked, no allocation"
  exit 0
fi
echo "no-heap: the device core must not allocate (no malloc/new/exceptions; use caller-owned buffers):" >&2
report "  " <<<"$found" >&2
exit 1
