// The frames table of a recorded run (issue 12 §1): one row per transmission, joined to the
// events rows of the same transmission, byte-identical across runs, empty with --no-frames
// (which leaves every other table as it was), verified by replay and exposed to query.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EVENT_KINDS } from '../../src/core/codes.js';
import { Trace } from '../../src/trace/index.js';
import { requireCli, tv } from '../executable.js';
import { frameRows, hex, manifestOf, record, type FrameRow } from './helpers.js';

interface EventLite {
  ts: bigint;
  seq: bigint;
  kind: string;
  queue: number;
  id: bigint;
  len: number;
}

function eventsOf(dir: string, kinds: string[]): EventLite[] {
  const out: EventLite[] = [];
  for (const batch of Trace.open(dir).batches('events')) {
    const col = (name: string) => batch.getChild(name)!.data[0]!.values as ArrayLike<number | bigint>;
    const [ts, seq, kind, queue, id, len] = ['ts_ns', 'seq', 'kind', 'queue', 'id', 'len'].map(col);
    for (let i = 0; i < batch.numRows; i++) {
      const k = EVENT_KINDS[Number(kind![i])]!;
      if (!kinds.includes(k)) continue;
      out.push({ ts: ts![i] as bigint, seq: seq![i] as bigint, kind: k, queue: Number(queue![i]), id: id![i] as bigint, len: Number(len![i]) });
    }
  }
  return out;
}

const MACS = ['020000000001', '020000000002', '020000000003']; // cockpit: cluster, infotainment, gateway
const NET_DEVS = [1, 3, 5]; // each VM's console first, then its net device (scenario order)
const CAN_EFF_FLAG = 0x8000_0000n;
const PTP_MCAST = '0180c200000e'; // IEEE 802.1AS §10.4.3
/** An 802.1AS frame (ethertype 0x88F7): the cockpit runs gPTP. */
const isPtp = (r: FrameRow): boolean => r.data[12] === 0x88 && r.data[13] === 0xf7;

