// npm here resolves against a registry mirror that only carries the linux-x64 builds of
// @duckdb/node-bindings, so `npm install` writes a package-lock.json without the other
// platforms' optional packages — and `npm ci` then refuses the lock ("Missing: … from lock
// file"). This adds the missing entries the way a full registry would have written them
// (optional, with os/cpu/libc), so `npm ci` skips them on this platform and installs them on
// theirs. Run it after any `npm install` that rewrites the lock: node scripts/complete-lockfile.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const PLATFORMS = {
  'darwin-arm64': { os: 'darwin', cpu: 'arm64' },
  'darwin-x64': { os: 'darwin', cpu: 'x64' },
  'linux-arm64': { os: 'linux', cpu: 'arm64', libc: 'glibc' },
  'linux-arm64-musl': { os: 'linux', cpu: 'arm64', libc: 'musl' },
  'linux-x64': { os: 'linux', cpu: 'x64', libc: 'glibc' },
  'linux-x64-musl': { os: 'linux', cpu: 'x64', libc: 'musl' },
  'win32-arm64': { os: 'win32', cpu: 'arm64' },
  'win32-x64': { os: 'win32', cpu: 'x64' },
};

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const bindings = lock.packages['node_modules/@duckdb/node-bindings'];
let added = 0;
for (const [suffix, p] of Object.entries(PLATFORMS)) {
  const key = `node_modules/@duckdb/node-bindings-${suffix}`;
  if (lock.packages[key]) continue;
  lock.packages[key] = {
    version: bindings.version,
    cpu: [p.cpu],
    ...(p.libc ? { libc: [p.libc] } : {}),
    license: 'MIT',
    optional: true,
    os: [p.os],
  };
  added++;
}
const sorted = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)));
lock.packages = sorted;
writeFileSync(path, JSON.stringify(lock, null, 2) + '\n');
console.log(`complete-lockfile: added ${added} entries`);
