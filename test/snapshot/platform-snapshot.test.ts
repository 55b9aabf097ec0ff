// Whole-platform snapshots (issue 10 §3): a recording with snapshots writes the same trace as one
// without; restoring any snapshot and running on emits exactly the rows the full run emitted
// from that point; time travel from a snapshot stands in the same state as re-execution; a
// damaged snapshot is refused and the travel re-executes from the start, saying so.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { recordScenario } from '../../src/platform/record.js';
import { drive, recordedFeed } from '../../src/platform/run-loop.js';
import type { PlatformSink } from '../../src/platform/sink.js';
import { collectState } from '../../src/replay/state.js';
import { travel } from '../../src/replay/travel.js';
import { loadScenario } from '../../src/scenario/load.js';
import { listSnapshots } from '../../src/snapshot/index.js';
import { pickSnapshot, restorePlatform } from '../../src/snapshot/platform-snapshot.js';
import { Trace } from '../../src/trace/reader.js';
import type { DltRow } from '../../src/trace/recorder.js';
import { copyEventRows, type EventRow } from '../event-rows.js';

const DURATION_NS = 3_000_000_000;
const EVERY_NS = 1_000_000_000;
let root: string;
let withSnapshots: string;
let without: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tv-platform-snapshot-'));
  withSnapshots = join(root, 'with');
  without = join(root, 'without');
  const scenario = loadScenario('cockpit', { durationNs: DURATION_NS });
  await recordScenario(scenario, withSnapshots, { snapshotEveryNs: EVERY_NS });
  await recordScenario(scenario, without, { snapshotEveryNs: 0 });
}, 120_000);

function eventRowsOf(dir: string): EventRow[] {
  const rows: EventRow[] = [];
  for (const batch of Trace.open(dir).batches('events')) {
    // kind is dictionary-encoded: its codes are the core's kind numbers (EVENT_KINDS order)
    const col = (name: string) =>
      (name === 'kind' ? batch.getChild(name)!.data[0]!.values : batch.getChild(name)!.toArray()) as ArrayLike<number | bigint>;
    const [ts, seq, vm, vcpu, kind, dev, queue, id, len, val] =
      ['ts_ns', 'seq', 'vm', 'vcpu', 'kind', 'dev', 'queue', 'id', 'len', 'val'].map(col);
    for (let i = 0; i < batch.numRows; i++) {
      rows.push({
        ts: Number(ts![i]), seq: Number(seq![i]), vm: Number(vm![i]), vcpu: Number(vcpu![i]), kind: Number(kind![i]),
        dev: Number(dev![i]), queue: Number(queue![i]), id: Number(id![i]), len: Number(len![i]), val: Number(val![i]),
      });
    }
  }
  return rows;
}

