// Shared set-up for the core tests: small limits, a VM with a device and queues, a trace
// collector that copies every drained row (the sink must not keep the views).
import { Core } from '../../src/core/core.js';
import type { CoreLimits, QueueConfig, TraceColumns, TraceRow } from '../../src/core/api.js';
import { KIND } from '../../src/core/codes.js';

export const PAGE = 4096;

export function smallLimits(overrides: Partial<CoreLimits> = {}): CoreLimits {
  return {
    vmCount: 2,
    hostRamBytes: 8 << 20,
    ptPages: 64,
    queueCount: 8,
    deviceCount: 4,
    linkCount: 4,
    switchPortCount: 4,
    macCount: 8,
    canNodeCount: 4,
    frameSlots: 32,
    frameBytesMax: 1536,
    timerCapacity: 256,
    traceCapacity: 1 << 14,
    scratchBytes: 64 * 1024,
    ...overrides,
  };
}

/** A trace row as the core writes it (TraceRow), with its time and sequence number. */
export interface Row extends TraceRow {
  ts: number;
  seq: number;
}

/** Collects every row the core hands to the sink (copied), plus traceFlush on demand. */
export class TraceLog {
  readonly rows: Row[] = [];
  drains = 0;
  constructor(private readonly core: Core) {
    core.setTraceSink((cols, count) => this.take(cols, count));
  }
  private take(cols: TraceColumns, count: number): void {
    this.drains++;
    for (let i = 0; i < count; i++) {
      this.rows.push({
        ts: Number(cols.ts_ns[i]), seq: Number(cols.seq[i]), vm: cols.vm[i]!, vcpu: cols.vcpu[i]!,
        kind: cols.kind[i]!, dev: cols.dev[i]!, queue: cols.queue[i]!, id: Number(cols.id[i]),
        len: cols.len[i]!, val: Number(cols.val[i]),
      });
    }
  }
  /** Flush and return all rows so far. */
  all(): Row[] {
    this.core.traceFlush();
    return this.rows;
  }
  of(kind: keyof typeof KIND): Row[] {
    return this.all().filter((r) => r.kind === KIND[kind]);
  }
}

export async function makeCore(overrides: Partial<CoreLimits> = {}, seed = 1n): Promise<Core> {
  return Core.load(smallLimits(overrides), seed);
}

export interface QueueSetup {
  q: number;
  cfg: QueueConfig;
  /** First gpa after the rings: free for buffers. */
  bufGpa: number;
}

/** Rings at `base` (page aligned): desc, then avail, then used, each rounded to 16 bytes. */
export function queueAt(
  core: Core,
  opts: { vm: number; dev: number; index?: number; size: number; base: number; eventIdx?: boolean },
): QueueSetup {
  const round = (n: number): number => Math.ceil(n / 16) * 16;
  const descGpa = opts.base;
  const availGpa = descGpa + round(16 * opts.size);
  const usedGpa = availGpa + round(6 + 2 * opts.size);
  const end = usedGpa + round(6 + 8 * opts.size);
  const cfg: QueueConfig = {
    vm: opts.vm, dev: opts.dev, index: opts.index ?? 0, size: opts.size, descGpa, availGpa, usedGpa,
    eventIdx: opts.eventIdx ?? false,
  };
  const q = core.vqCreate(cfg);
  return { q, cfg, bufGpa: Math.ceil(end / PAGE) * PAGE };
}

/**
 * VMs 0 and 1, each with a net device (dev = vm; RX queue 0 at 0x1000, TX queue 1 at 0x3000,
 * 64 entries) on switch port vm over a 500 ns, 1 Gbit/s link, with MAC 02:00:00:00:00:0<vm>.
 */
export function twoHostsOnSwitch(core: Core): { rx: QueueSetup; tx: QueueSetup }[] {
  return [0, 1].map((vm) => {
    vmWithDevice(core, vm, vm);
    const rx = queueAt(core, { vm, dev: vm, index: 0, size: 64, base: 0x1000 });
    const tx = queueAt(core, { vm, dev: vm, index: 1, size: 64, base: 0x3000 });
    const link = core.linkCreate(500, 1_000_000_000);
    core.switchPortLink(vm, link, vm);
    core.switchMac(BigInt(0x0200_0000_0000 + vm), vm);
    core.netAttach({ dev: vm, vm, txQueue: tx.q, rxQueue: rx.q, port: vm, link });
    return { rx, tx };
  });
}

/** VM `vm` with `ramBytes` of RAM and device `dev` whose IOMMU maps all of it RW. */
export function vmWithDevice(core: Core, vm: number, dev: number, ramBytes = 1 << 20): void {
  core.vmCreate(vm, ramBytes);
  core.iommuCreate(dev, vm);
  core.iommuMapGuest(dev, 0, ramBytes / PAGE, 3);
}

export function u16(core: Core, vm: number, gpa: number): number {
  const b = core.guestRead(vm, gpa, 2);
  if (typeof b === 'number') throw new Error(`read fault ${b}`);
  return b[0]! | (b[1]! << 8);
}

export function writeU16(core: Core, vm: number, gpa: number, v: number): void {
  const r = core.guestWrite(vm, gpa, new Uint8Array([v & 0xff, (v >> 8) & 0xff]));
  if (r !== 0) throw new Error(`write fault ${r}`);
}

/** A CAN bus node: what the virtio-CAN and CAN fault tests set up. */
export interface CanNodeSetup {
  core: Core;
  log: TraceLog;
  tx: number;
  rx: number;
  node: number;
  ecu: number;
  /** Guest address of a free buffer for frames. */
  buf: number;
}

/**
 * VM 0 with a virtio-CAN device (dev 0: rx queue 0, tx queue 1, 8 entries each) attached as a node
 * of one CAN bus of `bitsPerSecond`, and an external ECU node on the same bus.
 */
export async function canNodeSetup(bitsPerSecond: number): Promise<CanNodeSetup> {
  const core = await makeCore();
  const log = new TraceLog(core);
  vmWithDevice(core, 0, 0);
  const rxq = queueAt(core, { vm: 0, dev: 0, index: 0, size: 8, base: 0x1000 });
  const txq = queueAt(core, { vm: 0, dev: 0, index: 1, size: 8, base: 0x3000 });
  const bus = core.canBusCreate(bitsPerSecond);
  const node = core.canAttach({ dev: 0, vm: 0, bus, txQueue: txq.q, rxQueue: rxq.q });
  const ecu = core.canAttach({ dev: -1, vm: -1, bus, txQueue: -1, rxQueue: -1 });
  return { core, log, tx: txq.q, rx: rxq.q, node, ecu, buf: 0x10_000 };
}
