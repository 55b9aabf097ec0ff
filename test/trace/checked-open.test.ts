// openCheckedTrace on every class of damaged trace issue #7 lists: what verify, trust and
// salvage each do. The damaged bytes are made from a small recorded trace (damage-helpers.ts);
// each test states the edit, so a failure shows the input.
import { copyFileSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openCheckedTrace, TraceError, traceFingerprint, type TableName } from '../../src/trace/index.js';
import { encodeDictionaryMessages, encodeRecordBatch, encodeSchemaMessage, concatMessage, EOS_BYTES } from '../../src/trace/ipc-encode.js';
import {
  batchesOf,
  copyTrace,
  editManifest,
  editTable,
  findInt64,
  messagesOf,
  regionsAt,
  smallTrace,
  tablePath,
} from './damage-helpers.js';

const intact = smallTrace();
const ROWS = { events: 23, dlt: 12, clock: 6, inputs: 1, sync: 0 } as const;

type Outcome = string | { rows: Record<TableName, number>; warnings: string[] };

/** What a mode makes of a trace: the error's message, or the rows it yields and its warnings. */
function outcome(dir: string, mode: 'verify' | 'trust' | 'salvage'): Outcome {
  try {
    const checked = openCheckedTrace(dir, mode);
    const rows = {} as Record<TableName, number>;
    for (const table of ['events', 'dlt', 'clock', 'inputs', 'sync'] as const) {
      let n = 0;
      for (const batch of checked.batches(table)) n += batch.numRows;
      expect(n, `${mode} ${table}: yielded rows equal the report`).toBe(checked.tables[table].rowsUsable);
      rows[table] = n;
    }
    return { rows, warnings: checked.warnings.map((w) => w.replace(dir, '<dir>')) };
  } catch (error) {
    expect(error).toBeInstanceOf(TraceError);
    const message = (error as Error).message;
    expect(message.split('\n')).toHaveLength(1);
    return message.replace(dir, '<dir>');
  }
}

const rows = (over: Partial<Record<TableName, number>>) => ({ ...ROWS, ...over });
const damagedMessage = (what: string) => new RegExp(`^<dir>: trace damaged: ${what}.*; use --salvage to query the intact part`);

/**
 * A damaged events.arrow: verify and trust refuse it naming `reason` ("events: …"), salvage keeps
 * the `kept` rows before the damage of the intact trace's 23 and says so.
 */
function expectEventsDamage(dir: string, reason: string, kept: number): void {
  expect(outcome(dir, 'verify')).toMatch(damagedMessage(escape(reason)));
  expect(outcome(dir, 'trust')).toMatch(damagedMessage(escape(reason)));
  expect(outcome(dir, 'salvage')).toEqual({
    rows: rows({ events: kept }),
    warnings: [`events: salvaged ${kept} of 23 rows (${reason.slice('events: '.length)}; ${kept} rows usable in the file, ` +
      'manifest says 23; content hash differs from the manifest)'],
  });
}

describe('an intact trace', () => {
  it('passes every mode with all rows and no warnings', () => {
    for (const mode of ['verify', 'trust', 'salvage'] as const) {
      expect(outcome(intact, mode), mode).toEqual({ rows: ROWS, warnings: [] });
    }
  });

  it('has a fingerprint that changes when a file or the manifest changes, and not otherwise', () => {
    const dir = copyTrace(intact);
    const first = traceFingerprint(dir);
    expect(traceFingerprint(dir)).toBe(first);
    editManifest(dir, (m) => { m.seed = '43'; });
    const second = traceFingerprint(dir);
    expect(second).not.toBe(first);
    editTable(dir, 'clock', (b) => { b[b.length - 9] ^= 1; });
    expect(traceFingerprint(dir)).not.toBe(second);
  });
});

