#!/usr/bin/env python3
"""Slow-client load for keyward's header deadline (loopback only, bounded in time).

Opens N connections to 127.0.0.1:PORT, starts a request head on each and then sends one
more byte per second per connection, never finishing the head. Stops by itself after
--seconds. Prints how many connections the server cut off and after how long.
"""
import argparse
import selectors
import socket
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--interval", type=float, default=1.0)
    args = parser.parse_args()
    if not 1 <= args.clients <= 20000 or not 0 < args.seconds <= 600:
        print("slow-clients: --clients 1..20000, --seconds up to 600", file=sys.stderr)
        return 2

    selector = selectors.DefaultSelector()
    opened = {}
    start = time.monotonic()
    for _ in range(args.clients):
        s = socket.create_connection(("127.0.0.1", args.port))
        s.setblocking(False)
        s.send(b"GET /v1/verify HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        opened[s] = time.monotonic()
        selector.register(s, selectors.EVENT_READ)
    cut = []
    next_tick = time.monotonic() + args.interval
    end = start + args.seconds
    while time.monotonic() < end and opened:
        for key, _ in selector.select(timeout=max(0.0, min(next_tick, end) - time.monotonic())):
            s = key.fileobj
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:  # closed by the server (after its 408, if any)
                cut.append(time.monotonic() - opened.pop(s))
                selector.unregister(s)
                s.close()
        if time.monotonic() >= next_tick:
            next_tick += args.interval
            for s in list(opened):
                try:
                    s.send(b"x")
                except OSError:
                    pass
    for s in opened:
        s.close()
    cut.sort()
    summary = f"slow clients: {args.clients} opened, {len(cut)} cut off by the server"
    if cut:
        summary += f" after {cut[0]:.1f}-{cut[-1]:.1f} s (median {cut[len(cut) // 2]:.1f} s)"
    summary += f", {len(opened)} still open after {args.seconds:.0f} s"
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
