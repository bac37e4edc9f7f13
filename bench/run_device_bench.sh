#!/usr/bin/env bash
# Device benches (ARCHITECTURE.md "Targets"): RAM for one mutual-TLS MQTT
# connection per TLS buffer configuration, and connect time vs mosquitto_pub.
# Builds device_bench, makes EC P-256 certificates with openssl, starts
# Mosquitto on 127.0.0.1 at a free port with require_certificate, runs, stops.
# Usage: bench/run_device_bench.sh [RUNS]   (default 21 connect-time runs)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
runs="${1:-21}"

cmake --preset default >/dev/null
cmake --build --preset default --target device_bench >/dev/null
bench="$root/build/default/bench/device_bench"

work="$(mktemp -d /tmp/mos-bench-XXXXXX)"
pid=""
cleanup() {
  if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

cd "$work"
q() { "$@" >/dev/null 2>&1; }
q openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key
q openssl req -x509 -new -key ca.key -subj /CN=mos-bench-ca -days 2 \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -out ca.pem
leaf() {  # name san
  q openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key"
  q openssl req -new -key "$1.key" -subj "/CN=$1" -out "$1.csr"
  printf 'basicConstraints=CA:FALSE\n%s' "${2:+subjectAltName=$2}" > "$1.ext"
  q openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -sha256 \
    -extfile "$1.ext" -out "$1.pem"
}
leaf broker "DNS:localhost,IP:127.0.0.1"
leaf device ""

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
cat > mosquitto.conf <<CONF
user root
persistence false
log_dest file $work/mosquitto.log
listener $port 127.0.0.1
cafile $work/ca.pem
certfile $work/broker.pem
keyfile $work/broker.key
tls_version tlsv1.2
require_certificate true
use_identity_as_username true
CONF
/usr/sbin/mosquitto -c mosquitto.conf >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do
  (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break
  sleep 0.05
done

echo "# mos device bench, $(date -u +%FT%TZ), Mosquitto $(/usr/sbin/mosquitto -h | head -1 | awk '{print $3}'), $(openssl version | cut -d' ' -f1-2), BearSSL 0.6"
echo
"$bench" ram localhost "$port" ca.pem device.pem device.key
echo
# The same contexts for the device's CPU: sizeof() compiled for Cortex-M4.
if command -v arm-none-eabi-g++ >/dev/null; then
  cat > sizes.cpp <<'CPP'
#include <bearssl.h>
#include "mos/tls.h"
extern "C" const unsigned sizes[] = {sizeof(br_ssl_client_context), sizeof(br_x509_minimal_context),
                                     sizeof(mos::tls::TlsTransport), sizeof(br_x509_trust_anchor),
                                     sizeof(mos::tls::ClientIdentity)};
CPP
  arm-none-eabi-g++ -std=c++17 -Os -mcpu=cortex-m4 -mthumb -fno-exceptions -fno-rtti \
    -I"$root/device/base/include" -I"$root/device/tls/include" -idirafter /usr/include/bearssl \
    -c sizes.cpp -o sizes.o
  arm-none-eabi-objcopy -O binary --only-section=.rodata sizes.o sizes.bin
  python3 - <<'PY'
import struct
cc, xc, tt, ta, ci = struct.unpack('<5I', open('sizes.bin', 'rb').read()[:20])
print("Cortex-M4 (arm-none-eabi, 32-bit pointers) sizeof(): br_ssl_client_context %d, br_x509_minimal_context %d, "
      "TlsTransport %d, br_x509_trust_anchor %d, ClientIdentity (without storage) %d" % (cc, xc, tt, ta, ci))
PY
  echo
fi
[[ -n "${MOS_BENCH_RAM_ONLY:-}" ]] || "$bench" time localhost "$port" ca.pem device.pem device.key "$runs"