describe('frames table of a recorded run', () => {
  let dir: string;
  let rows: FrameRow[];
  beforeAll(() => {
    requireCli();
    dir = record('cockpit', '2s');
    rows = frameRows(dir);
  }, 120_000);

  it('has one row per link_tx and can_tx event, joined on seq with the same time, link or bus and length', () => {
    const events = eventsOf(dir, ['link_tx', 'can_tx']);
    expect(rows.length).toBe(events.length);
    expect(rows.length).toBeGreaterThan(1000);
    const bySeq = new Map(events.map((e) => [e.seq, e]));
    for (const r of rows) {
      const e = bySeq.get(r.seq)!;
      expect(e.ts).toBe(r.ts);
      if (r.kind === 'eth') {
        expect([e.kind, e.id, e.len]).toEqual(['link_tx', BigInt(r.link), r.len]);
      } else {
        const id = BigInt(r.canId) | ((r.canFlags & 1) !== 0 ? CAN_EFF_FLAG : 0n);
        expect([e.kind, e.queue, e.id, e.len]).toEqual(['can_tx', r.bus, id, r.dlc]);
        expect(r.len).toBe(r.dlc);
      }
    }
  });

  it('holds whole Ethernet frames: the sender\'s MAC on its own link to the switch, the receiver\'s on the way back', () => {
    const eth = rows.filter((r) => r.kind === 'eth');
    expect(eth.length).toBeGreaterThan(0);
    for (const r of eth) {
      expect(r.data.length).toBe(r.len);
      const vm = NET_DEVS.indexOf(r.dev);
      expect(vm).toBeGreaterThanOrEqual(0);
      expect(r.vm).toBe(vm);
      const src = hex(r.data.subarray(6, 12));
      const dst = hex(r.data.subarray(0, 6));
      // gPTP (on in the cockpit): 802.1AS frames go to the link-local multicast (§10.4.3) both ways
      if (isPtp(r)) {
        expect(dst).toBe(PTP_MCAST);
        if (r.dir === 'to_switch') expect(src).toBe(MACS[vm]);
      } else expect(r.dir === 'to_switch' ? src : dst).toBe(MACS[vm]);
    }
    // the switch forwards every unicast frame it does not drop (PTP frames it answers, floods or keeps on their link)
    const unicast = eth.filter((r) => !isPtp(r));
    expect(unicast.length).toBeGreaterThan(0);
    expect(eth.some(isPtp)).toBe(true);
    const drops = eventsOf(dir, ['switch_drop']).length;
    expect(unicast.filter((r) => r.dir === 'from_switch').length).toBe(unicast.filter((r) => r.dir === 'to_switch').length - drops);
  });

  it('is in time order, and each forwarded frame leaves the switch after it fully arrived', () => {
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.ts >= rows[i - 1]!.ts).toBe(true);
    // Unicast frames leave the switch as they came; PTP frames the time-aware bridge makes, floods
    // or rewrites (Follow_Up's correctionField) are checked in test/sync.
    const pending = new Map<string, bigint[]>(); // frame bytes -> arrival times at the switch
    for (const r of rows.filter((x) => x.kind === 'eth' && !isPtp(x))) {
      const key = hex(r.data);
      if (r.dir === 'to_switch') pending.set(key, [...(pending.get(key) ?? []), r.arrival]);
      else {
        const arrivals = pending.get(key) ?? [];
        expect(arrivals.length).toBeGreaterThan(0);
        expect(r.ts >= arrivals.shift()!).toBe(true);
      }
    }
  });

  it('is byte-identical when the run is recorded again', () => {
    const again = record('cockpit', '2s');
    expect(readFileSync(join(again, 'frames.arrow')).equals(readFileSync(join(dir, 'frames.arrow')))).toBe(true);
    expect(manifestOf(again).tables.frames).toEqual(manifestOf(dir).tables.frames);
  }, 120_000);

  it('record --no-frames: an empty frames table, manifest frames: off, every other table unchanged', () => {
    const off = record('cockpit', '2s', '--no-frames');
    const m = manifestOf(off);
    expect(m.frames).toBe('off');
    expect(manifestOf(dir).frames).toBe('on');
    expect(m.tables.frames!.rows).toBe(0);
    for (const table of ['events', 'dlt', 'clock', 'inputs']) expect(m.tables[table]).toEqual(manifestOf(dir).tables[table]);
    const replay = tv('replay', off);
    expect(replay.code).toBe(0);
    expect(replay.stdout).toMatch(/replay identical: .*frames 0 rows/);
  }, 120_000);

  it('replay verifies it, and query sees it', () => {
    const replay = tv('replay', dir);
    expect(replay.code).toBe(0);
    expect(replay.stdout).toContain(`frames ${rows.length} rows`);
    const q = tv('query', dir, '--format', 'csv', "SELECT kind::VARCHAR AS k, count(*) AS n FROM frames GROUP BY k ORDER BY k");
    expect(q.code).toBe(0);
    const can = rows.filter((r) => r.kind === 'can').length;
    expect(q.stdout.trim().split(/\r?\n/)).toEqual(['k,n', `can,${can}`, `eth,${rows.length - can}`]);
  }, 120_000);

  it('a damaged frames.arrow is refused by query and by replay, naming the table', () => {
    const bad = record('cockpit', '1s');
    const file = join(bad, 'frames.arrow');
    const bytes = readFileSync(file);
    bytes[bytes.length - 200]! ^= 0xff; // inside the last batch's data
    writeFileSync(file, bytes);
    const q = tv('query', bad, 'SELECT count(*) FROM frames');
    expect(q.code).toBe(2);
    expect(q.stderr).toMatch(/^tracevisor: .*trace damaged: frames/);
    const replay = tv('replay', bad);
    expect(replay.code).not.toBe(0);
    expect(replay.stderr + replay.stdout).toMatch(/frames/);
  }, 120_000);
});
