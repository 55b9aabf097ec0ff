// replay --from <t> (issue 10 §3): the replay restores the latest snapshot at or before t and
// verifies from there on. Expected answers are worked out from the recording itself through the
// checked reader: the rows after the snapshot (events and frames by seq, the others by ts_ns),
// the row a tamper changed; a plain replay of the same copy shows the tamper is real.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../../src/trace/manifest.js';
import { openCheckedTrace, verify } from '../../src/trace/open.js';
import { TABLE_NAMES, type TableName } from '../../src/trace/tables.js';
import { requireCli, tv } from '../executable.js';
import { tempDir } from '../trace/helpers.js';
import { columnValues, rewriteTable } from './tamper.js';

let original: string;

/** A private copy of the recorded 6 s cockpit trace (snapshots at 2 s, 4 s, 6 s). */
function copy(): string {
  const dir = join(tempDir('tv-replay-from-'), 'trace');
  cpSync(original, dir, { recursive: true });
  return dir;
}

function snapshotAt(dir: string, timeNs: number): { id: string; seq: number; file: string } {
  const s = readManifest(dir).snapshots!.find((e) => e.timeNs === timeNs);
  if (s === undefined) throw new Error(`no snapshot at ${timeNs}`);
  return s;
}

/** Rows of a table written after a snapshot: seq >= its next seq (events, frames), else ts_ns > its time. */
function rowsAfter(dir: string, table: TableName, at: { timeNs: number; seq: number }): number {
  let n = 0;
  for (const batch of openCheckedTrace(dir, 'verify').batches(table)) {
    const bySeq = table === 'events' || table === 'frames';
    const values = columnValues<BigInt64Array>(batch, bySeq ? 'seq' : 'ts_ns');
    for (const v of values.subarray(0, batch.numRows)) if (bySeq ? v >= BigInt(at.seq) : v > BigInt(at.timeNs)) n++;
  }
  return n;
}

/** The (batch, row in batch, table row, ts_ns, seq) of the first events row at or after tsNs. */
function eventAtOrAfter(dir: string, tsNs: bigint): { batch: number; inBatch: number; row: number; ts: bigint; seq: bigint } {
  let base = 0;
  let index = 0;
  for (const batch of openCheckedTrace(dir, 'verify').batches('events')) {
    const ts = columnValues<BigInt64Array>(batch, 'ts_ns');
    for (let i = 0; i < batch.numRows; i++) {
      if (ts[i]! >= tsNs) {
        return { batch: index, inBatch: i, row: base + i, ts: ts[i]!, seq: columnValues<BigInt64Array>(batch, 'seq')[i]! };
      }
    }
    base += batch.numRows;
    index++;
  }
  throw new Error(`no events row at or after ${tsNs}`);
}

/** Adds 1 to the val of one events row, through the writer (the files and manifest agree). */
function tamperEvent(dir: string, at: { batch: number; inBatch: number }): void {
  rewriteTable(dir, 'events', (index, batch) => {
    if (index !== at.batch) return;
    const val = columnValues<BigInt64Array>(batch, 'val');
    val[at.inBatch] = val[at.inBatch]! + 1n;
  });
  expect(verify(dir).ok).toBe(true);
}

beforeAll(() => {
  requireCli();
  original = join(tempDir('tv-replay-from-src-'), 'cockpit');
  // snapshots every 2 s (the default is 3 s since snapshot format 2): the cases below pick times
  // between and around them
  const r = tv('record', 'cockpit', '--duration', '6s', '--snapshot-every', '2s', '-o', original);
  expect(r.code, r.stderr).toBe(0);
  expect(readManifest(original).snapshots!.map((s) => s.timeNs)).toEqual([2e9, 4e9, 6e9]);
});

