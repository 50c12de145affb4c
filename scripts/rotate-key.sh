#!/usr/bin/env bash
# Overlap rotation of one key in a keyward key directory, with no failed request:
#
#   0. plan: record the new key's name and the old keys in <key-dir>/.rotate-<name>.state
#   1. make the new key  <key-dir>/<name>-<UTC time>  (keygen: 0600, atomic; chown --owner)
#   2. reload keyward and wait for the result          (both keys now work)
#   3. hand the new key to the clients                 (--client-key-file, atomic replace)
#   4. wait until the old keys have been unused for --grace seconds (last_used from the
#      admin API), or --max-wait seconds in all
#   5. remove the old keys, reload again and wait for the result
#   6. check: the daemon accepts the new key and no longer has the old ones; then the
#      record is removed and only then "rotation done" is printed (exit 0)
#
# Every step is logged. Re-run after a crash at any step, it finishes the rotation its
# record describes (never guessing from names), chowning again on the way.
#
#   rotate-key.sh --name NAME --key-dir DIR (--config PATH | --url URL) [--pid PID | --pid-file PATH]
#                 [--admin-key-file PATH] [--client-key-file PATH] [--owner USER[:GROUP]]
#                 [--grace SECONDS] [--max-wait SECONDS] [--cacert PATH] [--dry-run]
#
# The daemon: its address is --url, else `listen:` in --config; the process to signal is
# --pid (or the number in --pid-file), else the pid the daemon at that address reports in
# /v1/status, if it serves --config. `keyward reload` checks both before it signals and
# before the admin key is ever sent; a daemon that does not match stops the rotation.
# That check (`keyward reload --check`) is repeated before every request that carries a
# key (the admin key while waiting for usage, the new key in step 6): a daemon replaced
# mid-rotation by another process on its port stops the tool (FAILED, exit 1, old keys kept).
# Only `<name>-initial` and `<name>-<UTC time as this tool writes it>` are keys of this
# rotation; `worker-eu-...` is not a `worker` key. With --owner, the lock and the record are
# chowned too, so that the service user can run the next rotation after one run as root.
# keyward, keygen: next to this script's build/ or on PATH (override: KEYWARD, KEYGEN).
set -euo pipefail
umask 077

here=$(cd "$(dirname "$0")" && pwd)
KEYWARD=${KEYWARD:-$( [ -x "$here/../build/keyward" ] && echo "$here/../build/keyward" || command -v keyward || echo keyward)}
KEYGEN=${KEYGEN:-$( [ -x "$here/../build/keygen" ] && echo "$here/../build/keygen" || command -v keygen || echo keygen)}

name="" key_dir="" pid="" pid_file="" config="" url="" admin_key_file="" client_key_file="" owner="" cacert=""
grace=300 max_wait=3600 dry_run=0
help_text() { awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0" | sed 's/^# \{0,1\}//'; }
usage() { echo "rotate-key: $*" >&2; echo "usage: see rotate-key.sh --help" >&2; exit 2; }
while [ $# -gt 0 ]; do
  arg=$1
  if [[ "$arg" == --*=* ]]; then set -- "${arg%%=*}" "${arg#*=}" "${@:2}"; arg=$1; fi
  case "$arg" in
    --dry-run) dry_run=1; shift; continue ;;
    -h|--help) help_text; exit 0 ;;
    --version) echo "rotate-key.sh (keyward) $("$KEYWARD" --version 2>/dev/null | awk '{print $2}')"; exit 0 ;;
    --name|--key-dir|--pid|--pid-file|--config|--url|--admin-key-file|--client-key-file|--owner|--grace|--max-wait|--cacert)
      [ $# -ge 2 ] || usage "$arg needs a value" ;;
    *) usage "unknown argument '$arg'" ;;
  esac
  case "$arg" in
    --name) name=$2 ;;
    --key-dir) key_dir=$2 ;;
    --pid) pid=$2 ;;
    --pid-file) pid_file=$2 ;;
    --config) config=$2 ;;
    --url) url=$2 ;;
    --admin-key-file) admin_key_file=$2 ;;
    --client-key-file) client_key_file=$2 ;;
    --owner) owner=$2 ;;
    --grace) grace=$2 ;;
    --max-wait) max_wait=$2 ;;
    --cacert) cacert=$2 ;;
  esac
  shift 2
