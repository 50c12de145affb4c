#!/usr/bin/env python3
"""Checks the shipped gitleaks rule and trufflehog detector against keys keygen makes and
against near-misses. Python's re and Go's RE2 agree on these patterns (no backreferences or
lookarounds). Usage: scanner_rules_test.py KEYGEN SOURCE_DIR"""
import math
import re
import subprocess
import sys
import tomllib
import zlib

import yaml

keygen, source = sys.argv[1], sys.argv[2]
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def checksum(text):
    crc = zlib.crc32(text.encode())
    out = ""
    for _ in range(6):
        out = B62[crc % 62] + out
        crc //= 62
    return out


def entropy(s):
    counts = {c: s.count(c) for c in set(s)}
    return -sum(n / len(s) * math.log2(n / len(s)) for n in counts.values())


with open(f"{source}/config/gitleaks.toml", "rb") as f:
    gl = tomllib.load(f)["rules"][0]
with open(f"{source}/config/trufflehog.yaml") as f:
    th = yaml.safe_load(f)["detectors"][0]
rules = {
    "gitleaks": (re.compile(gl["regex"]), gl.get("secretGroup", 0), gl.get("entropy", 0), []),
    "trufflehog": (re.compile(th["regex"]["key"]), 1, th.get("entropy", 0), th["keywords"]),
}

keys = subprocess.run([keygen, "--prefix", "acme_live", "--count", "200"], check=True, capture_output=True,
                      text=True).stdout.split()
other = subprocess.run([keygen, "--prefix", "k8", "--count", "20"], check=True, capture_output=True,
                       text=True).stdout.split()
plain = subprocess.run([keygen, "--url", "--count", "50"], check=True, capture_output=True, text=True).stdout.split()
assert len(keys) == 200 and all(k.startswith("acme_live_") and len(k) == 59 for k in keys)
# keygen's checksum is zlib's CRC-32 in base62: what any scanner plugin would compute.
assert all(checksum(k[:-6]) == k[-6:] for k in keys + other), "keygen checksum differs from zlib crc32"

failures = []


def found(rule, text):
    regex, group, min_entropy, keywords = rules[rule]
    if keywords and not any(w.lower() in text.lower() for w in keywords):
        return []
    return [m.group(group) for m in regex.finditer(text) if entropy(m.group(group)) >= min_entropy]


def expect(rule, text, want, why):
    got = found(rule, text)
    if got != want:
        failures.append(f"{rule}: {why}: expected {len(want)} match(es) {want!r:.80}, got {got!r:.120}")


k = keys[0]
for rule in rules:
    for key in keys:
        for setting in (f'key = "{key}"\n', f"WORKER_API_KEY={key}\n", f"  value: {key}\n", f'{{"k":"{key}"}}',
                        f"X-API-Key: {key}\r\n", key):
            expect(rule, setting, [key], f"a generated key in {setting[:16]!r}")
    if rule == "gitleaks":  # trufflehog only looks where its keywords (your prefixes) are
        for key in other:
            expect(rule, f"t={key}\n", [key], "another prefix")
    near = [
        ("body one character short", k[:-1]),
        ("a '-' in the body", k[:20] + "-" + k[21:]),
        ("upper-case prefix", "ACME_LIVE" + k[9:]),
        ("no '_' before the body", "acmelive" + k[10:]),
        ("key run on by a letter", k + "x"),
        ("key run on by '_'", k + "_"),
        ("low-entropy filler of the same shape", "acme_live_" + "a" * 49),
    ] + [("plain base64url key", p) for p in plain]
    for why, text in near:
        expect(rule, f"v={text}\n", [], why)
    # The residual case: a mistyped key still has the shape; only keyward scan (and the
    # daemon) verify the checksum.
    typo = k[:15] + ("x" if k[15] != "x" else "y") + k[16:]
    assert checksum(typo[:-6]) != typo[-6:]

if failures:
    print("\n".join(failures[:40]))
    sys.exit(1)
print(f"ok: {len(keys) + len(other)} generated keys found by both rules, near-misses refused")
