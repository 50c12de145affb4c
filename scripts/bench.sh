#!/usr/bin/env bash
# Benchmarks, loopback only, every run bounded by time, every process started here stopped
# on exit. Two parts:
#
# verify: keyward against the static key check operators use today, an nginx `map` of the
#   keys plus `return 401` (shared/bench/README.md has the baseline), and nginx
#   `auth_request` in front of keyward.
# deploy: the deployment path, client -> proxy -> keyward -> API, for nginx, Caddy and
#   HAProxy running the shipped configs from config/ (addresses substituted), each against
#   the same proxy with no auth and against nginx's `map` check in front of the same API;
#   keyward over TCP and over its unix socket.
#
#   scripts/bench.sh [verify|deploy|all]   # default all
#   BENCH_ROUNDS=5 BENCH_DURATION=10 scripts/bench.sh verify   # 10,000 keys, 3 rounds of 5 s by default
#   BENCH_DEPLOY_DURATION=5 BENCH_DEPLOY_ROUNDS=3 scripts/bench.sh deploy   # 1 round of 3 s per case by default
#   BENCH_WRK_THREADS=2 scripts/bench.sh    # wrk on both cores (it then competes with the servers)
#
# Each part prints one table: requests/s (median of rounds), p99, server CPU per request
# (user+system of the server processes / requests: the steadier figure on a shared 2-core
# machine), errors; verify adds the ratio to nginx, a request on a fresh connection during
# each run and RSS; deploy adds the ratios to the same proxy without auth and to nginx
# `map`, and how many connections keyward accepted per 1,000 requests (reuse).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh

MODE=${1:-all}
case $MODE in
  verify | deploy | all) ;;
  *) echo "usage: scripts/bench.sh [verify|deploy|all]" >&2; exit 2 ;;
esac

KEYS=${BENCH_KEYS:-10000}
DURATION=${BENCH_DURATION:-5}
ROUNDS=${BENCH_ROUNDS:-3}
WORKERS=${BENCH_KEYWARD_WORKERS:-1}  # nginx runs 1 worker: same resources for both
WRK_THREADS=${BENCH_WRK_THREADS:-1}  # 2 lets wrk use both cores (it then competes with the servers)

if [ "$MODE" = verify ]; then scripts/deps.sh nginx wrk >&2; else scripts/deps.sh nginx caddy haproxy wrk >&2; fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target keyward keygen >/dev/null

bench_workdir

# Keys: keygen makes them; nginx gets them as a map, keyward as an env file.
build/keygen --count "$KEYS" --env K > "$work/keys.env"
chmod 600 "$work/keys.env"
valid=$(sed -n "$((KEYS / 2))p" "$work/keys.env" | cut -d= -f2-)
invalid=$(build/keygen)
awk '{ printf "\"%s\" 1;\n", substr($0, index($0, "=") + 1) }' "$work/keys.env" > "$work/keys.map"

# keyward vs nginx map, and nginx auth_request -> keyward (body not indented: heredocs).
verify_bench() {
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
kill "$kpid" "$npid" 2>/dev/null || true
wait "$kpid" "$npid" 2>/dev/null || true
}

# ---- deploy: client -> proxy -> keyward -> API ----

# Starts a background process, records it for cleanup; PID in $STARTED.
start() {  # log-file command...
  local log=$1
  shift
  "$@" > "$log" 2>&1 &
  STARTED=$!
  pids+=("$STARTED")
}

