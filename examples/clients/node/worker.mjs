#!/usr/bin/env node
// A worker calling an API behind keyward, with Node's built-in fetch (Node 18+).
//
// The key is read from its file on every request, so a rotated key (rotate-key.sh replaces
// the file atomically) is used at once, with no restart. The key is never printed.
//
//   node worker.mjs URL KEY_FILE [REQUESTS]   one request per line read on stdin after the first
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';

async function apiKey(path) {
  return (await readFile(path, 'ascii')).trim(); // per request: picks up a rotated key
}

async function call(url, keyFile) {
  const response = await fetch(url, {
    headers: { 'X-API-Key': await apiKey(keyFile) },
    signal: AbortSignal.timeout(10_000),
  });
  // 200: X-Keyward-Key-Id says which key; 401/403: X-Keyward-Code says why.
  const detail = response.ok ? response.headers.get('x-keyward-key-id') : response.headers.get('x-keyward-code');
  return [response.status, detail ?? ''];
}

const [url, keyFile, count = '1'] = process.argv.slice(2);
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
for (let i = 0; i < Number(count); i++) {
  if (i) await lines.next(); // the test says when to go on
  const [status, detail] = await call(url, keyFile);
  console.log(`${status} ${detail}`);
}
process.exit(0);
