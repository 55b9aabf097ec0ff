// CAN arbitration (lowest identifier wins, losers keep their frames), frame durations by the
// bit formula, and the virtio-can back-end (TX request -> bus -> result; bus -> RX message).
import { describe, expect, it } from 'vitest';
import { CAN_EFF_FLAG, CAN_EFF_ID_MAX, CAN_SFF_ID_MAX, EXIT, FAULT } from '../../src/core/codes.js';
import type { Core } from '../../src/core/core.js';
import type { Irq } from '../../src/core/api.js';
import { makeCore, TraceLog, canNodeSetup } from './helpers.js';

const BPS = 500_000;
const EFF = 0x8000_0000;
/** ceil(bits * 1e9 / bps) with standard 47 + 8 dlc, extended 67 + 8 dlc bits. */
const frameNs = (ext: boolean, dlc: number): number => Math.ceil(((ext ? 67 : 47) + 8 * dlc) * 1e9 / BPS);

function runAll(core: Core, untilNs: number): { t: number; irqs: Irq[] }[] {
  const seen: { t: number; irqs: Irq[] }[] = [];
  while (core.run(untilNs) === EXIT.irq) seen.push({ t: core.now(), irqs: core.irqTake() });
  return seen;
}

describe('CAN bus arbitration', () => {
  it('three nodes submit at once: frames leave in id order, back to back', async () => {
    const core = await makeCore();
    const log = new TraceLog(core);
    const bus = core.canBusCreate(BPS);
    const [a, b, c] = [0, 1, 2].map(() => core.canAttach({ dev: -1, vm: -1, bus, txQueue: -1, rxQueue: -1 }));
    core.canSend(a!, 0x300, new Uint8Array(8));
    core.canSend(b!, 0x100, new Uint8Array(2));
    core.canSend(c!, 0x200, new Uint8Array(0));
    expect(runAll(core, 10_000_000)).toEqual([]);
    const tx = log.of('can_tx');
    expect(tx.map((r) => r.id)).toEqual([0x100, 0x200, 0x300]);
    expect(tx.map((r) => r.len)).toEqual([2, 0, 8]);
    expect(tx.map((r) => r.val)).toEqual([frameNs(false, 2), frameNs(false, 0), frameNs(false, 8)]);
    expect(tx.map((r) => r.val)).toEqual([126_000, 94_000, 222_000]);
    expect(tx.map((r) => r.ts)).toEqual([0, 126_000, 220_000]);
    expect(log.of('can_arbitration').map((r) => [r.id, r.len])).toEqual([[0x100, 3], [0x200, 2], [0x300, 1]]);
    const rx = log.of('can_rx');
    expect(rx.map((r) => [r.ts, r.id])).toEqual([
      [126_000, 0x100], [126_000, 0x100], [220_000, 0x200], [220_000, 0x200], [442_000, 0x300], [442_000, 0x300],
    ]);
    expect([a, b, c].map((n) => core.canRxCount(n!))).toEqual([2, 2, 2]);
    expect(core.now()).toBe(10_000_000);
  });

  it('a standard frame beats an extended one with the same base id; extended frames take 67 + 8 dlc bits', async () => {
    const core = await makeCore();
    const log = new TraceLog(core);
    const bus = core.canBusCreate(BPS);
    const [a, b, c] = [0, 1, 2].map(() => core.canAttach({ dev: -1, vm: -1, bus, txQueue: -1, rxQueue: -1 }));
    const extSameBase = (EFF | (0x100 << 18) | 5) >>> 0;
    core.canSend(a!, extSameBase, new Uint8Array(8));
    core.canSend(b!, 0x101, new Uint8Array(1));
    core.canSend(c!, 0x100, new Uint8Array(1));
    runAll(core, 10_000_000);
    const tx = log.of('can_tx');
    // 0x100 (std) < ext base 0x100 (SRR recessive) < 0x101 (std, higher base)
    expect(tx.map((r) => r.id)).toEqual([0x100, extSameBase, 0x101]);
    expect(tx[1]!.val).toBe(frameNs(true, 8));
    expect(tx[1]!.val).toBe(262_000);
  });

  it('a node keeps losing frames pending and its mailbox orders its own frames by id', async () => {
    const core = await makeCore();
    const log = new TraceLog(core);
    const bus = core.canBusCreate(BPS);
    const a = core.canAttach({ dev: -1, vm: -1, bus, txQueue: -1, rxQueue: -1 });
    const b = core.canAttach({ dev: -1, vm: -1, bus, txQueue: -1, rxQueue: -1 });
    core.canSend(a, 0x400, new Uint8Array(0));
    core.canSend(a, 0x010, new Uint8Array(0));
    core.canSend(b, 0x020, new Uint8Array(0));
    runAll(core, 1_000_000);
    expect(log.of('can_tx').map((r) => r.id)).toEqual([0x010, 0x020, 0x400]);
    expect(() => core.canSend(a, 0x800, new Uint8Array(0))).toThrow(/not a valid/);
  });
});

