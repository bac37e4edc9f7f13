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
  # the web console's browser test: headless Chromium (driven by playwright-core
  # from npm, tests/browser/; it never downloads a browser of its own)
  chromium
)
# Node.js and npm for that test. The machine may carry a newer Node.js than
# Debian's (whose nodejs package then provides npm itself): only when there
# is no npm at all are Debian's packages installed.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
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
fi

# The browser test's npm packages, exactly as its package-lock.json pins them
# (`npm ci`), again only when the lock file changed since the last install.
browser="$(dirname "$0")/../tests/browser"
stamp="$browser/node_modules/.mos-lock-sha256"
want=$(sha256sum "$browser/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: npm ci in tests/browser"
  (cd "$browser" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" > "$stamp"
fi