describe('replay --from', () => {
  it('4.5s restores the 4 s snapshot, verifies every row written after it, and says from where', () => {
    const at = snapshotAt(original, 4e9);
    const r = tv('replay', original, '--from', '4.5s');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`replay identical from snapshot ${at.id} (verified from 4.000 s; the recording before 4.000 s was not looked at)`);
    for (const table of TABLE_NAMES) expect(lines[0]).toContain(`${table} ${rowsAfter(original, table, at)} rows`);
    // epochs 41..60 of 100 ms each
    expect(lines[0]).toContain('; 20 epochs of state');
    expect(r.stderr).toBe('');
  });

  it('a tampered events row after the snapshot is named (the same row a full replay names)', () => {
    const dir = copy();
    const target = eventAtOrAfter(dir, 5_000_000_000n);
    tamperEvent(dir, target);
    const r = tv('replay', dir, '--from', '4.5s');
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stdout).toContain(`(verified from 4.000 s;`);
    expect(r.stdout).toContain(`first divergent row: events row ${target.row} (batch ${target.batch}) at ts_ns ${target.ts} seq ${target.seq}`);
    const marked = r.stdout.split('\n').filter((l) => l.startsWith('  * '));
    expect(marked.map((l) => l.split(/\s+/)[2])).toEqual(['val']);
    expect(r.stdout).toContain(`row ${target.row - 1}: `);
    const full = tv('replay', dir);
    expect(full.code).toBe(3);
    expect(full.stdout).toContain(`first divergent row: events row ${target.row} (batch ${target.batch})`);
  });

  it('a tampered events row before the snapshot is not looked at: identical, verified from 4 s', () => {
    const dir = copy();
    const target = eventAtOrAfter(dir, 3_000_000_000n);
    tamperEvent(dir, target);
    const r = tv('replay', dir, '--from', '4.5s');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^replay identical from snapshot s000002 \(verified from 4\.000 s; the recording before 4\.000 s was not looked at\)/);
    // the tamper is real: a replay from the start names it
    const full = tv('replay', dir);
    expect(full.code).toBe(3);
    expect(full.stdout).toContain(`first divergent row: events row ${target.row} (batch ${target.batch})`);
  });

  it('a damaged snapshot: warns in one line, re-executes from the start and so names a tamper before t', () => {
    const dir = copy();
    const target = eventAtOrAfter(dir, 3_000_000_000n);
    tamperEvent(dir, target);
    const index = join(dir, 'snapshots', snapshotAt(dir, 4e9).file);
    const bytes = readFileSync(index);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(index, bytes);
    const r = tv('replay', dir, '--from', '4.5s');
    expect(r.code, r.stdout + r.stderr).toBe(3);
    const warnings = r.stderr.trimEnd().split('\n');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^tracevisor: warning: --from 4\.5s: .*s000002.*; re-executed from the start instead$/);
    expect(r.stdout).toContain('(verified from the start: --from found no usable snapshot)');
    expect(r.stdout).toContain(`first divergent row: events row ${target.row} (batch ${target.batch})`);
  });

  it('before the first snapshot: verified from the start, and the warning says why', () => {
    const r = tv('replay', original, '--from', '1s');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr.trim()).toBe('tracevisor: warning: --from 1s: no snapshot at or before 1.000 s');
    expect(r.stdout).toMatch(/^replay identical \(verified from the start: --from found no usable snapshot\): events \d+ rows/);
  });

  it('a frames payload byte tampered after the snapshot is named in the frames table', () => {
    const dir = copy();
    const at = snapshotAt(dir, 4e9);
    let target = -1;
    let base = 0;
    rewriteTable(dir, 'frames', (_index, batch) => {
      const seq = columnValues<BigInt64Array>(batch, 'seq');
      if (target < 0) {
        const i = seq.subarray(0, batch.numRows).findIndex((s) => s >= BigInt(at.seq) + 1000n);
        if (i >= 0) {
          target = base + i;
          const data = batch.getChild('data')!.data[0]!;
          const start = (data.valueOffsets as Int32Array)[i]!;
          (data.values as Uint8Array)[start] = (data.values as Uint8Array)[start]! ^ 0xff;
        }
      }
      base += batch.numRows;
    });
    expect(target).toBeGreaterThan(0);
    const r = tv('replay', dir, '--from', '4s');
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stdout).toContain(`first divergent row: frames row ${target} `);
    const marked = r.stdout.split('\n').filter((l) => l.startsWith('  * '));
    expect(marked.map((l) => l.split(/\s+/)[2])).toEqual(['data']);
  });

  it('bad values are one line, exit 2', () => {
    const beyond = tv('replay', original, '--from', '7s');
    expect(beyond.code).toBe(2);
    expect(beyond.stderr.trim()).toMatch(/^tracevisor: --from 7\.000 s: beyond the end of the run \(6\.000 s\)/);
    const bad = tv('replay', original, '--from', 'soon');
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    const withUntil = tv('replay', original, '--from', '2s', '--until', '3s');
    expect(withUntil.code).toBe(2);
  });
});