describe('a file that changes after the check', () => {
  it('is refused when its batches are read, not read as the checked rows', () => {
    const dir = copyTrace(intact);
    const checked = openCheckedTrace(dir, 'verify');
    truncateSync(tablePath(dir, 'dlt'), batchesOf(readFileSync(tablePath(intact, 'dlt')))[2]!.start);
    expect(() => [...checked.batches('dlt')]).toThrow(/dlt\.arrow: changed since it was checked \(8 usable rows now, 12 then\); run the command again$/);
    expect([...checked.batches('clock')].reduce((n, b) => n + b.numRows, 0)).toBe(6);
  });

  it('a missing table file is one line from traceFingerprint too', () => {
    const dir = copyTrace(intact);
    rmSync(tablePath(dir, 'inputs'));
    expect(() => traceFingerprint(dir)).toThrow(/: table file inputs\.arrow is missing$/);
    expect(() => openCheckedTrace(dir, 'salvage')).toThrow(/: table file inputs\.arrow is missing$/);
  });
});

describe('truncation', () => {
  it('at each batch boundary of dlt: verify refuses, trust and salvage keep the batches before the cut', () => {
    const batches = batchesOf(readFileSync(tablePath(intact, 'dlt')));
    expect(batches.map((b) => b.rows)).toEqual([4, 4, 4]);
    for (let k = 0; k < batches.length; k++) {
      const dir = copyTrace(intact);
      truncateSync(tablePath(dir, 'dlt'), batches[k]!.start); // keeps batches 0..k-1
      const kept = 4 * k;
      expect(outcome(dir, 'verify'), `cut before batch ${k}`).toMatch(damagedMessage('dlt: no end-of-stream marker'));
      expect(outcome(dir, 'trust')).toEqual({
        rows: rows({ dlt: kept }),
        warnings: ['dlt: no end-of-stream marker (the writer did not finish)', `dlt: ${kept} rows usable in the file, manifest says 12`],
      });
      expect(outcome(dir, 'salvage')).toEqual({
        rows: rows({ dlt: kept }),
        warnings: [`dlt: salvaged ${kept} of 12 rows (no end-of-stream marker (the writer did not finish); ${kept} rows usable in the file, manifest says 12; content hash differs from the manifest)`],
      });
    }
  });

  it('inside a batch: verify and trust refuse, salvage keeps the batches before it', () => {
    const second = batchesOf(readFileSync(tablePath(intact, 'events')))[1]!;
    const dir = copyTrace(intact);
    truncateSync(tablePath(dir, 'events'), second.bodyStart + 100);
    const cut = `events: file ends inside the message at byte ${second.start} (its body needs ${second.bodyBytes} bytes, 100 remain)`;
    expectEventsDamage(dir, cut, 5);
  });
});

