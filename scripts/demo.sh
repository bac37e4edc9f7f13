#!/usr/bin/env bash
# The seed's tutorial ("AWS IoT on Mongoose OS"), end to end and offline, with
# the seed's commands against the local AWS IoT (mos cloud):
#
#   mos build --arch sim     mos flash     mos wifi SSID PASS
#   mos aws-iot-setup --aws-region us-east-1 --aws-iot-policy mos-default
#   mos console
#
# then the seed's message, exactly as a person types it into a test client,
#
#     {
#         gpio: {
#             pin: 2,
#             state: 0
#         }
#     }
#
# published to /request turns the blue LED on GPIO2 (active low) on; state 1
# turns it off. The board is a blank virtual NodeMCU at first: its ROM waits
# for `mos flash`.
# Usage: scripts/demo.sh [--stop]   (--stop: stop the cloud and the board at
#        the end; otherwise they keep running and the demo says how to play)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
STOP=0
[ "${1:-}" = "--stop" ] && STOP=1

say()  { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
note() { printf '    %s\n' "$*"; }
T0=$SECONDS
STEP_T=$EPOCHREALTIME
# Each step's wall time, to 0.1 s (bench/demo_steps.sh collects them).
step_time() {
  local now=$EPOCHREALTIME
  note "($(awk -v a="$STEP_T" -v b="$now" 'BEGIN { printf "%.1f", b - a }') s)"
  STEP_T=$now
}

WORK=${MOS_DEMO_DIR:-$ROOT/.mos/demo}
mkdir -p "$WORK"
export MOS_SIM_DIR="$WORK/sim"
BOARD=demo
CLOUD_DIR=$WORK/cloud
PIDS=()
finish() {
  set +e
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  if [ "$STOP" = 1 ] || [ "${DEMO_OK:-0}" != 1 ]; then
    say "Stopping the board and the local cloud"
    [ -x "${MOS:-}" ] && "$MOS" sim stop "$BOARD" >/dev/null 2>&1
    [ -x "${MOS:-}" ] && "$MOS" cloud down --data-dir "$CLOUD_DIR" >/dev/null 2>&1
  fi
}
trap finish EXIT
trap 'exit 130' INT TERM

say "1. Setup: Debian packages (installs only what is missing)"
scripts/setup.sh
step_time

say "2. Build mos, the virtual board and the local cloud"
cmake --preset default >/dev/null
cmake --build --preset default --target mos mos_sim_chip mos-cloud mos_policy_plugin | tail -1
MOS=$ROOT/build/default/tools/mos/mos
# Shows each command as a person types it, its output indented.
mos() { printf '  $ mos %s\n' "$*"; "$MOS" "$@" 2>&1 | sed 's/^/    /'; return "${PIPESTATUS[0]}"; }
step_time

say "3. Start the local AWS IoT Core (API, CA, Mosquitto with the policy plugin)"
"$MOS" cloud down --data-dir "$CLOUD_DIR" >/dev/null 2>&1 || true
mos cloud up --data-dir "$CLOUD_DIR"
# HTTPS like AWS's endpoints; the certificate is from the local CA, which
# the AWS CLI (and mos aws-iot-setup) trust through AWS_CA_BUNDLE.
API=https://localhost:4568
export AWS_CA_BUNDLE=$CLOUD_DIR/ca.pem
export AWS_ACCESS_KEY_ID=AKIDMOSLOCAL AWS_SECRET_ACCESS_KEY=mos-local-secret AWS_DEFAULT_REGION=us-east-1
export AWS_ENDPOINT_URL_IOT=$API   # mos aws-iot-setup reads it, as newer AWS CLIs do
# The AWS CLI v2 (Debian's awscli, 2.9) predates AWS_ENDPOINT_URL_*: give it the URL.
AWS=(/usr/bin/aws --endpoint-url "$API")
step_time

say "4. A blank virtual NodeMCU board (a Wi-Fi network DemoAP is in range)"
"$MOS" sim stop "$BOARD" >/dev/null 2>&1 || true
rm -f "$MOS_SIM_DIR/$BOARD/flash.bin"
mos sim start --name "$BOARD" --ap "DemoAP:demo-pass-123"
export MOS_PORT=$("$MOS" sim list | awk -v b="$BOARD" '$1 == b {print $4}')
note "its serial port: $MOS_PORT (mos talks to it; so could picocom)"
sleep 0.5
note "its console says:"
tail -3 "$MOS_SIM_DIR/$BOARD/console.log" | sed 's/^/      /'
step_time

say "5. mos build: the c_mqtt app (a copy in $WORK/c_mqtt)"
rm -rf "$WORK/c_mqtt"; cp -r apps/c_mqtt "$WORK/c_mqtt"; rm -rf "$WORK/c_mqtt/test"
cd "$WORK/c_mqtt"
mos build --arch sim
step_time

say "6. mos flash: over the serial port, through the board's ROM loader"
mos flash
step_time

say "7. mos wifi"
mos wifi DemoAP demo-pass-123
step_time

say "8. mos aws-iot-setup: a certificate from the (local) AWS IoT, policy, thing, upload, config"
for _ in $(seq 50); do "$MOS" --timeout 1 call RPC.Ping >/dev/null 2>&1 && break; sleep 0.2; done
mos aws-iot-setup --aws-region us-east-1 --aws-iot-policy mos-default
step_time

say "9. mos console, until the board is connected and subscribed"
mos --timeout 30 console --until "subscribed to /request"
step_time

say "10. A test client: its own certificate, subscribed to /response"
CLIENT_DIR=$WORK/client; mkdir -p "$CLIENT_DIR"
printf '  $ aws --endpoint-url %s iot create-keys-and-certificate --set-as-active ...\n' "$API"
CERT_ARN=$("${AWS[@]}" iot create-keys-and-certificate --set-as-active \
  --certificate-pem-outfile "$CLIENT_DIR/client.crt" --private-key-outfile "$CLIENT_DIR/client.key" \
  --query certificateArn --output text)
printf '  $ aws --endpoint-url %s iot attach-policy --policy-name mos-default --target %s\n' "$API" "$CERT_ARN"
"${AWS[@]}" iot attach-policy --policy-name mos-default --target "$CERT_ARN"
MQTT_HOST=$("${AWS[@]}" iot describe-endpoint --endpoint-type iot:Data-ATS --query endpointAddress --output text)
HOST=${MQTT_HOST%%:*}; PORT=8883; [ "$HOST" != "$MQTT_HOST" ] && PORT=${MQTT_HOST##*:}
CLIENT=(-h "$HOST" -p "$PORT" --cafile "$CLOUD_DIR/ca.pem" --cert "$CLIENT_DIR/client.crt" --key "$CLIENT_DIR/client.key")
mosquitto_sub "${CLIENT[@]}" -i demo-watcher -t /response -v > "$WORK/responses.txt" 2>&1 &
PIDS+=($!)
sleep 1
step_time

publish() {  # state
  local msg
  msg=$(printf '{\n    gpio: {\n        pin: 2,\n        state: %s\n    }\n}' "$1")
  printf '  $ aws --endpoint-url %s iot-data publish --topic /request --cli-binary-format raw-in-base64-out --payload '"'"'%s'"'"'\n' "$API" "$msg"
  "${AWS[@]}" iot-data publish --topic /request --cli-binary-format raw-in-base64-out --payload "$msg"
}
wait_response() {  # state
  for _ in $(seq 100); do grep -q "\"state\":$1" "$WORK/responses.txt" && break; sleep 0.1; done
  if ! grep -q "\"state\":$1" "$WORK/responses.txt"; then
    echo "no reply with state $1 on /response within 10 s; the board's log: $MOS_SIM_DIR/$BOARD/console.log" >&2
    tail -20 "$MOS_SIM_DIR/$BOARD/console.log" >&2
    exit 1
  fi
  grep "\"state\":$1" "$WORK/responses.txt" | tail -1 | sed 's/^/    received: /'
}

say "11. Publish the seed's message exactly as typed: state 0 -> the LED turns ON"
publish 0
wait_response 0
mos sim gpio "$BOARD" 2
step_time

say "12. state 1 -> the LED turns OFF"
publish 1
wait_response 1
mos sim gpio "$BOARD" 2
step_time

DEMO_OK=1
say "Done in $(( SECONDS - T0 )) s: a blank board, flashed, on Wi-Fi, provisioned with AWS IoT, obeyed the seed's message."
if [ "$STOP" = 0 ]; then
  cat <<TXT

Still running (stop both with: scripts/demo.sh --stop, or the two commands below):
  the local cloud   $MOS cloud status --data-dir $CLOUD_DIR
                    $MOS cloud down --data-dir $CLOUD_DIR
  the board         MOS_SIM_DIR=$MOS_SIM_DIR $MOS sim stop $BOARD
Play with it:
  the web console   $API/console/   (access key ID AKIDMOSLOCAL, secret access key mos-local-secret):
                    subscribe to /response, publish {gpio: {pin: 2, state: 0}} to /request
  export AWS_ACCESS_KEY_ID=AKIDMOSLOCAL AWS_SECRET_ACCESS_KEY=mos-local-secret AWS_DEFAULT_REGION=us-east-1
  export AWS_CA_BUNDLE=$CLOUD_DIR/ca.pem
  /usr/bin/aws --endpoint-url $API iot-data publish --topic /request --cli-binary-format raw-in-base64-out --payload '{gpio: {pin: 2, state: 0}}'
  MOS_SIM_DIR=$MOS_SIM_DIR $MOS sim gpio $BOARD 2
  MOS_SIM_DIR=$MOS_SIM_DIR $MOS --port $MOS_PORT console
TXT
fi
