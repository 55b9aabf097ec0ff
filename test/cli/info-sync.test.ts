// `info` on a trace whose scenario runs clock sync (issue 11 §5): a line per synchronised VM with
// its role, and for a client its lock time and error after lock — the figures clock/sync gives
// through DuckDB, computed here by info from the sync table without it.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/util/package-root.js';
import { requireCli, tv } from '../executable.js';
import { tempDir } from '../trace/helpers.js';

let run: string;
beforeAll(() => {
  requireCli();
  run = join(tempDir('tv-info-sync-'), 'run');
  const scenario = join(packageRoot(), 'test', 'sync', 'cockpit-gptp.json');
  expect(tv('record', scenario, '-o', run, '--duration', '2s', '--snapshot-every', '0').code).toBe(0);
});

describe('info and clock sync', () => {
  it('lists each synchronised VM with its role, and a client\'s lock time and error as clock/sync says', () => {
    const info = tv('info', run);
    expect(info.code).toBe(0);
    const lines = info.stdout.split('\n');
    const at = lines.indexOf('clock sync');
    expect(at).toBeGreaterThan(0);
    const named = tv('query', run, '--named', 'clock/sync', '--format', 'json');
    expect(named.code, named.stderr).toBe(0);
    const names = JSON.parse(tv('query', run, 'SELECT name FROM vms ORDER BY vm', '--format', 'json').stdout).map((r: { name: string }) => r.name);
    const expected = (JSON.parse(named.stdout) as { vm: number; lock_ns: number; error_rms_ns: number; error_abs_max_ns: number }[]).map((r) =>
      `  ${names[r.vm].padEnd(13)} gptp client, locked at ${(r.lock_ns / 1e9).toFixed(3)} s, error after lock RMS ${r.error_rms_ns.toFixed(0)} ns, max ${r.error_abs_max_ns} ns`);
    expect(expected.length).toBeGreaterThan(0);
    const shown = lines.slice(at + 1, at + 4);
    for (const line of expected) expect(shown).toContain(line);
    expect(shown).toContain(`  ${'gateway'.padEnd(13)} gptp grandmaster`);
  });

  it('shows no clock sync lines for a scenario without it', () => {
    // the built-in cockpit runs gPTP: its copy from before, without clock sync
    const plain = join(tempDir('tv-info-plain-'), 'run');
    const scenario = join(packageRoot(), 'test', 'fixtures', 'cockpit-no-sync.json');
    expect(tv('record', scenario, '-o', plain, '--duration', '100ms', '--snapshot-every', '0').code).toBe(0);
    expect(tv('info', plain).stdout).not.toContain('clock sync');
  });
});
