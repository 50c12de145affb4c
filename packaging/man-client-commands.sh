#!/bin/sh
# Writes a help2man include file with keyward's client subcommands (their --help texts), so
# that keyward(1) documents `keyward keys`, `verify`, `reload`, `scan` and `leaked` too, plus the files and
# the exit codes.  Usage: man-client-commands.sh KEYWARD_BINARY > keyward.h2m
set -e
keyward=$1
echo "[CLIENT COMMANDS]"
for command in keys verify reload scan leaked; do
  echo ".SS keyward $command"
  echo ".nf"
  "$keyward" "$command" --help | sed 's/\\/\\\\/g; s/^\./\\\&./; s/^'"'"'/\\\&'"'"'/'
  echo ".fi"
done
cat <<'ROFF'
[FILES]
.TP
.I /etc/keyward/keyward.yaml
the configuration (every field: /usr/share/doc/keyward/keyward.yaml.example)
.TP
.I /etc/keyward/keys/
key files, one key each; keyward-rotate.service rotates them
.TP
.I /etc/keyward/admin.key
the admin key (scope admin) of the default configuration
.TP
.I /var/lib/keyward/state.json
usage and the last reload's changes
.TP
.I /var/lib/keyward/revoked.json
the revocation list
.TP
.I /var/lib/keyward/suspended.json
keys suspended as leaked (keyward leaked)
[SEE ALSO]
.BR keygen (1),
.BR systemd-sysusers (8),
/usr/share/doc/keyward/README.md, /usr/share/doc/keyward/openapi.yaml
ROFF
