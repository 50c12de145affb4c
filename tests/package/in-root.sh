#!/bin/bash
# Runs inside the clean Debian root made by debian-root-test.sh (as root, own namespaces):
# installs the package and checks what an operator would get.
set -euo pipefail
step() { printf 'in-root: %s\n' "$*"; }
fail() { printf 'in-root: FAILED: %s\n' "$*"; exit 1; }

step "dpkg -i keyward.deb (dependencies must all be present already)"
dpkg -i /tmp/keyward.deb > /tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; fail "dpkg -i"; }

step "postinst: user, directories, keys, keyward.service enabled and not started, the timer left off"
getent passwd keyward >/dev/null || fail "no keyward user"
[ "$(stat -c '%U:%G %a' /etc/keyward/keys)" = "root:keyward 770" ] || fail "/etc/keyward/keys is $(stat -c '%U:%G %a' /etc/keyward/keys)"
[ "$(stat -c '%U:%G %a' /var/lib/keyward)" = "keyward:keyward 700" ] || fail "/var/lib/keyward is $(stat -c '%U:%G %a' /var/lib/keyward)"
for key in /etc/keyward/admin.key /etc/keyward/keys/worker-initial; do
  [ "$(stat -c '%U:%G %a' "$key")" = "keyward:keyward 600" ] || fail "$key is $(stat -c '%U:%G %a' "$key")"
done
[ -L /etc/systemd/system/multi-user.target.wants/keyward.service ] || fail "keyward.service is not enabled"
[ ! -e /etc/systemd/system/timers.target.wants/keyward-rotate.timer ] || fail "keyward-rotate.timer is enabled before rotate.env is configured"
dpkg-query -W -f='${Conffiles}\n' keyward | grep -q /etc/keyward/keyward.yaml || fail "keyward.yaml is not a conffile"

step "keyward --version, keygen --version, keygen, keygen check"
keyward --version
keygen --version
keygen | keygen check

step "keyward --check-config (the installed default config)"
keyward --check-config | tee /tmp/check.log
grep -q "config ok: 2 key(s)" /tmp/check.log || fail "check-config"

step "systemd-analyze verify on the installed units"
systemd-analyze verify /usr/lib/systemd/system/keyward.service /usr/lib/systemd/system/keyward-rotate.service \
  /usr/lib/systemd/system/keyward-rotate.timer

step "man pages and bash completion"
if ls /usr/share/man/man1/keyward.1.gz /usr/share/man/man1/keygen.1.gz 2>/dev/null; then
  zcat /usr/share/man/man1/keyward.1.gz | grep -q 'check\\-config' || fail "keyward.1 does not describe --check-config"
else
  echo "(no man pages: help2man was not installed where the package was built)"
fi
[ -f /usr/share/bash-completion/completions/keyward ] || fail "no bash completion"

step "the daemon as user keyward with the default config, asked by the installed CLI"
setpriv --reuid keyward --regid keyward --clear-groups keyward > /tmp/keyward.log 2>&1 &
daemon=$!
for _ in $(seq 100); do grep -q '"event":"started"' /tmp/keyward.log && break; sleep 0.1; done
grep -q '"event":"started"' /tmp/keyward.log || { cat /tmp/keyward.log; fail "the daemon did not start"; }
keyward verify --url http://127.0.0.1:8420 --key-file /etc/keyward/keys/worker-initial
keyward keys list --admin-key-file /etc/keyward/admin.key

step "one rotation with the installed rotate-key.sh, as keyward-rotate.service runs it (user keyward)"
setpriv --reuid keyward --regid keyward --clear-groups /usr/libexec/keyward/rotate-key.sh --name worker \
  --key-dir /etc/keyward/keys --config /etc/keyward/keyward.yaml --admin-key-file /etc/keyward/admin.key \
  --client-key-file "" --owner keyward --grace 0 --max-wait 10 --pid "$daemon"
[ ! -e /etc/keyward/keys/worker-initial ] || fail "worker-initial was not retired"
new=$(ls /etc/keyward/keys)
keyward verify --url http://127.0.0.1:8420 --key-file "/etc/keyward/keys/$new"
[ "$(stat -c '%U %a' "/etc/keyward/keys/$new")" = "keyward 600" ] || fail "the new key is $(stat -c '%U %a' "/etc/keyward/keys/$new")"
keyward reload --config /etc/keyward/keyward.yaml --pid "$daemon"
kill "$daemon"
wait "$daemon" || true

step "reinstall (an upgrade): the edited config, the keys and the admin key are kept"
echo "# edited by the operator" >> /etc/keyward/keyward.yaml
admin_before=$(sha256sum /etc/keyward/admin.key)
DEBIAN_FRONTEND=noninteractive dpkg -i --force-confold /tmp/keyward.deb > /tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; fail "reinstall"; }
grep -q "edited by the operator" /etc/keyward/keyward.yaml || fail "the upgrade replaced the edited config"
[ "$(sha256sum /etc/keyward/admin.key)" = "$admin_before" ] || fail "the upgrade replaced the admin key"
[ "$(ls /etc/keyward/keys)" = "$new" ] || fail "the upgrade changed the keys: $(ls /etc/keyward/keys)"

step "remove and purge"
dpkg --purge keyward > /tmp/purge.log 2>&1 || { cat /tmp/purge.log; fail "dpkg --purge"; }
[ ! -e /etc/keyward ] || fail "/etc/keyward is left after purge: $(ls -A /etc/keyward)"
[ ! -e /usr/bin/keyward ] || fail "/usr/bin/keyward is left"
step "ok"
