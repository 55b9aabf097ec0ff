// The timeline on small hand-made traces (Recorder over columns written here), where every
// slice and counter value is worked out by hand from the rows: the scheduler's run and steal
// slices, virtqueue lanes for overlapping requests, the per-interval counter steps, and the
// refusal of an events table out of time order.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KIND } from '../../src/core/codes.js';
import { Recorder } from '../../src/trace/recorder.js';
import { requireCli, tv } from '../executable.js';
import { decodeTrace } from './decode.js';
import { readTimeline, type Timeline } from './structure.js';

type Row = [tsNs: number, kind: number, vm: number, vcpu: number, dev: number, queue: number, id: number, len: number, val: number];

let work: string;
beforeAll(() => {
  requireCli();
  work = mkdtempSync(join(tmpdir(), 'tv-perfetto-tl-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function trace(name: string, rows: Row[]): string {
  const dir = join(work, name);
  const n = rows.length;
  const cols = {
    ts_ns: new BigInt64Array(n), seq: new BigInt64Array(n), vm: new Int16Array(n), vcpu: new Int16Array(n),
    kind: new Uint8Array(n), dev: new Int16Array(n), queue: new Int16Array(n), id: new BigInt64Array(n),
    len: new Int32Array(n), val: new BigInt64Array(n),
  };
  rows.forEach(([ts, kind, vm, vcpu, dev, queue, id, len, val], i) => {
    cols.ts_ns[i] = BigInt(ts); cols.seq[i] = BigInt(i); cols.kind[i] = kind; cols.vm[i] = vm; cols.vcpu[i] = vcpu;
    cols.dev[i] = dev; cols.queue[i] = queue; cols.id[i] = BigInt(id); cols.len[i] = len; cols.val[i] = BigInt(val);
  });
  const recorder = Recorder.create(dir, { scenario: { test: name }, seed: '1', coreVersion: 0 });
  recorder.appendEvents(cols, n);
  recorder.finish();
  return dir;
}

function exported(dir: string): Timeline {
  const out = `${dir}.pftrace`;
  const r = tv('export', 'perfetto', dir, '-o', out);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const t = readTimeline(decodeTrace(readFileSync(out)));
  expect(t.problems).toEqual([]);
  return t;
}

const slicesOn = (t: Timeline, trackName: string) => {
  const uuids = new Set([...t.tracks.values()].filter((d) => d.name === trackName).map((d) => d.uuid));
  return t.slices.filter((s) => uuids.has(s.track)).map((s) => [s.name, Number(s.beginNs), s.endNs === null ? null : Number(s.endNs)]);
};

describe('timeline from hand-made rows', () => {
  it('run slices between sched_run and preempt/block, a steal slice for the wait, none for a zero wait', () => {
    const t = exported(trace('sched', [
      [0, KIND.sched_wake, 0, 0, -1, -1, -1, 0, 0],
      [0, KIND.sched_run, 0, 0, -1, -1, 1, 0, 0], //       woken and run at once: no steal slice
      [100, KIND.sched_preempt, 0, 0, -1, -1, 1, 0, 100],
      [150, KIND.sched_run, 0, 0, -1, -1, 0, 0, 50], //     waited 100..150
      [300, KIND.sched_block, 0, 0, -1, -1, 0, 0, 150],
    ]));
    expect(slicesOn(t, 'vcpu0')).toEqual([['run', 0, 100], ['runnable (steal)', 100, 150], ['run', 150, 300]]);
    expect(slicesOn(t, 'cpu 1')).toEqual([['vm0 vcpu0', 0, 100]]);
    expect(slicesOn(t, 'cpu 0')).toEqual([['vm0 vcpu0', 150, 300]]);
  });

  it('overlapping requests of one queue take lanes #0 and #1; a freed lane is reused', () => {
    const t = exported(trace('vq', [
      [10, KIND.vq_avail, 0, -1, 2, 1, 3, 64, 0],
      [20, KIND.vq_avail, 0, -1, 2, 1, 4, 64, 1],
      [30, KIND.vq_used, 0, -1, 2, 1, 3, 0, 20],
      [35, KIND.vq_avail, 0, -1, 2, 1, 5, 64, 2],
      [40, KIND.vq_used, 0, -1, 2, 1, 4, 0, 20],
      [50, KIND.vq_used, 0, -1, 2, 1, 5, 0, 15],
    ]));
    // no scenario in this trace: generic queue names
    expect(slicesOn(t, 'dev2 q1 #0')).toEqual([['request', 10, 30], ['request', 35, 50]]);
    expect(slicesOn(t, 'dev2 q1 #1')).toEqual([['request', 20, 40]]);
    const heads = t.slices.map((s) => s.args.get('head'));
    expect(heads).toEqual([3n, 4n, 5n]);
  });

  it('per-interval counters: a step at each 10 ms interval whose sum changed, back to 0 after', () => {
    const t = exported(trace('throttle', [
      [5_000_000, KIND.bus_throttle, 1, -1, -1, -1, 0, 64, 100],
      [7_000_000, KIND.bus_throttle, 1, -1, -1, -1, 0, 64, 20],
      [15_000_000, KIND.bus_throttle, 1, -1, -1, -1, 0, 64, 50],
      [45_000_000, KIND.bus_throttle, 1, -1, -1, -1, 0, 64, 50],
    ]));
    const track = [...t.tracks.values()].find((d) => d.name === 'bus throttle delay (ns per 10 ms)')!;
    expect(t.counters.get(track.uuid)!.map((s) => [Number(s.tsNs), s.value])).toEqual([
      [0, 120], [10_000_000, 50], [20_000_000, 0], [40_000_000, 50], [50_000_000, 0],
    ]);
  });

  it('link utilisation: a frame on the wire across an interval boundary counts in both', () => {
    // 3 ms of serialisation from 9 ms: 1 ms in [0, 10 ms), 2 ms in [10, 20 ms)
    const t = exported(trace('link', [[9_000_000, KIND.link_tx, 0, -1, 1, -1, 0, 1500, 3_000_000]]));
    const track = [...t.tracks.values()].find((d) => d.name === 'link 0 utilisation')!;
    expect(t.counters.get(track.uuid)!.map((s) => [Number(s.tsNs), s.value])).toEqual([[0, 0.1], [10_000_000, 0.2], [20_000_000, 0]]);
  });

  it('an events table out of time order: exit 2, one line', () => {
    const dir = trace('disorder', [
      [0, KIND.sched_wake, 0, 0, -1, -1, -1, 0, 0],
      [20, KIND.sched_run, 0, 0, -1, -1, 0, 0, 20],
      [10, KIND.sched_block, 0, 0, -1, -1, 0, 0, 0],
    ]);
    const r = tv('export', 'perfetto', dir, '-o', `${dir}.pftrace`);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`tracevisor: ${dir}: events are not in time order (row at 10 ns after 20 ns); the export needs a recorded trace's order\n`);
  });
});
