// The core's frames ring (issue 12 §1) on its own: two outside hosts on the switch send frames
// to each other; each frame gives one row per link direction it crosses, with its bytes, and a
// ring too small for a burst drains alone without moving the events batches.
import { describe, expect, it } from 'vitest';
import type { Core } from '../../src/core/core.js';
import type { FrameColumns } from '../../src/core/api.js';
import { makeCore, TraceLog } from '../core/helpers.js';

const LATENCY_NS = 2000;
const BPS = 100_000_000;
const MAC_A = 0x020000000001n;
const MAC_B = 0x020000000002n;
const FRAME_BYTES_MAX = 1536;

interface FrameRowCopy {
  ts: bigint;
  arrival: bigint;
  seq: bigint;
  kind: number;
  link: number;
  port: number;
  dir: number;
  len: number;
  data: Uint8Array;
}

function collectFrames(core: Core): { rows: FrameRowCopy[]; drains: () => number } {
  const rows: FrameRowCopy[] = [];
  let drains = 0;
  core.setFramesSink((c: FrameColumns, count: number) => {
    drains++;
    for (let i = 0; i < count; i++) {
      rows.push({
        ts: c.ts_ns[i]!, arrival: c.arrival_ns[i]!, seq: c.seq[i]!, kind: c.kind[i]!, link: c.link[i]!,
        port: c.port[i]!, dir: c.dir[i]!, len: c.len[i]!, data: c.data.slice(c.offsets[i]!, c.offsets[i + 1]!),
      });
    }
  });
  return { rows, drains: () => drains };
}

/** Host A (port 0, link a) and host B (port 1, link b). */
function twoHosts(core: Core): { a: number; b: number } {
  const a = core.linkCreate(LATENCY_NS, BPS);
  const b = core.linkCreate(LATENCY_NS, BPS);
  core.switchHostPort(0, a);
  core.switchHostPort(1, b);
  core.switchMac(MAC_A, 0);
  core.switchMac(MAC_B, 1);
  return { a, b };
}

/** An Ethernet frame A -> B of `len` bytes whose payload bytes count from `tag`. */
function frameAtoB(len: number, tag: number): Uint8Array {
  const f = new Uint8Array(len);
  f.set([0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x88, 0xb5]);
  for (let i = 14; i < len; i++) f[i] = (tag + i) & 0xff;
  return f;
}

const serialisationNs = (bytes: number): bigint => BigInt(Math.ceil((bytes * 8 * 1e9) / BPS));

describe('frames ring', () => {
  it('records a frame host A -> switch -> host B as two rows with its bytes, times and link_tx seq', async () => {
    const core = await makeCore({ frameRingRows: 1 << 14, frameRingBytes: 1 << 20 });
    const log = new TraceLog(core);
    const frames = collectFrames(core);
    core.framesEnable(true);
    const { a, b } = twoHosts(core);
    const sent = frameAtoB(100, 7);
    expect(core.hostSend(a, sent)).toBe(0);
    core.run(1_000_000);
    core.traceFlush();
    expect(frames.rows.map((r) => [r.link, r.port, r.dir])).toEqual([[a, 0, 0], [b, 1, 1]]);
    const [up, down] = frames.rows as [FrameRowCopy, FrameRowCopy];
    for (const r of [up, down]) {
      expect(r.kind).toBe(0); // eth
      expect(r.len).toBe(100);
      expect(r.data).toEqual(sent);
      expect(r.arrival - r.ts).toBe(serialisationNs(100) + BigInt(LATENCY_NS));
    }
    // store-and-forward: the switch sends on B's link when the last bit arrived on A's
    expect(down.ts).toBe(up.arrival);
    const linkTx = log.of('link_tx');
    expect(linkTx.map((r) => [BigInt(r.seq), BigInt(r.ts), r.id, r.len])).toEqual(
      frames.rows.map((r) => [r.seq, r.ts, r.link, r.len]),
    );
  });

  it('records nothing while frames are not enabled (record --no-frames)', async () => {
    const core = await makeCore({ frameRingRows: 1 << 14, frameRingBytes: 1 << 20 });
    const frames = collectFrames(core);
    const { a } = twoHosts(core);
    core.hostSend(a, frameAtoB(100, 1));
    core.run(1_000_000);
    core.traceFlush();
    expect(frames.rows).toEqual([]);
    expect(core.framesCount()).toBe(0);
  });

  it('drains a full ring alone: the same events in the same batches as without frames', async () => {
    const burst = async (framesOn: boolean) => {
      // 8 frames of room (the least the core takes): 60 frames of 1000 bytes overflow it often
      const core = await makeCore({ frameRingRows: 1 << 14, frameRingBytes: 8 * FRAME_BYTES_MAX });
      const log = new TraceLog(core);
      const frames = collectFrames(core);
      if (framesOn) core.framesEnable(true);
      const { a } = twoHosts(core);
      for (let wave = 0; wave < 6; wave++) {
        for (let k = 0; k < 10; k++) expect(core.hostSend(a, frameAtoB(1000, wave * 10 + k))).toBe(0);
        core.run((wave + 1) * 1_000_000);
      }
      const rows = log.all();
      return { rows, eventDrains: log.drains, frames: frames.rows, frameDrains: frames.drains() };
    };
    const off = await burst(false);
    const on = await burst(true);
    expect(on.rows).toEqual(off.rows);
    expect(on.eventDrains).toBe(off.eventDrains);
    expect(on.frames.length).toBe(120); // 60 frames, each on A's link and on B's
    expect(on.frameDrains).toBeGreaterThan(10); // ≤ 12288 bytes a drain: at least 120 kB / 12 kB
    expect(on.frames.filter((r) => r.dir === 1).map((r) => r.data[14])).toEqual(
      Array.from({ length: 60 }, (_, t) => (t + 14) & 0xff),
    );
  });

  it('refuses to enable frames without a ring', async () => {
    const core = await makeCore();
    expect(() => core.framesEnable(true)).toThrow(/frameRingRows is 0/);
  });
});
