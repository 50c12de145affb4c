#!/usr/bin/env bash
# Overlap rotation of one key in a keyward key directory, with no failed request:
#
#   1. make the new key  <key-dir>/<name>-<UTC time>  (keygen: 0600, atomic)
#   2. reload keyward and wait for the result          (both keys now work)
#   3. hand the new key to the clients                 (--client-key-file, atomic replace)
#   4. wait until the old key has been unused for --grace seconds (its last_used from the
#      admin API), or --max-wait seconds in all
#   5. remove the old key, reload again and wait for the result
#
# Every step is logged. Safe to re-run after a crash at any step: with more than one
# <name>-* key present it finishes that rotation (newest = new) instead of starting another.
#
#   rotate-key.sh --name worker --key-dir /etc/keyward/keys --pid PID
#                 [--config PATH | --url URL] [--admin-key-file PATH] [--client-key-file PATH]
#                 [--owner USER] [--grace SECONDS] [--max-wait SECONDS] [--dry-run]
#
# keyward, keygen: found next to this script's build/ or on PATH (override: KEYWARD, KEYGEN).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
KEYWARD=${KEYWARD:-$( [ -x "$here/../build/keyward" ] && echo "$here/../build/keyward" || command -v keyward || echo keyward)}
KEYGEN=${KEYGEN:-$( [ -x "$here/../build/keygen" ] && echo "$here/../build/keygen" || command -v keygen || echo keygen)}

name="" key_dir="" pid="" config="" url="" admin_key_file="" client_key_file="" owner=""
grace=300 max_wait=3600 dry_run=0
usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --name) name=$2; shift 2 ;;
    --key-dir) key_dir=$2; shift 2 ;;
    --pid) pid=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    --url) url=$2; shift 2 ;;
    --admin-key-file) admin_key_file=$2; shift 2 ;;
    --client-key-file) client_key_file=$2; shift 2 ;;
    --owner) owner=$2; shift 2 ;;
    --grace) grace=$2; shift 2 ;;
    --max-wait) max_wait=$2; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    -h|--help) usage ;;
    *) echo "rotate-key: unknown argument '$1'" >&2; usage ;;
  esac
done
[ -n "$name" ] && [ -n "$key_dir" ] || usage
[[ "$name" =~ ^[A-Za-z0-9][A-Za-z0-9._:@+-]*$ ]] || { echo "rotate-key: bad --name" >&2; exit 2; }
[ -d "$key_dir" ] || { echo "rotate-key: $key_dir is not a directory" >&2; exit 2; }
if [ -z "$pid" ]; then pid=$(pgrep -o -x keyward || true); fi
[ -n "$pid" ] || { echo "rotate-key: no keyward process (give --pid)" >&2; exit 2; }

log() { printf '%s rotate-key[%s]: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$name" "$*"; }
run() {  # a step that changes something; only described under --dry-run
  if [ "$dry_run" = 1 ]; then log "dry-run: would $*"; return 0; fi
  "$@"
}
reload() {
  local where=()
  [ -n "$url" ] && where=(--url "$url")
  [ -n "$config" ] && [ -z "$url" ] && where=(--config "$config")
  if [ "$dry_run" = 1 ]; then log "dry-run: would reload keyward (pid $pid) and wait for the result"; return 0; fi
  local out
  if ! out=$("$KEYWARD" reload --pid "$pid" "${where[@]}" 2>&1); then
    log "reload failed; the old keys keep serving: $out"
    exit 1
  fi
  log "$out"
}
keys_now() { find "$key_dir" -maxdepth 1 -type f -name "$name-*" ! -name '.*' -printf '%f\n' | sort; }

# Seconds since the key was last used, from the admin API ("" if never used).
idle_seconds() {
  local id=$1 json last
  local where=()
  [ -n "$url" ] && where=(--url "$url")
  json=$(KEYWARD_ADMIN_KEY_FILE="$admin_key_file" "$KEYWARD" keys show "$id" --format json "${where[@]}") || return 1
  last=$(printf '%s' "$json" | grep -o '"last_used":"[^"]*"' | head -1 | cut -d'"' -f4)
  [ -n "$last" ] || { echo ""; return 0; }
  echo $(( $(date -u +%s) - $(date -u -d "$last" +%s) ))
}

mapfile -t present < <(keys_now)
if [ "${#present[@]}" -gt 1 ]; then
  new=${present[-1]}
  log "resuming an interrupted rotation: new key $new, old: ${present[*]:0:${#present[@]}-1}"
else
  new="$name-$(date -u +%Y%m%dT%H%M%S%3NZ)"
  log "step 1: new key $new"
  run "$KEYGEN" --out "$key_dir/$new" >/dev/null
  [ -n "$owner" ] && run chown "$owner" "$key_dir/$new"
fi
mapfile -t old < <(keys_now | grep -vx "$new" || true)

log "step 2: reload with both keys"
reload

if [ -n "$client_key_file" ]; then
  log "step 3: hand $new to the clients ($client_key_file)"
  if [ "$dry_run" = 0 ]; then
    tmp=$(mktemp "$(dirname "$client_key_file")/.rotate-key.XXXXXX")
    cat "$key_dir/$new" > "$tmp"
    chmod 0600 "$tmp"
    mv -f "$tmp" "$client_key_file"
  else
    log "dry-run: would copy $new to $client_key_file"
  fi
else
  log "step 3: no --client-key-file; clients must pick up $new themselves"
fi

if [ "${#old[@]}" -eq 0 ]; then
  log "no old key to retire; done"
  exit 0
fi

log "step 4: waiting until ${old[*]} has been unused for ${grace}s (at most ${max_wait}s)"
started=$(date +%s)
for id in "${old[@]}"; do
  while :; do
    waited=$(( $(date +%s) - started ))
    if [ "$dry_run" = 1 ]; then log "dry-run: would wait for $id"; break; fi
    if [ -z "$admin_key_file" ]; then
      [ "$waited" -ge "$grace" ] && { log "$id: no admin key to read usage; waited ${grace}s"; break; }
    elif idle=$(idle_seconds "$id"); then
      if [ -z "$idle" ] || [ "$idle" -ge "$grace" ]; then log "$id: unused for ${idle:-ever}s"; break; fi
    else
      log "$id: cannot read its usage; keeps waiting"
    fi
    if [ "$waited" -ge "$max_wait" ]; then log "$id: still in use after ${max_wait}s; retiring it anyway"; break; fi
    sleep 1
  done
done

log "step 5: retire ${old[*]}"
for id in "${old[@]}"; do run rm -f "$key_dir/$id"; done
reload
log "rotation done: $new is the only $name key"
