#!/usr/bin/env python3
"""A worker calling an API behind keyward, with Python's standard library only.

The key is read from its file on every request, so a rotated key (rotate-key.sh replaces
the file atomically) is used at once, with no restart. The key is never printed.

    worker.py URL KEY_FILE [REQUESTS]   one request per line read on stdin (default: 1, no wait)
"""
import sys
import urllib.error
import urllib.request


def api_key(path):
    with open(path, encoding="ascii") as f:  # per request: picks up a rotated key
        return f.read().strip()


def call(url, key_file):
    request = urllib.request.Request(url, headers={"X-API-Key": api_key(key_file)})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers.get("X-Keyward-Key-Id", "")
    except urllib.error.HTTPError as e:  # 401/403: the reason is in X-Keyward-Code
        return e.code, e.headers.get("X-Keyward-Code", "")


def main():
    url, key_file = sys.argv[1], sys.argv[2]
    requests = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    for i in range(requests):
        if i:
            sys.stdin.readline()  # the test says when to go on
        status, detail = call(url, key_file)
        print(status, detail, flush=True)


if __name__ == "__main__":
    main()
