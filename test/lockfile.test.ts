// `npm ci` on a fresh clone must accept the lock: every optional dependency of every locked
// package needs an entry (see scripts/complete-lockfile.mjs for why npm here leaves some out).
import { expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/util/package-root.js';

test('package-lock.json lists every optional dependency, so npm ci accepts it', () => {
  const lock = JSON.parse(readFileSync(join(packageRoot(), 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { optionalDependencies?: Record<string, string> }>;
  };
  const missing: string[] = [];
  for (const [key, pkg] of Object.entries(lock.packages)) {
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) {
      const nested = `${key}/node_modules/${dep}`;
      if (!lock.packages[nested] && !lock.packages[`node_modules/${dep}`]) missing.push(`${dep} (of ${key || 'root'})`);
    }
  }
  expect(missing, 'run: node scripts/complete-lockfile.mjs').toEqual([]);
});
