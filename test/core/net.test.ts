// Ethernet end to end between two virtio-net devices: link serialisation, store-and-forward
// switching, memory-bus throttling of device DMA, all with timings computed by hand.
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/core/codes.js';
import type { Core } from '../../src/core/core.js';
import type { Irq } from '../../src/core/api.js';
import { makeCore, vmWithDevice, queueAt, TraceLog } from './helpers.js';

const MAC0 = 0x02_00_00_00_00_10n;
const MAC1 = 0x02_00_00_00_00_11n;
const LATENCY = 1000;
const BPS = 100_000_000;
const BUF = 0x10_000;
const FRAME = 114; // 14-byte Ethernet header + 100 bytes
const SER = Math.ceil((FRAME * 8 * 1e9) / BPS); // 9120 ns

interface Net {
  core: Core;
  log: TraceLog;
  rx: number[];
  tx: number[];
}

async function twoHosts(frameSlots = 32): Promise<Net> {
  const core = await makeCore({ frameSlots });
  const log = new TraceLog(core);
  const rx: number[] = [];
  const tx: number[] = [];
  for (const vm of [0, 1]) {
    vmWithDevice(core, vm, vm);
    rx.push(queueAt(core, { vm, dev: vm, index: 0, size: 8, base: 0x1000 }).q);
    tx.push(queueAt(core, { vm, dev: vm, index: 1, size: 8, base: 0x3000 }).q);
    const link = core.linkCreate(LATENCY, BPS);
    core.switchPortLink(vm, link, vm);
    core.switchMac(vm === 0 ? MAC0 : MAC1, vm);
    core.netAttach({ dev: vm, vm, txQueue: tx[vm]!, rxQueue: rx[vm]!, port: vm, link });
  }
  return { core, log, rx, tx };
}

function macBytes(mac: bigint): number[] {
  return Array.from({ length: 6 }, (_, i) => Number((mac >> BigInt(8 * (5 - i))) & 0xffn));
}

/** virtio_net_hdr (12 zero bytes) + Ethernet frame to `dst`, payload tagged with `tag`. */
function packet(dst: bigint, tag: number): Uint8Array {
  const frame = new Uint8Array(12 + FRAME);
  frame.set(macBytes(dst), 12);
  frame.set(macBytes(MAC0), 18);
  frame.set([0x08, 0x00], 24);
  for (let i = 0; i < 100; i++) frame[26 + i] = (tag + i) & 0xff;
  return frame;
}

function send(net: Net, frames: Uint8Array[]): void {
  frames.forEach((f, i) => net.core.guestWrite(0, BUF + i * 0x800, f));
  const chains = frames.map((f, i) => ({ out: [{ gpa: BUF + i * 0x800, len: f.length }], in: [] }));
  expect(net.core.drvSubmit(net.tx[0]!, chains)).toBe(frames.length);
  expect(net.core.drvKick(net.tx[0]!)).toBe(true);
}

function postRx(net: Net, count: number): void {
  const chains = Array.from({ length: count }, (_, i) => ({ out: [], in: [{ gpa: BUF + i * 0x800, len: 2048 }] }));
  net.core.drvSubmit(net.rx[1]!, chains);
}

function runAll(core: Core, untilNs: number): { t: number; irqs: Irq[] }[] {
  const seen: { t: number; irqs: Irq[] }[] = [];
  while (core.run(untilNs) === EXIT.irq) seen.push({ t: core.now(), irqs: core.irqTake() });
  return seen;
}

