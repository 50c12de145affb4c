#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (unit, integration, and end to end
# with Debian's nginx, Caddy and HAProxy, the hostile suite with promtool, the .deb in a
# clean Debian root with mmdebstrap, the OpenAPI description with @redocly/cli from npm, the
# worker snippets with python3, node and go) through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
extra=(mmdebstrap help2man dpkg-dev python3 golang-go redis-server)
# Node: Debian's nodejs and npm, unless a node with npm is already there (e.g. NodeSource's,
# which conflicts with Debian's npm package).
command -v npm >/dev/null || extra+=(nodejs npm)
scripts/deps.sh nginx caddy haproxy systemd prometheus clang clang-format libclang-rt-14-dev "${extra[@]}"
scripts/build.sh
cd build
ctest --output-on-failure -j"$(nproc)" --timeout 300
