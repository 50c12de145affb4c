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
