#!/usr/bin/env bash
# What per-key rate limits cost on the verify path: keyward with every key (and its peer)
# under a rate_limit that is never reached, against the same keys with no limits.
# 10,000 keys, 64 connections, alternating rounds. Loopback only; bounded; every process
# started here is stopped on exit.
#
#   scripts/bench-limits.sh            # 3 rounds of 5 s per case
#   BENCH_ROUNDS=5 scripts/bench-limits.sh
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

build/keygen --count "$KEYS" --env K > "$work/keys.env"
chmod 600 "$work/keys.env"
valid=$(sed -n "$((KEYS / 2))p" "$work/keys.env" | cut -d= -f2-)
read -r offport onport <<<"$(free_ports 2 | tr '\n' ' ')"
for name in off on; do
  port=$offport limit=""
  if [ "$name" = on ]; then
    port=$onport
    limit=", rate_limit: { requests: 1000000000, per: 1s }"
  fi
  {
    printf 'listen: "127.0.0.1:%s"\nworkers: 1\nthrottle: { max_failures: 0 }\n' "$port"
    printf 'env_files:\n  - { path: %s, peer: worker%s }\n' "$work/keys.env" "$limit"
    [ "$name" = on ] && printf 'peers:\n  worker: { rate_limit: { requests: 1000000000, per: 1s } }\n'
  } > "$work/$name.yaml"
  build/keyward --config "$work/$name.yaml" > "$work/$name.log" 2>&1 &
  pids+=("$!")
  wait_http "http://127.0.0.1:$port/healthz"
done
# Every response of the limited instance must carry the RateLimit fields: the cost is real.
curl -s -D - -o /dev/null -H "X-API-Key: $valid" "http://127.0.0.1:$onport/v1/verify" | grep -qi '^ratelimit:' ||
  { echo "bench: the limited instance sent no RateLimit field" >&2; exit 1; }

declare -A rps p99
for round in $(seq 1 "$ROUNDS"); do
  order="off on"
  ((round % 2)) || order="on off"  # alternate which case runs first
  for name in $order; do
    port=$offport
    [ "$name" = on ] && port=$onport
    out=$(wrk -t1 -c64 -d"${DURATION}s" --latency -H "X-API-Key: $valid" "http://127.0.0.1:$port/v1/verify")
    rps[$name]+="$(awk '/Requests\/sec/ {print $2}' <<<"$out") "
    p99[$name]+="$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")") "
    if grep -q "Non-2xx" <<<"$out"; then echo "bench: non-2xx answers with limits $name" >&2; exit 1; fi
  done
done
# shellcheck disable=SC2086
off_rps=$(median ${rps[off]}) on_rps=$(median ${rps[on]}) off_p99=$(median ${p99[off]}) on_p99=$(median ${p99[on]})
printf 'rate limits | req/s (median of %s) | p99 ms\n' "$ROUNDS"
printf 'off         | %s | %s\n' "$off_rps" "$off_p99"
printf 'on          | %s | %s\n' "$on_rps" "$on_p99"
awk -v a="$on_rps" -v b="$off_rps" -v c="$on_p99" -v d="$off_p99" \
  'BEGIN { printf "limits on / off: throughput %.3fx (target >= 0.95), p99 %.3fx (target <= 1.1)\n", a / b, c / d }'
