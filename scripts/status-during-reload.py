#!/usr/bin/env python3
"""Times a /v1/status request with a verify pipelined behind it on one connection while the
daemon reloads over and over (SIGHUP), to show that a reload never stalls a loop.

Loopback only; bounded by --seconds; prints one line of figures.
"""
import argparse
import os
import signal
import socket
import statistics
import threading
import time


def read_response(sock: socket.socket, buffer: bytearray) -> None:
    while True:
        head_end = buffer.find(b"\r\n\r\n")
        if head_end >= 0:
            head = bytes(buffer[:head_end]).decode("latin-1").lower()
            length = 0
            for line in head.split("\r\n"):
                if line.startswith("content-length:"):
                    length = int(line.split(":", 1)[1])
            total = head_end + 4 + length
            if len(buffer) >= total:
                del buffer[:total]
                return
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buffer.extend(chunk)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("pid", type=int)
    parser.add_argument("key")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--reload-every", type=float, default=0.25)
    args = parser.parse_args()

    stop = threading.Event()
    reloads = 0

    def reloader() -> None:
        nonlocal reloads
        while not stop.wait(args.reload_every):
            os.kill(args.pid, signal.SIGHUP)
            reloads += 1

    thread = threading.Thread(target=reloader)
    thread.start()
    request = (b"GET /v1/status HTTP/1.1\r\nHost: k\r\n\r\n"
               b"GET /v1/verify HTTP/1.1\r\nHost: k\r\nX-API-Key: " + args.key.encode() + b"\r\n\r\n")
    times = []
    deadline = time.monotonic() + args.seconds
    with socket.create_connection(("127.0.0.1", args.port)) as sock:
        buffer = bytearray()
        while time.monotonic() < deadline:
            started = time.monotonic()
            sock.sendall(request)
            read_response(sock, buffer)
            read_response(sock, buffer)
            times.append((time.monotonic() - started) * 1000)
            time.sleep(0.002)
    stop.set()
    thread.join()
    times.sort()
    p99 = times[int(len(times) * 0.99) - 1]
    print(f"status+verify during {reloads} reloads: {len(times)} pairs, median {statistics.median(times):.2f} ms, "
          f"p99 {p99:.2f} ms, max {times[-1]:.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
