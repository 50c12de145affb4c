#!/usr/bin/env bash
# Shared state (shared_state: through Redis) benchmark. Loopback only; every run is bounded
# by time; every process started here is stopped on exit.
#
#   scripts/bench-shared.sh        # 10,000 keys, 3 alternating rounds of 5 s, then the fleet run
#   BENCH_ROUNDS=5 BENCH_DURATION=10 scripts/bench-shared.sh
#
# 1. Verify throughput and p99 of one keyward with shared state off and on (Redis on
#    loopback), 10,000 keys (every key rate-limited, so budgets are synced), 64 connections,
#    wrk, rounds alternating, medians.
# 2. Three replicas, one key limited to 1,000 requests/s, 3,000 requests/s sent round-robin
#    for 10 s (scripts/shared-load.py): admitted per second.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh

KEYS=${BENCH_KEYS:-10000}
DURATION=${BENCH_DURATION:-5}
ROUNDS=${BENCH_ROUNDS:-3}
WORKERS=${BENCH_KEYWARD_WORKERS:-1}
FLEET_SECONDS=${BENCH_FLEET_SECONDS:-10}
SYNC=${BENCH_SYNC_INTERVAL:-50ms}     # shared_state.sync_interval
ONLY_FLEET=${BENCH_ONLY_FLEET:-no}    # yes: skip the throughput comparison

scripts/deps.sh wrk redis-server python3 >&2
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target keyward keygen >/dev/null

bench_workdir keyward-bench-shared

build/keygen --count "$KEYS" --env K > "$work/keys.env"
chmod 600 "$work/keys.env"
valid=$(sed -n "$((KEYS / 2))p" "$work/keys.env" | cut -d= -f2-)

read -r rport offport onport f1 f2 f3 <<<"$(free_ports 6 | tr '\n' ' ')"
redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" \
  --logfile "$work/redis.log" &
pids+=("$!")
for _ in $(seq 1 200); do redis-cli -p "$rport" ping >/dev/null 2>&1 && break; sleep 0.02; done

config() {  # port shared(yes/no) [key limit]
  cat <<YAML
listen: "127.0.0.1:$1"
workers: $WORKERS
watch: false
throttle: { max_failures: 0 }
env_files:
  - { path: $work/keys.env, peer: worker, rate_limit: { requests: ${3:-1000000000}, per: 1s } }
YAML
  [ "$2" = yes ] && printf 'shared_state: { redis: "redis://127.0.0.1:%s/0", key_prefix: "bench%s:", sync_interval: %s }\n' "$rport" "$1" "$SYNC"
  return 0
}
config "$offport" no > "$work/off.yaml"
config "$onport" yes > "$work/on.yaml"
build/keyward --config "$work/off.yaml" > "$work/off.log" 2>&1 &
offpid=$!; pids+=("$offpid")
build/keyward --config "$work/on.yaml" > "$work/on.log" 2>&1 &
onpid=$!; pids+=("$onpid")
wait_http "http://127.0.0.1:$offport/healthz"
wait_http "http://127.0.0.1:$onport/healthz"
sleep 0.5
grep -q '"connected":true' <(curl -s "http://127.0.0.1:$onport/v1/status") || { echo "bench: shared state not connected" >&2; exit 1; }
if [ "$ONLY_FLEET" != yes ]; then

run() {  # url -> RPS P99
  local out
  out=$(wrk -t1 -c64 -d"${DURATION}s" --latency -H "X-API-Key: $valid" "$1")
  RPS=$(awk '/Requests\/sec/ {printf "%d", $2}' <<<"$out")
  P99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
  NON2XX=$(awk '/Non-2xx/ {n = $5} END {print n + 0}' <<<"$out")
}
offr=(); offp=(); onr=(); onp=(); errors=0
echo "bench-shared: $KEYS keys, $ROUNDS rounds of ${DURATION}s, c=64, keyward workers=$WORKERS" >&2
for round in $(seq 1 "$ROUNDS"); do
  run "http://127.0.0.1:$offport/v1/verify"; offr+=("$RPS"); offp+=("$P99"); errors=$((errors + NON2XX))
  run "http://127.0.0.1:$onport/v1/verify"; onr+=("$RPS"); onp+=("$P99"); errors=$((errors + NON2XX))
  echo "  round $round: off ${offr[-1]}/s p99 ${offp[-1]} ms | on ${onr[-1]}/s p99 ${onp[-1]} ms" >&2
done
mr_off=$(median "${offr[@]}"); mr_on=$(median "${onr[@]}"); mp_off=$(median "${offp[@]}"); mp_on=$(median "${onp[@]}")
printf '\n| shared state | req/s (median) | p99 ms (median) |\n|---|---|---|\n'
printf '| off | %s | %s |\n| on (Redis on loopback) | %s | %s |\n' "$mr_off" "$mp_off" "$mr_on" "$mp_on"
printf 'ratio on/off: throughput %.3fx, p99 %.3fx; non-2xx answers: %s\n' \
  "$(awk -v a="$mr_on" -v b="$mr_off" 'BEGIN {print a / b}')" "$(awk -v a="$mp_on" -v b="$mp_off" 'BEGIN {print a / b}')" "$errors"
fi
kill "$offpid" "$onpid"; wait "$offpid" "$onpid" 2>/dev/null || true

# The fleet: three replicas, the key limited to 1,000/s, 3,000/s round-robin.
printf '%s' "$valid" > "$work/valid.key"
fleet=()
for port in "$f1" "$f2" "$f3"; do
  config "$port" yes 1000 | sed "s/key_prefix: \"bench$port:\"/key_prefix: \"fleet:\"/" > "$work/fleet-$port.yaml"
  build/keyward --config "$work/fleet-$port.yaml" > "$work/fleet-$port.log" 2>&1 &
  fleet+=("$!"); pids+=("$!")
done
for port in "$f1" "$f2" "$f3"; do wait_http "http://127.0.0.1:$port/healthz"; done
sleep 0.5
printf '\nthree replicas (sync_interval %s), one key limited to 1,000/s, 3,000/s sent round-robin for %ss:\n' "$SYNC" "$FLEET_SECONDS"
python3 scripts/shared-load.py --ports "$f1,$f2,$f3" --key-file "$work/valid.key" --rate 3000 --seconds "$FLEET_SECONDS"
