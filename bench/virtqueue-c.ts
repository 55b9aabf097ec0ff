// The C reference of the virtqueue cycle (bench/c/virtqueue.c, issue 10 §4): compiled here with
// the system's `cc -O2` into a temp directory (never a committed binary), checked row for row
// against the core on the same chains, then timed one process per round (the program times its
// own cycle loop with CLOCK_MONOTONIC, so process start-up is not in the figure).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../src/util/package-root.js';
import type { TraceColumns } from '../src/core/api.js';
import type { Core } from '../src/core/core.js';

export const C_REF_SOURCE = join(packageRoot(), 'bench', 'c', 'virtqueue.c');
/** -O2 as a careful engineer ships it; no -march: the WASM has no host-specific SIMD either. */
const CC_FLAGS = ['-O2', '-std=c11', '-Wall', '-Wextra', '-Werror'];
const MAGIC = 0x31435156; // 'VQC1'

export interface CRef {
  exe: string;
  /** Remove the temp directory holding the binary. */
  dispose(): void;
}

/** Why the C reference cannot run here (one line), or null when `cc` works. */
export function cRefUnavailable(): string | null {
  const r = spawnSync('cc', ['--version'], { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) return 'no C compiler (`cc`) on this machine';
  return null;
}

export function buildCRef(): CRef {
  const dir = mkdtempSync(join(tmpdir(), 'tv-vq-c-'));
  const exe = join(dir, 'virtqueue');
  const r = spawnSync('cc', [...CC_FLAGS, '-o', exe, C_REF_SOURCE], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`bench virtqueue: cc failed on ${C_REF_SOURCE}: ${r.stderr || r.error}`);
  }
  return { exe, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** What the C program wrote in verify mode. */
export interface CRefOutput {
  rows: number;
  rowsDrained: number;
  s2Hits: number;
  s2Misses: number;
  iommuHits: number;
  iommuMisses: number;
  columns: TraceColumns;
  rings: Uint8Array;
}

/** Run `verify`: the same set-up and chains as bench/virtqueue.ts setupCore + benchCycle. */
export function runCRefVerify(ref: CRef, chains: number, nowNs: number): CRefOutput {
  const out = join(ref.exe + '.verify.bin');
  const r = spawnSync(ref.exe, ['verify', String(chains), String(nowNs), out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bench virtqueue: C reference verify failed: ${r.stderr}`);
  const bytes = readFileSync(out);
  rmSync(out, { force: true });
  return parseVerify(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

function parseVerify(bytes: Uint8Array): CRefOutput {
  // Copy so every typed array below starts on an aligned offset of its own buffer.
  const buf = bytes.slice().buffer;
  const head = new Uint32Array(buf, 0, 4);
  if (head[0] !== MAGIC) throw new Error('bench virtqueue: C reference output has no VQC1 magic');
  const rows = head[1]!;
  const tlb = new BigInt64Array(buf, 16, 4);
  let at = 48;
  const take = <T>(make: (b: ArrayBuffer, off: number, n: number) => T, width: number): T => {
    const v = make(buf.slice(at, at + rows * width), 0, rows);
    at += rows * width;
    return v;
  };
  const i64 = (b: ArrayBuffer, o: number, n: number) => new BigInt64Array(b, o, n);
  const i16 = (b: ArrayBuffer, o: number, n: number) => new Int16Array(b, o, n);
  const columns: TraceColumns = {
    ts_ns: take(i64, 8), seq: take(i64, 8), vm: take(i16, 2), vcpu: take(i16, 2),
    kind: take((b, o, n) => new Uint8Array(b, o, n), 1), dev: take(i16, 2), queue: take(i16, 2),
    id: take(i64, 8), len: take((b, o, n) => new Int32Array(b, o, n), 4), val: take(i64, 8),
  };
  const rings = new Uint8Array(buf, at, head[3]!);
  if (at + head[3]! !== bytes.length) throw new Error('bench virtqueue: C reference output size');
  return {
    rows, rowsDrained: head[2]!, columns, rings,
    s2Hits: Number(tlb[0]), s2Misses: Number(tlb[1]), iommuHits: Number(tlb[2]),
    iommuMisses: Number(tlb[3]),
  };
}

/** The first difference between the core's columns and the C reference's, or null. */
export function columnsDiffer(core: TraceColumns, ref: TraceColumns): string | null {
  for (const name of Object.keys(ref) as (keyof TraceColumns)[]) {
    const a = core[name];
    const b = ref[name];
    if (a.length !== b.length) return `column ${name}: ${a.length} rows vs ${b.length}`;
    for (let i = 0; i < a.length; i++) {
      if (a[i] !== b[i]) return `row ${i} column ${name}: core ${a[i]}, C reference ${b[i]}`;
    }
  }
  return null;
}

/** The core's state after the same run, compared with the C output; throws on the first gap. */
export function checkCoreAgainstC(core: Core, rowsDrained: number, c: CRefOutput,
  rings: { gpa: number; bytes: number }): void {
  const same = (what: string, a: number, b: number) => {
    if (a !== b) throw new Error(`bench virtqueue: core and C reference differ in ${what}: ${a} vs ${b}`);
  };
  same('rows drained', rowsDrained, c.rowsDrained);
  const diff = columnsDiffer(core.traceColumns(), c.columns);
  if (diff !== null) throw new Error(`bench virtqueue: core and C reference differ: ${diff}`);
  same('stage-2 TLB hits', core.tlbStats(0).hits, c.s2Hits);
  same('stage-2 TLB misses', core.tlbStats(0).misses, c.s2Misses);
  same('IOMMU TLB hits', core.iommuTlbStats(0).hits, c.iommuHits);
  same('IOMMU TLB misses', core.iommuTlbStats(0).misses, c.iommuMisses);
  // Last: guestRead goes through the core's stage-2 (it counts TLB hits).
  const coreRings = core.guestRead(0, rings.gpa, rings.bytes);
  if (typeof coreRings === 'number') throw new Error(`bench virtqueue: guestRead ${coreRings}`);
  same('ring bytes', coreRings.length, c.rings.length);
  for (let i = 0; i < coreRings.length; i++) {
    same(`ring byte at gpa 0x${(rings.gpa + i).toString(16)}`, coreRings[i]!, c.rings[i]!);
  }
}

/** Chains per second of one timed run, by the wall clock and by the process's CPU time. */
export interface CycleRate {
  wall: number;
  cpu: number;
}

/** One timed C run of `chains` after `warm` chains in the same process. */
export function timeCRef(ref: CRef, chains: number, warm: number): CycleRate {
  const r = spawnSync(ref.exe, ['time', String(chains), String(warm)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bench virtqueue: C reference time run failed: ${r.stderr}`);
  const [done, rows, ns, cpuNs] = r.stdout.trim().split(' ').map(Number) as number[];
  if (done !== chains) throw new Error(`bench virtqueue: C reference did ${done} of ${chains} chains`);
  // Warm TLBs: exactly vq_avail + vq_used per chain, as the core writes (checked on its side).
  if (rows !== 2 * chains) throw new Error(`bench virtqueue: C reference wrote ${rows} rows`);
  return { wall: chains / (ns! / 1e9), cpu: chains / (cpuNs! / 1e9) };
}
