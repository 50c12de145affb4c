#!/usr/bin/env bash
# Builds and runs the Google Benchmark micro-benchmarks of the verify hot path
# (tests/bench/). Extra arguments go to the benchmark binary, e.g. --benchmark_filter=Digest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh libbenchmark-dev
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DKEYWARD_BUILD_TESTS=OFF -DKEYWARD_BUILD_BENCH=ON >/dev/null
cmake --build build-bench -j"$(nproc)" --target keyward_micro_bench >/dev/null
exec build-bench/tests/bench/keyward_micro_bench --benchmark_min_time=0.2 "$@"