describe('CAN rows carry their bus (issue #8: two buses could not be told apart)', () => {
  it('two buses with the same id on each: can_arbitration, can_tx and can_rx name the bus in `queue`', async () => {
    const core = await makeCore();
    const log = new TraceLog(core);
    const bus0 = core.canBusCreate(BPS);
    const bus1 = core.canBusCreate(BPS);
    const [a0, b0] = [0, 1].map(() => core.canAttach({ dev: -1, vm: -1, bus: bus0, txQueue: -1, rxQueue: -1 }));
    const a1 = core.canAttach({ dev: -1, vm: -1, bus: bus1, txQueue: -1, rxQueue: -1 });
    const b1 = core.canAttach({ dev: -1, vm: -1, bus: bus1, txQueue: -1, rxQueue: -1 });
    core.canSend(a0!, 0x0c1, new Uint8Array(2));
    core.canSend(a1, 0x0c1, new Uint8Array(2));
    core.canSend(b1, 0x300, new Uint8Array(1));
    runAll(core, 10_000_000);
    expect([bus0, bus1]).toEqual([0, 1]);
    expect(log.of('can_arbitration').map((r) => [r.queue, r.id, r.len])).toEqual([[0, 0x0c1, 1], [1, 0x0c1, 2], [1, 0x300, 1]]);
    expect(log.of('can_tx').map((r) => [r.queue, r.id])).toEqual([[0, 0x0c1], [1, 0x0c1], [1, 0x300]]);
    expect(log.of('can_rx').map((r) => [r.queue, r.id])).toEqual([[0, 0x0c1], [1, 0x0c1], [1, 0x300]]);
    expect([a0, b0, a1, b1].map((n) => core.canRxCount(n!))).toEqual([0, 1, 1, 1]);
  });

  it('an extended id is stored with CAN_EFF_FLAG (bit 31); a standard id above 0x7FF is refused', async () => {
    const core = await makeCore();
    const log = new TraceLog(core);
    const bus = core.canBusCreate(BPS);
    const [a, b] = [0, 1].map(() => core.canAttach({ dev: -1, vm: -1, bus, txQueue: -1, rxQueue: -1 }));
    core.canSend(a!, (CAN_EFF_FLAG | 0x123) >>> 0, new Uint8Array(1));
    runAll(core, 1_000_000);
    expect(log.of('can_tx').map((r) => r.id)).toEqual([0x8000_0123]);
    expect(() => core.canSend(b!, CAN_SFF_ID_MAX + 1, new Uint8Array(0))).toThrow(/not a valid/);
    expect(() => core.canSend(b!, (CAN_EFF_FLAG | (CAN_EFF_ID_MAX + 1)) >>> 0, new Uint8Array(0))).toThrow(/not a valid/);
  });
});

