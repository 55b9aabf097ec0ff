// pcapng from hand-built frames rows (issue 12 §2), read back by tshark: the frame kinds the
// cockpit does not send — a 29-bit CAN id, a remote frame, CAN FD with BRS, a PTP (0x88F7)
// Sync as gPTP sends it — dissect as what they are, with the ids, bytes and ns timestamps given.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FrameColumns } from '../../src/core/api.js';
import { framesBatch } from '../../src/trace/frames-batch.js';
import type { FrameInterface } from '../../src/trace/frames-read.js';
import { exportPcapng } from '../../src/formats/pcapng/export.js';
import { tempDir } from '../trace/helpers.js';
import { expertProblems, requireTool, tshark, tsharkFields } from './tshark.js';

interface Spec {
  ts: bigint;
  kind: 0 | 1;
  link?: number;
  bus?: number;
  dir: number;
  canId?: number;
  flags?: number;
  data: number[];
}

function columnsOf(specs: Spec[]): FrameColumns {
  const n = specs.length;
  const offsets = new Int32Array(n + 1);
  specs.forEach((s, i) => (offsets[i + 1] = offsets[i]! + s.data.length));
  const i16 = (f: (s: Spec) => number) => Int16Array.from(specs.map(f));
  return {
    ts_ns: BigInt64Array.from(specs.map((s) => s.ts)),
    arrival_ns: BigInt64Array.from(specs.map((s) => s.ts + 1000n)),
    seq: BigInt64Array.from(specs.map((_, i) => BigInt(i))),
    kind: Uint8Array.from(specs.map((s) => s.kind)),
    link: i16((s) => s.link ?? -1), bus: i16((s) => s.bus ?? -1), port: i16((s) => (s.kind === 0 ? 0 : -1)),
    dir: Uint8Array.from(specs.map((s) => s.dir)), vm: i16(() => -1), dev: i16(() => -1),
    len: Int32Array.from(specs.map((s) => s.data.length)),
    can_id: Int32Array.from(specs.map((s) => s.canId ?? -1)),
    can_flags: i16((s) => s.flags ?? 0), dlc: i16((s) => (s.kind === 1 ? s.data.length : -1)),
    offsets, data: Uint8Array.from(specs.flatMap((s) => s.data)),
  };
}

/** IEEE 1588-2019 §13.3 header + §13.6 Sync body, 802.1AS flavour (transportSpecific 1). */
function ptpSync(sequenceId: number): number[] {
  const eth = [0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e, 0x02, 0, 0, 0, 0, 0x01, 0x88, 0xf7];
  const msg = new Array<number>(44).fill(0);
  msg[0] = 0x10; // transportSpecific 1, messageType 0 (Sync)
  msg[1] = 0x02; // versionPTP 2
  msg[3] = 44; // messageLength
  msg[6] = 0x02; // flagField: twoStepFlag
  msg.splice(20, 10, 0x02, 0, 0, 0xff, 0xfe, 0, 0, 0x01, 0, 1); // sourcePortIdentity
  msg[30] = sequenceId >> 8;
  msg[31] = sequenceId & 0xff;
  msg[33] = 0xfd; // logMessageInterval -3 (125 ms)
  return [...eth, ...msg];
}

const INTERFACES: FrameInterface[] = [
  { kind: 'eth', index: 0, name: 'gateway-eth0', description: 'gateway' },
  { kind: 'can', index: 0, name: 'can0', description: 'CAN bus can0' },
];

