// The package root (the directory holding package.json) and its name and version, found by
// walking up from this module, so files shipped beside the code (build/core.wasm, queries/,
// built-in scenarios) are found the same way from src/ (tests run the TypeScript) and from
// dist/src/ (the compiled CLI). The one place that knows how; everything else asks here.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PackageInfo {
  root: string;
  name: string;
  version: string;
}

const WALK_UP_MAX = 8;
let cached: PackageInfo | null = null;

export function packageInfo(): PackageInfo {
  if (cached !== null) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < WALK_UP_MAX; depth++) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const json = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      cached = { root: dir, name: json.name ?? 'tracevisor', version: json.version ?? '0.0.0' };
      return cached;
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`tracevisor: cannot find the package root (package.json) above ${import.meta.url}`);
}

export function packageRoot(): string {
  return packageInfo().root;
}

/**
 * The built-in scenario files: JSON kept in the source tree and shipped as is (package.json
 * "files" lists src/scenario/builtin), so src/ (tests) and dist/ (the installed CLI and
 * library) read the same files.
 */
export function builtinScenarioDir(): string {
  return join(packageRoot(), 'src', 'scenario', 'builtin');
}