describe('links and the switch', () => {
  it('forwards frames end to end, intact, with serialisation, FIFO and latency by hand', async () => {
    const net = await twoHosts();
    const { core, log, rx, tx } = net;
    postRx(net, 2);
    const frames = [packet(MAC1, 1), packet(MAC1, 50)];
    send(net, frames);
    const irqs = runAll(core, 1_000_000);
    const arrive1 = SER + LATENCY + SER + LATENCY; // 20240
    expect(irqs).toEqual([
      { t: SER, irqs: [{ vm: 0, dev: 0, queue: tx[0] }] },
      { t: 2 * SER, irqs: [{ vm: 0, dev: 0, queue: tx[0] }] },
      { t: arrive1, irqs: [{ vm: 1, dev: 1, queue: rx[1] }] },
      { t: arrive1 + SER, irqs: [{ vm: 1, dev: 1, queue: rx[1] }] },
    ]);
    expect(log.of('link_tx').map((r) => [r.ts, r.id, r.len, r.val])).toEqual([
      [0, 0, FRAME, SER],
      [SER, 0, FRAME, SER], // queued behind the first frame
      [SER + LATENCY, 1, FRAME, SER],
      [2 * SER + LATENCY, 1, FRAME, SER],
    ]);
    expect(log.of('link_rx').map((r) => [r.ts, r.id, r.val])).toEqual([
      [SER + LATENCY, 0, SER + LATENCY],
      [2 * SER + LATENCY, 0, SER + LATENCY],
      [arrive1, 1, SER + LATENCY],
      [arrive1 + SER, 1, SER + LATENCY],
    ]);
    expect(log.of('switch_forward').map((r) => [r.ts, r.id, r.len])).toEqual([
      [SER + LATENCY, 1, FRAME],
      [2 * SER + LATENCY, 1, FRAME],
    ]);
    // RX: 12-byte header with num_buffers = 1, then the frame byte for byte.
    expect(core.drvReclaim(rx[1]!, 8)).toEqual([{ id: 0, len: 12 + FRAME }, { id: 1, len: 12 + FRAME }]);
    for (let i = 0; i < 2; i++) {
      const got = core.guestRead(1, BUF + i * 0x800, 12 + FRAME) as Uint8Array;
      expect(Array.from(got.subarray(0, 12))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
      expect(Array.from(got.subarray(12))).toEqual(Array.from(frames[i]!.subarray(12)));
    }
    expect(core.drvReclaim(tx[0]!, 8)).toEqual([{ id: 0, len: 0 }, { id: 1, len: 0 }]);
    // Rows carry the queue index within its device (receiveq = 0), not the core table slot.
    expect(log.of('vq_used').filter((r) => r.dev === 1 && r.queue === 0).map((r) => r.val)).toEqual([arrive1, arrive1 + SER]);
  });

  it('drops unknown destinations and frames with no receive buffer', async () => {
    const net = await twoHosts();
    const { core, log } = net;
    send(net, [packet(0x02_00_00_00_00_99n, 1), packet(MAC1, 2)]);
    runAll(core, 1_000_000);
    expect(log.of('switch_drop').map((r) => [r.ts, r.id, r.len])).toEqual([[SER + LATENCY, 1, FRAME]]);
    expect(log.of('rx_drop').map((r) => [r.vm, r.dev, r.len])).toEqual([[1, 1, 12 + FRAME]]);
  });
});

describe('back-pressure and resets', () => {
  it('a sender out of frame slots waits for one instead of spinning (regression: livelock)', async () => {
    const net = await twoHosts(3);
    postRx(net, 6);
    send(net, Array.from({ length: 6 }, (_, i) => packet(MAC1, i)));
    runAll(net.core, 1_000_000);
    expect(net.core.drvReclaim(net.rx[1]!, 8).length).toBe(6);
    expect(net.core.drvReclaim(net.tx[0]!, 8).length).toBe(6);
    expect(net.log.of('switch_drop')).toEqual([]);
  });

  it('the switch drops a frame when it has no slot to store it (reason 2)', async () => {
    const net = await twoHosts(1);
    postRx(net, 1);
    send(net, [packet(MAC1, 1)]);
    runAll(net.core, 1_000_000);
    expect(net.log.of('switch_drop').map((r) => [r.id, r.len])).toEqual([[2, FRAME]]);
    expect(net.core.drvReclaim(net.tx[0]!, 8)).toEqual([{ id: 0, len: 0 }]);
  });

  it('a TX queue reset while frames are in flight never gets their old chains back', async () => {
    const net = await twoHosts();
    const { core, log, tx } = net;
    postRx(net, 2);
    send(net, [packet(MAC1, 1), packet(MAC1, 2)]);
    expect(core.run(SER - 1)).toBe(EXIT.until);
    core.vqReset(tx[0]!);
    runAll(core, 1_000_000);
    expect(core.drvReclaim(tx[0]!, 8)).toEqual([]);
    expect(log.of('vq_used').filter((r) => r.dev === 0 && r.queue === 1)).toEqual([]);
    expect(log.of('fault')).toEqual([]);
    expect(core.drvReclaim(net.rx[1]!, 8).length).toBe(2); // already on the wire: delivered
  });
});

describe('memory-bus budgets', () => {
  it('token bucket delays by hand: ceil(deficit * period / rate), debt carries over', async () => {
    const core = await makeCore();
    const log = new TraceLog(core);
    core.vmCreate(0, 1 << 20);
    core.vmCreate(1, 1 << 20);
    core.busBudget(0, 1000, 1000); //          1 byte per ns, 1000 bytes of burst
    expect(core.busCharge(0, 600)).toBe(0); //  400 left
    expect(core.busCharge(0, 600)).toBe(200); // 200 short at 1 B/ns
    core.setNow(100); //                        +100 -> -100
    expect(core.busCharge(0, 100)).toBe(200);
    core.setNow(10_000); //                     refilled to the cap (1000), not beyond
    expect(core.busCharge(0, 1000)).toBe(0);
    expect(core.busCharge(0, 1)).toBe(1);
    core.busBudget(1, 3, 7); //                 3 bytes per 7 ns: rounding up
    expect(core.busCharge(1, 4)).toBe(3); //    deficit 1 -> ceil(7 / 3)
    expect(core.busCharge(1, 1)).toBe(5); //    deficit 2 -> ceil(14 / 3)
    expect(core.busCharge(1, 0)).toBe(5); //    still in debt: a zero charge waits too
    expect(log.of('bus_throttle').map((r) => [r.vm, r.len, r.val])).toEqual([
      [0, 600, 200], [0, 100, 200], [0, 1, 1], [1, 4, 3], [1, 1, 5], [1, 0, 5],
    ]);
    expect(core.busCharge(0, 0)).toBe(1); // vm 0 is still 1 byte short at the same instant
  });

  it('device DMA is charged to its VM and postpones transmission and delivery', async () => {
    const net = await twoHosts();
    const { core, log } = net;
    core.busBudget(0, 50, 1000); //  TX: 126 bytes, 76 short at 50 B/us -> 1520 ns
    core.busBudget(1, 100, 1000); // RX: 126 bytes, 26 short at 100 B/us -> 260 ns
    postRx(net, 1);
    send(net, [packet(MAC1, 3)]);
    runAll(core, 1_000_000);
    expect(log.of('bus_throttle').map((r) => [r.ts, r.vm, r.dev, r.len, r.val])).toEqual([
      [0, 0, 0, 126, 1520],
      [1520 + 2 * (SER + LATENCY), 1, 1, 126, 260],
    ]);
    expect(log.of('link_tx')[0]!.ts).toBe(1520);
    const used = log.of('vq_used').filter((r) => r.dev === 1 && r.queue === 0);
    expect(used.map((r) => r.ts)).toEqual([1520 + 2 * (SER + LATENCY) + 260]);
  });
});
