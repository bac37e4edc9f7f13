#!/usr/bin/env bash
# The web console's message latency: mosquitto_pub -> broker -> mos-cloud's
# console connection -> WebSocket -> the page (headless Chromium), against a
# baseline in the same run: mosquitto_sub receiving the same messages from
# the same broker. The difference is what the console adds.
# Starts its own local cloud (`mos cloud up`, free ports, temp data dir) and
# stops it. Needs scripts/setup.sh (chromium, tests/browser/node_modules).
# Usage: bench/console_latency.sh [N]   (default 200 messages, 20 ms apart)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
n="${1:-200}"
build="${MOS_BUILD_DIR:-$root/build/default}"
if [[ -z "${MOS_BENCH_NO_BUILD:-}" ]]; then
  cmake --build "$build" --target mos mos-cloud mos_policy_plugin >/dev/null
fi
mos="$build/tools/mos/mos"
aws=/usr/bin/aws

work="$(mktemp -d /tmp/mos-console-bench-XXXXXX)"
export HOME="$work/home" XDG_STATE_HOME="$work/state"
mkdir -p "$HOME"
cleanup() {
  "$mos" cloud down --data-dir "$work/cloud" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

http_port="$(free_port)"; mqtt_port="$(free_port)"
"$mos" cloud up --data-dir "$work/cloud" --http-port "$http_port" --mqtt-port "$mqtt_port" >/dev/null
url="http://127.0.0.1:$http_port"

# The publisher and the baseline subscriber: one certificate with mos-default.
export AWS_ACCESS_KEY_ID=AKIDMOSLOCAL AWS_SECRET_ACCESS_KEY=mos-local-secret AWS_DEFAULT_REGION=us-east-1 \
  AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true
a() { "$aws" --endpoint-url "$url" --output text iot "$@"; }
a create-policy --policy-name mos-default \
  --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"*"}]}' >/dev/null
arn="$(a create-keys-and-certificate --set-as-active --certificate-pem-outfile "$work/client.crt" \
       --private-key-outfile "$work/client.key" --query certificateArn)"
a attach-policy --policy-name mos-default --target "$arn"

export BENCH_URL="$url" BENCH_N="$n" BENCH_MQTT_HOST=localhost BENCH_MQTT_PORT="$mqtt_port" \
  BENCH_CA="$work/cloud/ca.pem" BENCH_CERT="$work/client.crt" BENCH_KEY="$work/client.key"
node "$here/console_latency.mjs"
