#!/usr/bin/env bash
# The worker-side snippets in examples/clients/ (Python, Node, Go) against a real keyward:
# each makes a request with its key file, the file is replaced as rotate-key.sh does it
# (atomic rename), the next request of the same process must use the new key; a key the
# daemon refuses shows its X-Keyward-Code.
#   tests/api/clients-test.sh BUILD_DIR
# Exit 0 passed, 1 failed, 77 skipped (python3, node or go missing: apt-get install
# python3 nodejs golang-go).
set -euo pipefail
build=$(cd "${1:?usage: clients-test.sh BUILD_DIR}" && pwd)
clients=$(cd "$(dirname "$0")/../../examples/clients" && pwd)
for tool in python3 node go; do
  command -v "$tool" >/dev/null || { echo "clients-test: SKIPPED: $tool is not installed"; exit 77; }
done
work=$(mktemp -d)
daemon=""
cleanup() { [ -n "$daemon" ] && kill "$daemon" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "clients-test: FAILED: $*"; exit 1; }

mkdir -m 700 "$work/keys"
"$build/keygen" --out "$work/keys/worker-1" >/dev/null
"$build/keygen" --out "$work/keys/worker-2" >/dev/null
"$build/keygen" --out "$work/stranger.key" >/dev/null
cat > "$work/keyward.yaml" <<YAML
listen: "127.0.0.1:0"
watch: false
key_dirs:
  - { path: $work/keys, peer: worker }
YAML
"$build/keyward" --config "$work/keyward.yaml" > "$work/keyward.log" 2>&1 &
daemon=$!
for _ in $(seq 100); do grep -q '"event":"started"' "$work/keyward.log" && break; sleep 0.05; done
port=$(grep -o '"listen":"127.0.0.1:[0-9]*"' "$work/keyward.log" | grep -o '[0-9]*"$' | tr -d '"')
[ -n "$port" ] || { cat "$work/keyward.log"; fail "keyward did not start"; }
url="http://127.0.0.1:$port/v1/verify"

# Go: build once (GOCACHE in BUILD_DIR), like a worker binary.
export GOCACHE="$build/tools/go-cache" GOFLAGS=-mod=mod GO111MODULE=off
go build -o "$work/go-worker" "$clients/go/worker.go"

check() {  # name, command...: two requests, the key file swapped in between
  local name=$1; shift
  cp "$work/keys/worker-1" "$work/client.key"
  coproc worker { "$@" "$url" "$work/client.key" 2; }
  local first second
  read -r first <&"${worker[0]}" || fail "$name: no answer"
  [ "$first" = "200 worker-1" ] || fail "$name: first request: '$first'"
  cp "$work/keys/worker-2" "$work/client.key.tmp" && mv -f "$work/client.key.tmp" "$work/client.key"
  echo next >&"${worker[1]}"
  read -r second <&"${worker[0]}" || fail "$name: no second answer"
  [ "$second" = "200 worker-2" ] || fail "$name: after the rotation: '$second' (the key must be read per request)"
  wait "$worker_PID" || fail "$name: exit status"
  local refused
  refused=$("$@" "$url" "$work/stranger.key")
  [ "$refused" = "401 INVALID_KEY" ] || fail "$name: a refused key: '$refused'"
  echo "clients-test: $name ok"
}
check python python3 "$clients/python/worker.py"
check node node "$clients/node/worker.mjs"
check go "$work/go-worker"
