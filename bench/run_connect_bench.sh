#!/usr/bin/env bash
# Connect time and publish latency, Mosquitto with set_tcp_nodelay false vs
# true (mos-cloud's generated config sets it true: cloud/broker_config), and
# the client-side instructions of one handshake under callgrind.
#   libmosquitto (OpenSSL): mosquitto_connect() -> CONNACK, in-process
#   mos (BearSSL, MFL 2048 buffers): Session::start() -> kConnected, in-process
# Same EC P-256 certificates, same broker binary, medians of RUNS.
# Usage: bench/run_connect_bench.sh [RUNS]   (default 31)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
runs="${1:-31}"

cmake --preset default >/dev/null
cmake --build --preset default --target connect_bench >/dev/null
bench="$root/build/default/bench/connect_bench"

work="$(mktemp -d /tmp/mos-connect-bench-XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
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

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
broker() {  # nodelay(true|false) -> prints port
  local port; port="$(free_port)"
  cat > "mosquitto-$1.conf" <<CONF
user root
persistence false
log_dest none
listener $port 127.0.0.1
cafile $work/ca.pem
certfile $work/broker.pem
keyfile $work/broker.key
tls_version tlsv1.2
require_certificate true
allow_anonymous true
set_tcp_nodelay $1
CONF
  /usr/sbin/mosquitto -c "mosquitto-$1.conf" >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break
    sleep 0.05
  done
  echo "$port"
}
port_off="$(broker false)"
port_on="$(broker true)"

get() { awk -v k="$1" '$1==k {print $2}' "$2"; }
"$bench" time localhost "$port_off" ca.pem device.pem device.key "$runs" > off.txt
"$bench" time localhost "$port_on" ca.pem device.pem device.key "$runs" > on.txt

echo "# connect bench, $(date -u +%FT%TZ), Mosquitto $(/usr/sbin/mosquitto -h | head -1 | awk '{print $3}'), $(openssl version | cut -d' ' -f1-2), BearSSL 0.6, loopback, median of $runs"
echo
echo "| measurement | set_tcp_nodelay false | set_tcp_nodelay true |"
echo "|---|---|---|"
echo "| libmosquitto (OpenSSL) connect -> CONNACK, ms | $(get openssl_connect_ms off.txt) | $(get openssl_connect_ms on.txt) |"
echo "| mos (BearSSL, MFL 2048) connect -> CONNACK, ms | $(get mos_connect_ms off.txt) | $(get mos_connect_ms on.txt) |"
echo "| publish -> delivery (libmosquitto, QoS 0, $(get latency_samples on.txt) msgs), ms | $(get publish_latency_ms off.txt) | $(get publish_latency_ms on.txt) |"

if command -v valgrind >/dev/null; then
  count() {  # mode function -> instructions inside function (client side only)
    valgrind --tool=callgrind --callgrind-out-file="cg.$1" --toggle-collect="*$2*" \
      "$bench" "$1" localhost "$port_on" ca.pem device.pem device.key >/dev/null 2>"cg.$1.log" || true
    awk '/^summary:|^totals:/ {print $2; exit}' "cg.$1"
  }
  ossl_ir="$(count once-openssl measured_openssl)"
  mos_ir="$(count once-mos measured_mos)"
  echo
  echo "Client-side instructions for one connect -> CONNACK (valgrind --tool=callgrind, collected inside"
  echo "the second connect of the process only (measured_openssl / measured_mos): certificate loading and"
  echo "SSL_CTX / trust-anchor set-up happen in the warm-up connect and are excluded; full handshakes, no resumption):"
  echo
  echo "| client | instructions (Ir) |"
  echo "|---|---|"
  printf '| libmosquitto (OpenSSL %s) | %s |\n' "$(openssl version | cut -d' ' -f2)" "$ossl_ir"
  printf '| mos (BearSSL 0.6, MFL 2048) | %s |\n' "$mos_ir"
else
  echo
  echo "(valgrind not installed: no instruction counts; apt-get install valgrind)"
fi
