#!/usr/bin/env bash
# docs/openapi.yaml validated by @redocly/cli (OpenAPI 3.1, the `recommended` rules minus
# the ones docs/redocly.yaml turns off, with why), installed from npm into BUILD_DIR/tools
# the first time. Then the description is held to what the daemon does: every endpoint is
# described, so is every denial code the verifier can send, and a real daemon's answers
# (status, required headers, JSON bodies) match the schemas (tests/api/conformance.py).
#   tests/api/openapi-lint.sh BUILD_DIR
# Exit 0 passed, 1 failed, 77 skipped (no npm on this machine).
set -euo pipefail
build=$(cd "${1:?usage: openapi-lint.sh BUILD_DIR}" && pwd)
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
spec="$source_dir/docs/openapi.yaml"
tools="$build/tools/redocly"
if [ ! -x "$tools/node_modules/.bin/redocly" ]; then
  command -v npm >/dev/null || { echo "openapi-lint: SKIPPED: npm is not installed (apt-get install npm)"; exit 77; }
  mkdir -p "$tools"
  # @redocly/cli 2 needs Node 20.19+; Debian 12's own nodejs is 18, which 1.x supports.
  version=@redocly/cli
  [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -ge 20 ] || version=@redocly/cli@1
  npm install --prefix "$tools" --no-audit --no-fund --loglevel=error "$version" >/dev/null
fi
NO_UPDATE_NOTIFIER=1 REDOCLY_TELEMETRY=off "$tools/node_modules/.bin/redocly" lint --config "$source_dir/docs/redocly.yaml" "$spec"

# The denial codes: every row of the verdict table, all described (at least 10 of them, so
# that a moved table cannot make this check pass on nothing).
status=0
codes=$(grep -ho '{"[A-Z][A-Z_]*", [0-9]*}' "$source_dir"/include/keyward/verify/Verdict.h | grep -o '"[A-Z_]*"' | tr -d '"' | sort -u)
[ "$(wc -w <<<"$codes")" -ge 10 ] || { echo "openapi-lint: found no verdict table in Verdict.h"; exit 1; }
for code in $codes; do
  grep -q -- "- $code\$" "$spec" || { echo "openapi-lint: denial code $code is not in the description"; status=1; }
done
for path in /v1/verify /v1/status /v1/keys /v1/keys/{id} /v1/keys/{id}/calls /metrics /healthz /readyz; do
  grep -q "^  $path:" "$spec" || { echo "openapi-lint: $path is not described"; status=1; }
done
[ "$status" = 0 ] || exit 1

# A real daemon's answers against the schemas.
command -v python3 >/dev/null || { echo "openapi-lint: SKIPPED the conformance part: no python3"; exit 0; }
work=$(mktemp -d)
daemon=""
trap '[ -n "$daemon" ] && kill "$daemon" 2>/dev/null; rm -rf "$work"' EXIT
NO_UPDATE_NOTIFIER=1 REDOCLY_TELEMETRY=off "$tools/node_modules/.bin/redocly" bundle --dereferenced --ext json \
  -o "$work/openapi.json" "$spec" >/dev/null 2>&1 || { echo "openapi-lint: redocly bundle failed"; exit 1; }
mkdir -m 700 "$work/keys"
"$build/keygen" --out "$work/keys/worker-1" >/dev/null
"$build/keygen" --out "$work/admin.key" >/dev/null
cat > "$work/keyward.yaml" <<YAML
listen: "127.0.0.1:0"
watch: false
keys:
  - { id: ops, peer: ops, scopes: [admin], file: $work/admin.key }
key_dirs:
  - { path: $work/keys, peer: worker }
YAML
"$build/keyward" --config "$work/keyward.yaml" > "$work/keyward.log" 2>&1 &
daemon=$!
for _ in $(seq 100); do grep -q '"event":"started"' "$work/keyward.log" && break; sleep 0.05; done
port=$(grep -o '"listen":"127.0.0.1:[0-9]*"' "$work/keyward.log" | grep -o '[0-9]*"$' | tr -d '"')
[ -n "$port" ] || { cat "$work/keyward.log"; echo "openapi-lint: keyward did not start"; exit 1; }
python3 "$source_dir/tests/api/conformance.py" "$work/openapi.json" "http://127.0.0.1:$port" "$work/admin.key" \
  "$work/keys/worker-1"
