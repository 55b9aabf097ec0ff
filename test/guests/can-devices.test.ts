// Several CAN devices per VM (issue #8: `vm.can = can` kept only the last one): each device is a
// port of its own, on its own bus, that the guest can send on and receive from.
import { describe, expect, test } from 'vitest';
import { KIND } from '../../src/core/codes.js';
import { Platform } from '../../src/platform/platform.js';
import { CountingSink, type PlatformSink } from '../../src/platform/sink.js';
import { parseScenario } from '../../src/scenario/load.js';
import type { CanFrame } from '../../src/guests/frames.js';

const input = {
  name: 'two-ports',
  canBuses: [{ name: 'body', bitsPerSecond: 500_000 }, { name: 'chassis', bitsPerSecond: 500_000 }],
  ecus: [
    { name: 'door', bus: 'body', frames: [{ canId: 0x2a0, periodNs: '10ms', signal: 'counter' }] },
    { name: 'abs', bus: 'chassis', frames: [{ canId: 0x0c1, periodNs: '10ms', signal: 'speed' }] },
  ],
  vms: [{
    name: 'ecu-vm', ecu: 'EVM',
    devices: [{ type: 'can', bus: 'body' }, { type: 'can', bus: 'chassis' }],
    program: { type: 'idle' },
  }],
};

describe('a VM with two CAN devices', () => {
  test('both are ports: each sends on its own bus and receives that bus\'s frames', async () => {
    const tx: [number, number, number][] = []; // [dev, bus, id]
    const base = new CountingSink();
    const sink: PlatformSink = {
      events(cols, count) {
        for (let i = 0; i < count; i++) {
          if (cols.kind[i] === KIND.can_tx && cols.vm[i] === 0) tx.push([cols.dev[i]!, cols.queue[i]!, Number(cols.id[i])]);
        }
        base.events(cols, count);
      },
      dlt: (row, wire) => base.dlt(row, wire),
      clock: (row) => base.clock(row),
      input: (row) => base.input(row),
    };
    const platform = await Platform.create(parseScenario(input, 'test'), sink);
    const [body, chassis] = platform.vms[0]!.cans;
    expect([body!.bus, chassis!.bus]).toEqual(['body', 'chassis']);
    const received: Record<string, number[]> = { body: [], chassis: [] };
    for (const port of [body!, chassis!]) port.onReceive((f: CanFrame) => received[port.bus]!.push(f.canId));
    expect(body!.send([{ canId: 0x111, data: Uint8Array.of(1) }])).toBe(1);
    expect(chassis!.send([{ canId: 0x222, data: Uint8Array.of(2) }])).toBe(1);
    platform.run(55_000_000);
    expect(tx).toEqual([[0, 0, 0x111], [1, 1, 0x222]]);
    expect(received.body!.length).toBeGreaterThanOrEqual(4);
    expect(new Set(received.body)).toEqual(new Set([0x2a0]));
    expect(received.chassis!.length).toBeGreaterThanOrEqual(4);
    expect(new Set(received.chassis)).toEqual(new Set([0x0c1]));
  });
});
