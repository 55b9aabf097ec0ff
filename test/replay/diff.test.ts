// tracevisor diff (issue 9 §3): the first differing event of two seeds, worked out by reasoning
// on a tiny scenario; a trace against itself; --named side by side; identical batches skipped
// by their digests.
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Core } from '../../src/core/core.js';
import { coreLimitsFor } from '../../src/platform/platform.js';
import { diffTraces } from '../../src/replay/diff.js';
import { parseScenario } from '../../src/scenario/load.js';
import { requireCli, tv } from '../executable.js';
import { tempDir } from '../trace/helpers.js';
import { columnValues, rewriteTable } from './tamper.js';

const SCENARIO = join(import.meta.dirname, 'tiny-ecu.json');
let seed7: string;
let seed8: string;

function record(seed: number): string {
  const dir = join(tempDir('tv-diff-'), `seed${seed}`);
  const r = tv('record', SCENARIO, '--seed', String(seed), '-o', dir);
  expect(r.code, r.stderr).toBe(0);
  return dir;
}

/**
 * tiny-ecu.json: the VM is idle and has no devices, so the only source of events is the one
 * external ECU; its k-th frame is released at (k + 1) x 10 ms + jitter_k, jitter_k drawn with
 * prngBelow(1 ms + 1) from the ECU's PRNG stream (17: the first ECU stream, platform.ts). The
 * first event of the run is the first frame's CAN arbitration at 10 ms + jitter_0, the first
 * row that depends on the seed: so events row 0 is where seeds 7 and 8 part, and nothing in the
 * clock table (offsets and steal of an idle VM) depends on the seed at all.
 */
function firstReleaseNs(seed: number): number {
  const scenario = parseScenario(JSON.parse(readFileSync(SCENARIO, 'utf8')), SCENARIO);
  const core = Core.loadSync(coreLimitsFor(scenario), BigInt(seed));
  return 10_000_000 + core.prngBelow(17, 1_000_000 + 1);
}

beforeAll(() => {
  requireCli();
  seed7 = record(7);
  seed8 = record(8);
});

describe('diff', () => {
  it('seed 7 against seed 8 names the first frame of the ECU, the first row the PRNG decides', () => {
    const t7 = firstReleaseNs(7);
    const t8 = firstReleaseNs(8);
    expect(t7).not.toBe(t8);
    const r = tv('diff', seed7, seed8);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toContain(`first divergent row: events row 0 (batch 0) at ts_ns ${t7} seq `);
    const marked = r.stdout.split('\n').filter((l) => l.startsWith('  * '));
    expect(marked).toHaveLength(1);
    expect(marked[0]!.split(/\s+/).slice(2)).toEqual(['ts_ns', String(t7), String(t8)]);
    expect(r.stdout).toMatch(/kind\s+"can_arbitration"\s+"can_arbitration"/);
    expect(r.stdout).toContain('  clock: identical');
    // 29 frames in 300 ms for both seeds (releases at 10 ms … 290 ms, plus under 1 ms of
    // jitter): arbitration and transmission each, nobody receives them.
    expect(r.stdout).toMatch(/events can_arbitration\s+29\s+29\s+0\n/);
    expect(r.stdout).toMatch(/rows events\s+58\s+58\s+0\n/);
    // --- diff skipping (issue 10 §3): reading both whole names the same row, the same way
    const whole = tv('diff', seed7, seed8, '--no-skip');
    expect(whole.code).toBe(3);
    expect(whole.stdout).toContain(`first divergent row: events row 0 (batch 0) at ts_ns ${t7} seq `);
    expect(whole.stdout.split('\n').filter((l) => l.startsWith('  * '))).toEqual(marked);
  });

  it('seed 7 against seed 8: the state differs from the first epoch on, first in the engine', () => {
    const r = tv('diff', seed7, seed8);
    // At the first epoch's end (100 ms) the engine's next event is the ECU's next release,
    // (k + 1) x 10 ms + jitter_k, which the seed decides; the engine is compared before the VMs
    // and the core components (digest-state.ts), and the idle VM's state depends on no seed.
    expect(r.stdout).toContain('  state: first differs at epoch 1 (at 100.000 ms), engine\n');
  });

  it('a run against a longer run of the same scenario: the shorter one ends, the longer goes on', () => {
    const short = join(tempDir('tv-diff-len-'), 'short');
    const long = join(tempDir('tv-diff-len-'), 'long');
    expect(tv('record', 'cockpit', '--duration', '2s', '-o', short).code).toBe(0);
    expect(tv('record', 'cockpit', '--duration', '3s', '-o', long).code).toBe(0);
    // The first 2 s are the same run (stopping never changes it), so every table agrees until
    // the short trace ends; the earliest row past that is the long run's first event after 2 s.
    const rows = (JSON.parse(readFileSync(join(short, 'manifest.json'), 'utf8')) as { tables: Record<string, { rows: number }> }).tables.events!.rows;
    const diff = diffTraces(short, long);
    expect(diff.first?.table).toBe('events');
    expect(diff.first?.row).toBe(rows);
    expect(diff.first?.left).toBeNull();
    expect(diff.first?.right?.ts_ns as bigint).toBeGreaterThan(2_000_000_000n);
    expect(diff.state).toBeNull(); // the 20 epochs both have agree
    expect(diff.epochsCompared).toBe(20);
    const r = tv('diff', short, long);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain(`  a has no row ${rows} of events: it ends there; b goes on`);
  });

  it('a trace against itself is identical: exit 0', () => {
    const r = tv('diff', seed7, seed7);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('traces identical: events 58 rows');
  });

  it('--named runs the query on both and prints them side by side', () => {
    const r = tv('diff', seed7, seed8, '--named', 'clock/offset');
    expect(r.code, r.stderr).toBe(3);
    const part = r.stdout.slice(r.stdout.indexOf('clock/offset:'));
    const lines = part.split('\n');
    expect(lines[1]).toMatch(/^a\s+│ b$/);
    expect(lines[2]).toMatch(/^vm .*offset_ns_min.*│ vm .*offset_ns_min/);
    expect(part).toMatch(/\(1 row\)\s+│ \(1 row\)/);
  });

  it('skips batches whose digests agree and compares rows only from the first differing batch', () => {
    const a = join(tempDir('tv-diff-c-'), 'a');
    const r = tv('record', 'cockpit', '--duration', '3s', '-o', a);
    expect(r.code, r.stderr).toBe(0);
    const b = join(tempDir('tv-diff-c-'), 'b');
    cpSync(a, b, { recursive: true });
    let batch0Rows = 0;
    rewriteTable(b, 'events', (index, batch) => {
      if (index === 0) batch0Rows = batch.numRows;
      if (index === 1) columnValues<Int32Array>(batch, 'len')[5]! += 1;
    });
    const diff = diffTraces(a, b);
    expect(diff.first?.table).toBe('events');
    expect(diff.first?.row).toBe(batch0Rows + 5);
    expect(diff.first?.batch).toBe(1);
    expect(diff.tables.dlt).toBeNull();
    // events batch 0 and every batch of dlt, clock, sync (the cockpit runs gPTP), frames (and no
    // inputs) were skipped by digest
    const manifest = JSON.parse(readFileSync(join(a, 'manifest.json'), 'utf8')) as { tables: Record<string, { batches: number }> };
    const { dlt, clock, inputs, sync, frames } = manifest.tables;
    expect([frames!.batches > 0, sync!.batches > 0, inputs!.batches]).toEqual([true, true, 0]);
    expect(diff.batchesSkipped).toBe(1 + dlt!.batches + clock!.batches + sync!.batches + frames!.batches);
  });
});
