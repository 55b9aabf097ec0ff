// Default scenario throughput, recording off (counting sink) and on (Arrow recorder), measured
// side by side in one run: events/s of virtual platform activity and Arrow bytes per event.

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario } from '../src/scenario/load.js';
import { Platform } from '../src/platform/platform.js';
import { CountingSink } from '../src/platform/sink.js';
import { recordScenario } from '../src/platform/record.js';

export interface PlatformBench {
  virtualSeconds: number;
  events: number;
  offEventsPerSec: number;
  onEventsPerSec: number;
  recordingCost: number; // on/off wall-time ratio
  arrowBytesPerEvent: number;
  /**
   * --- pipeline (issue 10): recording on with the events and frames written on the recording
   * thread (writerThread 'off'), in the same rounds; per-round median of on / on-without-thread.
   */
  onNoThreadEventsPerSec: number;
  threadRatio: number;
}

async function timeOff(durationNs: number): Promise<{ ms: number; events: number }> {
  const scenario = loadScenario('cockpit');
  const sink = new CountingSink();
  const platform = await Platform.create(scenario, sink);
  const t0 = performance.now();
  platform.run(durationNs);
  return { ms: performance.now() - t0, events: sink.eventRows };
}

async function timeOn(durationNs: number, writerThread: 'auto' | 'off' = 'auto'): Promise<{ ms: number; events: number; bytes: number }> {
  const scenario = loadScenario('cockpit');
  scenario.durationNs = durationNs;
  const dir = mkdtempSync(join(tmpdir(), 'tv-bench-'));
  try {
    const t0 = performance.now();
    const { manifest } = await recordScenario(scenario, join(dir, 't'), { writerThread });
    const ms = performance.now() - t0;
    const bytes = statSync(join(dir, 't', 'events.arrow')).size;
    return { ms, events: manifest.tables.events!.rows, bytes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchPlatform(opts: { durationNs?: number; rounds?: number } = {}): Promise<PlatformBench> {
  const durationNs = opts.durationNs ?? 10_000_000_000;
  const rounds = opts.rounds ?? 3;
  const off: number[] = [];
  const on: number[] = [];
  const onNoThread: number[] = [];
  let events = 0;
  let bytes = 0;
  await timeOff(1_000_000_000); // warm up JIT and the WASM tiers
  for (let r = 0; r < rounds; r++) {
    const a = await timeOff(durationNs);
    // the thread and no thread in turns, order swapped each round
    const c0 = r % 2 === 1 ? await timeOn(durationNs, 'off') : null;
    const b = await timeOn(durationNs);
    const c = c0 ?? (await timeOn(durationNs, 'off'));
    off.push(a.ms);
    on.push(b.ms);
    onNoThread.push(c.ms);
    events = b.events;
    bytes = b.bytes;
    if (a.events !== b.events) throw new Error(`assert: recording changed the run (${a.events} vs ${b.events} events)`);
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const offMs = median(off);
  const onMs = median(on);
  return {
    virtualSeconds: durationNs / 1e9,
    events,
    offEventsPerSec: (events / offMs) * 1000,
    onEventsPerSec: (events / onMs) * 1000,
    recordingCost: onMs / offMs,
    arrowBytesPerEvent: bytes / events,
    onNoThreadEventsPerSec: (events / median(onNoThread)) * 1000,
    threadRatio: median(on.map((x, i) => x / onNoThread[i]!)),
  };
}
