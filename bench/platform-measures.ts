// The platform section's measures named by issue 10's targets, each on the default scenario
// (cockpit, 10 s virtual) recorded the way `record` does it (recordScenario, Arrow files):
//   - crossings per trace event: every call into the core's exports, counted by a wrapper the
//     bench installs through src/core/wasm-file.ts setCoreExportsWrapper, over the events rows.
//     Deterministic (same scenario, same calls), so one record;
//   - time inside the core: a V8 CPU profile (node:inspector, 100 µs sampling) of warm records,
//     the share of sampled time in wasm frames (callFrame.url `wasm://…`), with the garbage
//     collector, JavaScript, V8's own work ("(program)") and idle time named beside it;
//   - bytes allocated per event: V8's sampling heap profiler over a warm record, keeping the
//     samples of objects the minor and major GCs collected (includeObjectsCollectedBy*GC), so it
//     estimates every byte allocated, not what survived; the tree's self sizes are V8's scaled
//     estimates (each sample stands for the bytes allocated around it), summed.
// The profiled figures are timed: >= 3 records each, min and median reported.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';
import { loadScenario } from '../src/scenario/load.js';
import { recordScenario } from '../src/platform/record.js';
import { setCoreExportsWrapper } from '../src/core/wasm-file.js';
import type { CoreExports } from '../src/core/exports.js';

const DURATION_NS = 10_000_000_000;
const CPU_SAMPLING_US = 100;
const HEAP_SAMPLING_BYTES = 4096;

/** Record the default scenario into a temp dir; its events row count. */
export async function recordDefault(durationNs = DURATION_NS): Promise<number> {
  const scenario = loadScenario('cockpit');
  scenario.durationNs = durationNs;
  const dir = mkdtempSync(join(tmpdir(), 'tv-measures-'));
  try {
    const { manifest } = await recordScenario(scenario, join(dir, 't'));
    return manifest.tables.events!.rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// --- crossings ---------------------------------------------------------------------------------

/** The exports with every function counted into `calls` by name (memory and values as they are). */
export function countingExports(x: CoreExports, calls: Map<string, number>): CoreExports {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(x)) {
    if (typeof value !== 'function') {
      out[name] = value;
      continue;
    }
    const f = value as (...args: unknown[]) => unknown;
    out[name] = (...args: unknown[]) => {
      calls.set(name, (calls.get(name) ?? 0) + 1);
      return f(...args);
    };
  }
  return out as unknown as CoreExports;
}

export interface Crossings {
  events: number;
  calls: number;
  perEvent: number;
  /** Every export called, most calls first. */
  byExport: { name: string; calls: number }[];
}

export async function measureCrossings(durationNs = DURATION_NS): Promise<Crossings> {
  const calls = new Map<string, number>();
  setCoreExportsWrapper((x) => countingExports(x, calls));
  let events: number;
  try {
    events = await recordDefault(durationNs);
  } finally {
    setCoreExportsWrapper(null);
  }
  const byExport = [...calls].map(([name, n]) => ({ name, calls: n }))
    .sort((a, b) => b.calls - a.calls || (a.name < b.name ? -1 : 1));
  const total = byExport.reduce((sum, e) => sum + e.calls, 0);
  return { events, calls: total, perEvent: total / events, byExport };
}

// --- CPU profile -------------------------------------------------------------------------------

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Shares of a profile's sampled time (0..1); `wasm` is time in WebAssembly frames. */
export interface TimeShares {
  wasm: number;
  gc: number;
  js: number;
  program: number;
  idle: number;
}

/** Where each sample's time went, weighted by the time to the next sample (timeDeltas). */
export function sharesOf(profile: CpuProfile): TimeShares {
  const kindOf = new Map<number, keyof TimeShares>();
  for (const n of profile.nodes) kindOf.set(n.id, frameKind(n.callFrame));
  const time: TimeShares = { wasm: 0, gc: 0, js: 0, program: 0, idle: 0 };
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    // timeDeltas[i] is the time since the previous sample: it belongs to sample i.
    const dt = Math.max(0, profile.timeDeltas[i] ?? 0);
    time[kindOf.get(profile.samples[i]!) ?? 'program'] += dt;
    total += dt;
  }
  for (const k of Object.keys(time) as (keyof TimeShares)[]) time[k] = total > 0 ? time[k] / total : 0;
  return time;
}

function frameKind(frame: { functionName: string; url: string }): keyof TimeShares {
  if (frame.url.startsWith('wasm://')) return 'wasm';
  if (frame.functionName === '(garbage collector)') return 'gc';
  if (frame.functionName === '(idle)') return 'idle';
  if (frame.functionName === '(program)' || frame.functionName === '(root)') return 'program';
  return 'js';
}

/** Run `run` between start and stop (stop also when it throws); what stop returned. */
async function between<T>(start: () => Promise<unknown>, run: () => Promise<unknown>,
  stop: () => Promise<T>): Promise<T> {
  await start();
  try {
    await run();
  } catch (e) {
    await stop();
    throw e;
  }
  return stop();
}

/**
 * --- pipeline (issue 10): the profile is of the main thread only. Since the events and frames
 * batches are written, hashed and digested on a writer thread (src/trace/column-file-writer.ts),
 * and snapshots compressed on one, that work is in no sample: the shares are of the main
 * thread's time. `ofProcessCpu` puts the wasm time over the CPU time of every thread instead.
 */
interface ProfiledRecord {
  shares: TimeShares;
  /** wasm time over the whole process's CPU time (every thread) in the same record */
  ofProcessCpu: number;
  /** the process's CPU time over the record's wall time (> 1: other threads worked alongside) */
  cpuPerWall: number;
}

function cpuMsNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function profileRecord(session: Session): Promise<ProfiledRecord> {
  await session.post('Profiler.setSamplingInterval', { interval: CPU_SAMPLING_US });
  let cpuMs = 0;
  let wallMs = 0;
  const { profile } = await between(() => session.post('Profiler.start'), async () => {
    const c0 = cpuMsNow();
    const t0 = performance.now();
    await recordDefault();
    cpuMs = cpuMsNow() - c0;
    wallMs = performance.now() - t0;
  }, () => session.post('Profiler.stop'));
  const p = profile as unknown as CpuProfile;
  const shares = sharesOf(p);
  const sampledMs = p.timeDeltas.reduce((n, dt) => n + Math.max(0, dt), 0) / 1000;
  return { shares, ofProcessCpu: (shares.wasm * sampledMs) / cpuMs, cpuPerWall: cpuMs / wallMs };
}

// --- allocation --------------------------------------------------------------------------------

interface HeapNode {
  selfSize: number;
  children: HeapNode[];
}

/** Bytes the sampling heap profile stands for: the scaled self sizes of every node. */
export function allocatedBytes(head: HeapNode): number {
  let bytes = 0;
  const stack = [head];
  while (stack.length > 0) {
    const n = stack.pop()!;
    bytes += n.selfSize;
    for (const c of n.children) stack.push(c);
  }
  return bytes;
}

/** Sample every allocation (collected ones included) while `run` goes; the bytes estimated. */
export async function sampleAllocations(session: Session, run: () => Promise<unknown>): Promise<number> {
  // The protocol typings of @types/node 20 predate the two include* flags V8 11 accepts.
  const params = {
    samplingInterval: HEAP_SAMPLING_BYTES,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  } as { samplingInterval: number };
  const { profile } = await between(() => session.post('HeapProfiler.startSampling', params), run,
    () => session.post('HeapProfiler.stopSampling'));
  return allocatedBytes(profile.head as unknown as HeapNode);
}

// --- the section -------------------------------------------------------------------------------

export interface Spread {
  min: number;
  median: number;
  values: number[];
}

function spread(values: number[]): Spread {
  const s = [...values].sort((a, b) => a - b);
  return { min: s[0]!, median: s[s.length >> 1]!, values };
}

export interface PlatformMeasures {
  crossings: Crossings;
  coreShare: Spread;
  /** --- pipeline (issue 10): the wasm time over every thread's CPU time, and CPU over wall */
  coreShareOfProcessCpu: Spread;
  cpuPerWall: Spread;
  shares: TimeShares[];
  bytesPerEvent: Spread;
  rounds: number;
}

export async function benchPlatformMeasures(opts: { rounds?: number } = {}): Promise<PlatformMeasures> {
  const rounds = Math.max(3, opts.rounds ?? 3);
  const crossings = await measureCrossings();
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('HeapProfiler.enable');
    await recordDefault(); // warm: JIT tiers, the WASM's TurboFan code, the module cache
    const shares: TimeShares[] = [];
    const ofProcessCpu: number[] = [];
    const cpuPerWall: number[] = [];
    const perEvent: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const profiled = await profileRecord(session);
      shares.push(profiled.shares);
      ofProcessCpu.push(profiled.ofProcessCpu);
      cpuPerWall.push(profiled.cpuPerWall);
      let events = 0;
      const bytes = await sampleAllocations(session, async () => {
        events = await recordDefault();
      });
      perEvent.push(bytes / events);
    }
    return {
      crossings, shares, rounds, coreShare: spread(shares.map((s) => s.wasm)),
      coreShareOfProcessCpu: spread(ofProcessCpu), cpuPerWall: spread(cpuPerWall),
      bytesPerEvent: spread(perEvent),
    };
  } finally {
    session.disconnect();
  }
}

const pct = (x: number) => `${(100 * x).toFixed(0)} %`;

export function formatPlatformMeasures(m: PlatformMeasures): string {
  const c = m.crossings;
  const top = c.byExport.slice(0, 8).map((e) => `${e.name} ${e.calls}`).join(', ');
  const median = (k: keyof TimeShares) => spread(m.shares.map((s) => s[k])).median;
  return [
    `  crossings per trace event ${c.perEvent.toFixed(2)} (${c.calls} calls into the core for` +
      ` ${c.events} events; target <= 0.1)`,
    `    top exports             ${top}`,
    `  time inside the core      ${pct(m.coreShare.median)} (median of ${m.rounds} profiled records,` +
      ` min ${pct(m.coreShare.min)}; target >= 50 %; of the main thread's time)`,
    // the writer thread's encode/write/sha256/digests and the snapshot thread are in no sample
    `    over all threads' CPU   ${pct(m.coreShareOfProcessCpu.median)} (min ${pct(m.coreShareOfProcessCpu.min)}; the` +
      ` process used ${m.cpuPerWall.median.toFixed(2)} CPU-s per wall-s: writer and snapshot threads beside the main one)`,
    `    the rest                GC ${pct(median('gc'))}, JavaScript ${pct(median('js'))},` +
      ` V8 (program) ${pct(median('program'))}, idle ${pct(median('idle'))}`,
    `  bytes allocated per event ${m.bytesPerEvent.median.toFixed(0)} B (median of ${m.rounds},` +
      ` min ${m.bytesPerEvent.min.toFixed(0)} B; target <= 50; V8 sampling heap profiler)`,
  ].join('\n');
}
