// The core's whole state as a value (issue 10 §3): with the "stub" runtime (asconfig.json) that is
// its linear memory plus its mutable globals, which the build exports as `g:<name>`
// (scripts/export-globals.mjs). Capture copies both; restore writes them into a core that has just
// run init() with the same limits and seed, so a snapshot goes through the same door a fresh build
// does (STYLE.md, rust-vmm: untrusted state enters through the checks) and is refused when it
// names another build, other limits, or a memory or globals that do not fit them.

import type { CoreLimits } from './api.js';
import type { CoreExports } from './exports.js';
import { SnapshotError } from './snapshot-error.js';

export { SnapshotError } from './snapshot-error.js';

/** One 64 KiB WebAssembly page. */
export const WASM_PAGE_BYTES = 65536;
/** A snapshot's page: the unit of sharing and of the store's content addressing. */
export const SNAPSHOT_PAGE_BYTES = 4096;
/** The one all-zero page every snapshot shares (never written to). */
export const ZERO_PAGE: Uint8Array = new Uint8Array(SNAPSHOT_PAGE_BYTES);
const GLOBAL_PREFIX = 'g:';
const COLUMN_COUNT = 10;
/** Bytes per row of each trace column, in traceColumnOffset order (core.ts builds the views). */
const COLUMN_BYTES = [8, 8, 2, 2, 1, 2, 2, 8, 4, 8];
const LIMIT_KEYS: readonly (keyof CoreLimits)[] = [
  'vmCount', 'hostRamBytes', 'ptPages', 'queueCount', 'deviceCount', 'linkCount', 'switchPortCount',
  'macCount', 'canNodeCount', 'frameSlots', 'frameBytesMax', 'timerCapacity', 'traceCapacity', 'scratchBytes',
  'frameRingRows', 'frameRingBytes', // frames table (issue 12 §1)
];

export interface CoreSnapshot {
  /** coreVersion() of the core that took it, and the sha256 of its core.wasm. */
  coreVersion: number;
  wasmSha256: string;
  limits: CoreLimits;
  /** The seed init() got, in decimal (an i64). */
  seed: string;
  /** The core's clock and next sequence number when it was taken (for listing and seeking). */
  timeNs: number;
  seq: number;
  /**
   * The whole linear memory as 4 KiB pages (a multiple of 64 KiB in all). Pages are immutable and
   * shared: a page equal to the previous snapshot's is that same object, every all-zero page is
   * ZERO_PAGE, so a store hashes each object once (see captureCore). The trace columns and the
   * scratch area are stored as zeros, and a restored core starts with no pending rows: the rows
   * emitted before the snapshot's moment belong to the trace (the live core keeps and drains
   * them as if no snapshot was taken), and a restored core emits exactly the rows after it
   * (seq >= `seq`). Measured on the cockpit: the pending rows were 60-70 % of the pages that
   * changed between two snapshots, and of the time to hash and deflate them (README "Snapshots").
   * Scratch is staging inside one call: nothing reads it before writing it.
   */
  pages: readonly Uint8Array[];
  /** Every `g:<name>` export with its value in decimal, in export order. */
  globals: [string, string][];
}

/** What identifies the running build: a snapshot of another is foreign. */
export interface CoreBuild {
  coreVersion: number;
  wasmSha256: string;
}

interface WasmGlobal {
  value: number | bigint;
}

function globalsOf(x: CoreExports): [string, WasmGlobal][] {
  const all = x as unknown as Record<string, unknown>;
  return Object.keys(all)
    .filter((name) => name.startsWith(GLOBAL_PREFIX))
    .map((name) => [name, all[name] as WasmGlobal]);
}

/**
 * The dead regions a snapshot stores as zeros: [offset, bytes] pairs. The scratch area and the
 * whole trace columns: the pending rows [0, count) are not part of the snapshot (CoreSnapshot
 * .pages); restoreCore empties the columns.
 */
