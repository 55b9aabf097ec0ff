// Clock sync (issue 11 §5): what gPTP costs on the default scenario. The cockpit (which runs gPTP:
// the gateway as grandmaster, two clients) records side by side with its copy without clock sync
// (test/fixtures/cockpit-no-sync.json), alternating, so the machine's load falls on both alike;
// min and median of each.

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
}

/** The cockpit without clock sync, from the repository (bench runs from dist/bench). */
const COCKPIT_NO_SYNC = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'cockpit-no-sync.json');

async function timeRecord(scenario: Scenario, dir: string): Promise<{ ms: number; events: number; sync: number }> {
  const t0 = performance.now();
  const { manifest } = await recordScenario(scenario, dir, { overwrite: true });
  const ms = performance.now() - t0;
  return { ms, events: manifest.tables.events!.rows, sync: manifest.tables.sync!.rows };
}

export async function benchSync(opts: { durationNs?: number; rounds?: number } = {}): Promise<SyncBench> {
  const durationNs = opts.durationNs ?? 10_000_000_000;
  const rounds = opts.rounds ?? 5;
  const synced = loadScenario('cockpit', { durationNs });
  const plain = loadScenario(COCKPIT_NO_SYNC, { durationNs });
  const root = mkdtempSync(join(tmpdir(), 'tv-bench-sync-'));
  try {
    await timeRecord(loadScenario('cockpit', { durationNs: 1_000_000_000 }), join(root, 'warm'));
    const a: number[] = [];
    const b: number[] = [];
    let last = { with: { events: 0, sync: 0 }, without: { events: 0 } };
    for (let r = 0; r < rounds; r++) {
      // alternate which goes first, so a drift in the machine's load does not favour one side
      const order = r % 2 === 0 ? ['with', 'without'] as const : ['without', 'with'] as const;
      for (const side of order) {
        const x = await timeRecord(side === 'with' ? synced : plain, join(root, side));
        (side === 'with' ? a : b).push(x.ms);
        if (side === 'with') last.with = x;
        else last = { ...last, without: x };
      }
    }
    const withMs = minMedian(a);
    const withoutMs = minMedian(b);
    return {
      virtualSeconds: durationNs / 1e9, rounds, syncRows: last.with.sync, eventsWith: last.with.events,
      eventsWithout: last.without.events, withMs, withoutMs, cost: withMs.median / withoutMs.median,
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
  ].join('\n');
}
