#!/usr/bin/env bash
# Side-by-side benchmark of keyward against the static key check operators use today: an
# nginx `map` of the keys plus `return 401` (shared/bench/README.md has the baseline), and
# nginx `auth_request` in front of keyward. Loopback only; every run is bounded by time;
# every process started here is stopped on exit.
#
#   scripts/bench.sh                    # 10,000 keys, 3 alternating rounds of 5 s per case
#   BENCH_ROUNDS=5 BENCH_DURATION=10 scripts/bench.sh
#   BENCH_WRK_THREADS=2 scripts/bench.sh    # wrk on both cores (it then competes with the servers)
#
# Prints one table: requests/s (median of rounds), ratio keyward/nginx, p99, server CPU per
# request (user+system of the server processes / requests: the steadier figure on a shared
# 2-core machine), errors, a request on a fresh connection during each run, and RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh

KEYS=${BENCH_KEYS:-10000}
DURATION=${BENCH_DURATION:-5}
ROUNDS=${BENCH_ROUNDS:-3}
WORKERS=${BENCH_KEYWARD_WORKERS:-1}  # nginx runs 1 worker: same resources for both
WRK_THREADS=${BENCH_WRK_THREADS:-1}  # 2 lets wrk use both cores (it then competes with the servers)

scripts/deps.sh nginx wrk >&2
scripts/build.sh >/dev/null

work=$(mktemp -d /tmp/keyward-bench.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# Keys: keygen makes them; nginx gets them as a map, keyward as an env file.
build/keygen --count "$KEYS" --env K > "$work/keys.env"
chmod 600 "$work/keys.env"
valid=$(sed -n "$((KEYS / 2))p" "$work/keys.env" | cut -d= -f2-)
invalid=$(build/keygen)
awk '{ printf "\"%s\" 1;\n", substr($0, index($0, "=") + 1) }' "$work/keys.env" > "$work/keys.map"

read -r kport nport aport <<<"$(free_ports 3 | tr '\n' ' ')"
cat > "$work/keyward.yaml" <<YAML
listen: "127.0.0.1:$kport"
workers: $WORKERS
env_files:
  - { path: $work/keys.env, peer: worker }
# The invalid-key case measures the lookup path against nginx's 401, like for like; with
# throttling on, a flood from one address gets 429s at the same cost.
throttle: { max_failures: 0 }
YAML
mkdir -p "$work/nginx"
cat > "$work/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  map_hash_max_size 32768;
  map_hash_bucket_size 256;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  map \$http_x_api_key \$key_ok {
    default 0;
    include $work/keys.map;
  }
  server {
    listen 127.0.0.1:$nport;
    location /v1/verify {
      if (\$key_ok = 0) { return 401; }
      return 200;
    }
  }
  # keepalive at least the client connection count: with 32 idle slots for 64 concurrent
  # subrequests nginx closes and reopens upstream connections all the time (measured: one
  # new connection per ~4 requests), and the run measures TCP handshakes, not keyward.
  upstream keyward { server 127.0.0.1:$kport; keepalive 128; }
  server {
    listen 127.0.0.1:$aport;
    location /api { auth_request /_auth; empty_gif; }
    location = /_auth {
      internal;
      proxy_pass http://keyward/v1/verify;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-URI \$request_uri;
      proxy_set_header X-Original-Method \$request_method;
    }
  }
}
NGINX

build/keyward --config "$work/keyward.yaml" > "$work/keyward.log" 2>&1 &
kpid=$!; pids+=("$kpid")
nginx -c "$work/nginx.conf" -e "$work/nginx/error.log" &
npid=$!; pids+=("$npid")
wait_http "http://127.0.0.1:$kport/healthz"
wait_http "http://127.0.0.1:$nport/v1/verify"
# nginx's master only forwards; the worker does the work.
sleep 0.2
nworker=$(pgrep -P "$npid" | head -1)

check() {  # url header expected-status
  local got
  got=$(curl -s -o /dev/null -w '%{http_code}' -H "$2" "$1")
  [ "$got" = "$3" ] || { echo "bench: $1 answered $got, expected $3" >&2; exit 1; }
}
check "http://127.0.0.1:$kport/v1/verify" "X-API-Key: $valid" 200
check "http://127.0.0.1:$nport/v1/verify" "X-API-Key: $valid" 200
check "http://127.0.0.1:$aport/api" "X-API-Key: $valid" 200
check "http://127.0.0.1:$kport/v1/verify" "X-API-Key: $invalid" 401
check "http://127.0.0.1:$nport/v1/verify" "X-API-Key: $invalid" 401
check "http://127.0.0.1:$aport/api" "X-API-Key: $invalid" 401

