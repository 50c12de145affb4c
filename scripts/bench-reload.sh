#!/usr/bin/env bash
# keyward's own figures for the performance targets that have no nginx side: start to
# ready, reload time, memory, reloads under load, slow clients. Loopback only; every run is
# bounded; every process started here is stopped on exit.
#
#   scripts/bench-reload.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh

scripts/deps.sh wrk python3 >&2
scripts/build.sh >/dev/null

bench_workdir

make_keys() {  # count -> $work/keys-<count>.env
  build/keygen --count "$1" --env K > "$work/keys-$1.env"
  chmod 600 "$work/keys-$1.env"
}
start_keyward() {  # count [extra yaml] -> sets KPID, KPORT, KLOG
  KPORT=$(free_ports 1)
  KLOG="$work/keyward-$1-$KPORT.log"
  printf 'listen: "127.0.0.1:%s"\nenv_files:\n  - { path: %s, peer: worker }\n%s' "$KPORT" "$work/keys-$1.env" "${2:-}" \
    > "$work/keyward-$1.yaml"
  build/keyward --config "$work/keyward-$1.yaml" > "$KLOG" 2>&1 &
  KPID=$!
  pids+=("$KPID")
}
stop_keyward() { kill "$KPID"; wait "$KPID" 2>/dev/null || true; }
up() { wait_http "http://127.0.0.1:$KPORT/healthz" || { cat "$KLOG" >&2; exit 1; }; }
status_field() {  # json-path-ish grep of /v1/status
  curl -s "http://127.0.0.1:$KPORT/v1/status" | grep -o "\"$1\":[0-9]*" | head -1 | cut -d: -f2
}

for n in 10 10000 100000; do make_keys "$n"; done
valid=$(sed -n '5000p' "$work/keys-10000.env" | cut -d= -f2-)

echo "== start to ready (10,000 keys; 5 runs)"
external=() internal=()
for _ in 1 2 3 4 5; do
  KPORT=$(free_ports 1)
  KLOG="$work/ready-$KPORT.log"
  printf 'listen: "127.0.0.1:%s"\nenv_files:\n  - { path: %s, peer: worker }\n' "$KPORT" "$work/keys-10000.env" \
    > "$work/ready.yaml"
  mapfile -t ready < <(python3 scripts/time-to-ready.py --log "$KLOG" "$KPORT" -- build/keyward --config "$work/ready.yaml")
  [ "${#ready[@]}" -eq 2 ] || { cat "$KLOG" >&2; exit 1; }
  external+=("${ready[0]}")
  KPID=${ready[1]}
  pids+=("$KPID")
  internal+=("$(grep -o '"startup_ms":[0-9.]*' "$KLOG" | cut -d: -f2)")
  stop_keyward
done
echo "start to ready: median $(median "${external[@]}") ms from exec to /readyz 200, $(median "${internal[@]}") ms by keyward's own startup_ms (from main)"

echo "== memory (RSS after start and one reload, idle)"
for n in 10 100000; do
  start_keyward "$n"
  up
  kill -HUP "$KPID"
  sleep 2.5  # the freed key set goes back to the system within a second of a reload
  echo "RSS with $n keys: $(rss_kib "$KPID") KiB"
  stop_keyward
done

echo "== reload of 100,000 keys (build aside + swap; 10 SIGHUPs, 0.5 s apart)"
start_keyward 100000
up
for _ in $(seq 1 10); do kill -HUP "$KPID"; sleep 0.5; done
mapfile -t times < <(grep '"event":"reload"' "$KLOG" | grep -o '"ms":[0-9.]*' | cut -d: -f2)
echo "reload of 100,000 keys: median $(median "${times[@]}") ms, max $(printf '%s\n' "${times[@]}" | sort -g | tail -1) ms over ${#times[@]} reloads"
stop_keyward

echo "== /v1/status and a verify behind it on one loop while 200,000 keys reload"
make_keys 200000
start_keyward 200000 'workers: 1
watch: false
'
up
key200k=$(sed -n '100p' "$work/keys-200000.env" | cut -d= -f2-)
python3 scripts/status-during-reload.py "$KPORT" "$KPID" "$key200k" --seconds 8 --reload-every 0.3
stop_keyward
rm -f "$work/keys-200000.env"

echo "== 100 SIGHUPs during a 64-connection load (10,000 keys)"
start_keyward 10000
up
wrk -t1 -c64 -d14s --latency -H "X-API-Key: $valid" "http://127.0.0.1:$KPORT/v1/verify" > "$work/wrk-reload.txt" &
wrk_pid=$!
sleep 1
# Connections are counted while wrk's 64 are open (wrk opens one more at start, to probe
# the address): any accept between the two reads, beyond the reads themselves, is a reconnect.
accepted_before=$(status_field accepted)
generation_before=$(status_field generation)
for _ in $(seq 1 100); do kill -HUP "$KPID"; sleep 0.1; done
generation_after=$(status_field generation)
accepted_after=$(status_field accepted)
wait "$wrk_pid"
errors=$(awk '/Socket errors/ {gsub(/,/, ""); s += $4 + $6 + $8 + $10} /Non-2xx/ {s += $5} END {print s + 0}' "$work/wrk-reload.txt")
requests=$(awk '/requests in/ {print $1}' "$work/wrk-reload.txt")
reconnects=$((accepted_after - accepted_before - 3))
echo "reloads applied: $((generation_after - generation_before)) of 100; requests: $requests; failed requests: $errors; connections reopened: $reconnects"
grep -E "Requests/sec|99%" "$work/wrk-reload.txt" | sed 's/^ */  /'
stop_keyward

echo "== 1,000 slow clients (a byte a second) while 64 connections verify"
start_keyward 10000
up
wrk -t1 -c64 -d4s --latency -H "X-API-Key: $valid" "http://127.0.0.1:$KPORT/v1/verify" | awk '$1 == "99%" {print "p99 without slow clients: " $2}'
python3 scripts/slow-clients.py "$KPORT" --clients 1000 --seconds 9 > "$work/slow.txt" &
slow_pid=$!
sleep 1.5
wrk -t1 -c64 -d3s --latency -H "X-API-Key: $valid" "http://127.0.0.1:$KPORT/v1/verify" | awk '$1 == "99%" {print "p99 with 1,000 slow clients connected: " $2} /Non-2xx|Socket errors/ {print "  " $0}'
wait "$slow_pid"
cat "$work/slow.txt"
echo "keyward counted $(status_field timed_out) connections timed out (header_timeout 5s)"
stop_keyward
