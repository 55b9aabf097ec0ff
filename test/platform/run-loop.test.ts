// The run loop (src/platform/run-loop.ts): stepping, stopping and inputs never change the run
// except by what the inputs do, and inputs are applied at their time, in seq order.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KIND } from '../../src/core/codes.js';
import { InputError, Platform } from '../../src/platform/platform.js';
import { drive, mergeFeeds, recordedFeed, type InputFeed } from '../../src/platform/run-loop.js';
import type { PlatformSink } from '../../src/platform/sink.js';
import { loadScenario } from '../../src/scenario/load.js';
import type { InputRow } from '../../src/trace/recorder.js';

const RUN_NS = 200_000_000;

/** A sink that hashes every event column and keeps the input rows. */
function hashingSink(): { sink: PlatformSink; digest(): string; inputs: InputRow[]; kinds: number[] } {
  const hash = createHash('sha256');
  const inputs: InputRow[] = [];
  const kinds: number[] = [];
  const sink: PlatformSink = {
    events(cols, count) {
      for (const column of Object.values(cols)) {
        const view = column as ArrayBufferView & { BYTES_PER_ELEMENT: number };
        hash.update(new Uint8Array(view.buffer, view.byteOffset, count * view.BYTES_PER_ELEMENT));
      }
      for (let i = 0; i < count; i++) kinds.push(cols.kind[i]!);
    },
    dlt: () => {},
    clock: () => {},
    input: (row) => inputs.push(row),
  };
  let hex: string | undefined;
  return { sink, digest: () => (hex ??= hash.digest('hex')), inputs, kinds };
}

async function cockpit(sink: PlatformSink): Promise<Platform> {
  return Platform.create(loadScenario('cockpit', { durationNs: RUN_NS }), sink);
}

describe('run loop', () => {
  it('a run driven in 7 ms slices, or stopped and resumed, emits the same events as run()', async () => {
    const whole = hashingSink();
    (await cockpit(whole.sink)).run(RUN_NS);

    const sliced = hashingSink();
    const p1 = await cockpit(sliced.sink);
    p1.boot();
    expect(await drive(p1, RUN_NS, { sliceNs: 7_000_000 })).toBe('done');
    p1.finish();
    expect(sliced.digest()).toBe(whole.digest());

    const stopped = hashingSink();
    const p2 = await cockpit(stopped.sink);
    p2.boot();
    let calls = 0;
    expect(await drive(p2, RUN_NS, { stop: () => ++calls === 500 })).toBe('stopped');
    const stoppedAtNs = p2.engine.now;
    expect(stoppedAtNs).toBeGreaterThan(0);
    expect(stoppedAtNs).toBeLessThan(RUN_NS);
    expect(await drive(p2, RUN_NS)).toBe('done');
    p2.finish();
    expect(stopped.digest()).toBe(whole.digest());
  });

  it('applies each input after the events at its time, in seq order, and records it', async () => {
    const { sink, inputs, kinds } = hashingSink();
    const platform = await cockpit(sink);
    const applied: { ns: number; text: string }[] = [];
    platform.onInput('note', (data) => applied.push({ ns: platform.engine.now, text: new TextDecoder().decode(data) }));
    const row = (ts: number, seq: number, text: string): InputRow => ({ ts_ns: ts, seq, source: 'test', kind: 'note', data: new TextEncoder().encode(text) });
    // recordedFeed sorts by (ts_ns, seq): b (seq 0) before a (seq 1) at the same time
    const feed = recordedFeed([row(5_000_000, 1, 'a'), row(5_000_000, 0, 'b'), row(1_000_000, 2, 'c')]);
    platform.boot();
    await drive(platform, RUN_NS, { feed });
    platform.finish();
    expect(applied).toEqual([{ ns: 1_000_000, text: 'c' }, { ns: 5_000_000, text: 'b' }, { ns: 5_000_000, text: 'a' }]);
    expect(inputs.map((r) => [r.ts_ns, r.seq])).toEqual([[1_000_000, 0], [5_000_000, 1], [5_000_000, 2]]);
    expect(kinds.filter((k) => k === KIND.input)).toHaveLength(3);
  });

  it('an input of a kind nobody handles is an InputError naming the kind and source', async () => {
    const platform = await cockpit(hashingSink().sink);
    platform.boot();
    const feed: InputFeed = recordedFeed([{ ts_ns: 0, seq: 0, source: 'can0.log', kind: 'warp', data: new Uint8Array() }]);
    await expect(drive(platform, RUN_NS, { feed: mergeFeeds([feed]) })).rejects.toThrow(InputError);
    await expect(drive(platform, RUN_NS, { feed: recordedFeed([{ ts_ns: 0, seq: 0, source: 'can0.log', kind: 'warp', data: new Uint8Array() }]) })).rejects.toThrow(/can0\.log: kind "warp"|from can0\.log: kind "warp"/);
  });
});
