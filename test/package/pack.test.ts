// The package as a user gets it: `npm pack`, `npm install <tarball>` into an empty project (no
// network beyond npm's cache, which `npm ci` filled), then the CLI's demo and the README's
// library example run there. Issue #8: the installed package could not find its own built-in
// scenarios ("cockpit: no such file, and not a built-in scenario": dist/ read them from src/,
// which was not shipped) and had no exports/types, so it could not be used from code.
// Slow (~30-60 s on a shared machine): everything happens once, in beforeAll.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageInfo } from '../../src/util/package-root.js';

const ROOT = packageInfo().root;
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const NPX = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const STEP_TIMEOUT_MS = 240_000;

let temp: string;
let project: string;
let packed: { filename: string; files: { path: string }[] };
let installOutput: string;

function run(command: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  // no CI-specific behaviour: the same steps under CI=true
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: STEP_TIMEOUT_MS });
  if (r.error) throw r.error;
  return r;
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The first ```js block of the README's "Library API" section, verbatim. */
function readmeApiExample(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Library API'));
  const match = /```js\n([\s\S]*?)```/.exec(section);
  if (match === null) throw new Error('README.md: no ```js block under "## Library API"');
  return match[1]!;
}

beforeAll(() => {
  temp = mkdtempSync(join(tmpdir(), 'tv-pack-'));
  // --ignore-scripts: the suite runs on a fresh build (npm test builds first); prepack would
  // build the same files again
  const json = ok(run(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', temp], ROOT), 'npm pack');
  packed = (JSON.parse(json) as (typeof packed)[])[0]!;
  project = join(temp, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'pack-check', private: true, type: 'module' }));
  const install = run(NPM, ['install', join(temp, packed.filename), '--prefer-offline', '--no-audit', '--no-fund'], project);
  ok(install, 'npm install');
  installOutput = install.stdout + install.stderr;
}, STEP_TIMEOUT_MS * 2);

afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe('npm pack → npm install → run', () => {
  test('the tarball holds what the code loads at run time, and not the sources', () => {
    const files = packed.files.map((f) => f.path);
    for (const needed of [
      'LICENSE', 'README.md', 'package.json', 'build/core.wasm', 'build/dlt.wasm',
      'src/scenario/builtin/cockpit.json', 'src/scenario/builtin/hostile.json',
      'queries/dlt/errors.sql', 'dist/cli/main.js', 'dist/src/index.js', 'dist/src/index.d.ts',
      'dist/src/trace/writer-thread.js', 'dist/src/sweep/worker.js',
    ]) {
      expect(files, needed).toContain(needed);
    }
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((f) => f.startsWith('dist/bench/'))).toEqual([]);
    // The repository's `prepare` script (npm ci builds the WASM and the CLI with it) ships in
    // package.json; npm 11 names it in an install-scripts notice, but never runs `prepare` for a
    // tarball or registry install, so no other script may appear there.
    const scripts = installOutput.split('\n').filter((l) => /install-scripts\s+\S+@/.test(l));
    expect(scripts.every((l) => /tracevisor@[^ ]+ \(prepare: npm run build\)/.test(l)), scripts.join('\n')).toBe(true);
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toMatch(/Apache License\s+Version 2\.0, January 2004/);
  }, STEP_TIMEOUT_MS);

  test('npx tracevisor demo works in the installing project (issue #8: "cockpit: no such file")', () => {
    const r = run(NPX, ['tracevisor', 'demo', '-o', 'traces/demo'], project);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/recorded cockpit \(seed 1\) for 10\.000 s of virtual time/);
    expect(r.stdout).toContain('$ tracevisor query traces/demo --named dlt/summary');
    const scenarios = run(NPX, ['tracevisor', 'scenarios'], project);
    expect(scenarios.status).toBe(0);
    expect(scenarios.stdout).toMatch(/cockpit/);
    expect(scenarios.stdout).toMatch(/hostile/);
  }, STEP_TIMEOUT_MS);

  test("the README's library example runs as written against the installed package", () => {
    writeFileSync(join(project, 'example.mjs'), readmeApiExample());
    const r = run(process.execPath, ['example.mjs'], project);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const recorded = /recorded (\d+) events, (\d+) DLT messages/.exec(r.stdout);
    expect(recorded, r.stdout).not.toBeNull();
    const manifest = JSON.parse(readFileSync(join(project, 'traces/api/manifest.json'), 'utf8'));
    expect(Number(recorded![1])).toBe(manifest.tables.events.rows);
    expect(Number(recorded![2])).toBe(manifest.tables.dlt.rows);
    const perEcu = [...r.stdout.matchAll(/^ {2}(\w+): (\d+) messages$/gm)];
    expect(perEcu.map((m) => m[1])).toEqual(['CLST', 'GW01', 'IVI1']);
    expect(perEcu.reduce((n, m) => n + Number(m[2]), 0)).toBe(manifest.tables.dlt.rows);
    expect(r.stdout).toMatch(/sched\/steal: 4 rows \(vm, /);
    expect(r.stdout).toContain(`exported ${manifest.tables.dlt.rows} DLT messages, imported ${manifest.tables.dlt.rows} back`);
  }, STEP_TIMEOUT_MS);

  test('the declarations type-check a TypeScript user of the package', () => {
    writeFileSync(join(project, 'use.ts'), [
      "import { loadScenario, QuerySession, type Scenario, type QueryResult, type Manifest } from 'tracevisor';",
      "const s: Scenario = loadScenario('cockpit');",
      'const seconds: number = s.durationNs / 1e9;',
      'async function rows(dir: string): Promise<QueryResult> {',
      '  const q = await QuerySession.open(dir);',
      "  try { return await q.run('SELECT 1'); } finally { q.close(); }",
      '}',
      'export { seconds, rows };',
      'export type { Manifest };',
      '',
    ].join('\n'));
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const flags = ['--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--target', 'es2022'];
    const good = run(process.execPath, [tsc, ...flags, 'use.ts'], project);
    expect(good.stdout + good.stderr).toBe('');
    expect(good.status).toBe(0);
    writeFileSync(join(project, 'wrong.ts'), "import { loadScenario } from 'tracevisor';\nconst n: string = loadScenario('cockpit').durationNs;\nexport { n };\n");
    // and a wrong use does not compile: the declarations carry the real types, not any
    const wrong = run(process.execPath, [tsc, ...flags, 'wrong.ts'], project);
    expect(wrong.status).not.toBe(0);
    expect(wrong.stdout).toMatch(/wrong\.ts\(2,7\): error TS2322/);
  }, STEP_TIMEOUT_MS);
});
