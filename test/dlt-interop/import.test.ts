// Import of DLT storage files: every column against what dlt-convert -a printed for the same
// real file (libdlt fixture), the manifest, merging files, damage with exact counts, and that
// the chunked streaming path is what runs (same trace whatever the chunk size).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeMessage, encodeMessages } from '../../src/formats/dlt/index.js';
import { importDltFiles } from '../../src/formats/dlt/import.js';
import { readManifest } from '../../src/trace/index.js';
import { splitConvertLine } from '../dlt/dlt-convert.js';
import { cli } from './cli.js';
import { convertFieldsOfRow, dltRows, logMessage, tempDir, writeDlt } from './helpers.js';
import { concat } from '../bytes.js';

const FIXTURE = new URL('../dlt/fixtures/libdlt-all-types.dlt', import.meta.url).pathname;
const FIXTURE_TEXT = readFileSync(new URL('../dlt/fixtures/libdlt-all-types.txt', import.meta.url), 'utf8')
  .split('\n').filter((l) => l !== '');

describe('import dlt', () => {
  it('a real libdlt file: every row matches dlt-convert -a field by field', () => {
    const dir = tempDir('tv-imp-');
    const result = importDltFiles([FIXTURE], dir);
    expect(result.messages).toBe(FIXTURE_TEXT.length);
    expect([result.skippedBytes, result.damagedMessages]).toEqual([0, 0]);
    const rows = dltRows(dir);
    expect(rows.length).toBe(FIXTURE_TEXT.length);
    rows.forEach((row, i) => {
      expect(convertFieldsOfRow(row, i), `row ${i}`).toEqual(splitConvertLine(FIXTURE_TEXT[i]!));
    });
  });

  it('fills the dlt columns as the issue says', () => {
    const dir = tempDir('tv-imp-');
    importDltFiles([FIXTURE], dir);
    const rows = dltRows(dir);
    // "1 2026/11/21 21:42:30.657145    7679785 000 TVEC DLTD INTM log info V 1 [Daemon launched…]"
    expect(rows[1]).toMatchObject({
      ts_ns: 1_795_297_350_657_145_000n, storage_ts_ns: 1_795_297_350_657_145_000n,
      local_ts_ns: 7_679_785n * 100_000n, vm: -1, ecu: 'TVEC', apid: 'DLTD', ctid: 'INTM',
      type: 'log', subtype: 'info', level: 'info', verbose: true, noar: 1, message_id: null,
      msg_counter: 0, lifecycle: 1, htyp: 0x3d, storage_ecu: 'TVEC',
      payload: 'Daemon launched. Starting to output traces...',
    });
    expect(rows[1]!.session_id).toBeTypeOf('number');
    // a control response: non-verbose, message_id is the service id, no level
    expect(rows[2]).toMatchObject({ type: 'control', subtype: 'response', level: null, verbose: false, message_id: 19n });
    // "8 … TVEC ---- ---- control time N 0 []": an extended header with empty ids
    expect(rows[8]).toMatchObject({ apid: '', ctid: '', type: 'control', subtype: 'time', payload: '' });
    // payload_raw is the payload as on the wire
    const raw = rows[1]!.payload_raw as Uint8Array;
    expect(raw.length).toBe(4 + 2 + 'Daemon launched. Starting to output traces...'.length + 1);
    const noExt = rows.find((r) => r.apid === null)!;
    expect(noExt).toMatchObject({ ctid: null, type: null, subtype: null, level: null });
    expect(noExt.message_id).not.toBeNull();
  });

  it('the manifest describes the import; events, clock and inputs are empty', () => {
    const dir = tempDir('tv-imp-');
    importDltFiles([FIXTURE], dir);
    const m = readManifest(dir);
    expect(m.complete).toBe(true);
    expect(m.scenario).toEqual({
      name: 'dlt import', source: 'dlt',
      files: [{ name: 'libdlt-all-types.dlt', bytes: readFileSync(FIXTURE).length, messages: 341, skippedBytes: 0, damagedMessages: 0 }],
      messages: 341, skippedBytes: 0, damagedMessages: 0, lifecycles: { RECV: 1, TVEC: 1 },
    });
    expect([m.tables.dlt!.rows, m.tables.events!.rows, m.tables.clock!.rows, m.tables.inputs!.rows]).toEqual([341, 0, 0, 0]);
  });

  it('several files merge by storage time, ties in file order, each file in its own order', () => {
    const dir = tempDir('tv-imp-');
    const a = writeDlt(dir, 'a.dlt', [
      logMessage({ us: 100, ecu: 'ECUA', text: 'a1' }), logMessage({ us: 300, ecu: 'ECUA', text: 'a2' }),
      logMessage({ us: 300, ecu: 'ECUA', text: 'a3' }), logMessage({ us: 200, ecu: 'ECUA', text: 'a4 (out of order)' }),
      logMessage({ us: 900, ecu: 'ECUA', text: 'a5' }),
    ]);
    const b = writeDlt(dir, 'b.dlt', [
      logMessage({ us: 50, ecu: 'ECUB', text: 'b1' }), logMessage({ us: 300, ecu: 'ECUB', text: 'b2' }),
      logMessage({ us: 400, ecu: 'ECUB', text: 'b3' }),
    ]);
    const out = join(dir, 'trace');
    importDltFiles([a, b], out);
    // heads compared: b1(50) < a1(100); a2(300) ties b2(300): a first; a3(300) still before b2;
    // a4(200) is a's head now and goes before b2; then b2, b3, a5.
    expect(dltRows(out).map((r) => r.payload)).toEqual(['b1', 'a1', 'a2', 'a3', 'a4 (out of order)', 'b2', 'b3', 'a5']);
  });

  it('the chunked reader is what runs: any chunk size gives the same trace bytes', () => {
    const dir = tempDir('tv-imp-');
    const one = join(dir, 'one');
    const small = join(dir, 'small');
    importDltFiles([FIXTURE], one);
    const result = importDltFiles([FIXTURE], small, { chunkBytes: 97, rowsPerBatch: 8192 });
    expect(result.messages).toBe(341);
    expect(readFileSync(join(small, 'dlt.arrow')).equals(readFileSync(join(one, 'dlt.arrow')))).toBe(true);
  });

  it('command line: summary on stdout, refuses to replace a trace without --force', async () => {
    const dir = tempDir('tv-imp-');
    const out = join(dir, 't');
    const first = await cli('import', 'dlt', FIXTURE, '-o', out);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(/^imported 341 DLT messages from 1 file \(0\.0 MB\) in [\d.]+ s -> .*\n  lifecycles per ECU: RECV 1, TVEC 1\n$/);
    const again = await cli('import', 'dlt', FIXTURE, '-o', out);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(`tracevisor: ${out} already holds a trace; use --force to replace it, or -o another directory\n`);
    expect((await cli('import', 'dlt', FIXTURE, '-o', out, '--force')).code).toBe(0);
    const missing = await cli('import', 'dlt', join(dir, 'nope.dlt'), '-o', join(dir, 'u'));
    expect(missing).toMatchObject({ code: 2, stderr: `tracevisor: ${join(dir, 'nope.dlt')}: cannot read it (no such file or no permission)\n` });
  });
});

