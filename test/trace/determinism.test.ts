import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Recorder, type Manifest } from '../../src/trace/index.js';
import { META, dltRow, eventColumns, tempDir } from './helpers.js';

const TABLES = ['events', 'dlt', 'clock', 'inputs'] as const;

function record(tsShift: number): string {
  const dir = tempDir();
  const rec = Recorder.create(dir, META, { rowsPerBatch: 2 });
  const cols = eventColumns([
    { ts: 10 + tsShift, kind: 'vq_used', vm: 0, dev: 0, queue: 1, val: 300 },
    { ts: 20, kind: 'sched_run', vm: 1, vcpu: 0, val: 50 },
  ]);
  rec.appendEvents(cols, 2);
  rec.appendEvents(cols, 1);
  rec.appendDlt(dltRow({ ts_ns: 5, payload: 'hello', level: 'warn' }));
  rec.appendDlt(dltRow({ ts_ns: 6, payload: 'x', apid: null }));
  rec.appendDlt(dltRow({ ts_ns: 7, payload: 'y' }));
  rec.appendClock({ ts_ns: 1, vm: 0, local_ns: 2, offset_ns: 1, drift_ppb: 10, steal_ns: 0, uptime_ns: 2 });
  rec.appendInput({ ts_ns: 3, seq: 0, source: 's', kind: 'k', data: new Uint8Array([1]) });
  rec.finish();
  return dir;
}

const manifestOf = (dir: string): Manifest =>
  JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;

describe('determinism', () => {
  it('the same calls give byte-identical table files and manifests apart from host/createdAt', () => {
    const a = record(0);
    const b = record(0);
    for (const table of TABLES) {
      const bytesA = readFileSync(join(a, `${table}.arrow`));
      const bytesB = readFileSync(join(b, `${table}.arrow`));
      expect(bytesA.length, table).toBeGreaterThan(0);
      expect(bytesA.equals(bytesB), table).toBe(true);
    }
    const { host: _h1, createdAt: _c1, ...restA } = manifestOf(a);
    const { host: _h2, createdAt: _c2, ...restB } = manifestOf(b);
    expect(restA).toEqual(restB);
  });

  it('different data gives a different hash for that table only', () => {
    const a = manifestOf(record(0));
    const b = manifestOf(record(1));
    expect(a.tables.events!.sha256).not.toBe(b.tables.events!.sha256);
    for (const table of ['dlt', 'clock', 'inputs']) {
      expect(a.tables[table]!.sha256, table).toBe(b.tables[table]!.sha256);
    }
  });

  it('the manifest hash is the sha256 of the file bytes', async () => {
    const { createHash } = await import('node:crypto');
    const dir = record(0);
    const manifest = manifestOf(dir);
    for (const table of TABLES) {
      const digest = createHash('sha256').update(readFileSync(join(dir, `${table}.arrow`))).digest('hex');
      expect(manifest.tables[table]!.sha256, table).toBe(digest);
    }
  });
});