describe('record --snapshot-every', () => {
  it('writes the same tables and digests as a recording without snapshots', () => {
    const a = Trace.open(withSnapshots).manifest;
    const b = Trace.open(without).manifest;
    for (const t of ['events', 'dlt', 'clock', 'inputs'] as const) expect(a.tables[t]!.sha256).toBe(b.tables[t]!.sha256);
    expect(readFileSync(join(withSnapshots, 'digests.ndjson'))).toEqual(readFileSync(join(without, 'digests.ndjson')));
    expect(b.snapshots).toBeUndefined();
    // one at every whole second of the run, the end included
    expect(listSnapshots(withSnapshots).map((s) => s.timeNs)).toEqual([1, 2, 3].map((s) => s * EVERY_NS));
  });

  it('every snapshot of the run, restored, runs on to exactly the rows the full run emitted after it', async () => {
    const scenario = loadScenario('cockpit', { durationNs: DURATION_NS });
    const recorded = eventRowsOf(withSnapshots);
    const recordedDlt = [...Trace.open(withSnapshots).batches('dlt')].flatMap((b) =>
      Array.from(b.getChild('ts_ns')!.toArray() as BigInt64Array, Number),
    );
    const entries = listSnapshots(withSnapshots);
    expect(entries.length).toBe(3);
    for (const entry of entries) {
      const rows: EventRow[] = [];
      const dlt: DltRow[] = [];
      const sink: PlatformSink = {
        events: (cols, count) => copyEventRows(cols, count, rows),
        dlt: (row) => dlt.push(row),
        clock: () => {},
        input: () => {},
      };
      const { platform } = await restorePlatform(withSnapshots, entry.id, scenario, sink, []);
      expect(platform.engine.now).toBe(entry.timeNs);
      await drive(platform, DURATION_NS, { feed: recordedFeed([]) });
      platform.finish();
      // a snapshot holds no pending rows: the restored run emits every row from its moment on
      const expected = recorded.filter((r) => r.seq >= entry.seq);
      expect(rows.length).toBe(expected.length);
      expect(rows).toEqual(expected);
      // DLT messages after the snapshot's time: as many as the recording has after it
      expect(dlt.length).toBe(recordedDlt.filter((t) => t > entry.timeNs).length);
      if (entry.timeNs < DURATION_NS) {
        expect(rows.at(-1)!.seq).toBe(recorded.at(-1)!.seq);
        expect(dlt.length).toBeGreaterThan(0);
        expect(dlt.length).toBeLessThan(recordedDlt.length);
      }
    }
  }, 120_000);
});

describe('time travel from a snapshot', () => {
  it('--until between snapshots: the same state as re-executing from the start', async () => {
    const fast = await travel(withSnapshots, { untilNs: 2_500_000_000 });
    const slow = await travel(without, { untilNs: 2_500_000_000 });
    expect(fast.from).toEqual({ id: 's000002', timeNs: 2 * EVERY_NS });
    expect(slow.from).toBeNull();
    expect(collectState(fast.platform)).toEqual(collectState(slow.platform));
    expect(fast.stop).toEqual(slow.stop);
  }, 60_000);

  it('--break: starts before the event it breaks on, and stops on it', async () => {
    const predicate = "kind = 'sched_run' AND ts_ns > 1500000000";
    const fast = await travel(withSnapshots, { breakPredicate: predicate });
    const slow = await travel(without, { breakPredicate: predicate });
    expect(fast.from?.id).toBe('s000001');
    expect(fast.stop).toEqual(slow.stop);
    expect(collectState(fast.platform)).toEqual(collectState(slow.platform));
  }, 60_000);

  it('picks the latest snapshot at or before the time, and before the break event', () => {
    const entries = listSnapshots(withSnapshots);
    expect(pickSnapshot(entries, 999_999_999)).toBeNull();
    expect(pickSnapshot(entries, 1_000_000_000)?.id).toBe('s000001');
    expect(pickSnapshot(entries, 2_999_999_999)?.id).toBe('s000002');
    expect(pickSnapshot(entries, 3_000_000_000, entries[1]!.seq)?.id).toBe('s000002');
    expect(pickSnapshot(entries, 3_000_000_000, entries[1]!.seq - 1)?.id).toBe('s000001');
  });

  it('a damaged snapshot is refused, said, and the travel re-executes from the start', async () => {
    const dir = join(root, 'damaged');
    await recordScenario(loadScenario('cockpit', { durationNs: 2_000_000_000 }), dir, { snapshotEveryNs: EVERY_NS });
    const pages = join(dir, 'snapshots', 's000001.pages');
    const bytes = readFileSync(pages);
    bytes[Math.floor(bytes.length / 2)] ^= 0x40;
    writeFileSync(pages, bytes);
    const t = await travel(dir, { untilNs: 1_500_000_000 });
    expect(t.from).toBeNull();
    expect(t.warnings.join('\n')).toMatch(/snapshot s000001.*re-executing from the start instead/);
    const clean = await travel(without, { untilNs: 1_500_000_000 });
    expect(collectState(t.platform)).toEqual(collectState(clean.platform));
  }, 60_000);
});