export function deadRegions(x: CoreExports, limits: CoreLimits): [number, number][] {
  const out: [number, number][] = [[x.scratchOffset(), limits.scratchBytes]];
  for (let c = 0; c < COLUMN_COUNT; c++) out.push([x.traceColumnOffset(c), COLUMN_BYTES[c]! * limits.traceCapacity]);
  // --- frames table (issue 12 §1): the frames ring's pending rows are left out the same way
  const rows = limits.frameRingRows ?? 0;
  if (rows > 0) {
    const start = x.frameRingColumn(0) >>> 0; // usize: above 2 GiB it reads negative
    out.push([start, (x.frameRingColumn(15) >>> 0) + (limits.frameRingBytes ?? 0) - start]);
  }
  out.push([x.dirtyOffset() >>> 0, limits.hostRamBytes / SNAPSHOT_PAGE_BYTES]); // the dirty map: bookkeeping of the snapshots themselves
  out.push(...unusedQueueSlots(x, limits));
  return out;
}

/**
 * The per-slot arrays of every queue past its size (all of an uncreated queue's): the core sizes
 * them for VIRTIO's largest queue (32,768 slots) and indexes them only by a head or descriptor
 * index it has checked against the queue's size, as the state digest relies on too
 * (assembly/state-digest.ts hashQueueArrays). 7 MiB of the cockpit's memory, most of the core's
 * tables: comparing them was ~0.6-1 ms of every snapshot. test/snapshot/dirty-pages.test.ts
 * checks they stay zero.
 */
export function unusedQueueSlots(x: CoreExports, limits: CoreLimits): [number, number][] {
  const stride = x.qarrStride();
  const slots = stride / 12; // 8 + 2 + 2 bytes per slot
  const base = x.qarrOffset() >>> 0;
  const out: [number, number][] = [];
  for (let q = 0; q < limits.queueCount; q++) {
    const size = q < x.vqCount() ? x.vqStateField(q, 3) : 0;
    const at = base + q * stride;
    out.push([at + size * 8, (slots - size) * 8], [at + slots * 8 + size * 2, (slots - size) * 2], [at + slots * 10 + size * 2, (slots - size) * 2]);
  }
  return out;
}

/**
 * Copies the memory and globals of `x` (its pending trace rows left out). Pages equal to
 * the same page of `previous` are shared with it, and only changed pages are copied: comparing is
 * a memcmp, copying 47 MB (the cockpit's memory) measured 60-100 ms.
 *
 * `dirty`, when given, is the core's map of the host RAM pages written since `previous` was
 * taken (a byte per page, assembly/mmu/hostram.ts markDirty): a page it does not mark is
 * `previous`'s page without a compare. Host RAM is 3/4 of the cockpit's memory, and comparing
 * it (zero or not, the bytes must be read) was most of a snapshot's time on the recording's
 * thread (README "Snapshots"); the pages it marks are compared as before, since a marked
 * page may hold the bytes it held. Without `previous`, a `dirty` map counts from the core's
 * instantiation (Core.snapshot passes it only for a core that took no snapshot and was not
 * restored), when host RAM was all zeros: a page it does not mark is ZERO_PAGE without a compare.
 * That was the first snapshot's compare of the whole host RAM (32 MB of the cockpit's 55 MB).
 */
