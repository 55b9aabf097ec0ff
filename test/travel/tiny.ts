// Tiny scenarios for the time-travel tests: one VM with one vCPU on one physical CPU, a console
// (device 0) and the cluster program with no jitter and no framebuffer traffic, so every event
// time can be worked out by hand (the tests do, in comments).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Platform, type RunSummary } from '../../src/platform/platform.js';
import type { PlatformSink } from '../../src/platform/sink.js';
import { recordScenario } from '../../src/platform/record.js';
import { parseScenario } from '../../src/scenario/load.js';

export const FRAME_PERIOD_NS = 10_000_000;
export const SLICE_NS = 2_000_000;
export const RUN_NS = 25_000_000;

/** One VM "solo": frames of `frameCostNs` every 10 ms, 2 ms slices, 25 ms run. */
export function tinyScenario(frameCostNs: number): Record<string, unknown> {
  return {
    name: 'tiny',
    seed: 5,
    durationNs: RUN_NS,
    pcpus: 1,
    sliceNs: SLICE_NS,
    clockSampleNs: 100_000_000,
    vms: [
      {
        name: 'solo', ecu: 'SOLO', vcpus: 1, priority: 50,
        devices: [{ type: 'console' }],
        program: { type: 'cluster', framePeriodNs: FRAME_PERIOD_NS, frameCostNs, frameCostJitterNs: 0, framebufferBytes: 0 },
      },
    ],
  };
}

export async function recordTiny(frameCostNs: number): Promise<string> {
  const dir = join(mkdtempSync(join(tmpdir(), 'tv-travel-')), 'trace');
  await recordScenario(parseScenario(tinyScenario(frameCostNs), 'test'), dir);
  return dir;
}

export interface FreshRun {
  summary: RunSummary;
  /** every event row's (seq, kind, ts, val), in emission order */
  rows: { seq: number; kind: number; ts: number; val: number }[];
  /** the wire bytes of each DLT message, in order */
  dltWire: Uint8Array[];
}

/** The same scenario run straight through, collecting rows in memory (no trace, no replay). */
export async function freshRun(frameCostNs: number): Promise<FreshRun> {
  const rows: FreshRun['rows'] = [];
  const dltWire: Uint8Array[] = [];
  const sink: PlatformSink = {
    events(cols, count) {
      for (let i = 0; i < count; i++) {
        rows.push({ seq: Number(cols.seq[i]), kind: cols.kind[i]!, ts: Number(cols.ts_ns[i]), val: Number(cols.val[i]) });
      }
    },
    dlt: (_row, wire) => dltWire.push(wire.slice()),
    clock: () => {},
    input: () => {},
  };
  const platform = await Platform.create(parseScenario(tinyScenario(frameCostNs), 'test'), sink);
  return { summary: platform.run(RUN_NS), rows, dltWire };
}