done
[ -n "$name" ] || usage "--name is required"
[ -n "$key_dir" ] || usage "--key-dir is required"
[[ "$name" =~ ^[A-Za-z0-9][A-Za-z0-9._:@+-]*$ ]] || usage "bad --name '$name'"
[[ "$grace" =~ ^[0-9]+$ && "$max_wait" =~ ^[0-9]+$ ]] || usage "--grace and --max-wait are whole seconds"
[ -d "$key_dir" ] || { echo "rotate-key: $key_dir is not a directory" >&2; exit 2; }
[ -n "$config" ] || [ -n "$url" ] || usage "give --config (the daemon's address is its listen:) or --url"
[ "$pid" != 0 ] || pid=""   # systemctl show -P MainPID says 0 when it does not know
if [ -z "$pid" ] && [ -n "$pid_file" ]; then
  pid=$(tr -dc '0-9' < "$pid_file") || { echo "rotate-key: cannot read $pid_file" >&2; exit 2; }
fi
[ -z "$pid" ] || [[ "$pid" =~ ^[0-9]+$ ]] || usage "--pid needs a process id"

# The daemon's address: --url, else listen: in the config (a "host:port" string; 0.0.0.0
# and [::] are reached on loopback), else keyward's built-in default.
if [ -z "$url" ]; then
  [ -r "$config" ] || { echo "rotate-key: cannot read $config" >&2; exit 2; }
  listen=$(sed -n -E 's/^listen:[[:space:]]*["'"'"']?([^"'"'"'#[:space:]]+)["'"'"']?[[:space:]]*(#.*)?$/\1/p' "$config" | tail -1)
  listen=${listen:-127.0.0.1:8420}
  case "$listen" in
    0.0.0.0:*|\*:*) listen="127.0.0.1:${listen#*:}" ;;
    "[::]:"*) listen="[::1]:${listen#\[::\]:}" ;;
  esac
  [[ "$listen" =~ :0$ ]] && { echo "rotate-key: $config listens on port 0 (any); give --url" >&2; exit 2; }
  url="http://$listen"
fi

