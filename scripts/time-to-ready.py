#!/usr/bin/env python3
"""Starts a command and measures the time until http://127.0.0.1:PORT/readyz answers 200.

Polls with plain sockets every millisecond (no process per attempt, so the measurement
does not steal the CPU from the program it measures). Loopback only; gives up after
--timeout seconds. Prints the milliseconds; leaves the program running (its pid on the
second line) for the caller to stop.
"""
import argparse
import socket
import subprocess
import sys
import time


def ready(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return s.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--log", default="/dev/null")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    with open(args.log, "wb") as log:
        start = time.monotonic()
        process = subprocess.Popen(command, stdout=log, stderr=log)
        while time.monotonic() - start < args.timeout:
            if ready(args.port):
                print(f"{(time.monotonic() - start) * 1000:.1f}")
                print(process.pid)
                return 0
            if process.poll() is not None:
                print("the program exited before it was ready", file=sys.stderr)
                return 1
            time.sleep(0.001)
    process.kill()
    print("not ready in time", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
