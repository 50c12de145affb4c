#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time, with AddressSanitizer and UBSan:
#   scripts/fuzz.sh TARGET SECONDS
# TARGET: http_parser | chunked_body | differential | credential | base64 | config | all
# Builds tests/fuzz with clang into build-fuzz/ (installs clang if missing). Seeds come from
# tests/fuzz/corpus/TARGET; new inputs found go to build-fuzz/corpus/TARGET (not committed).
# Exit 0 if no crash, leak or sanitizer report; the crashing input is kept in build-fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh TARGET SECONDS}
seconds=${2:?usage: scripts/fuzz.sh TARGET SECONDS}
scripts/deps.sh clang libclang-rt-14-dev node-llhttp >&2
cmake -S tests/fuzz -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets=("$target")
[ "$target" = all ] && targets=(http_parser chunked_body differential credential base64 config)
for t in "${targets[@]}"; do
  cmake --build build-fuzz -j"$(nproc)" --target "fuzz_$t" >/dev/null
  mkdir -p "build-fuzz/corpus/$t" "build-fuzz/crashes/$t"
  echo "fuzz: $t for ${seconds}s"
  build-fuzz/fuzz_$t -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="build-fuzz/crashes/$t/" -print_final_stats=1 \
    "build-fuzz/corpus/$t" "tests/fuzz/corpus/$t" 2>&1 | grep -E "^(#[0-9]+ *DONE|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY|Done)" || true
  if ls "build-fuzz/crashes/$t"/* >/dev/null 2>&1; then
    echo "fuzz: $t FAILED: inputs in build-fuzz/crashes/$t/" >&2
    exit 1
  fi
done