stop() {  # pid
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# The shipped nginx config and snippets with this run's addresses, in $1/.
nginx_site() {  # dir keyward-server
  local dir=$1 server=$2
  mkdir -p "$dir/snippets"
  cp config/nginx/snippets/*.conf "$dir/snippets/"
  sed -e "s#server unix:/run/keyward/keyward.sock;#server $server;#" \
      -e "s#127.0.0.1:8000#127.0.0.1:$uport#; s#listen 127.0.0.1:8080#listen 127.0.0.1:$pport#" \
      -e "s#/etc/nginx/snippets/#$dir/snippets/#; s#keepalive 32;#keepalive 128;#" \
      config/nginx/keyward.conf > "$dir/keyward.conf"
}

# nginx with one worker serving `http { $2 }`; CPU pids (the worker) in $PROXY_PIDS.
start_nginx() {  # dir http-block
  local dir=$1
  mkdir -p "$dir"
  # As root, the worker stays root: it must open keyward's socket in the private work dir.
  cat > "$dir/nginx.conf" <<NGINX
worker_processes 1;
$([ "$(id -u)" -eq 0 ] && echo "user root;")
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  map_hash_max_size 32768;
  map_hash_bucket_size 256;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
$2
}
NGINX
  start "$dir/out.log" nginx -c "$dir/nginx.conf" -e "$dir/error.log"
  PROXY_MAIN=$STARTED
  sleep 0.2
  PROXY_PIDS=$(pgrep -P "$PROXY_MAIN" | xargs)
}

# One proxy setup: starts it, checks it, measures it, stops it. Row in deploy_result.
deploy_case() {  # name proxy auth transport
  local name=$1 proxy=$2 auth=$3 transport=$4 dir="$work/$1" server
  mkdir -p "$dir"
  [ "$transport" = unix ] && server="unix:$sock" || server="127.0.0.1:$kport"
  case "$proxy/$auth" in
    nginx/none)
      start_nginx "$dir" "  upstream api { server 127.0.0.1:$uport; keepalive 128; }
  server { listen 127.0.0.1:$pport; location / { proxy_pass http://api; proxy_http_version 1.1; proxy_set_header Connection \"\"; } }" ;;
    nginx/map)
      start_nginx "$dir" "  map \$http_x_api_key \$key_ok { default 0; include $work/keys.map; }
  upstream api { server 127.0.0.1:$uport; keepalive 128; }
  server { listen 127.0.0.1:$pport;
    location / {
      if (\$key_ok = 0) { return 401; }
      proxy_set_header X-API-Key \"\";
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
      proxy_pass http://api;
    }
  }" ;;
    nginx/keyward)
      nginx_site "$dir" "$server"
      start_nginx "$dir" "  include $dir/keyward.conf;" ;;
    caddy/*)
      if [ "$auth" = none ]; then
        printf '{\n\tadmin off\n}\nhttp://:%s {\n\tbind 127.0.0.1\n\treverse_proxy 127.0.0.1:%s\n}\n' "$pport" "$uport" > "$dir/Caddyfile"
      else
        [ "$transport" = unix ] && server="unix/$sock"
        sed -e "s#unix//run/keyward/keyward.sock#$server#; s#127.0.0.1:8000#127.0.0.1:$uport#" \
            -e "s#http://:8080#http://:$pport#; s#admin localhost:2019#admin off#" config/caddy/Caddyfile > "$dir/Caddyfile"
      fi
      # One core, like nginx's single worker.
      start "$dir/out.log" env HOME="$dir" XDG_DATA_HOME="$dir" XDG_CONFIG_HOME="$dir" GOMAXPROCS=1 \
        caddy run --config "$dir/Caddyfile" --adapter caddyfile
      PROXY_MAIN=$STARTED; PROXY_PIDS=$STARTED ;;
    haproxy/*)
      if [ "$auth" = none ]; then
        printf 'global\n    nbthread 1\ndefaults\n    mode http\n    timeout connect 2s\n    timeout client 30s\n    timeout server 30s\nfrontend api\n    bind 127.0.0.1:%s\n    default_backend api\nbackend api\n    http-reuse safe\n    server api 127.0.0.1:%s\n' "$pport" "$uport" > "$dir/haproxy.cfg"
      else
        [ "$transport" = unix ] && server="unix@$sock"
        cp config/haproxy/keyward.lua "$dir/"
        sed -e "s#unix@/run/keyward/keyward.sock#$server#g; s#127.0.0.1:8000#127.0.0.1:$uport#" \
            -e "s#bind 127.0.0.1:8080#bind 127.0.0.1:$pport#; s#/etc/haproxy/keyward.lua#$dir/keyward.lua#" \
            -e "s#^global\$#global\n    nbthread 1#" config/haproxy/haproxy.cfg > "$dir/haproxy.cfg"
      fi
      start "$dir/out.log" haproxy -db -f "$dir/haproxy.cfg"
      PROXY_MAIN=$STARTED; PROXY_PIDS=$STARTED ;;
  esac
  local url="http://127.0.0.1:$pport/runs/1"
  wait_http "$url"
  check "$url" "X-API-Key: $valid" 200
  [ "$auth" = none ] || check "$url" "X-API-Key: $invalid" 401
  # Warm-up (connections opened, caches filled), not measured.
  wrk -t1 -c"$CONNS" -d1s -H "X-API-Key: $valid" "$url" > /dev/null
  local accepted_before accepted_after
  accepted_before=$(accepted)
  # shellcheck disable=SC2086
  DURATION=$DEPLOY_DURATION run "$url" "$CONNS" "$valid" yes $PROXY_PIDS "$kpid" "$upid"
  accepted_after=$(accepted)
  stop "$PROXY_MAIN"
  # Connections keyward accepted per 1,000 requests (the second /v1/status call is one).
  d_rps[$name]+=" $RPS"; d_p99[$name]+=" $P99"; d_cpu[$name]+=" $CPU"
  d_err[$name]=$(( ${d_err[$name]:-0} + ERRORS ))
  d_acc[$name]+=" $(awk -v a=$((accepted_after - accepted_before - 1)) -v r="$REQUESTS" 'BEGIN {printf "%.1f", r ? a * 1000 / r : 0}')"
  echo "  $name: $RPS/s p99 $P99 ms CPU $CPU us/req" >&2
}

accepted() { curl -s "http://127.0.0.1:$kport/v1/status" | grep -o '"accepted":[0-9]*' | cut -d: -f2; }

deploy_bench() {
  DEPLOY_DURATION=${BENCH_DEPLOY_DURATION:-2}
  DEPLOY_ROUNDS=${BENCH_DEPLOY_ROUNDS:-3}
  CONNS=${BENCH_DEPLOY_CONNS:-64}
  declare -gA d_rps d_p99 d_cpu d_err d_acc
  read -r kport uport pport <<<"$(free_ports 3 | tr '\n' ' ')"
  sock="$work/keyward.sock"
  cat > "$work/deploy-keyward.yaml" <<YAML
listen: "127.0.0.1:$kport"
listen_unix: { path: $sock, mode: "0600" }
workers: $WORKERS
env_files:
  - { path: $work/keys.env, peer: worker }
throttle: { max_failures: 0 }
YAML
  start "$work/deploy-keyward.log" build/keyward --config "$work/deploy-keyward.yaml"
  kpid=$STARTED
  # The API: an nginx worker answering 200 at once, the same for every case.
  start_nginx "$work/api" "  server { listen 127.0.0.1:$uport; location / { return 200 '{\"api\":\"ok\"}'; } }"
  upid=$PROXY_PIDS
  wait_http "http://127.0.0.1:$kport/healthz"
  wait_http "http://127.0.0.1:$uport/"
  echo "bench deploy: $KEYS keys, $DEPLOY_ROUNDS round(s) of ${DEPLOY_DURATION}s per case (medians), wrk -c$CONNS, one core each: nginx 1 worker, Caddy GOMAXPROCS=1, HAProxy nbthread 1, keyward workers=$WORKERS" >&2

  local -a cases=(
    "nginx-none nginx none -" "nginx-map nginx map -" "nginx-tcp nginx keyward tcp" "nginx-unix nginx keyward unix"
    "caddy-none caddy none -" "caddy-tcp caddy keyward tcp" "caddy-unix caddy keyward unix"
    "haproxy-none haproxy none -" "haproxy-tcp haproxy keyward tcp" "haproxy-unix haproxy keyward unix")
  # Rounds outside, cases inside: a burst of load from elsewhere hits one round of every
  # case rather than every round of one case; medians per case.
  local c round
  for round in $(seq 1 "$DEPLOY_ROUNDS"); do
    echo " round $round" >&2
    for c in "${cases[@]}"; do
      # shellcheck disable=SC2086
      deploy_case $c
    done
  done

  # shellcheck disable=SC2086
  local mrps; mrps=$(median ${d_rps[nginx-map]})
  printf '\n| proxy | auth | to keyward | req/s | p99 ms | CPU us/req (proxy+keyward+API) | vs same proxy, no auth | vs nginx map | errors | keyward accepts per 1k req |\n'
  printf '|---|---|---|---|---|---|---|---|---|---|\n'
  for c in "${cases[@]}"; do
    read -r name proxy auth transport <<<"$c"
    # shellcheck disable=SC2086
    rps=$(median ${d_rps[$name]}); p99=$(median ${d_p99[$name]}); cpu=$(median ${d_cpu[$name]})
    # shellcheck disable=SC2086
    errors=${d_err[$name]}; per1k=$(median ${d_acc[$name]}); nrps=$(median ${d_rps[$proxy-none]})
    label=$auth
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$proxy" "$label" "$transport" "$rps" "$p99" "$cpu" \
      "$(awk -v a="$rps" -v b="$nrps" 'BEGIN {printf "%.2fx", b ? a / b : 0}')" \
      "$(awk -v a="$rps" -v b="$mrps" 'BEGIN {printf "%.2fx", b ? a / b : 0}')" "$errors" \
      "$([ "$auth" = keyward ] && echo "$per1k" || echo -)"
  done
  stop "$kpid"
}

[ "$MODE" = deploy ] || verify_bench
[ "$MODE" = verify ] || deploy_bench
