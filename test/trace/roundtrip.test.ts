import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Recorder, Trace } from '../../src/trace/index.js';
import { META, eventColumns, tempDir } from './helpers.js';

describe('recorder → reader round trip', () => {
  it('events keep every column, type and kind name', () => {
    const dir = tempDir();
    const rec = Recorder.create(dir, META);
    const cols = eventColumns([
      { ts: 10, kind: 'vq_avail', vm: 0, dev: 1, queue: 0, id: 3, len: 1500, val: 7 },
      { ts: 20, kind: 'vq_used', vm: 1, dev: 2, queue: 1, id: 4, len: 64, val: -5n },
      { ts: 30, kind: 'sched_run', vm: 1, vcpu: 0, val: 2n ** 40n },
    ]);
    rec.appendEvents(cols, 2);
    // The caller reuses its columns after return: overwrite the first two rows, add a third.
    cols.ts_ns[0] = 999n;
    cols.ts_ns[1] = 30n;
    cols.kind[1] = 9; // sched_run
    cols.vcpu[1] = 0;
    cols.val[1] = 2n ** 40n;
    rec.appendEvents(cols, 2);
    const manifest = rec.finish();
    expect(manifest.complete).toBe(true);
    expect(manifest.tables.events).toMatchObject({ rows: 4, batches: 2 });

    const trace = Trace.open(dir);
    const { batches, scan } = trace.read('events');
    expect(scan).toMatchObject({ rows: 4, batches: 2, eos: true, truncated: false, damage: null });
    const rows = batches.flatMap((b) => b.toArray().map((r) => r.toJSON()));
    expect(rows.map((r) => r.ts_ns)).toEqual([10n, 20n, 999n, 30n]);
    expect(rows.map((r) => r.kind)).toEqual(['vq_avail', 'vq_used', 'vq_avail', 'sched_run']);
    expect(rows[1]).toMatchObject({ vm: 1, vcpu: -1, dev: 2, queue: 1, id: 4n, len: 64, val: -5n });
    expect(rows[3]).toMatchObject({ vcpu: 0, val: 2n ** 40n });
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(m.scenario).toEqual(META.scenario);
    expect(m.seed).toBe('42');
  });
});