describe('lengths that lie', () => {
  it('a metadata length of −5 is damage, never "0 rows"', () => {
    for (const message of [0, 3]) { // the schema message, then events' second record batch (after its dictionary)
      const dir = copyTrace(intact);
      const at = messagesOf(readFileSync(tablePath(intact, 'events')))[message]!.start;
      editTable(dir, 'events', (b) => { b.writeInt32LE(-5, at + 4); });
      const reason = `events: bad message length -5 at byte ${at}`;
      expect(outcome(dir, 'verify')).toMatch(damagedMessage(escape(reason)));
      expect(outcome(dir, 'trust')).toMatch(damagedMessage(escape(reason)));
      const kept = message === 0 ? 0 : 5;
      const salvaged = outcome(dir, 'salvage') as { rows: Record<string, number>; warnings: string[] };
      expect(salvaged.rows).toEqual(rows({ events: kept }));
      expect(salvaged.warnings[0]).toMatch(new RegExp(`^events: salvaged ${kept} of 23 rows \\(bad message length -5`));
    }
  });

  it('a huge metadata length is damage without a huge allocation', () => {
    const dir = copyTrace(intact);
    const at = batchesOf(readFileSync(tablePath(intact, 'dlt')))[1]!.start;
    editTable(dir, 'dlt', (b) => { b.writeInt32LE(0x7ffffff8, at + 4); });
    expect(outcome(dir, 'trust')).toMatch(damagedMessage(`dlt: bad message length 2147483640 at byte ${at}`));
    expect((outcome(dir, 'salvage') as { rows: Record<string, number> }).rows).toEqual(rows({ dlt: 4 }));
  });

  it('a body length larger than the buffers is refused; its batch and the ones after are dropped', () => {
    const file = readFileSync(tablePath(intact, 'clock'));
    const first = batchesOf(file)[0]!;
    const dir = copyTrace(intact);
    editTable(dir, 'clock', (b) => { b.writeBigInt64LE(BigInt(first.bodyBytes + 64), findInt64(b, first, BigInt(first.bodyBytes))); });
    expect(outcome(dir, 'trust')).toMatch(damagedMessage(`clock: batch 1 at byte ${first.start}: body of ${first.bodyBytes + 64} bytes, its buffers end at ${first.bodyBytes}`));
    const salvaged = outcome(dir, 'salvage') as { rows: Record<string, number>; warnings: string[] };
    expect(salvaged.rows).toEqual(rows({ clock: 0 }));
    expect(salvaged.warnings[0]).toMatch(/^clock: salvaged 0 of 6 rows \(batch 1 at byte \d+: body of/);
  });

  it('a body length pointing past the end of the file is a cut, not a read past it', () => {
    const first = batchesOf(readFileSync(tablePath(intact, 'inputs')))[0]!;
    const dir = copyTrace(intact);
    editTable(dir, 'inputs', (b) => { b.writeBigInt64LE(1n << 40n, findInt64(b, first, BigInt(first.bodyBytes))); });
    expect(outcome(dir, 'trust')).toMatch(damagedMessage(`inputs: bad body length 1099511627776 at byte ${first.start}`));
    expect((outcome(dir, 'salvage') as { rows: Record<string, number> }).rows).toEqual(rows({ inputs: 0 }));
  });

  it('a buffer offset pointing outside the body is refused', () => {
    const file = readFileSync(tablePath(intact, 'events'));
    const third = batchesOf(file)[2]!;
    const dir = copyTrace(intact);
    // buffer 1 = ts_ns values: move its offset past the body
    editTable(dir, 'events', (b) => { b.writeBigInt64LE(BigInt(third.bodyBytes + 8), regionsAt(b, third) + 16); });
    const reason = `events: batch 3 at byte ${third.start}: buffer 1 (${third.bodyBytes + 8}+${third.regions[1]![1]}) outside the body of ${third.bodyBytes} bytes`;
    expectEventsDamage(dir, reason, 12);
  });
});

describe('bad values', () => {
  it('an invalid UTF-8 byte in a dlt text column (once a SIGSEGV in query) is refused', () => {
    const dir = copyTrace(intact);
    const text = Buffer.from('payload 5 of variant 0');
    let at = -1;
    editTable(dir, 'dlt', (b) => { at = b.indexOf(text); b[at + 3] = 0xff; }); // 'payload' → 'pay\xffoad'
    const second = batchesOf(readFileSync(tablePath(intact, 'dlt')))[1]!;
    expect(at).toBeGreaterThan(second.bodyStart);
    const reason = `dlt: batch 2 at byte ${second.start}: column payload: text is not valid UTF-8`;
    expect(outcome(dir, 'verify')).toMatch(damagedMessage(escape(reason)));
    expect(outcome(dir, 'trust')).toMatch(damagedMessage(escape(reason)));
    expect(outcome(dir, 'salvage')).toEqual({
      rows: rows({ dlt: 4 }),
      warnings: [`dlt: salvaged 4 of 12 rows (${reason.slice(5)}; 4 rows usable in the file, manifest says 12; content hash differs from the manifest)`],
    });
  });

  it('a utf8 offset that splits a character is refused although the bytes are valid UTF-8', () => {
    // value 0 "aé" and value 1 "b": offsets [0, 3, 4]; moving offsets[1] to 2 makes "a\xc3" + "\xa9b"
    const dir = copyTrace(intact);
    const offsets = Int32Array.of(0, 2, 4);
    const batch = encodeRecordBatch('inputs', 2, [
      { nullCount: 0, values: BigInt64Array.of(1n, 2n) },
      { nullCount: 0, values: BigInt64Array.of(0n, 1n) },
      { nullCount: 0, offsets, values: Buffer.from('aéb') },
      { nullCount: 0, offsets: Int32Array.of(0, 1, 2), values: Buffer.from('kk') },
      { nullCount: 0, offsets: Int32Array.of(0, 0, 0), values: new Uint8Array(0) },
    ]);
    writeStream(dir, 'inputs', [concatMessage(batch)]);
    expect(outcome(dir, 'trust')).toMatch(damagedMessage('inputs: batch 1 at byte \\d+: column source: value at row 1 starts inside a UTF-8 character'));
  });

  it('a dictionary code out of range is refused', () => {
    const file = readFileSync(tablePath(intact, 'events'));
    const first = batchesOf(file)[0]!;
    const dir = copyTrace(intact);
    const kindValues = first.regions[9]!; // column 4 (kind): buffers 8 (validity) and 9 (codes)
    editTable(dir, 'events', (b) => { b[first.bodyStart + kindValues[0] + 2] = 250; });
    const reason = `events: batch 1 at byte ${first.start}: column kind: code 250 at row 2 is outside its`;
    expect(outcome(dir, 'trust')).toMatch(damagedMessage(escape(reason)));
    expect((outcome(dir, 'salvage') as { rows: Record<string, number> }).rows).toEqual(rows({ events: 0 }));
  });

  it('a validity bitmap claiming NULLs in a non-nullable column is refused', () => {
    const dir = copyTrace(intact);
    const ones = (n: number) => ({ nullCount: 0, values: BigInt64Array.from({ length: n }, () => 1n) });
    const batch = encodeRecordBatch('clock', 3, [
      { nullCount: 1, validity: Uint8Array.of(0b101), values: BigInt64Array.of(1n, 0n, 3n) }, // ts_ns
      { nullCount: 0, values: Int16Array.of(0, 0, 0) },
      ones(3), ones(3), ones(3), ones(3), ones(3), // local, offset, drift, steal, uptime
    ]);
    writeStream(dir, 'clock', [concatMessage(batch)]);
    expect(outcome(dir, 'trust')).toMatch(damagedMessage('clock: batch 1 at byte \\d+: column ts_ns: 1 NULLs in a non-nullable column'));
  });

  it('a validity bitmap whose NULLs differ from the null count is refused', () => {
    const dir = copyTrace(intact);
    const dlt = encodeDltBatchWithNullMismatch();
    writeStream(dir, 'dlt', [dlt]);
    expect(outcome(dir, 'trust')).toMatch(damagedMessage('dlt: batch 1 at byte \\d+: column apid: validity bitmap has 1 NULLs, the column says 2'));
  });
});

describe('swapped files and a changed manifest', () => {
  it("a table file from another trace (same schema, other content): verify refuses, trust uses it, salvage says so", () => {
    const other = smallTrace(1);
    const dir = copyTrace(intact);
    copyFileSync(tablePath(other, 'dlt'), tablePath(dir, 'dlt'));
    expect(outcome(dir, 'verify')).toMatch(damagedMessage('dlt: content hash differs from the manifest'));
    expect(outcome(dir, 'trust')).toEqual({ rows: ROWS, warnings: [] });
    expect(outcome(dir, 'salvage')).toEqual({ rows: ROWS, warnings: ['dlt: using all 12 rows (content hash differs from the manifest)'] });
  });

  it('a table file of another table (schema differs) is named as such in every mode', () => {
    const dir = copyTrace(intact);
    copyFileSync(tablePath(dir, 'clock'), tablePath(dir, 'dlt'));
    const reason = "dlt: the file holds the clock table's columns, not dlt's (a file swapped?)";
    expect(outcome(dir, 'verify')).toMatch(damagedMessage(escape(reason)));
    expect(outcome(dir, 'trust')).toMatch(damagedMessage(escape(reason)));
    expect(outcome(dir, 'salvage')).toEqual({
      rows: rows({ dlt: 0 }),
      warnings: [`dlt: salvaged 0 of 12 rows (${reason.slice(5)}; 0 rows usable in the file, manifest says 12; content hash differs from the manifest)`],
    });
  });

  it('a changed manifest hash: verify refuses, trust does not look, salvage says so', () => {
    const dir = copyTrace(intact);
    editManifest(dir, (m) => { m.tables.events!.sha256 = '0'.repeat(64); });
    expect(outcome(dir, 'verify')).toMatch(damagedMessage('events: content hash differs from the manifest'));
    expect(outcome(dir, 'trust')).toEqual({ rows: ROWS, warnings: [] });
    expect(outcome(dir, 'salvage')).toEqual({ rows: ROWS, warnings: ['events: using all 23 rows (content hash differs from the manifest)'] });
  });

  it('a changed manifest row count: verify refuses, trust and salvage warn', () => {
    const dir = copyTrace(intact);
    editManifest(dir, (m) => { m.tables.clock!.rows = 7; });
    const reason = 'clock: 6 rows usable in the file, manifest says 7';
    expect(outcome(dir, 'verify')).toMatch(damagedMessage(reason));
    expect(outcome(dir, 'trust')).toEqual({ rows: ROWS, warnings: [reason] });
    expect(outcome(dir, 'salvage')).toEqual({ rows: ROWS, warnings: [`clock: salvaged 6 of 7 rows (${reason.slice(7)})`] });
  });

  it('an incomplete manifest (killed recorder): verify refuses, trust and salvage read what is there', () => {
    const dir = smallTrace(0, false);
    expect(outcome(dir, 'verify')).toMatch(damagedMessage(escape('the recording did not finish (manifest incomplete)')));
    const noEos = (t: string) => `${t}: no end-of-stream marker (the writer did not finish)`;
    // unfinished: dlt's and clock's last partial batches (0 and 2 rows) and inputs' row were buffered
    const expected = rows({ clock: 4, inputs: 0 });
    expect(outcome(dir, 'trust')).toEqual({
      rows: expected,
      warnings: ['the recording did not finish (manifest incomplete)', ...['events', 'dlt', 'clock', 'inputs', 'sync', 'frames'].map(noEos)],
    });
    const salvaged = outcome(dir, 'salvage') as { rows: Record<string, number>; warnings: string[] };
    expect(salvaged.rows).toEqual(expected);
    expect(salvaged.warnings[0]).toBe('the recording did not finish (manifest incomplete)');
    expect(salvaged.warnings[1]).toBe('events: using all 23 rows (no end-of-stream marker (the writer did not finish))');
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Replaces a table file with its schema, dictionaries, the given batch messages and EOS. */
function writeStream(dir: string, table: TableName, batches: Uint8Array[]): void {
  const parts = [encodeSchemaMessage(table), ...encodeDictionaryMessages(table), ...batches, EOS_BYTES];
  writeFileSync(tablePath(dir, table), Buffer.concat(parts));
}

/** A dlt batch of 3 rows whose apid node says 2 NULLs while its bitmap (0b101) has 1. */
function encodeDltBatchWithNullMismatch(): Uint8Array {
  const n = 3;
  const i64 = { nullCount: 0, values: BigInt64Array.of(1n, 2n, 3n) };
  const i16 = { nullCount: 0, values: Int16Array.of(0, 0, 0) };
  const i32 = { nullCount: 0, values: Int32Array.of(0, 0, 0) };
  const text = { nullCount: 0, offsets: Int32Array.of(0, 1, 2, 3), values: Buffer.from('abc') };
  const code = { nullCount: 0, values: Int8Array.of(0, 0, 0) };
  const columns = [
    i64, i64, i16, text,
    { nullCount: 2, validity: Uint8Array.of(0b101), offsets: Int32Array.of(0, 1, 1, 2), values: Buffer.from('ab') }, // apid
    text, i32, code, text, code, i16,
    { nullCount: 0, values: Uint8Array.of(0b111) }, // verbose
    i16, i64, text, text, i32, i64, i16, text,
  ];
  return concatMessage(encodeRecordBatch('dlt', n, columns));
}
