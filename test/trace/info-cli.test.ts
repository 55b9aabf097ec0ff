// `info` as a user runs it (the built CLI in a child process): readable row counts after a
// kill -9, `info --verify` on intact and damaged traces, and the JSON members that carry them.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { scanTableFile, TABLE_NAMES } from '../../src/trace/index.js';
import { copyTrace, smallTrace, tablePath } from './damage-helpers.js';
import { tempDir } from './helpers.js';
import { CLI, requireCli, tv } from '../executable.js';


beforeAll(() => {
  requireCli();
});

describe('info after kill -9', () => {
  test('prints the rows the files hold (not the manifest\'s 0), clock and dlt rows included', async () => {
    const dir = join(tempDir('tv-killed-'), 'run');
    const child = spawn(process.execPath, [CLI, 'record', '-o', dir, '--duration', '30s', '--seed', '7'], { stdio: 'ignore' });
    const events = join(dir, 'events.arrow');
    const deadline = Date.now() + 60_000;
    // Two events batches (~2.9 MB each) on disk, then kill without warning.
    while ((!existsSync(events) || statSync(events).size < 6_000_000) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { complete: boolean };
    expect(manifest.complete).toBe(false);

    const framed = Object.fromEntries(TABLE_NAMES.map((t) => [t, scanTableFile(t, tablePath(dir, t)).rowsRecovered]));
    expect(framed.events).toBeGreaterThanOrEqual(2 * 60_000);
    expect(framed.clock, 'clock rows survive the kill').toBeGreaterThan(0);
    expect(framed.dlt, 'dlt rows survive the kill').toBeGreaterThan(0);

    const info = tv('info', dir);
    expect(info.code).toBe(0);
    expect(info.stdout).toMatch(/complete\s+NO \(the recording did not finish; rows readable were counted by scanning the files\)/);
    for (const table of TABLE_NAMES) {
      expect(info.stdout).toMatch(new RegExp(`  ${table}\\s+${framed[table]} rows readable`));
    }
    const json = tv('info', dir, '--json');
    expect(json.code).toBe(0);
    const readable = (JSON.parse(json.stdout) as { readable: Record<string, { rows: number }> }).readable;
    expect(Object.fromEntries(TABLE_NAMES.map((t) => [t, readable[t]!.rows]))).toEqual(framed);
  }, 90_000);
});

describe('info --verify', () => {
  const intact = smallTrace();

  test('an intact trace: every table ok, exit 0, and a "verification" member in JSON', () => {
    const r = tv('info', intact, '--verify');
    expect(r.code).toBe(0);
    for (const table of TABLE_NAMES) expect(r.stdout).toMatch(new RegExp(`\\n  ${table}\\s+ok`));
    const json = JSON.parse(tv('info', intact, '--verify', '--json').stdout) as { verification: { ok: boolean; problems: string[] }; readable?: unknown };
    expect(json.verification).toMatchObject({ ok: true, problems: [] });
    expect(json.readable).toBeUndefined();
  });

  test('a damaged table: what differs on stdout, one line on stderr, exit 2', () => {
    const dir = copyTrace(intact);
    const path = tablePath(dir, 'dlt');
    const bytes = readFileSync(path);
    const at = bytes.indexOf(Buffer.from('payload 5 of variant 0'));
    bytes[at] = 0xc3; // 'p' → a lone UTF-8 lead byte
    writeFileSync(path, bytes);
    const r = tv('info', dir, '--verify');
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/\n {2}events\s+ok/);
    expect(r.stdout).toMatch(/\n {2}dlt\s+DAMAGED: batch 2 at byte \d+: column payload: text is not valid UTF-8; 4 rows usable in the file, manifest says 12; content hash differs from the manifest/);
    expect(r.stderr).toMatch(/^tracevisor: .*: trace damaged: dlt: batch 2 at byte \d+: column payload: text is not valid UTF-8 \(and 2 more\)\n$/);
    const json = tv('info', dir, '--verify', '--json');
    expect(json.code).toBe(2);
    const verification = (JSON.parse(json.stdout) as { verification: { ok: boolean; tables: Record<string, { ok: boolean }> } }).verification;
    expect(verification.ok).toBe(false);
    expect(Object.fromEntries(Object.entries(verification.tables).map(([t, v]) => [t, v.ok]))).toEqual({ events: true, dlt: false, clock: true, inputs: true, sync: true, frames: true });
  });
});
