// The scenario side of the command line, as a user runs it (the compiled CLI in a child process;
// `npm test` builds first): templates, the schema, --duration and load errors with exit codes.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario } from '../../src/scenario/load.js';
import { requireCli, tv } from '../executable.js';

let root: string;

beforeAll(() => {
  requireCli();
  root = mkdtempSync(join(tmpdir(), 'tv-scn-cli-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('tracevisor scenarios', () => {
  test('--show prints a template that, with "$schema" added, records as it is', () => {
    const show = tv('scenarios', '--show', 'hostile');
    expect(show.code).toBe(0);
    const schema = tv('scenarios', '--schema');
    expect(schema.code).toBe(0);
    writeFileSync(join(root, 'scenario.schema.json'), schema.stdout);
    const file = join(root, 'mine.json');
    writeFileSync(file, JSON.stringify({ $schema: './scenario.schema.json', ...JSON.parse(show.stdout) }, null, 2));
    const rec = tv('record', file, '-o', join(root, 'mine'), '--duration', '50ms');
    expect(rec.stderr).toBe('');
    expect(rec.code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(root, 'mine', 'manifest.json'), 'utf8'));
    expect(manifest.scenario.name).toBe('hostile');
    expect('$schema' in manifest.scenario).toBe(false);
  });

  test('--json lists the built-ins; an unknown --show name is one line, exit 2', () => {
    const list = tv('scenarios', '--json');
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).map((s: { name: string }) => s.name)).toEqual(['cockpit', 'hostile']);
    const bad = tv('scenarios', '--show', 'nope');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('tracevisor: nope: not a built-in scenario (built-ins: cockpit, hostile)\n');
  });
});

describe('record: what does not run is refused before it starts', () => {
  test('--duration 0s and absurd values: a specific message, exit 2', () => {
    for (const d of ['0s', '1000000h']) {
      const r = tv('record', 'hostile', '-o', join(root, 'd'), '--duration', d);
      expect(r.code, d).toBe(2);
      expect(r.stderr, d).toBe(`tracevisor: --duration: must be > 0 and at most 24h, got "${d}"\n`);
    }
  });

  test('a --duration that makes a bus budget overflow is refused like the same durationNs in the file', () => {
    const file = join(root, 'budget.json');
    writeFileSync(file, JSON.stringify({
      name: 'budget', durationNs: '1s',
      vms: [{ name: 'a', ecu: 'A', busBudget: { bytesPerPeriod: 1_000_000, periodNs: '1ms' },
        program: { type: 'cluster', framePeriodNs: '1ms', framebufferBytes: 2 ** 20, fullRedrawFactor: 64 } }],
    }));
    expect(loadScenario(file).durationNs).toBe(1_000_000_000); // valid as written
    const r = tv('record', file, '-o', join(root, 'b'), '--duration', '24h');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tracevisor: .*budget\.json: vms\[0\]\.busBudget\.periodNs: the program may run up a debt of \d+ bytes in 86400000000000 ns .*\n$/);
  });
});
