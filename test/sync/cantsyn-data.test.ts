// CanTSyn and the paravirtual clock as data (issue 11 §2, issue 10 §1): two recordings write the
// same sync table, and a snapshot restored mid-run (the stacks' state inside the VMs' state)
// runs on to exactly the sync rows of the full run.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordScenario } from '../../src/platform/record.js';
import { parseScenario } from '../../src/scenario/load.js';
import { requireCli, tv } from '../executable.js';
import { restoredSyncRuns, S, syncRowsOf } from './run.js';
import { master, slave, tsynScenario } from './cantsyn-run.js';

const DATA_IDS = Array.from({ length: 16 }, (_, i) => 0xa0 + i);
// Sync periods of 300 ms so a snapshot at 1 s or 2 s falls between a SYNC and its FUP now and then.
const scenario = () => parseScenario(tsynScenario([
  { name: 'gw', offsetNs: 5 * S, driftPpb: 20_000, sync: master({ crc: true, dataIds: DATA_IDS, syncPeriodNs: '300ms' }) },
  { name: 'cl', offsetNs: S, driftPpb: -30_000, sync: slave({ crc: true, dataIds: DATA_IDS }) },
  { name: 'pv', offsetNs: 4_000_000, driftPpb: 15_000, sync: { protocol: 'paravirt', periodNs: '50ms', jitterNs: 800 } },
], { durationNs: '3s' }), 'cantsyn');


describe('CanTSyn and paravirt as data', () => {
  it('determinism: two recordings write the same sync table (hash and bytes)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tv-cantsyn-det-'));
    const a = await recordScenario(scenario(), join(root, 'a'));
    const b = await recordScenario(scenario(), join(root, 'b'));
    // cantsyn: SYNCs at 0.3 .. 2.7 s answered (9); paravirt: reads at 50 ms .. 2.95 s (59) at least
    expect(a.manifest.tables.sync!.rows).toBeGreaterThanOrEqual(9 + 59);
    for (const t of ['events', 'clock', 'sync', 'frames'] as const) expect(a.manifest.tables[t]!.sha256).toBe(b.manifest.tables[t]!.sha256);
    expect(readFileSync(join(root, 'a', 'sync.arrow'))).toEqual(readFileSync(join(root, 'b', 'sync.arrow')));
    const protocols = new Set(syncRowsOf(join(root, 'a')).map((r) => JSON.parse(r).protocol));
    expect([...protocols].sort()).toEqual(['cantsyn', 'paravirt']);
  }, 60_000);

  it('a snapshot restored mid-run runs on to exactly the sync rows of the full run', async () => {
    const runs = await restoredSyncRuns(scenario, 3 * S, 'tv-cantsyn-snap-');
    expect(runs.length).toBe(2);
    for (const { rows, expected } of runs) {
      expect(expected.filter((r) => JSON.parse(r).protocol === 'cantsyn').length).toBeGreaterThanOrEqual(3);
      expect(rows).toEqual(expected);
    }
  }, 120_000);
});

describe('CanTSyn and paravirt through replay', () => {
  it('replay verifies a recorded run batch by batch and state digest by digest; --until stops mid-sync', async () => {
    requireCli();
    const dir = join(mkdtempSync(join(tmpdir(), 'tv-cantsyn-replay-')), 't');
    await recordScenario(scenario(), dir, { snapshotEveryNs: 1 * S });
    const full = tv('replay', dir);
    expect(full.code, full.stderr).toBe(0);
    expect(full.stdout).toMatch(/^replay identical: .*sync \d+ rows/m);
    // 2.1 s: after the master's SYNC at 2.1 s (its 7th at 300 ms), before its FUP 1 ms later
    const until = tv('replay', dir, '--until', '2100000500');
    expect(until.code, until.stderr).toBe(0);
    expect(until.stdout).toMatch(/stopped at 2100000500 ns/);
  }, 120_000);
});

describe('CanTSyn and paravirt in the clock queries', () => {
  it('clock/cantsyn and clock/sync on a recorded run: the slave is one frame time (222 µs) behind', async () => {
    const { QuerySession } = await import('../../src/query/index.js');
    const dir = join(mkdtempSync(join(tmpdir(), 'tv-cantsyn-q-')), 't');
    await recordScenario(parseScenario(tsynScenario([
      { name: 'gw', offsetNs: 5 * S, sync: master() },
      { name: 'cl', offsetNs: S, sync: slave({ correction: 'offset' }) },
      { name: 'pv', sync: { protocol: 'paravirt', jitterNs: 0 } },
    ]), 'cantsyn'), dir);
    const session = await QuerySession.open(dir);
    try {
      const cantsyn = await session.runNamed('clock/cantsyn');
      // 5 SYNC + FUP pairs (1 s .. 5 s); the first corrects, the 4 after are each 222 µs behind.
      const r = cantsyn.rows[0]!;
      expect(cantsyn.rows.length).toBe(1);
      expect([r[0], r[1], r[3], r[4], r[5], r[6]]).toEqual([1, 5n, -222_000, -222_000n, -222_000n, 0]);
      // t2: the SYNC's end (T + 222 µs). The master's main function finds t1 at T + 1 ms and sends
      // the FUP, which ends at T + 1.222 ms; the slave's interrupt handler costs IRQ_COST_NS (4 µs)
      // before t3 is read: t3 − t2 = 1 ms + 4 µs.
      expect(r[7]).toBe(1_004_000);
      const sync = await session.runNamed('clock/sync');
      const byVm = new Map(sync.rows.map((row) => [row[0], row]));
      expect(byVm.get(1)!.slice(1, 4)).toEqual(['cantsyn', 5n, 1n]); // protocol, updates, steps
      expect(byVm.get(1)![6]).toBe(222_000); // error RMS after lock
      expect(byVm.get(2)![1]).toBe('paravirt');
      expect(byVm.get(2)![7]).toBe(0n); // no jitter, no drift: |error| max 0 after lock
    } finally {
      session.close();
    }
  }, 60_000);
});
