#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (unit, integration, and end to end
# with Debian's nginx, Caddy and HAProxy, the hostile suite with promtool) through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh nginx caddy haproxy systemd prometheus clang libclang-rt-14-dev
scripts/build.sh
cd build
ctest --output-on-failure -j"$(nproc)" --timeout 300
