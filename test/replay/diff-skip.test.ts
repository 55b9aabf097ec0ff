// diff skipping identical prefixes by their batch digests (issue 10 §3): the same answer as the
// diff that reads and verifies both traces whole, and the same first divergent row as a full
// scan of both tables done here row by row; a batch read that does not match its digest is
// damage. Two cockpit runs that part late: one with a vCPU stall at 2 s, one without.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { diffTraces } from '../../src/replay/diff.js';
import { columnNames, rowAt, sameRow } from '../../src/replay/divergence.js';
import { openCheckedTrace } from '../../src/trace/open.js';
import { TABLE_NAMES, type TableName } from '../../src/trace/tables.js';
import { requireCli, tv } from '../executable.js';
import { tempDir } from '../trace/helpers.js';

let plain: string;
let stalled: string;

function record(name: string, ...extra: string[]): string {
  const dir = join(tempDir('tv-diff-skip-'), name);
  const r = tv('record', 'cockpit', '--duration', '3s', '-o', dir, ...extra);
  expect(r.code, r.stderr).toBe(0);
  return dir;
}

/** The first row where a table of two traces differs, by reading every row of both (-1: none). */
function firstDifferingRowByScan(a: string, b: string, table: TableName): number {
  const rows = (dir: string) => {
    const out: Record<string, unknown>[] = [];
    for (const batch of openCheckedTrace(dir, 'verify').batches(table)) for (let i = 0; i < batch.numRows; i++) out.push(rowAt(batch, i));
    return out;
  };
  const [ra, rb] = [rows(a), rows(b)];
  const columns = columnNames(table);
  for (let i = 0; i < Math.min(ra.length, rb.length); i++) if (!sameRow(ra[i]!, rb[i]!, columns)) return i;
  return ra.length === rb.length ? -1 : Math.min(ra.length, rb.length);
}

beforeAll(() => {
  requireCli();
  plain = record('plain');
  stalled = record('stalled', '--fault', 'vcpu_stall:vm=cluster,at=2s,for=12ms');
});

describe('diff skipping by batch digests', () => {
  it('names the same first divergent row per table as a full scan, with and without skipping', () => {
    const skipped = diffTraces(plain, stalled);
    const whole = diffTraces(plain, stalled, () => {}, { skip: false });
    expect(skipped.skipped).toBe(true);
    expect(whole.skipped).toBe(false);
    for (const table of TABLE_NAMES) {
      const row = firstDifferingRowByScan(plain, stalled, table);
      expect(skipped.tables[table]?.row ?? -1, table).toBe(row);
      expect(skipped.tables[table], table).toEqual(whole.tables[table]);
    }
    // the fault's row is the first divergence, at the stall's start
    expect(skipped.first?.table).toBe('events');
    expect(skipped.first?.right?.kind).toBe('fault_injected');
    expect(skipped.first?.right?.ts_ns).toBe(2_000_000_000n);
    expect(skipped.a.summary).toEqual(whole.a.summary);
    expect(skipped.b.summary).toEqual(whole.b.summary);
    expect(skipped.state).toEqual(whole.state);
    expect(skipped.batchesSkipped).toBe(whole.batchesSkipped);
    expect(skipped.batchesSkipped).toBeGreaterThan(0);
  });

  it('prints the same report as --no-skip, plus how many batches it left unread', () => {
    const r = tv('diff', plain, stalled);
    const full = tv('diff', plain, stalled, '--no-skip');
    expect(r.code).toBe(3);
    expect(full.code).toBe(3);
    const line = r.stdout.split('\n').find((l) => l.startsWith('  skipped unread: '));
    expect(line).toMatch(/^ {2}skipped unread: \d+ batches that the digests show identical/);
    expect(r.stdout.split('\n').filter((l) => l !== line)).toEqual(full.stdout.split('\n'));
  });

  it('a batch it reads (events batch 0, where they part) changed behind the manifest\'s back: damage, one line, exit 2', () => {
    const copy = join(tempDir('tv-diff-skip-bad-'), 'stalled');
    cpSync(stalled, copy, { recursive: true });
    const path = join(copy, 'events.arrow');
    const bytes = readFileSync(path);
    // events batch 0 holds rows 0-65471 (45 bytes a row): 1 MB in is inside its body
    expect(diffTraces(plain, stalled).first?.batch).toBe(0);
    bytes[1_000_000] ^= 0x01;
    writeFileSync(path, bytes);
    const r = tv('diff', plain, copy);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^tracevisor: .*stalled: trace damaged: events: batch 0 differs from its digest in digests\.ndjson/);
  });
});
