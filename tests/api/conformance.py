#!/usr/bin/env python3
"""Holds a running keyward to docs/openapi.yaml: asks each endpoint for each documented kind
of answer and checks status, required headers and the JSON body against the description's
schema (a dereferenced JSON bundle made by `redocly bundle`).

    conformance.py SPEC_JSON BASE_URL ADMIN_KEY_FILE WORKER_KEY_FILE

Only the JSON Schema keywords the description uses are checked (type, required,
properties, items, enum, const, allOf); an unknown keyword fails, so the checker cannot
silently fall behind the description.
"""
import json
import sys
import urllib.error
import urllib.request

KNOWN = {"type", "required", "properties", "items", "enum", "const", "allOf", "format", "description", "default",
         "minimum", "maximum", "example"}
TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def check(schema, value, where, problems):
    unknown = set(schema) - KNOWN
    if unknown:
        problems.append(f"{where}: the checker does not know {sorted(unknown)}")
    for part in schema.get("allOf", []):
        check(part, value, where, problems)
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        ok = any((t == "integer" and isinstance(value, int) and not isinstance(value, bool)) or
                 (t in TYPES and isinstance(value, TYPES[t])) for t in types)
        if not ok:
            problems.append(f"{where}: {value!r} is not {types}")
            return
    if "const" in schema and value != schema["const"]:
        problems.append(f"{where}: {value!r} is not {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{where}: {value!r} is not one of {schema['enum']}")
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value:
                problems.append(f"{where}: no '{name}'")
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                check(sub, value[name], f"{where}.{name}", problems)
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            check(schema["items"], item, f"{where}[{i}]", problems)


def ask(base, method, path, key=None):
    request = urllib.request.Request(base + path, method=method, headers={"X-API-Key": key} if key else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def main():
    spec_file, base, admin_file, worker_file = sys.argv[1:5]
    spec = json.load(open(spec_file))
    admin = open(admin_file).read().strip()
    worker = open(worker_file).read().strip()
    cases = [  # (documented path, method, request path, key, expected status)
        ("/healthz", "get", "/healthz", None, 200),
        ("/readyz", "get", "/readyz", None, 200),
        ("/v1/status", "get", "/v1/status", None, 200),
        ("/metrics", "get", "/metrics", None, 200),
        ("/v1/verify", "get", "/v1/verify", worker, 200),
        ("/v1/verify", "get", "/v1/verify", None, 401),
        ("/v1/verify", "get", "/v1/verify?peer=someone-else", worker, 403),
        ("/v1/verify", "post", "/v1/verify", worker, 200),
        ("/v1/keys", "get", "/v1/keys", admin, 200),
        ("/v1/keys", "get", "/v1/keys", worker, 403),
        ("/v1/keys", "get", "/v1/keys?limit=0", admin, 400),
        ("/v1/keys/{id}", "get", "/v1/keys/worker-1", admin, 200),
        ("/v1/keys/{id}", "get", "/v1/keys/nobody", admin, 404),
        ("/v1/keys/{id}/calls", "get", "/v1/keys/worker-1/calls", admin, 200),
    ]
    problems = []
    for documented, method, path, key, expected in cases:
        where = f"{method.upper()} {path}"
        status, headers, body = ask(base, method.upper(), path, key)
        if status != expected:
            problems.append(f"{where}: answered {status}, the test expects {expected}")
            continue
        response = spec["paths"][documented][method]["responses"].get(str(status))
        if response is None:
            problems.append(f"{where}: {status} is not described")
            continue
        for name, header in response.get("headers", {}).items():
            if header.get("required") and headers.get(name) is None:
                problems.append(f"{where}: no {name} header")
        content = response.get("content", {})
        if "application/json" in content:
            try:
                value = json.loads(body)
            except ValueError:
                problems.append(f"{where}: the body is not JSON")
                continue
            check(content["application/json"]["schema"], value, where, problems)
        elif "text/plain" in content and not headers.get("Content-Type", "").startswith("text/plain"):
            problems.append(f"{where}: Content-Type {headers.get('Content-Type')}, described text/plain")
        print(f"conformance: {where} -> {status} ok" if not problems else f"conformance: {where} -> {status}")
    for p in problems:
        print("conformance: FAILED:", p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
