// Time travel on a trace with outside inputs: the recorded `inputs` rows are fed back (the
// candump file is gone by then), so a break on an input row finds it where the recording has it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireCli, tv } from '../executable.js';

let trace: string;

beforeAll(() => {
  requireCli();
  const dir = mkdtempSync(join(tmpdir(), 'tv-travel-in-'));
  const log = join(dir, 'can.log');
  // relative times 0, 10 ms and 50.287 ms (candump -l stamps minus the first)
  writeFileSync(log, '(1436509052.249713) can0 123#DEADBEEF\n(1436509052.259713) can0 12345678#0011\n(1436509052.300000) can0 456#R\n');
  trace = join(dir, 'trace');
  const r = tv('record', 'cockpit', '--duration', '200ms', '--can-input', `can0=${log}`, '-o', trace);
  expect(r.code, r.stderr).toBe(0);
  rmSync(log); // re-execution must not need it
});

describe('replay --break on a trace with inputs', () => {
  it('finds the third input row at its recorded time (50.287 ms after the first stamp) and stops at or after it', () => {
    const r = tv('replay', trace, '--break', "kind = 'input' AND id = 2", '--state', '--format', 'json');
    expect(r.code, r.stderr).toBe(0);
    const state = JSON.parse(r.stdout) as { stop: { reason: string; timeNs: number; event: { ts_ns: number; seq: number } } };
    expect(state.stop.reason).toBe('break');
    expect(Number(state.stop.event.ts_ns)).toBe(50_287_000);
    expect(state.stop.timeNs).toBeGreaterThanOrEqual(50_287_000);
  });

  it('--until after the last input equals the recording (replay verifies the same trace identical)', () => {
    const verify = tv('replay', trace);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/inputs 3 rows/);
  });
});
