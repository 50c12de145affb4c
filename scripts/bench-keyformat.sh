#!/usr/bin/env bash
# What the prefixed key format (keygen --prefix) costs on the verify path: keyward with
# 10,000 prefixed keys (shape and CRC-32 checked on every request before hashing) against
# the same number of plain base64 keys. 64 connections, alternating rounds. Loopback only;
# bounded; every process started here is stopped on exit.
#
#   scripts/bench-keyformat.sh            # 3 rounds of 5 s per case
#   BENCH_ROUNDS=5 scripts/bench-keyformat.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh

KEYS=${BENCH_KEYS:-10000}
DURATION=${BENCH_DURATION:-5}
ROUNDS=${BENCH_ROUNDS:-3}

scripts/deps.sh wrk >&2
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target keyward keygen >/dev/null

bench_workdir

build/keygen --count "$KEYS" --env K > "$work/base64.env"
build/keygen --prefix acme_live --count "$KEYS" --env K > "$work/prefixed.env"
chmod 600 "$work"/*.env
declare -A key port
read -r port[base64] port[prefixed] <<<"$(free_ports 2 | tr '\n' ' ')"
for name in base64 prefixed; do
  key[$name]=$(sed -n "$((KEYS / 2))p" "$work/$name.env" | cut -d= -f2-)
  {
    printf 'listen: "127.0.0.1:%s"\nworkers: 1\nthrottle: { max_failures: 0 }\n' "${port[$name]}"
    printf 'env_files:\n  - { path: %s, peer: worker }\n' "$work/$name.env"
  } > "$work/$name.yaml"
  build/keyward --config "$work/$name.yaml" > "$work/$name.log" 2>&1 &
  pids+=("$!")
  wait_http "http://127.0.0.1:${port[$name]}/healthz"
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-API-Key: ${key[$name]}" "http://127.0.0.1:${port[$name]}/v1/verify")
  [ "$code" = 200 ] || { echo "bench: the $name key was not accepted ($code)" >&2; exit 1; }
done
case ${key[prefixed]} in acme_live_*) ;; *) echo "bench: not a prefixed key" >&2; exit 1 ;; esac

declare -A rps p99
for round in $(seq 1 "$ROUNDS"); do
  for name in base64 prefixed; do
    out=$(wrk -t1 -c64 -d"${DURATION}s" --latency -H "X-API-Key: ${key[$name]}" "http://127.0.0.1:${port[$name]}/v1/verify")
    rps[$name]+="$(awk '/Requests\/sec/ {print $2}' <<<"$out") "
    p99[$name]+="$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")") "
    if grep -q "Non-2xx" <<<"$out"; then echo "bench: non-2xx answers with $name keys" >&2; exit 1; fi
  done
done
# shellcheck disable=SC2086
b_rps=$(median ${rps[base64]}) p_rps=$(median ${rps[prefixed]}) b_p99=$(median ${p99[base64]}) p_p99=$(median ${p99[prefixed]})
printf 'key format | req/s (median of %s; each round: %s) | p99 ms\n' "$ROUNDS" "rounds alternate"
printf 'base64     | %s (%s) | %s\n' "$b_rps" "${rps[base64]% }" "$b_p99"
printf 'prefixed   | %s (%s) | %s\n' "$p_rps" "${rps[prefixed]% }" "$p_p99"
awk -v a="$p_rps" -v b="$b_rps" -v c="$p_p99" -v d="$b_p99" \
  'BEGIN { printf "prefixed / base64: throughput %.3fx (target >= 0.98), p99 %.3fx\n", a / b, c / d }'
