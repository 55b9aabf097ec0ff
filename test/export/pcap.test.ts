// `tracevisor export pcap` on a recorded cockpit run (issue 12 §2), checked by tshark: every
// frame dissects with no malformed-packet expert info, the frames per interface are the frames
// table's, CAN ids and payloads and Ethernet bytes match, timestamps to the ns; --filter and
// --from/--to select what the table says; -o - writes the same bytes; user errors are one line.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, requireCli, tv } from '../executable.js';
import { frameRows, hex, record, tempDir, type FrameRow } from '../frames/helpers.js';
import { expertProblems, requireTool, tsharkFields } from './tshark.js';

// cockpit: one net device per VM, links in VM order, one CAN bus
const LINK_NAMES = ['cluster-eth0', 'infotainment-eth0', 'gateway-eth0'];
const nameOf = (r: FrameRow): string => (r.kind === 'eth' ? LINK_NAMES[r.link]! : 'can0');
/** ns since the epoch as tshark prints frame.time_epoch with if_tsresol 9 */
const epoch = (ns: bigint): string => `${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`;

function countBy<T>(items: T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of items) out[key(t)] = (out[key(t)] ?? 0) + 1;
  return out;
}

describe('export pcap', () => {
  let dir: string;
  let rows: FrameRow[];
  let pcap: string;
  beforeAll(() => {
    requireCli();
    dir = record('cockpit', '2s');
    rows = frameRows(dir);
    pcap = join(tempDir('tv-pcap-'), 'run.pcapng');
    const r = tv('export', 'pcap', dir, '-o', pcap);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`exported ${rows.length} frames (${readFileSync(pcap).length} bytes) from ${LINK_NAMES.join(', ')}, can0 -> ${pcap}\n`);
  }, 120_000);

  it('dissects every frame with no malformed-packet (or any warning) expert info', (ctx) => {
    requireTool(ctx, 'tshark');
    expect(expertProblems(pcap)).toEqual([]);
    expect(tsharkFields(pcap, ['frame.number'], '_ws.malformed')).toEqual([]);
  });

  it('has the frames table\'s frames per interface, in its order, at its times to the ns', (ctx) => {
    requireTool(ctx, 'tshark');
    const packets = tsharkFields(pcap, ['frame.interface_name', 'frame.time_epoch', 'frame.packet_flags_direction']);
    expect(packets.length).toBe(rows.length);
    expect(countBy(packets, (p) => p[0]!)).toEqual(countBy(rows, nameOf));
    const direction = { to_switch: '0x00000002', from_switch: '0x00000001', bus: '' } as const;
    expect(packets).toEqual(rows.map((r) => [nameOf(r), epoch(r.ts), direction[r.dir]]));
  });

  it('carries each Ethernet frame\'s bytes: MACs, ethertype, payload', (ctx) => {
    requireTool(ctx, 'tshark');
    // PTP dissection off, so the 802.1AS frames (the cockpit runs gPTP) show their payload as data too
    const eth = tsharkFields(pcap, ['eth.dst', 'eth.src', 'eth.type', 'frame.len', 'data.data'], 'eth', ['--disable-protocol', 'ptp']);
    const mac = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
    const expected = rows.filter((r) => r.kind === 'eth').map((r) => [
      mac(r.data.subarray(0, 6)), mac(r.data.subarray(6, 12)), `0x${hex(r.data.subarray(12, 14)).padStart(4, '0')}`,
      String(r.len), hex(r.data.subarray(14)),
    ]);
    expect(eth).toEqual(expected);
  });

  it('names each link after its VM: what leaves a VM\'s interface carries that VM\'s MAC', (ctx) => {
    requireTool(ctx, 'tshark');
    const macOf: Record<string, string> = { 'cluster-eth0': '02:00:00:00:00:01', 'infotainment-eth0': '02:00:00:00:00:02', 'gateway-eth0': '02:00:00:00:00:03' };
    const packets = tsharkFields(pcap, ['frame.interface_name', 'frame.packet_flags_direction', 'eth.src', 'eth.dst', 'eth.type'], 'eth');
    expect(packets.length).toBeGreaterThan(0);
    for (const [name, direction, src, dst, type] of packets) {
      if (direction === '0x00000002') expect(src).toBe(macOf[name!]);
      // what reaches a VM is addressed to it, or is gPTP to the link-local multicast (802.1AS §10.4.3)
      else if (type === '0x88f7') expect(dst).toBe('01:80:c2:00:00:0e');
      else expect(dst).toBe(macOf[name!]);
    }
    expect(packets.some((p) => p[4] === '0x88f7' && p[1] === '0x00000001')).toBe(true);
  });

  it('carries each CAN frame\'s id, length and data (LINKTYPE_CAN_SOCKETCAN)', (ctx) => {
    requireTool(ctx, 'tshark');
    const can = tsharkFields(pcap, ['can.id', 'can.flags.xtd', 'can.len', 'data.data'], 'can');
    const expected = rows.filter((r) => r.kind === 'can').map((r) => [String(r.canId), String(r.canFlags & 1), String(r.dlc), hex(r.data)]);
    expect(expected.length).toBeGreaterThan(100);
    expect(can).toEqual(expected);
  });

  it('--filter and --from/--to keep only those links and buses, in that window', (ctx) => {
    requireTool(ctx, 'tshark');
    const out = join(tempDir('tv-pcap-'), 'part.pcapng');
    const r = tv('export', 'pcap', dir, '-o', out, '--filter', 'can0', '--filter', 'gateway-eth0', '--from', '500ms', '--to', '1.5s');
    expect(r.code).toBe(0);
    const inWindow = rows.filter((x) => x.ts >= 500_000_000n && x.ts < 1_500_000_000n);
    const kept = inWindow.filter((x) => ['can0', 'gateway-eth0'].includes(nameOf(x)));
    expect(kept.length).toBeLessThan(inWindow.length);
    const packets = tsharkFields(out, ['frame.interface_name', 'frame.time_epoch']);
    expect(packets).toEqual(kept.map((x) => [nameOf(x), epoch(x.ts)]));
  });

  it('-o - writes the same capture to stdout, the summary to stderr', () => {
    const r = spawnSync(process.execPath, [CLI, 'export', 'pcap', dir, '-o', '-'], { maxBuffer: 1 << 28 });
    expect(r.status).toBe(0);
    expect(Buffer.compare(r.stdout, readFileSync(pcap))).toBe(0);
    expect(r.stderr.toString()).toMatch(/^exported \d+ frames .* -> stdout\n$/);
  });

  it('refuses, in one line with exit 2: an unknown --filter, an empty window, a --no-frames trace, an existing file', () => {
    const cases: [string[], RegExp][] = [
      [['--filter', 'eth9'], /--filter eth9: no such link or bus in this trace; it has cluster-eth0, infotainment-eth0, gateway-eth0, can0/],
      [['--from', '2s', '--to', '1s'], /--to 1s is not after --from 2s/],
      [['--from', 'soon'], /--from: expected a virtual time such as 2s/],
    ];
    for (const [flags, message] of cases) {
      const r = tv('export', 'pcap', dir, '-o', join(tempDir('tv-pcap-'), 'x.pcapng'), ...flags);
      expect([r.code, r.stdout]).toEqual([2, '']);
      expect(r.stderr).toMatch(new RegExp(`^tracevisor: ${message.source}[^\\n]*\\n$`));
    }
    const off = record('cockpit', '200ms', '--no-frames');
    const r = tv('export', 'pcap', off, '-o', join(tempDir('tv-pcap-'), 'x.pcapng'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tracevisor: .*recorded with --no-frames, so its frames table is empty; record it again without --no-frames[^\n]*\n$/);
    const exists = tv('export', 'pcap', dir, '-o', pcap);
    expect(exists.code).toBe(2);
    expect(exists.stderr).toMatch(/exists; use --force/);
  }, 60_000);
});
