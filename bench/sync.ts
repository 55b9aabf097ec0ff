// Clock sync (issue 11 §5): what gPTP costs on the default scenario. The cockpit records side by
// side with gPTP (test/sync/cockpit-gptp.json: the same scenario with the gateway as grandmaster
// and two clients) and without, alternating, so the machine's load falls on both alike; min and
// median of each. --- CanTSyn (issue 11 §2): the same rounds also record
// test/sync/cockpit-cantsyn.json (the gateway a CanTSyn master on can0, the cluster a slave with a
// can device added for it, the infotainment VM on a paravirtual host clock).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordScenario } from '../src/platform/record.js';
import { loadScenario } from '../src/scenario/load.js';
import type { Scenario } from '../src/scenario/schema.js';
import { minMedian, type MinMedian } from './stats.js';

export interface SyncBench {
  virtualSeconds: number;
  rounds: number;
  syncRows: number;
  eventsWith: number;
  eventsWithout: number;
  withMs: MinMedian;
  withoutMs: MinMedian;
  /** median(with) / median(without) wall time (1.00 = free) */
  cost: number;
  // --- CanTSyn + paravirt (issue 11 §2)
  cantsynMs: MinMedian;
  cantsynRows: number;
  eventsCantsyn: number;
  /** median(cantsyn) / median(without) wall time */
  cantsynCost: number;
}

/** The cockpit with gPTP, from the repository (bench runs from dist/bench). */
const COCKPIT_GPTP = join(import.meta.dirname, '..', '..', 'test', 'sync', 'cockpit-gptp.json');
const COCKPIT_CANTSYN = join(import.meta.dirname, '..', '..', 'test', 'sync', 'cockpit-cantsyn.json');

async function timeRecord(scenario: Scenario, dir: string): Promise<{ ms: number; events: number; sync: number }> {
  const t0 = performance.now();
  const { manifest } = await recordScenario(scenario, dir, { overwrite: true });
  const ms = performance.now() - t0;
  return { ms, events: manifest.tables.events!.rows, sync: manifest.tables.sync!.rows };
}

export async function benchSync(opts: { durationNs?: number; rounds?: number } = {}): Promise<SyncBench> {
  const durationNs = opts.durationNs ?? 10_000_000_000;
  const rounds = opts.rounds ?? 5;
  const synced = loadScenario(COCKPIT_GPTP, { durationNs });
  const plain = loadScenario('cockpit', { durationNs });
  const cantsyn = loadScenario(COCKPIT_CANTSYN, { durationNs });
  const root = mkdtempSync(join(tmpdir(), 'tv-bench-sync-'));
  try {
    await timeRecord(loadScenario('cockpit', { durationNs: 1_000_000_000 }), join(root, 'warm'));
    const a: number[] = [];
    const b: number[] = [];
    const c: number[] = [];
    let last = { with: { events: 0, sync: 0 }, without: { events: 0 }, cantsyn: { events: 0, sync: 0 } };
    for (let r = 0; r < rounds; r++) {
      // rotate which goes first, so a drift in the machine's load does not favour one side
      const sides = ['with', 'without', 'cantsyn'] as const;
      const order = [0, 1, 2].map((i) => sides[(i + r) % 3]!);
      for (const side of order) {
        const scenario = side === 'with' ? synced : side === 'cantsyn' ? cantsyn : plain;
        const x = await timeRecord(scenario, join(root, side));
        (side === 'with' ? a : side === 'cantsyn' ? c : b).push(x.ms);
        last = { ...last, [side]: x };
      }
    }
    const withMs = minMedian(a);
    const withoutMs = minMedian(b);
    const cantsynMs = minMedian(c);
    return {
      virtualSeconds: durationNs / 1e9, rounds, syncRows: last.with.sync, eventsWith: last.with.events,
      eventsWithout: last.without.events, withMs, withoutMs, cost: withMs.median / withoutMs.median,
      cantsynMs, cantsynRows: last.cantsyn.sync, eventsCantsyn: last.cantsyn.events, cantsynCost: cantsynMs.median / withoutMs.median,
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export function formatSyncBench(s: SyncBench): string {
  const ms = (m: MinMedian) => `min ${m.min.toFixed(0)} ms, median ${m.median.toFixed(0)} ms`;
  return [
    `clock sync: recording cockpit, ${s.virtualSeconds} s virtual, ${s.rounds} rounds alternating`,
    `  with gPTP                 ${ms(s.withMs)} (${s.eventsWith} events, ${s.syncRows} sync rows)`,
    `  without clock.sync        ${ms(s.withoutMs)} (${s.eventsWithout} events)`,
    `  cost of gPTP              ${s.cost.toFixed(2)}× wall time (median / median)`,
    `  with CanTSyn + paravirt   ${ms(s.cantsynMs)} (${s.eventsCantsyn} events, ${s.cantsynRows} sync rows), ${s.cantsynCost.toFixed(2)}× wall time`,
  ].join('\n');
}