export function captureCore(
  x: CoreExports, build: CoreBuild, limits: CoreLimits, seed: bigint, previous?: CoreSnapshot, dirty: Uint8Array | null = null,
): CoreSnapshot {
  const globals = globalsOf(x);
  if (globals.length === 0) {
    throw new Error('core: build/core.wasm exports no g:<name> globals; run `npm run build:wasm` (scripts/export-globals.mjs)');
  }
  const memory = Buffer.from(x.memory.buffer); // compare() in place; copies go through `bytes`
  const bytes = new Uint8Array(x.memory.buffer); // (Buffer#slice is a view, Uint8Array#slice a copy)
  const dead = deadRegions(x, limits);
  const touched = pagesTouching(dead, memory.length);
  const reuse = previous !== undefined && previous.pages.length * SNAPSHOT_PAGE_BYTES === memory.length ? previous.pages : null;
  const pages: Uint8Array[] = [];
  const ramFirst = x.hostRamOffset() / SNAPSHOT_PAGE_BYTES;
  // unmarked host RAM pages are previous's, or (a map counting from instantiation) zero
  const clean = reuse !== null || previous === undefined ? dirty : null;
  for (let i = 0, at = 0; at < memory.length; i++, at += SNAPSHOT_PAGE_BYTES) {
    if (clean !== null && i >= ramFirst && i - ramFirst < clean.length && clean[i - ramFirst] === 0) {
      pages.push(reuse !== null ? reuse[i]! : ZERO_PAGE);
      continue;
    }
    const zeros = zeroRunPages(memory, at, i, touched, reuse);
    if (zeros > 0) {
      for (let k = 0; k < zeros; k++) pages.push(ZERO_PAGE);
      i += zeros - 1;
      at += (zeros - 1) * SNAPSHOT_PAGE_BYTES;
      continue;
    }
    if (touched[i] === PAGE_DEAD) {
      pages.push(ZERO_PAGE);
      continue;
    }
    if (touched[i] === PAGE_PART_DEAD) {
      pages.push(deadPage(memory, at, dead, reuse?.[i]));
      continue;
    }
    // compare in place (no view per page: 11,552 of them per cockpit snapshot showed in profiles)
    const before = reuse?.[i];
    if (before !== undefined && memory.compare(before, 0, SNAPSHOT_PAGE_BYTES, at, at + SNAPSHOT_PAGE_BYTES) === 0) pages.push(before);
    else if (memory.compare(ZERO_PAGE, 0, SNAPSHOT_PAGE_BYTES, at, at + SNAPSHOT_PAGE_BYTES) === 0) pages.push(ZERO_PAGE);
    else pages.push(bytes.slice(at, at + SNAPSHOT_PAGE_BYTES));
  }
  return {
    coreVersion: build.coreVersion,
    wasmSha256: build.wasmSha256,
    limits: { ...limits },
    seed: seed.toString(),
    timeNs: Number(x.now()),
    seq: Number(x.seqNext()),
    pages,
    globals: globals.map(([name, g]) => [name, g.value.toString()]),
  };
}

/**
 * Pages compared against zero in one call. Most of the memory is zero and stays zero (the
 * cockpit: 93 % of 13,424 pages), and a Buffer#compare call costs more than comparing one page:
 * 13,424 page compares measured 2.9 ms, the same bytes in 64 KiB calls 0.74 ms.
 */
const ZERO_RUN_PAGES = 16;
const ZERO_RUN: Uint8Array = new Uint8Array(ZERO_RUN_PAGES * SNAPSHOT_PAGE_BYTES);

/**
 * ZERO_RUN_PAGES when page `i` starts an aligned run of live pages that the previous snapshot
 * (if any) held as zero and that are all zero now, else 0 (the caller compares page by page).
 */
function zeroRunPages(
  memory: Buffer, at: number, i: number, touched: Uint8Array, reuse: readonly Uint8Array[] | null,
): number {
  const end = i + ZERO_RUN_PAGES;
  if (i % ZERO_RUN_PAGES !== 0 || end > touched.length) return 0;
  for (let p = i; p < end; p++) {
    if (touched[p] !== 0 || (reuse !== null && reuse[p] !== ZERO_PAGE)) return 0;
  }
  return memory.compare(ZERO_RUN, 0, ZERO_RUN.length, at, at + ZERO_RUN.length) === 0 ? ZERO_RUN_PAGES : 0;
}

const PAGE_PART_DEAD = 1;
const PAGE_DEAD = 2;

/** Per page: PAGE_DEAD inside a dead region, PAGE_PART_DEAD overlapping one's edge, 0 neither. */
function pagesTouching(dead: [number, number][], memoryBytes: number): Uint8Array {
  const out = new Uint8Array(memoryBytes / SNAPSHOT_PAGE_BYTES);
  for (const [offset, bytes] of dead) {
    const first = Math.floor(offset / SNAPSHOT_PAGE_BYTES);
    const end = Math.min(out.length, Math.ceil((offset + bytes) / SNAPSHOT_PAGE_BYTES));
    for (let p = first; p < end; p++) {
      const whole = offset <= p * SNAPSHOT_PAGE_BYTES && (p + 1) * SNAPSHOT_PAGE_BYTES <= offset + bytes;
      if (out[p] !== PAGE_DEAD) out[p] = whole ? PAGE_DEAD : PAGE_PART_DEAD;
    }
  }
  return out;
}

