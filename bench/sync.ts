// Clock sync (issue 11 §5): what gPTP costs on the default scenario. The cockpit (which runs gPTP:
// the gateway as grandmaster, two clients) records side by side with its copy without clock sync
// (test/fixtures/cockpit-no-sync.json), alternating, so the machine's load falls on both alike;
// min and median of each. --- CanTSyn (issue 11 §2): the same rounds also record
// test/sync/cockpit-cantsyn.json (the gateway a CanTSyn master on can0, the cluster a slave with a
// can device added for it, the infotainment VM on a paravirtual host clock) and that scenario with
// every clock.sync removed: the same topology (the cluster's can device takes every can0 frame),
// so their ratio is what CanTSyn + paravirt cost, not the added device.

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
  cantsynOffMs: MinMedian;
  eventsCantsynOff: number;
  /** median(cantsyn) / median(the same topology without clock.sync) wall time */
  cantsynCost: number;
}

/** The scenario with no clock synchronised, a VM's or an external ECU's (the topology unchanged). */
export function withoutSync(s: Scenario): Scenario {
  return {
    ...s,
    vms: s.vms.map((vm) => ({ ...vm, clock: { offsetNs: vm.clock.offsetNs, driftPpb: vm.clock.driftPpb, steps: vm.clock.steps } })),
    ecus: s.ecus.map(({ cantsyn: _slave, ...ecu }) => ecu),
  };
}

/** The cockpit without clock sync, and the CanTSyn variant, from the repository (bench runs from dist/bench). */
const COCKPIT_NO_SYNC = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'cockpit-no-sync.json');
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
  const synced = loadScenario('cockpit', { durationNs });
  const plain = loadScenario(COCKPIT_NO_SYNC, { durationNs });
  const cantsyn = loadScenario(COCKPIT_CANTSYN, { durationNs });
  const cantsynOff = withoutSync(cantsyn);
  const root = mkdtempSync(join(tmpdir(), 'tv-bench-sync-'));
  try {
    await timeRecord(loadScenario('cockpit', { durationNs: 1_000_000_000 }), join(root, 'warm'));
    const a: number[] = [];
    const b: number[] = [];
    const c: number[] = [];
    const d: number[] = [];
    let last = { with: { events: 0, sync: 0 }, without: { events: 0 }, cantsyn: { events: 0, sync: 0 }, cantsynOff: { events: 0 } };
    const sides = ['with', 'without', 'cantsyn', 'cantsynOff'] as const;
    const scenarioOf = { with: synced, without: plain, cantsyn, cantsynOff };
    const times = { with: a, without: b, cantsyn: c, cantsynOff: d };
    for (let r = 0; r < rounds; r++) {
      // rotate which goes first, so a drift in the machine's load does not favour one side
      for (const side of sides.map((_, i) => sides[(i + r) % sides.length]!)) {
        const x = await timeRecord(scenarioOf[side], join(root, side));
        times[side].push(x.ms);
        last = { ...last, [side]: x };
      }
    }
    const withMs = minMedian(a);
    const withoutMs = minMedian(b);
    const cantsynMs = minMedian(c);
    const cantsynOffMs = minMedian(d);
    return {
      virtualSeconds: durationNs / 1e9, rounds, syncRows: last.with.sync, eventsWith: last.with.events,
      eventsWithout: last.without.events, withMs, withoutMs, cost: withMs.median / withoutMs.median,
      cantsynMs, cantsynRows: last.cantsyn.sync, eventsCantsyn: last.cantsyn.events, cantsynOffMs,
      eventsCantsynOff: last.cantsynOff.events, cantsynCost: cantsynMs.median / cantsynOffMs.median,
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
    `  CanTSyn + paravirt on/off ${ms(s.cantsynMs)} / ${ms(s.cantsynOffMs)} (${s.eventsCantsyn} / ${s.eventsCantsynOff} events, ${s.cantsynRows} sync rows): ${s.cantsynCost.toFixed(2)}× wall time`,
  ].join('\n');
}
