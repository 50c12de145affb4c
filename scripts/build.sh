#!/usr/bin/env bash
# Configures and builds keyward into build/ (binaries: build/keyward, build/keygen).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build build -j"$(nproc)"
