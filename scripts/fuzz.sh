#!/usr/bin/env bash
# Runs libFuzzer targets with AddressSanitizer and UBSan, bounded in time or in runs:
#   scripts/fuzz.sh TARGET SECONDS          explore: a random seed each time; new inputs found
#                                           are kept in build-fuzz/corpus/TARGET (not committed)
#   scripts/fuzz.sh --fixed TARGET [RUNS]   the test suite's run: seeds from tests/fuzz/corpus
#                                           only, libFuzzer seed 1, exactly RUNS executions
#                                           (default: the target's own count below, about 10-25 s
#                                           each on 2 cores), so every machine runs the same
#                                           inputs and the suite cannot turn red by luck
#                                           (exploring finds new bugs; its crashing inputs
#                                           become committed seeds)
# TARGET: http_parser | chunked_body | differential | credential | base64 | config | all
# Builds tests/fuzz with clang into build-fuzz/ (installs clang if missing).
# Exit 0 if no crash, leak or sanitizer report; a crashing input is kept in
# build-fuzz/crashes/TARGET/ (reproduce: build-fuzz/fuzz_TARGET FILE) and, when exploring, fails
# every later run until it is fixed, committed as a seed and removed.
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: scripts/fuzz.sh TARGET SECONDS | --fixed TARGET [RUNS]"
fixed=false
if [ "${1:-}" = --fixed ]; then fixed=true; shift; fi
target=${1:?$usage}
bound=${2:-}
if ! $fixed && [ -z "$bound" ]; then echo "$usage" >&2; exit 2; fi
case $bound in *[!0-9]*) echo "$usage" >&2; exit 2 ;; esac
# The suite's run counts: a config parse costs about 20 parser runs.
declare -A fixed_runs=([http_parser]=600000 [chunked_body]=1000000 [differential]=800000
  [credential]=1000000 [base64]=1000000 [config]=100000)
scripts/deps.sh clang libclang-rt-14-dev node-llhttp >&2
cmake -S tests/fuzz -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets=("$target")
[ "$target" = all ] && targets=(http_parser chunked_body differential credential base64 config)
for t in "${targets[@]}"; do
  cmake --build build-fuzz -j"$(nproc)" --target "fuzz_$t" >/dev/null
  crashes="build-fuzz/crashes/$t"
  mkdir -p "$crashes"
  if $fixed; then
    rm -f "$crashes"/*  # only this run's inputs decide; exploring keeps its finds until removed
    # A fresh output directory each time: what earlier runs found must not change the inputs.
    corpus="build-fuzz/fixed-corpus/$t"
    rm -rf "$corpus" && mkdir -p "$corpus"
    runs=${bound:-${fixed_runs[$t]}}
    bounds=(-seed=1 -runs="$runs")
    echo "fuzz: $t for $runs runs (seed 1)"
  else
    corpus="build-fuzz/corpus/$t"
    mkdir -p "$corpus"
    bounds=(-max_total_time="$bound")
    echo "fuzz: $t for ${bound}s"
  fi
  build-fuzz/fuzz_$t "${bounds[@]}" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$crashes/" -print_final_stats=1 \
    "$corpus" "tests/fuzz/corpus/$t" 2>&1 | grep -E "^(#[0-9]+ *DONE|stat::number_of_executed_units|stat::slowest_unit_time_sec|==[0-9]+==ERROR|SUMMARY|Done)" || true
  if ls "$crashes"/* >/dev/null 2>&1; then
    echo "fuzz: $t FAILED: inputs in $crashes/" >&2
    exit 1
  fi
done
