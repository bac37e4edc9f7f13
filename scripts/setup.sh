#!/usr/bin/env bash
# Installs the Debian 12 packages that mos needs to build, test and run, if any
# are missing. Safe to run again: it does nothing when everything is present.
set -euo pipefail

packages=(
  # build
  cmake ninja-build g++ clang-14 clang libclang-rt-14-dev pkg-config
  libgtest-dev libgmock-dev
  # device core cross build (the `arm` preset)
  gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib
  # device TLS, host crypto, cloud
  libbearssl-dev libssl-dev openssl libsqlite3-dev sqlite3
  libcpp-httplib-dev libcli11-dev nlohmann-json3-dev
  # fw.zip bundles, mos.yml, compressed flash writes, the event-driven HTTP front
  libzip-dev zip unzip libyaml-cpp-dev zlib1g-dev libboost-dev
  # broker, plugin API and real MQTT peers for the tests
  mosquitto mosquitto-clients mosquitto-dev libmosquitto-dev
  # the AWS CLI v2 and boto3, the real clients of the local cloud; a WebSocket
  # client for the web console's live channel tests (cloud/console)
  awscli python3-boto3 python3-websocket
  # serial terminals that can open a virtual board's pseudo-terminal
  picocom
  # the config schema generator (device/config/mos_config_gen.py)
  python3 python3-yaml
  # misc tools used by scripts
  procps psmisc curl jq
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
# The Debian mosquitto package starts a system broker on port 1883; our tests
# start their own brokers on free loopback ports, so keep the system one off.
if command -v systemctl >/dev/null 2>&1; then
  $SUDO systemctl disable --now mosquitto >/dev/null 2>&1 || true
fi
echo "setup: done"
