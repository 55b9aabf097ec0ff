// The core's fault hooks driven directly (issue 9 §5): a virtio-can device whose node is bus-off
// answers VIRTIO_CAN_RESULT_NOT_OK, and a frame waiting in a mailbox goes out at recovery.
import { describe, expect, it } from 'vitest';
import { EXIT, FAULT_EDGE, FAULT_TYPE } from '../../src/core/codes.js';
import type { Core } from '../../src/core/core.js';
import { canNodeSetup } from '../core/helpers.js';

const BPS = 500_000;
const OFF_NS = 200_000;

function runAll(core: Core, untilNs: number): void {
  while (core.run(untilNs) === EXIT.irq) core.irqTake();
}

function txRequest(canId: number, sdu: number[]): Uint8Array {
  const b = new Uint8Array(12 + sdu.length);
  const v = new DataView(b.buffer);
  v.setUint16(0, 0x0001, true); // VIRTIO_CAN_TX
  v.setUint32(8, canId, true);
  b.set(sdu, 12);
  return b;
}

const setup = () => canNodeSetup(BPS);

describe('can_bus_off in the core', () => {
  it('a bus-off virtio-can node completes a request with NOT_OK and a refused row, and sends after recovery', async () => {
    const { core, log, tx, node, buf } = await setup();
    core.faultAdd({ type: FAULT_TYPE.can_bus_off, target: node, owner: -1, ppm: 0, atNs: 0, endNs: OFF_NS });
    core.guestWrite(0, buf, txRequest(0x123, [1, 2, 3]));
    core.guestWrite(0, buf + 64, Uint8Array.of(0xff));
    core.drvSubmit(tx, [{ out: [{ gpa: buf, len: 15 }], in: [{ gpa: buf + 64, len: 1 }] }]);
    core.drvKick(tx);
    runAll(core, OFF_NS - 1);
    expect(log.of('can_tx')).toEqual([]);
    expect(core.drvReclaim(tx, 8)).toEqual([{ id: 0, len: 1 }]);
    expect(Array.from(core.guestRead(0, buf + 64, 1) as Uint8Array)).toEqual([1]); // NOT_OK
    const refused = log.of('fault_injected');
    expect(refused.map((r) => [r.id, r.val, r.vm, r.dev, r.queue, r.len])).toEqual([[FAULT_TYPE.can_bus_off, FAULT_EDGE.refused, 0, 0, 0, 3]]);
    // After the window the same request goes through.
    runAll(core, OFF_NS);
    core.canBusOffEdge(node);
    core.guestWrite(0, buf + 64, Uint8Array.of(0xff));
    core.drvSubmit(tx, [{ out: [{ gpa: buf, len: 15 }], in: [{ gpa: buf + 64, len: 1 }] }]);
    core.drvKick(tx);
    runAll(core, 1_000_000);
    expect(log.of('can_tx').map((r) => [r.ts, r.id])).toEqual([[OFF_NS, 0x123]]);
    expect(Array.from(core.guestRead(0, buf + 64, 1) as Uint8Array)).toEqual([0]); // OK
  });

  it('a frame in the mailbox when its node goes bus-off waits, and is the first on the bus at recovery', async () => {
    const { core, log, tx, node, ecu, buf } = await setup();
    core.faultAdd({ type: FAULT_TYPE.can_bus_off, target: node, owner: -1, ppm: 0, atNs: 1, endNs: OFF_NS });
    // At 0 both nodes want the bus: the ECU's 0x050 wins, the guest's 0x123 waits in its mailbox.
    core.canSend(ecu, 0x050, Uint8Array.of(1, 2));
    core.guestWrite(0, buf, txRequest(0x123, [1, 2, 3]));
    core.drvSubmit(tx, [{ out: [{ gpa: buf, len: 15 }], in: [{ gpa: buf + 64, len: 1 }] }]);
    core.drvKick(tx);
    runAll(core, OFF_NS);
    // The ECU's frame ends at 126 us; the waiting frame's node is bus-off then, so it stays put.
    expect(log.of('can_tx').map((r) => [r.ts, r.id])).toEqual([[0, 0x050]]);
    core.canBusOffEdge(node);
    runAll(core, 1_000_000);
    expect(log.of('can_tx').map((r) => [r.ts, r.id])).toEqual([[0, 0x050], [OFF_NS, 0x123]]);
    expect(core.canSendTry(ecu, 0x051, Uint8Array.of(2))).toBe('sent');
  });

  it('an external node refuses requests while bus-off: canSendTry says so, and a row records it', async () => {
    const { core, log, ecu } = await setup();
    core.faultAdd({ type: FAULT_TYPE.can_bus_off, target: ecu, owner: -1, ppm: 0, atNs: 0, endNs: OFF_NS });
    expect(core.canSendTry(ecu, 0x051, Uint8Array.of(2))).toBe('bus_off');
    runAll(core, 1_000_000);
    expect(log.of('can_tx')).toEqual([]);
    expect(log.of('fault_injected').map((r) => [r.ts, r.val, r.len, r.vm, r.dev])).toEqual([[0, FAULT_EDGE.refused, 1, -1, -1]]);
  });
});
