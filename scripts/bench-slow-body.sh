#!/usr/bin/env bash
# What a client sending a request body a byte per segment costs keyward's event loop: a
# 59 KiB head (6,000 small fields, within the default limits), then the body one byte per
# send() for 4 s, for a chunked /v1/verify body and a Content-Length /v1/leaks body; as a
# baseline, the head itself sent a byte per send(). Prints keyward's CPU per byte received
# (from /proc). A held head must not be parsed again per segment: all three should cost
# about the same. Loopback only; bounded; every process started here is stopped on exit.
#
#   scripts/bench-slow-body.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target keyward keygen >/dev/null

bench_workdir
key=$(build/keygen)
port=$(free_ports 1)
printf 'listen: "127.0.0.1:%s"\nworkers: 1\nthrottle: { max_failures: 0 }\nlimits: { max_body_bytes: 65536 }\nkeys:\n  - { id: a, env: K }\n' \
  "$port" > "$work/keyward.yaml"
K=$key build/keyward --config "$work/keyward.yaml" > "$work/keyward.log" 2>&1 &
pids+=("$!")
wait_http "http://127.0.0.1:$port/healthz"

python3 - "$port" "${pids[0]}" "$key" <<'PY'
import os, socket, sys, time
port, pid, key = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
tick = os.sysconf('SC_CLK_TCK')
def cpu():
    fields = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / tick
fields = ''.join('a%d: b\r\n' % i for i in range(6000))
def head(target, framing):
    return ('POST %s HTTP/1.1\r\nHost: x\r\nX-API-Key: %s\r\n%s%s\r\n\r\n' % (target, key, fields, framing)).encode()
cases = [
    ('head, a byte per send (baseline)', b'', head('/v1/verify', 'Content-Length: 0')[:-4]),
    ('chunked body after the head', head('/v1/verify', 'Transfer-Encoding: chunked'),
     b'0000000000000001\r\nX\r\n' * 3000),
    ('Content-Length body (/v1/leaks)', head('/v1/leaks', 'Content-Length: 60000'), b'x' * 60000),
]
print('case | bytes sent a byte at a time in 4 s | keyward CPU | per byte')
for name, first, stream in cases:
    s = socket.create_connection(('127.0.0.1', port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if first:
        s.sendall(first)
        time.sleep(0.2)
    c0, t0, n = cpu(), time.time(), 0
    for b in stream:
        if time.time() - t0 > 4.0:
            break
        s.send(bytes([b]))
        n += 1
        time.sleep(0.0001)
    used = cpu() - c0
    s.close()
    print('%s | %d | %.2f s | %.1f us' % (name, n, used, 1e6 * used / max(n, 1)))
    time.sleep(0.5)
PY
