#!/usr/bin/env bash
# Installs the Debian packages keyward builds and tests with (no-op when all are present).
set -euo pipefail
packages=(cmake g++ make pkg-config libpoco-dev libssl-dev libyaml-cpp-dev libgtest-dev googletest curl openssl)
packages+=("$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
