#!/usr/bin/env bash
# Quick start: installs what is missing, builds, creates a development key (once) under
# .dev/ (git-ignored, mode 0600) and runs keyward on 127.0.0.1:8420 in the foreground.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
mkdir -p .dev
chmod 700 .dev
if [ ! -f .dev/dev.key ]; then
  build/keygen --out .dev/dev.key
fi
cat > .dev/keyward.yaml <<YAML
# Development config written by scripts/run.sh; see config/keyward.yaml for every field.
listen: "${KEYWARD_LISTEN:-127.0.0.1:8420}"
state_dir: "$PWD/.dev/state"
keys:
  - { id: dev, name: Development key, peer: dev, scopes: [admin], file: "$PWD/.dev/dev.key" }
YAML
cat <<INFO
keyward: development key in .dev/dev.key (fingerprint $(build/keygen fingerprint < .dev/dev.key))
Try it from another terminal:
  curl -i -H "X-API-Key: \$(cat .dev/dev.key)" http://${KEYWARD_LISTEN:-127.0.0.1:8420}/v1/verify
  curl -i http://${KEYWARD_LISTEN:-127.0.0.1:8420}/v1/verify          # 401 MISSING_KEY
  build/keyward keys list --url http://${KEYWARD_LISTEN:-127.0.0.1:8420} --admin-key-file .dev/dev.key
Reload after editing .dev/keyward.yaml:  build/keyward reload --pid \$(pgrep -x keyward) --config .dev/keyward.yaml
INFO
exec build/keyward --config .dev/keyward.yaml
