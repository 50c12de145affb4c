# Shared helpers for the benchmark scripts (sourced, not run). Loopback only.

# N distinct TCP ports on 127.0.0.1 that nothing listens on now, one per line. Chosen
# below Linux's ephemeral range (32768+), where client sockets take their local ports.
free_ports() {
  local -a chosen=()
  local port
  for _ in $(seq 1 500); do
    ((${#chosen[@]} < $1)) || break
    port=$((10000 + RANDOM % 22000))
    [[ " ${chosen[*]} " == *" $port "* ]] && continue
    (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && continue
    chosen+=("$port")
  done
  ((${#chosen[@]} == $1)) || return 1
  printf '%s\n' "${chosen[@]}"
}

# Waits until an HTTP GET answers any status (the server is up).
wait_http() {
  local url=$1
  for _ in $(seq 1 500); do
    curl -s -o /dev/null -m 1 "$url" && return 0
    sleep 0.01
  done
  echo "bench: $url did not come up" >&2
  return 1
}

# user+system CPU time of a process, in microseconds.
cpu_us() {
  local ticks
  ticks=$(awk '{print $14 + $15}' "/proc/$1/stat")
  echo $((ticks * 1000000 / $(getconf CLK_TCK)))
}

rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

# Median of numbers given as arguments.
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# wrk's latency figure ("850.00us", "1.20ms", "2.00s") in milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
    else print "nan" }'
}

# Fails the benchmark unless a GET with header `$2` answers `$3` (the setup works).
check() {  # url header expected-status
  local got
  got=$(curl -s -o /dev/null -w '%{http_code}' -H "$2" "$1")
  [ "$got" = "$3" ] || { echo "bench: $1 answered $got, expected $3" >&2; exit 1; }
}

# One bounded wrk run; sets RPS, P99 (ms), CPU (us per request over `cpu_pids`), ERRORS,
# FRESH (status and time of a request on a new connection made mid-run). Uses $work,
# $DURATION and $WRK_THREADS.
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
  REQUESTS=${requests:-0}
  FRESH=$(cat "$work/fresh")
}

# A temporary work directory in $work, and $pids: every process listed there is stopped,
# and the directory removed, when the script ends however it ends.
bench_workdir() {
  work=$(mktemp -d "/tmp/${1:-keyward-bench}.XXXXXX")
  pids=()
  trap bench_cleanup EXIT INT TERM
}
bench_cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
