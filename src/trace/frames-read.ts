// Reading the `frames` table back (issue 12 §2): its record batches as the same typed columns
// the core's frames ring hands the recorder (FrameColumns), and the interfaces a capture of it
// has: one per Ethernet link and one per CAN bus of the scenario, named from it. Exports
// (pcapng, candump) build on this; the trace is opened by the caller (verified, as `query` does).

import type { RecordBatch } from 'apache-arrow';
import type { FrameColumns } from '../core/api.js';
import { scenarioSchema } from '../scenario/schema.js';
import { deviceEntries } from '../scenario/topology.js';
import type { Manifest } from './manifest.js';
import { FRAMES_TABLE } from './tables.js';

/** frames.kind codes (tables.ts FRAME_KINDS). */
export const FRAME_KIND_ETH = 0;
export const FRAME_KIND_CAN = 1;
/** frames.can_flags bits (assembly/trace/frames-ring.ts FR_CAN_*). */
export const FRAME_CAN_EXT = 1;
export const FRAME_CAN_RTR = 2;
export const FRAME_CAN_FD = 4;
export const FRAME_CAN_BRS = 8;
export const FRAME_CAN_ESI = 16;

/** A link or bus a capture sees: `index` is the link (eth) or bus (can) number in the frames table. */
export interface FrameInterface {
  kind: 'eth' | 'can';
  index: number;
  /** eth: `<vm>-eth<n>` (the VM's n-th net device) or `host-<mac>` (--net-input); can: the bus name */
  name: string;
  description: string;
}

const COLUMN_NAMES = FRAMES_TABLE.columns.map((c) => c.name);

/** The batch's columns as typed arrays (the first row of each at index 0). */
export function frameColumnsOfBatch(batch: RecordBatch): FrameColumns {
  const out = {} as Record<string, unknown>;
  COLUMN_NAMES.forEach((name, i) => {
    const data = batch.getChildAt(i)!.data;
    if (data.length !== 1) throw new Error(`assert: frames batch column ${name} has ${data.length} chunks`);
    const d = data[0]!;
    if (name === 'data') {
      out.offsets = (d.valueOffsets as Int32Array).subarray(d.offset, d.offset + d.length + 1);
      out.data = d.values as Uint8Array;
      return;
    }
    const values = d.values as Int32Array;
    out[name] = values.subarray(d.offset, d.offset + d.length);
  });
  return out as unknown as FrameColumns;
}

/** Every Ethernet link and CAN bus of the trace's run, in link and bus order. */
export function frameInterfaces(manifest: Manifest): FrameInterface[] {
  const parsed = scenarioSchema.safeParse(manifest.scenario);
  if (!parsed.success) return [];
  const s = parsed.data;
  const out: FrameInterface[] = [];
  const netPerVm = new Map<number, number>();
  // Links are created in device order, one per net device (src/platform/platform.ts addNet) …
  for (const d of deviceEntries(s)) {
    if (d.type !== 'net') continue;
    const n = netPerVm.get(d.vm) ?? 0;
    netPerVm.set(d.vm, n + 1);
    const vm = s.vms[d.vm]!.name;
    out.push({ kind: 'eth', index: out.length, name: `${vm}-eth${n}`, description: `${vm} ${d.address} (switch port ${d.switchPort})` });
  }
  // … then one per outside host MAC, in --net-input order (src/inputs/handlers.ts attachHosts).
  const macs = new Set<string>();
  for (const input of manifest.inputs ?? []) {
    if (input.flag !== '--net-input' || input.mac === undefined) continue;
    const mac = input.mac.toLowerCase();
    if (macs.has(mac)) continue;
    macs.add(mac);
    out.push({ kind: 'eth', index: out.length, name: `host-${mac}`, description: `outside host ${mac} (--net-input)` });
  }
  s.canBuses.forEach((bus, index) => {
    out.push({ kind: 'can', index, name: bus.name, description: `CAN bus ${bus.name} (${bus.bitsPerSecond} bit/s)` });
  });
  return out;
}

/** Which frames an export takes: these interfaces, ts_ns in [fromNs, toNs). */
export interface FrameSelection {
  interfaces: readonly FrameInterface[];
  fromNs: bigint;
  toNs: bigint;
}

/** One selected frame: its interface's position in `selection.interfaces` and row i of `cols`. */
export type FrameVisitor = (slot: number, cols: FrameColumns, i: number) => void;

/**
 * Calls `visit` for every frame of the batches that the selection takes, in table order (which
 * is ts_ns order: the core writes a row at the moment it happens). Returns the frames visited.
 */
export function visitFrames(batches: Iterable<RecordBatch>, selection: FrameSelection, visit: FrameVisitor): number {
  // interface lookup by (kind, index): eth links first, CAN buses at CAN_SLOT_BASE + bus
  const slots = new Map<number, number>();
  selection.interfaces.forEach((f, slot) => slots.set(interfaceKey(f.kind === 'eth' ? FRAME_KIND_ETH : FRAME_KIND_CAN, f.index), slot));
  const { fromNs, toNs } = selection;
  let visited = 0;
  for (const batch of batches) {
    const cols = frameColumnsOfBatch(batch);
    const n = cols.ts_ns.length;
    for (let i = 0; i < n; i++) {
      const ts = cols.ts_ns[i]!;
      if (ts < fromNs || ts >= toNs) continue;
      const kind = cols.kind[i]!;
      const slot = slots.get(interfaceKey(kind, kind === FRAME_KIND_ETH ? cols.link[i]! : cols.bus[i]!));
      if (slot === undefined) continue;
      visit(slot, cols, i);
      visited++;
    }
  }
  return visited;
}

function interfaceKey(kind: number, index: number): number {
  return kind * 65536 + index;
}
