// The package root (the directory holding package.json), found by walking up from this module,
// so files shipped beside the code (build/core.wasm, queries/, built-in scenarios) are found the
// same way from src/ (tests run the TypeScript) and from dist/src/ (the compiled CLI).

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | null = null;

export function packageRoot(): string {
  if (cached !== null) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 8; depth++) {
    if (existsSync(join(dir, 'package.json'))) return (cached = dir);
    dir = dirname(dir);
  }
  throw new Error('tracevisor: cannot find the package root (package.json) above ' + import.meta.url);
}