describe('pcapng of hand-built frames', () => {
  it('dissects 29-bit, remote and CAN FD frames and a PTP Sync, with their ids, bytes and times', (ctx) => {
    requireTool(ctx, 'tshark');
    const specs: Spec[] = [
      { ts: 1_000_000_001n, kind: 1, bus: 0, dir: 2, canId: 0x18daf110, flags: 1, data: [0x02, 0x10, 0x03] },
      { ts: 1_000_000_502n, kind: 0, link: 0, dir: 0, data: ptpSync(0x1234) },
      { ts: 2_000_000_003n, kind: 1, bus: 0, dir: 2, canId: 0x123, flags: 2, data: [] },
      { ts: 3_000_000_004n, kind: 1, bus: 0, dir: 2, canId: 0x7ff, flags: 4 | 8, data: Array.from({ length: 12 }, (_, i) => i + 1) },
      { ts: 3_000_000_005n, kind: 0, link: 0, dir: 1, data: ptpSync(0x1235) },
    ];
    const file = join(tempDir('tv-pcapng-'), 'hand.pcapng');
    const chunks: Uint8Array[] = [];
    const selection = { interfaces: INTERFACES, fromNs: 0n, toNs: 1n << 62n };
    const result = exportPcapng([framesBatch(columnsOf(specs), specs.length)], selection, 'test', (c) => chunks.push(c.slice()));
    writeFileSync(file, Buffer.concat(chunks));
    expect(result.perInterface).toEqual([2, 3]);
    expect(expertProblems(file)).toEqual([]);
    const rows = tsharkFields(file, ['frame.time_epoch', 'frame.interface_name', 'frame.protocols']);
    expect(rows.map((r) => r[0])).toEqual(['1.000000001', '1.000000502', '2.000000003', '3.000000004', '3.000000005']);
    expect(rows.map((r) => r[1])).toEqual(['can0', 'gateway-eth0', 'can0', 'can0', 'gateway-eth0']);
    expect(rows[1]![2]).toMatch(/eth:ethertype:ptp$/);
    const ptp = tsharkFields(file, ['ptp.v2.messagetype', 'ptp.v2.sequenceid', 'frame.packet_flags_direction'], 'ptp');
    expect(ptp).toEqual([['0x00', '4660', '0x00000002'], ['0x00', '4661', '0x00000001']]);
    const can = tsharkFields(file, ['can.id', 'can.flags.xtd', 'can.flags.rtr', 'can.len', 'data.data'], 'can || canfd');
    expect(can).toEqual([
      [String(0x18daf110), '1', '0', '3', '021003'],
      [String(0x123), '0', '1', '0', ''],
      [String(0x7ff), '0', '', '12', '0102030405060708090a0b0c'], // CAN FD has no remote frames: no rtr bit
    ]);
    // the FD frame matches Wireshark's canfd filter, with its BRS bit, in a canfd_frame's 72 bytes
    expect(tsharkFields(file, ['can.len', 'canfd.flags.brs', 'frame.len'], 'canfd')).toEqual([['12', '1', '72']]);
  });
});


describe('capture interfaces of a trace', () => {
  it('names each VM\'s net devices <vm>-eth<n> in link order, then outside hosts host-<mac>, then the CAN buses', async () => {
    const { parseScenario } = await import('../../src/scenario/load.js');
    const { frameInterfaces } = await import('../../src/trace/frames-read.js');
    const net = (mac: string) => ({ type: 'net', mac });
    const scenario = parseScenario({
      name: 'two-nics',
      canBuses: [{ name: 'body', bitsPerSecond: 125000 }, { name: 'chassis', bitsPerSecond: 500000 }],
      vms: [
        { name: 'a', ecu: 'ECUA', ramMiB: 16, devices: [{ type: 'console' }, net('02:00:00:00:00:01'), net('02:00:00:00:00:02')], program: { type: 'idle' } },
        { name: 'b', ecu: 'ECUB', ramMiB: 16, devices: [net('02:00:00:00:00:03')], program: { type: 'idle' } },
      ],
    }, 'two-nics');
    const inputs = [
      { source: 'udp:9000', flag: '--net-input' as const, kind: 'udp' as const, mac: '02:00:00:00:00:AA', to: '02:00:00:00:00:01' },
      { source: 'udp:9001', flag: '--net-input' as const, kind: 'udp' as const, mac: '02:00:00:00:00:aa', to: '02:00:00:00:00:03' },
    ];
    const manifest = { scenario, inputs } as unknown as Parameters<typeof frameInterfaces>[0];
    expect(frameInterfaces(manifest).map((f) => [f.kind, f.index, f.name])).toEqual([
      ['eth', 0, 'a-eth0'], ['eth', 1, 'a-eth1'], ['eth', 2, 'b-eth0'], ['eth', 3, 'host-02:00:00:00:00:aa'],
      ['can', 0, 'body'], ['can', 1, 'chassis'],
    ]);
  });
});
