// tracevisor replay (issue 9 §2): a fresh recording replays identical; a tampered row, a
// tampered state digest, another core or tool version, recorded inputs and an incomplete trace
// each get the answer a user needs. Traces are recorded by the real executable.
import { cpSync, existsSync, readFileSync, rmSync, truncateSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { replayTrace } from '../../src/replay/verify-run.js';
import { readManifest } from '../../src/trace/manifest.js';
import { writeManifest } from '../../src/trace/manifest-file.js';
import { checkTrace, openCheckedTrace, verify } from '../../src/trace/open.js';
import { RowBuffer } from '../../src/trace/row-buffer.js';
import { arrowSchema } from '../../src/trace/schema.js';
import { TableFileWriter } from '../../src/trace/table-writer.js';
import { requireCli, tv } from '../executable.js';
import { tempDir } from '../trace/helpers.js';
import { columnValues, editDigestLines, rewriteTable } from './tamper.js';

let original: string;

/** A private copy of the recorded cockpit trace (3 s: two events batches). */
function copy(): string {
  const dir = join(tempDir('tv-replay-'), 'trace');
  cpSync(original, dir, { recursive: true });
  return dir;
}

/** The events row `row` of a trace (ts_ns, seq), through the checked reader. */
function eventRow(dir: string, row: number): { ts_ns: bigint; seq: bigint } {
  let base = 0;
  for (const batch of openCheckedTrace(dir, 'verify').batches('events')) {
    if (row < base + batch.numRows) return batch.get(row - base)!.toJSON() as { ts_ns: bigint; seq: bigint };
    base += batch.numRows;
  }
  throw new Error(`no row ${row}`);
}

beforeAll(() => {
  requireCli();
  original = join(tempDir('tv-replay-src-'), 'cockpit');
  const r = tv('record', 'cockpit', '--duration', '3s', '-o', original);
  expect(r.code, r.stderr).toBe(0);
});

describe('replay of a fresh recording', () => {
  it('is identical: exit 0 and one line naming every table with its rows and the epochs', () => {
    const manifest = readManifest(original);
    const r = tv('replay', original);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const rows = (t: string) => manifest.tables[t]!.rows;
    expect(lines[0]).toContain(`events ${rows('events')} rows, dlt ${rows('dlt')} rows, clock ${rows('clock')} rows, inputs 0 rows`);
    // 3 s of virtual time in 100 ms epochs: epochs end at 100 ms, 200 ms, … 3 s.
    expect(lines[0]).toMatch(/^replay identical: .*; 30 epochs of state, every batch and state digest matched$/);
  });

  it('-o writes the replayed trace, byte-identical to the recording', () => {
    const out = join(tempDir('tv-replay-out-'), 'again');
    const r = tv('replay', original, '-o', out);
    expect(r.code, r.stderr).toBe(0);
    for (const t of ['events', 'dlt', 'clock', 'inputs']) {
      expect(readFileSync(join(out, `${t}.arrow`)).equals(readFileSync(join(original, `${t}.arrow`))), t).toBe(true);
    }
    expect(readFileSync(join(out, 'digests.ndjson'), 'utf8')).toBe(readFileSync(join(original, 'digests.ndjson'), 'utf8'));
    expect(tv('replay', original, '-o', original).code).toBe(2);
  });

  it('stops at a virtual time when asked and hands back the live platform there', async () => {
    const outcome = await replayTrace(original, { stop: { untilNs: 1_250_000_000 } });
    expect(outcome.ended).toBe('stop');
    expect(outcome.platform.engine.now).toBe(1_250_000_000);
    expect(outcome.verifier.identical).toBe(true);
    expect(outcome.verifier.epochsMatched).toBe(12);
  });
});

describe('replay of a tampered trace names exactly the changed row', () => {
  it('events: one val of batch 1 changed through the writer', () => {
    const dir = copy();
    const inBatch = 100;
    let batch0Rows = 0;
    rewriteTable(dir, 'events', (index, batch) => {
      if (index === 0) batch0Rows = batch.numRows;
      if (index !== 1) return;
      const val = columnValues<BigInt64Array>(batch, 'val');
      val[inBatch] = val[inBatch]! + 1n;
    });
    expect(verify(dir).ok).toBe(true); // the files and manifest agree: only replay can tell
    const row = batch0Rows + inBatch;
    const { ts_ns, seq } = eventRow(dir, row);
    const r = tv('replay', dir);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toContain(`first divergent row: events row ${row} (batch 1) at ts_ns ${ts_ns} seq ${seq}`);
    const marked = r.stdout.split('\n').filter((l) => l.startsWith('  * '));
    expect(marked).toHaveLength(1);
    expect(marked[0]).toMatch(/^ {2}\* val /);
    expect(r.stdout).toContain('rows before it (the same in both):');
    expect(r.stdout).toContain(`row ${row - 1}: `);
    // The state was never tampered with, so no epoch differs.
    expect(r.stdout).toContain('state digests: all');
  });

  it('frames: the first payload byte of batch 1 row 0 changed through the writer (the context rows from batch 0)', () => {
    const dir = copy();
    let batch0Rows = 0;
    let batch0Tail: bigint[] = [];
    rewriteTable(dir, 'frames', (index, batch) => {
      if (index === 0) {
        batch0Rows = batch.numRows;
        batch0Tail = [1, 2, 3].map((k) => (batch.get(batch.numRows - k)!.toJSON() as { seq: bigint }).seq).reverse();
      }
      if (index !== 1) return;
      const data = batch.getChild('data')!.data[0]!;
      const first = (data.valueOffsets as Int32Array)[0]!;
      (data.values as Uint8Array)[first] = (data.values as Uint8Array)[first]! ^ 0xff;
    });
    expect(verify(dir).ok).toBe(true);
    const r = tv('replay', dir);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toContain(`first divergent row: frames row ${batch0Rows} (batch 1)`);
    const marked = r.stdout.split('\n').filter((l) => l.startsWith('  * '));
    expect(marked.map((l) => l.split(/\s+/)[2])).toEqual(['data']);
    // the rows before it are batch 0's last three, kept from the ring's columns as it matched
    batch0Tail.forEach((seq, k) => expect(r.stdout).toMatch(new RegExp(`row ${batch0Rows - 3 + k}: ts_ns=\\d+ arrival_ns=\\d+ seq=${seq} `)));
  });

  it('dlt: one local_ts_ns changed through the writer', () => {
    const dir = copy();
    const target = 40;
    let before: { ts_ns: bigint; local_ts_ns: bigint } | null = null;
    let base = 0;
    rewriteTable(dir, 'dlt', (_index, batch) => {
      if (before === null && target < base + batch.numRows) {
        before = batch.get(target - base)!.toJSON() as { ts_ns: bigint; local_ts_ns: bigint };
        const local = columnValues<BigInt64Array>(batch, 'local_ts_ns');
        local[target - base] = local[target - base]! + 100_000n;
      }
      base += batch.numRows;
    });
    expect(verify(dir).ok).toBe(true);
    const r = tv('replay', dir);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toContain(`first divergent row: dlt row ${target} `);
    expect(r.stdout).toContain(`at ts_ns ${before!.ts_ns}`);
    const marked = r.stdout.split('\n').filter((l) => l.startsWith('  * '));
    expect(marked.map((l) => l.split(/\s+/)[2])).toEqual(['local_ts_ns']);
    expect(marked[0]).toContain(String(before!.local_ts_ns + 100_000n)); // recorded (tampered)
    expect(marked[0]).toContain(String(before!.local_ts_ns)); // replayed
  });

  it('a state digest changed: names the epoch and the component', () => {
    const dir = copy();
    editDigestLines(dir, (line) => {
      if (line.epoch !== 5) return line;
      const core = [...(line.core as string[])];
      core[5] = '0'.repeat(16); // CORE_COMPONENTS[5] = queues
      return { ...line, core };
    });
    const r = tv('replay', dir);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toContain('every batch matched');
    expect(r.stdout).toContain('first state digest that differed: epoch 5 (at 500.000 ms), core queues (4 epochs matched before it)');
  });

  it('stops after the first divergent batch unless --keep-going', () => {
    const dir = copy();
    rewriteTable(dir, 'events', (_index, batch) => {
      const id = columnValues<BigInt64Array>(batch, 'id');
      id[10] = id[10]! + 7n; // every batch
    });
    const stopped = tv('replay', dir);
    expect(stopped.code).toBe(3);
    expect(stopped.stdout).toContain('right after the divergence');
    expect(stopped.stdout).not.toContain('batches differ in all');
    const batches = readManifest(dir).tables.events!.batches;
    const all = tv('replay', dir, '--keep-going');
    expect(all.code).toBe(3);
    expect(all.stdout).toContain(`${batches} batches differ in all (--keep-going)`);
    expect(all.stdout).toContain('first divergent row: events row 10 (batch 0)');
  });
});

describe('replay refuses what it cannot replay faithfully', () => {
  it('another core version: refused naming both versions; --force replays', () => {
    const dir = copy();
    const manifest = readManifest(dir);
    const ours = manifest.coreVersion;
    writeManifest(dir, { ...manifest, coreVersion: 999 });
    const r = tv('replay', dir);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^tracevisor: .*recorded with core version 999, this tracevisor's core is version ${ours}; .*--force`));
    const forced = tv('replay', dir, '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/^replay identical/);
  });

  it('another tool version: refused naming both', () => {
    const dir = copy();
    const manifest = readManifest(dir);
    writeManifest(dir, { ...manifest, tool: { name: manifest.tool.name, version: '0.0.1' } });
    const r = tv('replay', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`recorded by tracevisor 0\\.0\\.1, this is tracevisor ${manifest.tool.version.replace(/\./g, '\\.')}`));
  });

  it('recorded inputs are fed back from the inputs table, without opening their source', () => {
    const dir = join(tempDir('tv-replay-in-'), 'inputs');
    const log = join(tempDir('tv-replay-in-'), 'can.log');
    // a standard, an extended and a remote frame (candump -l lines)
    writeFileSync(log, '(1436509052.249713) can0 123#DEADBEEF\n(1436509052.259713) can0 12345678#0011\n(1436509052.300000) can0 456#R\n');
    const recorded = tv('record', 'cockpit', '--duration', '1s', '--can-input', `can0=${log}`, '-o', dir);
    expect(recorded.code, recorded.stderr).toBe(0);
    rmSync(log); // replay must not need it
    const r = tv('replay', dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^replay identical: .*inputs 3 rows[ ,].*every batch and state digest matched\n$/);
  });

  it('a table file changed behind the manifest\'s back is damage (exit 2), although the run matches the digests', () => {
    // The files are hashed on the replay's thread, a share at each epoch (file-hashes.ts). The replay
    // reads no recorded batch while the digests match, so a flipped byte near the end of the
    // clock file (in the last batch, before the 8-byte end-of-stream marker) is seen only by
    // the file hash.
    const dir = copy();
    const path = join(dir, 'clock.arrow');
    const bytes = readFileSync(path);
    bytes[bytes.length - 16] ^= 0x01;
    writeFileSync(path, bytes);
    const r = tv('replay', dir);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^tracevisor: .*trace damaged: clock: content hash differs from the manifest/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('an imported DLT log is no recorded run: refused in one line', () => {
    const dir = join(tempDir('tv-replay-imp-'), 'imported');
    const imported = tv('import', 'dlt', join(import.meta.dirname, '..', 'dlt', 'fixtures', 'libdlt-all-types.dlt'), '-o', dir);
    expect(imported.code, imported.stderr).toBe(0);
    const r = tv('replay', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tracevisor: .*: not a recorded run \(imported from dlt\); only traces written by tracevisor record can be replayed\n$/);
  });
});

describe('replay of a trace without digests (recorded before them)', () => {
  function withoutDigests(): string {
    const dir = copy();
    const { digests: _d, ...rest } = readManifest(dir);
    writeManifest(dir, rest);
    rmSync(join(dir, 'digests.ndjson'));
    return dir;
  }

  it('compares row by row and says so', () => {
    const r = tv('replay', withoutDigests());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^replay identical: .*; compared row by row \(the trace has no digests\)\n$/);
  });

  it('still names a tampered row', () => {
    const dir = copy();
    rewriteTable(dir, 'events', (index, batch) => {
      if (index === 0) columnValues<Int16Array>(batch, 'dev')[7]! += 1;
    });
    const { digests: _d, ...rest } = readManifest(dir);
    writeManifest(dir, rest);
    rmSync(join(dir, 'digests.ndjson'));
    const { ts_ns, seq } = eventRow(dir, 7);
    const r = tv('replay', dir);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toContain(`first divergent row: events row 7 (batch 0) at ts_ns ${ts_ns} seq ${seq}`);
    expect(r.stdout).toContain('state digests: none in this trace');
  });
});

describe('replay of an incomplete trace', () => {
  it('replays up to its last complete batch and says so', () => {
    const dir = copy();
    // What a kill during the second events batch leaves: the file cut inside that batch, and the
    // manifest of the recording's start (complete: false, no digests entry).
    const events = join(dir, 'events.arrow');
    truncateSync(events, statSync(events).size - 50_000);
    const manifest = readManifest(dir);
    const { digests: _d, ...started } = manifest;
    writeManifest(dir, { ...started, complete: false });
    const usable = checkTrace(dir, false).tables.events.rowsUsable;
    expect(usable).toBeGreaterThan(0);
    expect(usable).toBeLessThan(manifest.tables.events!.rows);
    const r = tv('replay', dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('the trace is incomplete');
    expect(r.stdout).toContain(`events ${usable} rows`);
    expect(existsSync(join(dir, 'digests.ndjson'))).toBe(true);
  });
});
