#!/usr/bin/env bash
# The seed's tutorial, end to end and non-interactive: a virtual NodeMCU board
# running the c_mqtt firmware joins Wi-Fi, connects to an MQTT broker over TLS
# 1.2 with its own client certificate, and obeys the seed's message
#
#     {
#         gpio: {
#             pin: 2,
#             state: 0
#         }
#     }
#
# typed exactly like that into an MQTT client: the blue LED on GPIO2 (active
# low) turns on; `state: 1` turns it off. Everything it starts (broker, board,
# subscriber) is stopped at the end, also on failure or Ctrl-C.
# Usage: scripts/demo.sh        (env: MOS_DEMO_KEEP=1 keeps the work directory)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

say()  { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
run()  { printf '  $ %s\n' "$*"; "$@"; }
note() { printf '    %s\n' "$*"; }

WORK=$(mktemp -d /tmp/mos-demo.XXXXXX)
export MOS_SIM_DIR="$WORK/sim"   # this demo's boards live here, apart from yours
BOARD=demo
PIDS=()
cleanup() {
  set +e
  say "Cleaning up"
  [ -x "${MOS:-}" ] && "$MOS" sim stop "$BOARD" >/dev/null 2>&1
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  if [ "${MOS_DEMO_KEEP:-0}" = 1 ]; then note "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "1. Setup: Debian packages (installs only what is missing)"
run scripts/setup.sh

say "2. Build the mos CLI and the virtual board with the c_mqtt firmware"
cmake --preset default >/dev/null
run cmake --build --preset default --target mos mos_sim_firmware_c_mqtt
MOS=$ROOT/build/default/tools/mos/mos
# Shows each mos command as a person would type it, its output indented.
mos() { printf '  $ mos %s\n' "$*"; "$MOS" "$@" 2>&1 | sed 's/^/    /'; }

say "3. Certificates (openssl): a CA, the broker's certificate, the device's certificate"
PKI=$WORK/pki; mkdir -p "$PKI"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
key "$PKI/ca.key"
openssl req -x509 -new -key "$PKI/ca.key" -subj "/CN=mos demo CA" -days 7 \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -out "$PKI/ca.pem"
leaf() {  # name CN SAN
  key "$PKI/$1.key"
  openssl req -new -key "$PKI/$1.key" -subj "/CN=$2" -out "$PKI/$1.csr"
  printf 'basicConstraints=CA:FALSE\n%s' "${3:+subjectAltName=$3}" > "$PKI/$1.ext"
  openssl x509 -req -in "$PKI/$1.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 7 -sha256 -extfile "$PKI/$1.ext" -out "$PKI/$1.crt" 2>/dev/null
}
leaf broker localhost "DNS:localhost"
leaf device demo-device ""
leaf client demo-client ""
note "CA $PKI/ca.pem, broker and device certificates: ECDSA P-256"

say "4. Start Mosquitto on 127.0.0.1 with a TLS listener that requires client certificates"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$WORK/mosquitto.conf" <<CONF
per_listener_settings false
allow_anonymous true
persistence false
user root
log_dest file $WORK/mosquitto.log
connection_messages true
listener $PORT 127.0.0.1
cafile $PKI/ca.pem
certfile $PKI/broker.crt
keyfile $PKI/broker.key
tls_version tlsv1.2
require_certificate true
use_identity_as_username true
CONF
/usr/sbin/mosquitto -c "$WORK/mosquitto.conf" >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done
note "broker: localhost:$PORT (mutual TLS)"

say "5. Start a virtual NodeMCU board (a Wi-Fi access point 'DemoAP' is in range)"
out=$(mos sim start --name "$BOARD" --ap "DemoAP:demo-pass-123")
echo "$out"
PTY=$(echo "$out" | grep -o '/dev/pts/[0-9]*' | head -1)
[ -n "$PTY" ] || { echo "no pseudo-terminal in the output of mos sim start" >&2; exit 1; }
export MOS_PORT=$PTY
note "its serial port is $PTY: mos talks RPC over it (and so could picocom)"
for _ in $(seq 50); do "$MOS" --timeout 1 call RPC.Ping >/dev/null 2>&1 && break; sleep 0.2; done
mos call Sys.GetInfo

say "6. Provision over the serial port: certificates into the board's flash, then the config"
mos put "$PKI/ca.pem" ca.pem
mos put "$PKI/device.crt" device.crt
mos put "$PKI/device.key" device.key
mos config-set wifi.sta.enable=true wifi.sta.ssid=DemoAP wifi.sta.pass=demo-pass-123 \
  mqtt.enable=true mqtt.server=localhost:$PORT \
  mqtt.ssl_ca_cert=ca.pem mqtt.ssl_cert=device.crt mqtt.ssl_key=device.key
note "Config.Save rebooted the board; it now joins Wi-Fi and connects with mutual TLS"

say "7. The board's console (serial log) until MQTT is connected"
mos --timeout 30 console --until "subscribed to /request"

say "8. Watch /response with mosquitto_sub (a test client with its own certificate)"
CLIENT=(-h localhost -p "$PORT" --cafile "$PKI/ca.pem" --cert "$PKI/client.crt" --key "$PKI/client.key")
mosquitto_sub "${CLIENT[@]}" -i demo-sub -t /response -v > "$WORK/responses.txt" &
PIDS+=($!)
for _ in $(seq 50); do grep -q "SUBSCRIBE from demo-sub" "$WORK/mosquitto.log" 2>/dev/null && break; sleep 0.1; done

publish() {  # state
  local msg
  msg=$(printf '{\n    gpio: {\n        pin: 2,\n        state: %s\n    }\n}' "$1")
  printf '  $ mosquitto_pub -t /request -m '"'"'%s'"'"'\n' "$msg"
  mosquitto_pub "${CLIENT[@]}" -i demo-pub -t /request -m "$msg"
}
wait_response() {  # state
  for _ in $(seq 100); do
    grep -q "\"state\":$1" "$WORK/responses.txt" && break; sleep 0.1
  done
  if ! grep -q "\"state\":$1" "$WORK/responses.txt"; then
    echo "no reply with state $1 on /response within 10 s; the board's log: $MOS_SIM_DIR/$BOARD/console.log" >&2
    tail -20 "$MOS_SIM_DIR/$BOARD/console.log" >&2
    exit 1
  fi
  grep "\"state\":$1" "$WORK/responses.txt" | tail -1 | sed 's/^/    received: /'
}

say "9. Publish the seed's message exactly as typed: state 0 -> LED ON"
publish 0
wait_response 0
mos sim gpio "$BOARD" 2

say "10. state 1 -> LED OFF"
publish 1
wait_response 1
mos sim gpio "$BOARD" 2

say "Done: the board obeyed the seed's message over mutual-TLS MQTT."