describe('damaged input: intact messages kept, exact counts, a warning, exit 0', () => {
  const good = (i: number) => encodeMessage(logMessage({ us: i * 10, counter: i, text: `good ${i}` }), { storageHeader: true });

  it('garbage between messages, a lying length, a truncated last message', async () => {
    const dir = tempDir('tv-dmg-');
    const garbage = new TextEncoder().encode('garbage!!'); // 9 bytes, no "DLT\x01" in it
    const lying = good(2);
    lying[16 + 3] = lying[16 + 3]! + 20; // the standard header's length now runs into good(3)
    const truncated = good(4).subarray(0, 30);
    const file = writeDlt(dir, 'damaged.dlt', concat(good(1), garbage, lying, good(3), truncated));
    const out = join(dir, 't');
    const run = await cli('import', 'dlt', file, '-o', out);
    expect(run.code).toBe(0);
    const skipped = 9 + lying.length + truncated.length;
    expect(run.stderr).toBe(`tracevisor: warning: ${file}: 2 damaged messages, ${skipped} bytes skipped; kept the 2 intact messages\n`);
    expect(dltRows(out).map((r) => r.payload)).toEqual(['good 1', 'good 3']);
    expect(readManifest(out).scenario).toMatchObject({ messages: 2, skippedBytes: skipped, damagedMessages: 2 });
  });

  it('a file that is all garbage, and an empty file: no rows, no hang', async () => {
    const dir = tempDir('tv-dmg-');
    const noise = new Uint8Array(1 << 20);
    let x = 12345;
    for (let i = 0; i < noise.length; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      noise[i] = x >>> 24;
    }
    const noisy = writeDlt(dir, 'noise.dlt', noise);
    const empty = writeDlt(dir, 'empty.dlt', new Uint8Array(0));
    const result = importDltFiles([noisy, empty], join(dir, 't'), { chunkBytes: 4096 });
    expect(result.messages).toBe(0);
    expect(result.skippedBytes).toBe(noise.length);
    expect(dltRows(join(dir, 't'))).toEqual([]);
  });

  it('markers in the garbage and messages split across chunk edges still come out whole', () => {
    const dir = tempDir('tv-dmg-');
    const messages = Array.from({ length: 200 }, (_, i) => logMessage({ us: i, counter: i & 0xff, text: `m${i}`.repeat(1 + (i % 7)) }));
    const bytes = encodeMessages(messages, { storageHeader: true });
    const withFakeMarker = concat(bytes, Uint8Array.of(0x44, 0x4c, 0x54, 0x01, 1, 2, 3), good(9));
    const file = writeDlt(dir, 'split.dlt', withFakeMarker);
    for (const chunkBytes of [5, 64, 1000]) {
      const result = importDltFiles([file], join(dir, `t${chunkBytes}`), { chunkBytes });
      expect([result.messages, result.damagedMessages, result.skippedBytes], `chunk ${chunkBytes}`).toEqual([201, 1, 7]);
    }
  });
});