state="$key_dir/.rotate-$name.state"
lock="$key_dir/.rotate-$name.lock"
log() { printf '%s rotate-key[%s]: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$name" "$*"; }
die() { log "FAILED: $*"; exit 1; }

# Everything the steps need, before any step: a missing tool half-way would leave the
# rotation stopped with no FAILED line (bash's exit 127).
for tool in "$KEYWARD" "$KEYGEN" flock find sort mktemp chown cmp date; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed or not executable (set KEYWARD= / KEYGEN= or PATH); nothing changed"
done

# A key of this rotation: <name>-initial or <name>-<UTC time as this tool writes it>.
is_rotation_key() { [[ "$1" =~ ^"$name"-(initial|[0-9]{8}T[0-9]{9}Z)$ ]]; }
run() {  # a step that changes something; only described under --dry-run
  if [ "$dry_run" = 1 ]; then log "dry-run: would $*"; return 0; fi
  "$@"
}
# Test hook: stop as if killed right after the step named in $ROTATE_KEY_CRASH_AFTER.
checkpoint() {
  if [ "${ROTATE_KEY_CRASH_AFTER:-}" = "$1" ]; then log "simulated crash after $1"; exit 86; fi
}
tls=()
[ -n "$cacert" ] && tls=(--cacert "$cacert")
target=(--url "$url")
[ -n "$pid" ] && target+=(--pid "$pid")
[ -n "$config" ] && target+=(--config "$config")
# The identity check of `keyward reload`, signalling nothing; before every request that
# carries a key. A daemon that is no longer the one meant stops the rotation.
identify() {
  local out
  out=$("$KEYWARD" reload --check "${target[@]}" "${tls[@]}" 2>&1) ||
    die "the daemon at $url is no longer the one this rotation talks to ($out); no key sent, old keys kept, run again to resume"
}
reload() {
  if [ "$dry_run" = 1 ]; then log "dry-run: would reload the keyward at $url (pid ${pid:-from /v1/status}) and wait"; return 0; fi
  local out
  if ! out=$("$KEYWARD" reload "${target[@]}" "${tls[@]}" 2>&1); then
    die "reload: $out"
  fi
  log "$out"
  # Without --pid the first reload found the daemon through /v1/status; from now on every
  # check asks for that same process, so a process that takes the port after the daemon
  # dies (and reports its own pid) is refused instead of believed.
  if [ -z "$pid" ]; then
    local found
    found=$(sed -n 's/.*(process \([0-9][0-9]*\) .*/\1/p' <<<"$out" | head -n 1)
    [ -n "$found" ] || die "reload: no process id in keyward's answer ($out); give --pid"
    pid=$found
    target+=(--pid "$pid")
  fi
}
own() {  # the new key belongs to --owner, on every run (a resumed one too)
  [ -n "$owner" ] || return 0
  run chown "$owner" "$key_dir/$1"
}
key_names() {
  local f
  find "$key_dir" -maxdepth 1 -type f -name "$name-*" ! -name '.*' -printf '%f\n' | sort |
    while IFS= read -r f; do if is_rotation_key "$f"; then printf '%s\n' "$f"; fi; done
}
# The lock and the record belong to --owner too: after one run as root the service user
# must still be able to open them.
own_file() {
  [ -n "$owner" ] && [ "$dry_run" = 0 ] || return 0
  chown "$owner" "$1"
}
# Before the first write: a lock or record this user cannot write (left by a run as
# another user) would otherwise stop the tool with a bare "Permission denied".
check_writable() {
  local f
  for f in "$@"; do
    [ -e "$f" ] || continue
    [ -w "$f" ] && [ -r "$f" ] && continue
    [ -n "$owner" ] && [ "$(id -u)" = 0 ] && { chown "$owner" "$f"; continue; }
    die "$f is not readable and writable by $(id -un) (left by a run as another user?): chown it to $(id -un), or run once as root with --owner $(id -un)"
  done
}
write_state() {  # atomically: a crash leaves the old record or the new one
  [ "$dry_run" = 1 ] && return 0
  local tmp
  tmp=$(mktemp "$key_dir/.rotate-$name.XXXXXX")
  printf 'new=%s\nold=%s\n' "$new" "${old[*]}" > "$tmp"
  mv -f "$tmp" "$state"
  own_file "$state"
}

# One rotation per key name at a time.
if [ "$dry_run" = 0 ]; then
  check_writable "$lock" "$state"
  exec 9>>"$lock" || die "cannot open $lock"
  own_file "$lock"
  flock -n 9 || die "another rotation of $name is running"
  [ -e "$state" ] && own_file "$state"
fi

# Step 0: what this rotation is about, from its record if one was interrupted.
if [ -f "$state" ]; then
  new=$(sed -n 's/^new=//p' "$state")
  read -r -a old <<< "$(sed -n 's/^old=//p' "$state")"
  [[ "$new" =~ ^"$name"-[0-9]{8}T[0-9]{9}Z$ ]] || die "$state is not a rotation record; remove it after checking the keys"
  # Every name is one this rotation could have written: a plain name in the key directory
  # (no '/', no '..'), never the new key. Anything else is refused, nothing is removed.
  for id in "${old[@]}"; do
    if ! is_rotation_key "$id" || [ "$id" = "$new" ]; then
      die "$state names '$id' as an old key, which is not a $name key of this rotation; nothing removed. Check the keys, then remove $state"
    fi
  done
  log "resuming the rotation recorded in $state: new key $new, old: ${old[*]:-none}"
else
  new="$name-$(date -u +%Y%m%dT%H%M%S%3NZ)"
  mapfile -t old < <(key_names)
  [ -e "$key_dir/$new" ] && die "$key_dir/$new exists already"
  log "step 0: new key $new will replace ${old[*]:-nothing}"
  write_state
fi
checkpoint planned

log "step 1: new key $new"
if [ ! -e "$key_dir/$new" ]; then
  run "$KEYGEN" --out "$key_dir/$new" >/dev/null
fi
own "$new"
checkpoint created

log "step 2: reload with both keys"
reload
checkpoint reloaded

if [ -n "$client_key_file" ]; then
  log "step 3: hand $new to the clients ($client_key_file)"
  if [ "$dry_run" = 0 ]; then
    tmp=$(mktemp "$(dirname "$client_key_file")/.rotate-key.XXXXXX")
    cat "$key_dir/$new" > "$tmp"
    chmod 0600 "$tmp"
    mv -f "$tmp" "$client_key_file"
    cmp -s "$key_dir/$new" "$client_key_file" || die "$client_key_file does not hold $new"
  else
    log "dry-run: would copy $new to $client_key_file"
  fi
else
  log "step 3: no --client-key-file; clients must pick up $new themselves"
fi
checkpoint handed

# Seconds since the key was last used, from the admin API ("" if never used); fails when
# the daemon will not say.
idle_seconds() {
  local id=$1 json last
  json=$(KEYWARD_ADMIN_KEY_FILE="$admin_key_file" "$KEYWARD" keys show "$id" --format json --url "$url" "${tls[@]}" 2>&1) || return 1
  last=$(printf '%s' "$json" | grep -o '"last_used":"[^"]*"' | head -1 | cut -d'"' -f4)
  [ -n "$last" ] || { echo ""; return 0; }
  echo $(( $(date -u +%s) - $(date -u -d "$last" +%s) ))
}

present=()
for id in "${old[@]}"; do [ -e "$key_dir/$id" ] && present+=("$id"); done
if [ "${#present[@]}" -gt 0 ]; then
  log "step 4: waiting until ${present[*]} has been unused for ${grace}s (at most ${max_wait}s)"
  started=$(date +%s)
  for id in "${present[@]}"; do
    while :; do
      waited=$(( $(date +%s) - started ))
      if [ "$dry_run" = 1 ]; then log "dry-run: would wait for $id"; break; fi
      if [ -z "$admin_key_file" ]; then
        if [ "$waited" -ge "$grace" ]; then log "$id: no --admin-key-file, so no usage to check; waited ${grace}s"; break; fi
      elif identify && idle=$(idle_seconds "$id"); then
        if [ -z "$idle" ]; then log "$id: never used"; break; fi
        if [ "$idle" -ge "$grace" ]; then log "$id: unused for ${idle}s"; break; fi
        if [ "$waited" -ge "$max_wait" ]; then log "$id: still in use after ${max_wait}s; retiring it as planned"; break; fi
      else
        # Not knowing is not "unused": keep the old key and say so.
        [ "$waited" -ge "$max_wait" ] && die "cannot read the usage of $id from $url; old keys kept, run again to resume"
      fi
      sleep 1
    done
  done
else
  log "step 4: no old key left to wait for"
fi
checkpoint waited

log "step 5: retire ${old[*]:-nothing}"
for id in "${old[@]}"; do run rm -f "$key_dir/$id"; done
checkpoint removed
reload
checkpoint retired

# Step 6: success only when the daemon says so.
if [ "$dry_run" = 0 ]; then
  identify
  "$KEYWARD" verify --url "$url" --key-file "$key_dir/$new" "${tls[@]}" >/dev/null 2>&1 ||
    die "the keyward at $url does not accept $new; the record stays in $state"
  if [ -n "$admin_key_file" ]; then
    for id in "${old[@]}"; do
      identify
      answer=$(KEYWARD_ADMIN_KEY_FILE="$admin_key_file" "$KEYWARD" keys show "$id" --format json --url "$url" "${tls[@]}" 2>&1) &&
        die "the keyward at $url still has $id"
      [[ "$answer" == *"answered 404"* ]] || die "cannot confirm that $id is gone from $url: $answer"
    done
  fi
  rm -f "$state"
fi
log "rotation done: $new is the only $name key"