/** ZERO_PAGE as a Buffer (for Buffer#compare's ranges; never written, like ZERO_PAGE). */
const ZERO_PAGE_BUFFER = Buffer.from(ZERO_PAGE.buffer, ZERO_PAGE.byteOffset, SNAPSHOT_PAGE_BYTES);

/**
 * The dead and live parts of the page at `at`: [from, to) offsets inside it, sorted and
 * disjoint, that the dead regions cover and that they leave.
 */
function pageParts(at: number, dead: [number, number][]): { dead: number[]; live: number[] } {
  const cut: [number, number][] = [];
  for (const [offset, bytes] of dead) {
    const from = Math.max(at, offset) - at;
    const to = Math.min(at + SNAPSHOT_PAGE_BYTES, offset + bytes) - at;
    if (from < to) cut.push([from, to]);
  }
  cut.sort((p, q) => p[0] - q[0]);
  const out = { dead: [] as number[], live: [] as number[] };
  let end = 0;
  for (const [from, to] of cut) {
    if (from > end) out.live.push(end, from);
    const last = out.dead.length - 1;
    if (last > 0 && out.dead[last]! >= from) out.dead[last] = Math.max(out.dead[last]!, to);
    else out.dead.push(from, to);
    end = Math.max(end, to);
  }
  if (end < SNAPSHOT_PAGE_BYTES) out.live.push(end, SNAPSHOT_PAGE_BYTES);
  return out;
}

/**
 * A page a dead region overlaps: ZERO_PAGE when wholly dead, else the page with its dead bytes
 * zeroed — `before` when that is its content, ZERO_PAGE when all zero, else a copy. Compared in
 * place: `before` is the zeroed page when its live bytes are memory's and its dead bytes zero
 * (the same test as comparing a zeroed copy, which was made for each of the cockpit's 70 such
 * pages at every snapshot); only a changed page is copied.
 */
function deadPage(memory: Buffer, at: number, dead: [number, number][], before: Uint8Array | undefined): Uint8Array {
  const parts = pageParts(at, dead);
  const { live } = parts;
  if (live.length === 0) return ZERO_PAGE;
  const liveSame = (other: Uint8Array): boolean => {
    for (let k = 0; k < live.length; k += 2) {
      if (memory.compare(other, live[k]!, live[k + 1]!, at + live[k]!, at + live[k + 1]!) !== 0) return false;
    }
    return true;
  };
  if (before !== undefined && liveSame(before)) {
    let deadZero = true;
    for (let k = 0; k < parts.dead.length && deadZero; k += 2) {
      deadZero = ZERO_PAGE_BUFFER.compare(before, parts.dead[k]!, parts.dead[k + 1]!, parts.dead[k]!, parts.dead[k + 1]!) === 0;
    }
    if (deadZero) return before;
  }
  if (liveSame(ZERO_PAGE)) return ZERO_PAGE;
  const page = new Uint8Array(SNAPSHOT_PAGE_BYTES); // zeros: only the live bytes are copied in
  for (let k = 0; k < live.length; k += 2) page.set(memory.subarray(at + live[k]!, at + live[k + 1]!), live[k]!);
  return page;
}

/** Refuses a snapshot of another build or other limits (before anything is instantiated). */
export function checkSnapshotFits(s: CoreSnapshot, build: CoreBuild, limits: CoreLimits): void {
  if (s.coreVersion !== build.coreVersion) {
    throw new SnapshotError('snapshot_foreign', `snapshot of core version ${s.coreVersion}, this core is version ${build.coreVersion}; re-run from the start`);
  }
  if (s.wasmSha256 !== build.wasmSha256) {
    throw new SnapshotError(
      'snapshot_foreign',
      `snapshot of core.wasm ${s.wasmSha256.slice(0, 16)}…, this build is ${build.wasmSha256.slice(0, 16)}…; re-run from the start`,
    );
  }
  for (const key of LIMIT_KEYS) {
    if (s.limits[key] !== limits[key]) {
      throw new SnapshotError('snapshot_foreign', `snapshot taken with limits.${key} = ${s.limits[key]}, this core has ${limits[key]}`);
    }
  }
  if (!/^-?\d{1,20}$/.test(s.seed)) throw new SnapshotError('snapshot_damaged', `snapshot seed "${s.seed}" is not a decimal integer`);
  const bytes = s.pages.length * SNAPSHOT_PAGE_BYTES;
  if (bytes === 0 || bytes % WASM_PAGE_BYTES !== 0) {
    throw new SnapshotError('snapshot_damaged', `snapshot memory of ${bytes} bytes is not a whole number of 64 KiB pages`);
  }
  const odd = s.pages.findIndex((p) => p.length !== SNAPSHOT_PAGE_BYTES);
  if (odd >= 0) throw new SnapshotError('snapshot_damaged', `snapshot page ${odd} holds ${s.pages[odd]!.length} bytes, not ${SNAPSHOT_PAGE_BYTES}`);
}

