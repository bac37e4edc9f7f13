#!/usr/bin/env bash
# aws-iot-setup end to end (ARCHITECTURE.md "Targets": < 1.5 s on the local
# cloud) against a by-hand AWS CLI v2 sequence of the same calls, same run:
# openssl key + CSR, create-certificate-from-csr --set-as-active, get-policy,
# attach-policy, describe-thing, attach-thing-principal, describe-endpoint,
# then the same device steps with `mos put` x3 and `mos config-set`.
# Starts mos-cloud (plain HTTP, free port) and a virtual board; stops both.
# Usage: bench/aws_iot_setup_bench.sh [RUNS]   (default 3 of each)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
runs="${1:-3}"
build="${MOS_BUILD_DIR:-$root/build/default}"
if [[ -z "${MOS_BENCH_NO_BUILD:-}" ]]; then
  cmake --build "$build" --target mos mos-cloud mos_sim_firmware_c_mqtt >/dev/null
fi
mos="$build/tools/mos/mos"
cloud_bin="$build/cloud/server/mos-cloud"
aws=/usr/bin/aws

work="$(mktemp -d /tmp/mos-aws-bench-XXXXXX)"
cloud_pid=""
export MOS_SIM_DIR="$work/sim" HOME="$work/home"
mkdir -p "$HOME"
cleanup() {
  "$mos" sim stop bench >/dev/null 2>&1 || true
  if [[ -n "$cloud_pid" ]]; then kill "$cloud_pid" 2>/dev/null || true; wait "$cloud_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

http_port="$(free_port)"; mqtt_port="$(free_port)"
"$cloud_bin" init --data-dir "$work/cloud" --mqtt-port "$mqtt_port" >/dev/null
"$cloud_bin" serve --data-dir "$work/cloud" --http-port "$http_port" --mqtt-port "$mqtt_port" \
  >"$work/cloud.log" 2>&1 &
cloud_pid=$!
url="http://127.0.0.1:$http_port"
for _ in $(seq 100); do curl -s "$url/ca.pem" >/dev/null && break; sleep 0.05; done

port="$("$mos" sim start --name bench 2>&1 | grep -o '/dev/pts/[0-9]*' | head -1)"
for _ in $(seq 100); do "$mos" --port "$port" --timeout 1 call RPC.Ping >/dev/null 2>&1 && break; sleep 0.1; done

export AWS_ACCESS_KEY_ID=AKIDMOSLOCAL AWS_SECRET_ACCESS_KEY=mos-local-secret AWS_DEFAULT_REGION=us-east-1 \
  AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true

wait_board() { sleep 0.3; for _ in $(seq 100); do "$mos" --port "$port" --timeout 1 call RPC.Ping >/dev/null 2>&1 && return; sleep 0.1; done; }
now() { date +%s.%N; }

ours=(); cli=(); cli_api=()
for i in $(seq "$runs"); do
  t0=$(now)
  "$mos" --port "$port" aws-iot-setup --endpoint-url "$url" >"$work/ours.log" 2>&1 || { cat "$work/ours.log"; exit 1; }
  t1=$(now)
  ours+=("$(awk -v a="$t1" -v b="$t0" 'BEGIN{printf "%.3f", a-b}')")
  wait_board

  dev="$("$mos" --port "$port" config-get device.id | tr -d '"')"
  t0=$(now)
  a() { "$aws" --endpoint-url "$url" --output json iot "$@"; }
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/k.pem" 2>/dev/null
  openssl req -new -key "$work/k.pem" -subj "/CN=$dev" -out "$work/r.csr"
  out="$(a create-certificate-from-csr --certificate-signing-request "file://$work/r.csr" --set-as-active)"
  arn="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["certificateArn"])' <<<"$out")"
  python3 -c 'import json,sys; print(json.load(sys.stdin)["certificatePem"])' <<<"$out" >"$work/c.pem"
  a get-policy --policy-name mos-default >/dev/null
  a attach-policy --policy-name mos-default --target "$arn"
  a describe-thing --thing-name "$dev" >/dev/null
  a attach-thing-principal --thing-name "$dev" --principal "$arn"
  ep="$(a describe-endpoint --endpoint-type iot:Data-ATS --query endpointAddress --output text)"
  t_api=$(now)
  curl -s "$url/ca.pem" >"$work/ca.pem"
  "$mos" --port "$port" put "$work/c.pem" "aws-$dev.crt.pem" 2>/dev/null
  "$mos" --port "$port" put "$work/k.pem" "aws-$dev.key.pem" 2>/dev/null
  "$mos" --port "$port" put "$work/ca.pem" ca.pem 2>/dev/null
  "$mos" --port "$port" config-set mqtt.enable=true "mqtt.server=$ep" mqtt.ssl_ca_cert=ca.pem \
    "mqtt.ssl_cert=aws-$dev.crt.pem" "mqtt.ssl_key=aws-$dev.key.pem" 2>/dev/null
  t1=$(now)
  cli+=("$(awk -v a="$t1" -v b="$t0" 'BEGIN{printf "%.3f", a-b}')")
  cli_api+=("$(awk -v a="$t_api" -v b="$t0" 'BEGIN{printf "%.3f", a-b}')")
  wait_board
done

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "runs: $runs (local mos-cloud over HTTP, virtual board over its pty)"
echo "mos aws-iot-setup end to end:            median $(median "${ours[@]}") s   (all: ${ours[*]})"
echo "AWS CLI v2 by hand, same calls + device:  median $(median "${cli[@]}") s   (all: ${cli[*]})"
echo "  of which the AWS CLI calls + openssl:   median $(median "${cli_api[@]}") s"
echo "target for ours: < 1.5 s"
