// Where the installed package lives, found by walking up from a module's URL to package.json.
// Works from src/ (vitest) and dist/src/ (built) alike.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: { root: string; name: string; version: string } | null = null;

export function packageInfo(): { root: string; name: string; version: string } {
  if (cached !== null) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const json = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      cached = { root: dir, name: json.name ?? 'tracevisor', version: json.version ?? '0.0.0' };
      return cached;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}
