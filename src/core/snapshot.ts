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
const GLOBAL_PREFIX = 'g:';
const COLUMN_COUNT = 10;
/** Bytes per row of each trace column, in traceColumnOffset order (core.ts builds the views). */
const COLUMN_BYTES = [8, 8, 2, 2, 1, 2, 2, 8, 4, 8];
const LIMIT_KEYS: readonly (keyof CoreLimits)[] = [
  'vmCount', 'hostRamBytes', 'ptPages', 'queueCount', 'deviceCount', 'linkCount', 'switchPortCount',
  'macCount', 'canNodeCount', 'frameSlots', 'frameBytesMax', 'timerCapacity', 'traceCapacity', 'scratchBytes',
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
   * The whole linear memory, a multiple of 64 KiB. The trace columns and the scratch area are
   * zeros: a snapshot is taken between calls with the columns drained, when no byte of either is
   * read again before it is written (rows are written from index 0 after traceReset; scratch is
   * staging inside one call). Their stale bytes would otherwise be new pages in every snapshot.
   */
  memory: Uint8Array;
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

/** The dead regions a snapshot stores as zeros: [offset, bytes] pairs. */
function deadRegions(x: CoreExports, limits: CoreLimits): [number, number][] {
  const out: [number, number][] = [[x.scratchOffset(), limits.scratchBytes]];
  for (let c = 0; c < COLUMN_COUNT; c++) out.push([x.traceColumnOffset(c), COLUMN_BYTES[c]! * limits.traceCapacity]);
  return out;
}

/** Copies the memory and globals of `x` (the caller has drained the trace columns). */
export function captureCore(x: CoreExports, build: CoreBuild, limits: CoreLimits, seed: bigint): CoreSnapshot {
  const globals = globalsOf(x);
  if (globals.length === 0) {
    throw new Error('core: build/core.wasm exports no g:<name> globals; run `npm run build:wasm` (scripts/export-globals.mjs)');
  }
  const memory = new Uint8Array(x.memory.buffer).slice();
  for (const [offset, bytes] of deadRegions(x, limits)) memory.fill(0, offset, offset + bytes);
  return {
    coreVersion: build.coreVersion,
    wasmSha256: build.wasmSha256,
    limits: { ...limits },
    seed: seed.toString(),
    timeNs: Number(x.now()),
    seq: Number(x.seqNext()),
    memory,
    globals: globals.map(([name, g]) => [name, g.value.toString()]),
  };
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
  if (s.memory.length === 0 || s.memory.length % WASM_PAGE_BYTES !== 0) {
    throw new SnapshotError('snapshot_damaged', `snapshot memory of ${s.memory.length} bytes is not a whole number of 64 KiB pages`);
  }
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
  if (s.memory.length < haveBytes) {
    throw new SnapshotError('snapshot_damaged', `snapshot memory is ${s.memory.length} bytes, init() with its limits needs ${haveBytes}`);
  }
  if (s.memory.length > haveBytes) x.memory.grow((s.memory.length - haveBytes) / WASM_PAGE_BYTES);
  restoreGlobals(x, s.globals);
  new Uint8Array(x.memory.buffer).set(s.memory);
  const after = layoutOf(x);
  if (after.some((v, i) => v !== layout[i])) {
    throw new SnapshotError('snapshot_damaged', 'snapshot globals place the core\'s tables elsewhere than init() does for its limits');
  }
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