describe('virtio-can back-end', () => {
  const setup = () => canNodeSetup(BPS);

  function txRequest(msgType: number, canId: number, sdu: number[]): Uint8Array {
    const b = new Uint8Array(12 + sdu.length);
    const v = new DataView(b.buffer);
    v.setUint16(0, msgType, true);
    v.setUint32(8, canId, true);
    b.set(sdu, 12);
    return b;
  }

  it('sends a guest frame, delivers an ECU frame into an RX buffer, with interrupts', async () => {
    const { core, log, tx, rx, ecu, buf } = await setup();
    core.guestWrite(0, buf, txRequest(0x0001, 0x123, [1, 2, 3]));
    core.guestWrite(0, buf + 64, Uint8Array.of(0xff));
    core.drvSubmit(rx, [{ out: [], in: [{ gpa: buf + 0x100, len: 20 }] }]);
    core.drvSubmit(tx, [{ out: [{ gpa: buf, len: 15 }], in: [{ gpa: buf + 64, len: 1 }] }]);
    expect(core.drvKick(tx)).toBe(true);
    core.canSend(ecu, 0x050, Uint8Array.of(0xaa, 0xbb));
    const irqs = runAll(core, 1_000_000);
    expect(irqs).toEqual([
      { t: 126_000, irqs: [{ vm: 0, dev: 0, queue: rx }] },
      { t: 126_000 + frameNs(false, 3), irqs: [{ vm: 0, dev: 0, queue: tx }] },
    ]);
    expect(log.of('can_arbitration').map((r) => [r.id, r.len])).toEqual([[0x050, 2], [0x123, 1]]);
    const rxMsg = core.guestRead(0, buf + 0x100, 14) as Uint8Array;
    expect(Array.from(rxMsg)).toEqual([0x01, 0x01, 0, 0, 0, 0, 0, 0, 0x50, 0, 0, 0, 0xaa, 0xbb]);
    expect(core.drvReclaim(rx, 8)).toEqual([{ id: 0, len: 14 }]);
    expect(core.drvReclaim(tx, 8)).toEqual([{ id: 0, len: 1 }]);
    expect(Array.from(core.guestRead(0, buf + 64, 1) as Uint8Array)).toEqual([0]); // VIRTIO_CAN_RESULT_OK
    expect(core.canRxCount(ecu)).toBe(1);
    expect(log.of('can_rx').map((r) => [r.id, r.dev])).toEqual([[0x050, 0], [0x123, -1]]);
  });

  it('bus budgets delay a request until its DMA is paid for, and an RX delivery too', async () => {
    const { core, log, tx, rx, ecu, buf } = await setup();
    core.busBudget(0, 10, 1000); // 10 bytes per us, 10 bytes of burst
    core.guestWrite(0, buf, txRequest(0x0001, 0x123, [1, 2, 3]));
    core.drvSubmit(rx, [{ out: [], in: [{ gpa: buf + 0x100, len: 20 }] }]);
    core.drvSubmit(tx, [{ out: [{ gpa: buf, len: 15 }], in: [{ gpa: buf + 64, len: 1 }] }]);
    core.drvKick(tx);
    core.canSend(ecu, 0x050, Uint8Array.of(0xaa, 0xbb));
    const irqs = runAll(core, 1_000_000);
    // TX DMA: 15 bytes, 5 short -> ready at 500 ns, so the ECU frame is alone in round one.
    // RX DMA at 126000: bucket full again, 14 bytes, 4 short -> written at 126400.
    expect(log.of('bus_throttle').map((r) => [r.ts, r.len, r.val])).toEqual([[0, 15, 500], [126_000, 14, 400]]);
    expect(log.of('can_arbitration').map((r) => [r.ts, r.id, r.len])).toEqual([[0, 0x050, 1], [126_000, 0x123, 1]]);
    expect(irqs).toEqual([
      { t: 126_400, irqs: [{ vm: 0, dev: 0, queue: rx }] },
      { t: 126_000 + frameNs(false, 3), irqs: [{ vm: 0, dev: 0, queue: tx }] },
    ]);
    expect(core.drvReclaim(rx, 8)).toEqual([{ id: 0, len: 14 }]);
  });

  it('refuses a malformed request with bad_can_frame and result NOT_OK', async () => {
    const { core, log, tx, buf } = await setup();
    core.guestWrite(0, buf, txRequest(0x0002, 0x123, [1]));
    core.drvSubmit(tx, [{ out: [{ gpa: buf, len: 13 }], in: [{ gpa: buf + 64, len: 1 }] }]);
    core.drvKick(tx);
    runAll(core, 1_000_000);
    expect(log.of('fault').map((r) => r.id)).toEqual([FAULT.bad_can_frame]);
    expect(log.of('can_tx')).toEqual([]);
    expect(core.drvReclaim(tx, 8)).toEqual([{ id: 0, len: 1 }]);
    expect(Array.from(core.guestRead(0, buf + 64, 1) as Uint8Array)).toEqual([1]);
    expect(core.vqFailed(tx)).toBe(false);
  });
});
