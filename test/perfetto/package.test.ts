// The schema file is read at run time (schema.ts: relative to the package root, from src/ in
// tests and from the bundled dist/cli/main.js), so the package must ship it: `npm pack` lists it.
// (test/package/pack.test.ts installs the tarball and runs the demo; this is the cheap check.)

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PROTO_PATH_IN_PACKAGE } from '../../src/formats/perfetto/schema.js';
import { packageRoot } from '../../src/util/package-root.js';

describe('package', () => {
  it('ships src/formats/perfetto/trace.proto', () => {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const r = spawnSync(npm, ['pack', '--dry-run', '--ignore-scripts', '--json'], { cwd: packageRoot(), encoding: 'utf8', timeout: 120_000 });
    expect(r.status).toBe(0);
    const files = (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(files).toContain(PROTO_PATH_IN_PACKAGE.split('\\').join('/'));
  }, 120_000);
});