/** Where init() put the core's tables: a restored core must keep them where this build does. */
function layoutOf(x: CoreExports): number[] {
  const at = [x.stateOffset(), x.scratchOffset(), x.segOffset(), x.hostRamOffset(), x.layoutBytes()];
  for (let c = 0; c < COLUMN_COUNT; c++) at.push(x.traceColumnOffset(c));
  return at;
}

/**
 * Writes `s` into `x`, which has just run init() with the snapshot's limits and seed. Grows the
 * memory to the snapshot's size (every view of the old buffer detaches: build views after this).
 */
export function restoreCore(x: CoreExports, s: CoreSnapshot): void {
  const layout = layoutOf(x);
  const haveBytes = x.memory.buffer.byteLength;
  const bytes = s.pages.length * SNAPSHOT_PAGE_BYTES;
  if (bytes < haveBytes) {
    throw new SnapshotError('snapshot_damaged', `snapshot memory is ${bytes} bytes, init() with its limits needs ${haveBytes}`);
  }
  if (bytes > haveBytes) x.memory.grow((bytes - haveBytes) / WASM_PAGE_BYTES);
  restoreGlobals(x, s.globals);
  const memory = new Uint8Array(x.memory.buffer);
  s.pages.forEach((page, i) => memory.set(page, i * SNAPSHOT_PAGE_BYTES));
  const after = layoutOf(x);
  if (after.some((v, i) => v !== layout[i])) {
    throw new SnapshotError('snapshot_damaged', 'snapshot globals place the core\'s tables elsewhere than init() does for its limits');
  }
  // The columns were stored as zeros, but the counts stay: the live run had that many rows
  // pending at this moment, and a restored core must reach its drain points at the same moments
  // as the live one did (a drain splits a batched call, and a split call costs one more lookup
  // of a guest address: the TLB counters would differ). The Core wrapper skips those phantom
  // rows at its first drain (Core.phantom).
}

function restoreGlobals(x: CoreExports, saved: [string, string][]): void {
  const live = new Map(globalsOf(x));
  if (saved.length !== live.size) {
    throw new SnapshotError('snapshot_damaged', `snapshot holds ${saved.length} core globals, this build has ${live.size}`);
  }
  const seen = new Set<string>();
  for (const [name, text] of saved) {
    const g = live.get(name);
    if (g === undefined || seen.has(name)) {
      throw new SnapshotError('snapshot_damaged', `snapshot global "${name}" is ${g === undefined ? 'not in this build' : 'listed twice'}`);
    }
    seen.add(name);
    g.value = parseGlobal(name, text, typeof g.value === 'bigint');
  }
}

function parseGlobal(name: string, text: string, wide: boolean): number | bigint {
  if (!/^-?\d{1,20}$/.test(text)) throw new SnapshotError('snapshot_damaged', `snapshot global "${name}" = "${text}" is not an integer`);
  if (wide) {
    const v = BigInt(text);
    if (v !== BigInt.asIntN(64, v)) throw new SnapshotError('snapshot_damaged', `snapshot global "${name}" = ${text} is beyond i64`);
    return v;
  }
  const v = Number(text);
  if (v !== (v | 0)) throw new SnapshotError('snapshot_damaged', `snapshot global "${name}" = ${text} is beyond i32`);
  return v;
}