# One bounded wrk run; sets RPS, P99 (ms), CPU (us per request over `cpu_pids`), ERRORS,
# FRESH (status and time of a request on a new connection made mid-run).
run() {  # url conns key expect-2xx cpu_pids...
  local url=$1 conns=$2 key=$3 expect2xx=$4
  shift 4
  local before=0 after=0 pid out requests
  for pid in "$@"; do before=$((before + $(cpu_us "$pid"))); done
  ( sleep "$(awk -v d="$DURATION" 'BEGIN {print d / 2}')"
    curl -s -o /dev/null -m 2 -w '%{http_code}/%{time_total}s' -H "X-API-Key: $key" "$url" > "$work/fresh" || echo "failed" > "$work/fresh" ) &
  local probe=$!
  out=$(wrk -t"$(( conns < WRK_THREADS ? conns : WRK_THREADS ))" -c"$conns" -d"${DURATION}s" --latency -H "X-API-Key: $key" "$url")
  wait "$probe" || true
  for pid in "$@"; do after=$((after + $(cpu_us "$pid"))); done
  RPS=$(awk '/Requests\/sec/ {printf "%d", $2}' <<<"$out")
  P99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  CPU=$(awk -v c=$((after - before)) -v r="$requests" 'BEGIN {printf "%.1f", r ? c / r : 0}')
  ERRORS=$(awk '/Socket errors/ {gsub(/,/, ""); s += $4 + $6 + $8 + $10} END {print s + 0}' <<<"$out")
  if [ "$expect2xx" = yes ]; then
    ERRORS=$((ERRORS + $(awk '/Non-2xx/ {n = $5} END {print n + 0}' <<<"$out")))
  fi
  FRESH=$(cat "$work/fresh")
}

declare -A result
# A case runs both sides alternately ROUNDS times and keeps the medians.
bench_case() {  # name conns key expect2xx keyward-url nginx-url keyward-cpu-pids nginx-cpu-pids
  local name=$1 conns=$2 key=$3 expect=$4 kurl=$5 nurl=$6 kcpu=$7 ncpu=$8
  local -a krps=() kp99=() kcpu_us=() nrps=() np99=() ncpu_us=()
  local kerr=0 nerr=0 kfresh="" nfresh=""
  for round in $(seq 1 "$ROUNDS"); do
    # shellcheck disable=SC2086
    run "$kurl" "$conns" "$key" "$expect" $kcpu
    krps+=("$RPS"); kp99+=("$P99"); kcpu_us+=("$CPU"); kerr=$((kerr + ERRORS)); kfresh="$kfresh $FRESH"
    # shellcheck disable=SC2086
    run "$nurl" "$conns" "$key" "$expect" $ncpu
    nrps+=("$RPS"); np99+=("$P99"); ncpu_us+=("$CPU"); nerr=$((nerr + ERRORS)); nfresh="$nfresh $FRESH"
    echo "  $name round $round: keyward ${krps[-1]}/s p99 ${kp99[-1]} ms | nginx ${nrps[-1]}/s p99 ${np99[-1]} ms" >&2
  done
  result[$name]="$(median "${krps[@]}") $(median "${nrps[@]}") $(median "${kp99[@]}") $(median "${np99[@]}") \
$(median "${kcpu_us[@]}") $(median "${ncpu_us[@]}") $kerr $nerr"
  result[$name.fresh]="keyward:$kfresh | nginx:$nfresh"
}

kv="http://127.0.0.1:$kport/v1/verify"
nv="http://127.0.0.1:$nport/v1/verify"
echo "bench: $KEYS keys, $ROUNDS rounds of ${DURATION}s per case, keyward workers=$WORKERS, nginx worker_processes=1" >&2
bench_case "valid c=64" 64 "$valid" yes "$kv" "$nv" "$kpid" "$nworker"
bench_case "valid c=1" 1 "$valid" yes "$kv" "$nv" "$kpid" "$nworker"
bench_case "valid c=16" 16 "$valid" yes "$kv" "$nv" "$kpid" "$nworker"
bench_case "valid c=256" 256 "$valid" yes "$kv" "$nv" "$kpid" "$nworker"
bench_case "invalid c=64" 64 "$invalid" no "$kv" "$nv" "$kpid" "$nworker"
# auth_request: nginx -> keyward, against nginx's map check alone (CPU: both processes).
bench_case "auth_request c=64" 64 "$valid" yes "http://127.0.0.1:$aport/api" "$nv" "$kpid $nworker" "$nworker"

printf '\n| case | keyward req/s | nginx map req/s | ratio | keyward p99 ms | nginx p99 ms | keyward CPU us/req | nginx CPU us/req | errors keyward/nginx |\n'
printf '|---|---|---|---|---|---|---|---|---|\n'
for name in "valid c=1" "valid c=16" "valid c=64" "valid c=256" "invalid c=64" "auth_request c=64"; do
  read -r krps nrps kp99 np99 kcpu ncpu kerr nerr <<<"${result[$name]}"
  label=$name
  [ "$name" = "auth_request c=64" ] && label="nginx auth_request -> keyward, c=64 (CPU: both)"
  printf '| %s | %s | %s | %.2fx | %s | %s | %s | %s | %s/%s |\n' "$label" "$krps" "$nrps" \
    "$(awk -v a="$krps" -v b="$nrps" 'BEGIN {print b ? a / b : 0}')" "$kp99" "$np99" "$kcpu" "$ncpu" "$kerr" "$nerr"
done
printf '\nrequests on a fresh connection during each run (status/time):\n'
for name in "valid c=1" "valid c=16" "valid c=64" "valid c=256" "invalid c=64" "auth_request c=64"; do
  printf '  %-18s %s\n' "$name" "${result[$name.fresh]}"
done
printf '\nRSS after the runs: keyward %s KiB, nginx worker %s KiB (%s keys each)\n' "$(rss_kib "$kpid")" "$(rss_kib "$nworker")" "$KEYS"
