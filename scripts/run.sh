#!/usr/bin/env bash
# Quick start: installs what is missing, builds only keyward and keygen (no test suites),
# creates a development key and config once under .dev/ (git-ignored, mode 0600; your
# edits to .dev/keyward.yaml are kept) and runs keyward in the foreground.
#   KEYWARD_LISTEN=127.0.0.1:9000 scripts/run.sh   listen elsewhere (overrides the config)
#   KEYWARD_DEV_DIR, KEYWARD_BUILD_DIR               other places than .dev/ and build/
# First answer: about 35 s of compiling on 2 free cores once the packages are there.
set -euo pipefail
cd "$(dirname "$0")/.."
dev=${KEYWARD_DEV_DIR:-.dev}
build=${KEYWARD_BUILD_DIR:-build}
scripts/deps.sh
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target keyward keygen
mkdir -p "$dev"
chmod 700 "$dev"
dev=$(cd "$dev" && pwd)
if [ ! -f "$dev/dev.key" ]; then
  "$build/keygen" --out "$dev/dev.key"
fi
if [ ! -f "$dev/keyward.yaml" ]; then
  cat > "$dev/keyward.yaml" <<YAML
# Development config written once by scripts/run.sh (it never overwrites it: edit freely);
# see config/keyward.yaml for every field. Delete this file to get the original back.
listen: "127.0.0.1:8420"
state_dir: "$dev/state"
keys:
  - { id: dev, name: Development key, peer: dev, scopes: [admin], file: "$dev/dev.key" }
YAML
  chmod 600 "$dev/keyward.yaml"
fi
args=(--config "$dev/keyward.yaml")
listen=${KEYWARD_LISTEN:-$(sed -n -E 's/^listen:[[:space:]]*"?([^"#[:space:]]+)"?.*/\1/p' "$dev/keyward.yaml" | tail -1)}
listen=${listen:-127.0.0.1:8420}
[ -n "${KEYWARD_LISTEN:-}" ] && args+=(--listen "$KEYWARD_LISTEN")
url="http://$listen"
cat <<INFO
keyward: development key in $dev/dev.key (fingerprint $("$build/keygen" fingerprint < "$dev/dev.key"))
Try it from another terminal:
  curl -i -H "X-API-Key: \$(cat $dev/dev.key)" $url/v1/verify
  curl -i $url/v1/verify          # 401 MISSING_KEY
  $build/keyward verify --url $url --key-file $dev/dev.key
  $build/keyward keys list --url $url --admin-key-file $dev/dev.key
Reload after editing $dev/keyward.yaml (the pid comes from the daemon serving that config):
  $build/keyward reload --config $dev/keyward.yaml --url $url
INFO
exec "$build/keyward" "${args[@]}"
