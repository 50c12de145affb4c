#!/usr/bin/env python3
"""Paced verify load, round-robin over several keyward replicas, for bench-shared.sh.

    shared-load.py --ports 8421,8422,8423 --key-file K --rate 3000 --seconds 10

One keep-alive connection per replica, requests sent at `rate` a second in turn. Prints,
per second, how many were admitted (200), limited (429) and failed (anything else). The
key is read from a file, never taken on the command line.
"""
import argparse
import socket
import time


def request(sock, key, buf):
    sock.sendall(b"GET /v1/verify HTTP/1.1\r\nHost: x\r\nX-API-Key: " + key + b"\r\n\r\n")
    while True:
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            head = buf[:end].decode("latin-1")
            length = 0
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            while len(buf) < end + 4 + length:
                chunk = sock.recv(65536)
                if not chunk:
                    raise OSError("closed")
                buf += chunk
            return int(head.split(" ")[1]), buf[end + 4 + length:]
        chunk = sock.recv(65536)
        if not chunk:
            raise OSError("closed")
        buf += chunk


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ports", required=True)
    p.add_argument("--key-file", required=True)
    p.add_argument("--rate", type=int, required=True)
    p.add_argument("--seconds", type=int, required=True)
    a = p.parse_args()
    key = open(a.key_file, "rb").read().strip()
    ports = [int(x) for x in a.ports.split(",")]
    socks = [socket.create_connection(("127.0.0.1", port), timeout=2) for port in ports]
    for s in socks:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    bufs = [b""] * len(socks)
    counts = [[0, 0, 0] for _ in range(a.seconds)]
    start = time.monotonic()
    gap = 1.0 / a.rate
    i = 0
    late = 0.0
    while True:
        due = start + i * gap
        now = time.monotonic()
        if due - start >= a.seconds:
            break
        if due > now:
            time.sleep(due - now)
        else:
            late = max(late, now - due)
        r = i % len(socks)
        try:
            status, bufs[r] = request(socks[r], key, bufs[r])
        except OSError:
            status = 0
            socks[r] = socket.create_connection(("127.0.0.1", ports[r]), timeout=2)
            bufs[r] = b""
        second = int(due - start)
        counts[second][0 if status == 200 else 1 if status == 429 else 2] += 1
        i += 1
    print("second  admitted  limited  failed")
    for n, (ok, limited, failed) in enumerate(counts):
        print(f"{n:6d}  {ok:8d}  {limited:7d}  {failed:6d}")
    print(f"sent {i} requests; the sender fell at most {late * 1000:.0f} ms behind its schedule")


if __name__ == "__main__":
    main()
