// Export of the dlt table as a DLT storage file: COVESA's dlt-convert reads back every field of
// a recorded platform run, an imported real file comes back byte for byte, and import(export(
// trace)) gives back every column (but what DLT cannot carry: the VM, and ns below the µs).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportDltFile } from '../../src/formats/dlt/export.js';
import { importDltFiles } from '../../src/formats/dlt/import.js';
import { recordScenario } from '../../src/platform/record.js';
import { loadScenario } from '../../src/scenario/load.js';
import { Recorder } from '../../src/trace/index.js';
import { dltConvertAscii, splitConvertLine } from '../dlt/dlt-convert.js';
import { META, dltRow } from '../trace/helpers.js';
import { cli } from './cli.js';
import { convertFieldsOfRow, dltRows, requireTools, tempDir } from './helpers.js';

const FIXTURE = new URL('../dlt/fixtures/libdlt-all-types.dlt', import.meta.url).pathname;

let recorded: string;
beforeAll(async () => {
  recorded = join(tempDir('tv-exp-'), 'run');
  const scenario = loadScenario('cockpit');
  scenario.durationNs = 1_000_000_000;
  await recordScenario(scenario, recorded);
});

describe('export dlt', () => {
  it('an imported real file exports to the same bytes', () => {
    const dir = tempDir('tv-exp-');
    importDltFiles([FIXTURE], join(dir, 't'));
    const result = exportDltFile(join(dir, 't'), join(dir, 'out.dlt'));
    const original = readFileSync(FIXTURE);
    expect(result).toEqual({ messages: 341, bytes: original.length });
    expect(readFileSync(join(dir, 'out.dlt')).equals(original)).toBe(true);
  });

  it('import(export(import(file))) gives the same dlt table bytes', () => {
    const dir = tempDir('tv-exp-');
    importDltFiles([FIXTURE], join(dir, 'a'));
    exportDltFile(join(dir, 'a'), join(dir, 'a.dlt'));
    importDltFiles([join(dir, 'a.dlt')], join(dir, 'b'));
    expect(readFileSync(join(dir, 'b', 'dlt.arrow')).equals(readFileSync(join(dir, 'a', 'dlt.arrow')))).toBe(true);
  });

  it('dlt-convert -a prints every field of a recorded platform run as the trace holds it', (ctx) => {
    requireTools(ctx, 'dltConvert');
    const dir = tempDir('tv-exp-');
    exportDltFile(recorded, join(dir, 'run.dlt'));
    const lines = dltConvertAscii(readFileSync(join(dir, 'run.dlt'))).split('\n').filter((l) => l !== '');
    const rows = dltRows(recorded);
    expect(rows.length).toBeGreaterThan(100);
    expect(lines.length).toBe(rows.length);
    rows.forEach((row, i) => {
      // the file's storage time is ts_ns cut to the microsecond
      const asStored = { ...row, ts_ns: ((row.ts_ns as bigint) / 1000n) * 1000n };
      expect(splitConvertLine(lines[i]!), `row ${i}`).toEqual(convertFieldsOfRow(asStored, i));
    });
  });

  it('import(export(recorded run)) keeps every column; vm is −1 and ts_ns whole µs', () => {
    const dir = tempDir('tv-exp-');
    exportDltFile(recorded, join(dir, 'run.dlt'));
    importDltFiles([join(dir, 'run.dlt')], join(dir, 'back'));
    const before = dltRows(recorded);
    const after = dltRows(join(dir, 'back'));
    expect(after.length).toBe(before.length);
    const micro = (ns: unknown) => ((ns as bigint) / 1000n) * 1000n;
    before.forEach((row, i) => {
      expect(after[i], `row ${i}`).toEqual({
        ...row,
        vm: -1,
        ts_ns: micro(row.ts_ns),
        storage_ts_ns: micro(row.storage_ts_ns ?? row.ts_ns),
        // what a recorded row leaves NULL is now what the file says
        htyp: 0x3d,
        storage_ecu: row.ecu,
      });
    });
  });

  it('hand-made rows: reserved types, unnamed subtypes, no extended header, big-endian, no timestamp', () => {
    const dir = tempDir('tv-exp-');
    const rec = Recorder.create(join(dir, 't'), META);
    const rows = [
      dltRow({ ts_ns: 1_000_123_000, local_ts_ns: 500_000, type: 'nw_trace', subtype: '15', level: null, verbose: false, noar: 0, htyp: 0x35, storage_ecu: 'RECV', payload_raw: Uint8Array.of(1, 2, 3, 4) }),
      dltRow({ ts_ns: 2_000_000_000, type: null, subtype: '5:2', level: null, verbose: false, noar: 0, htyp: 0x35, storage_ecu: 'RECV', payload_raw: Uint8Array.of(0, 0, 0, 9) }),
      dltRow({ ts_ns: 3_000_000_000, type: null, subtype: null, level: null, apid: null, ctid: null, verbose: false, noar: 0, htyp: 0x24, storage_ecu: 'RECV', payload_raw: Uint8Array.of(0, 0, 0, 7, 0xff) }),
      dltRow({ ts_ns: 4_000_000_000, local_ts_ns: 0, htyp: 0x2f, storage_ecu: 'RECV', session_id: 12, payload_raw: Uint8Array.of(0, 0, 2, 0x00, 0, 2, 0x68, 0) }),
    ];
    for (const row of rows) rec.appendDlt(row);
    rec.finish();
    exportDltFile(join(dir, 't'), join(dir, 'out.dlt'));
    importDltFiles([join(dir, 'out.dlt')], join(dir, 'back'));
    const back = dltRows(join(dir, 'back'));
    expect(back.map((r) => [r.type, r.subtype, r.htyp, r.apid, r.verbose, r.local_ts_ns, r.session_id, r.payload_raw])).toEqual([
      ['nw_trace', '15', 0x35, 'APP', false, 500_000n, null, Uint8Array.of(1, 2, 3, 4)],
      [null, '5:2', 0x35, 'APP', false, 2_000_000_000n, null, Uint8Array.of(0, 0, 0, 9)],
      [null, null, 0x24, null, false, 0n, null, Uint8Array.of(0, 0, 0, 7, 0xff)],
      ['log', 'info', 0x2f, 'APP', true, 0n, 12, Uint8Array.of(0, 0, 2, 0x00, 0, 2, 0x68, 0)],
    ]);
    expect(back.map((r) => r.message_id)).toEqual([0x04030201n, 0x09000000n, 0x07000000n, null]);
    expect(back[0]!.ts_ns).toBe(1_000_123_000n);
  });

  it('command line: writes the file, refuses to overwrite without --force, one-line errors', async () => {
    const dir = tempDir('tv-exp-');
    const out = join(dir, 'run.dlt');
    const first = await cli('export', 'dlt', recorded, '-o', out);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^exported \d+ DLT messages \(\d+ bytes\) -> .*run\.dlt\n$/);
    const again = await cli('export', 'dlt', recorded, '-o', out);
    expect(again).toMatchObject({ code: 2, stderr: `tracevisor: ${out} exists; use --force to replace it, or -o another file\n` });
    expect((await cli('export', 'dlt', recorded, '-o', out, '--force')).code).toBe(0);
    const notTrace = await cli('export', 'dlt', dir, '-o', join(dir, 'x.dlt'));
    expect(notTrace.code).toBe(2);
    expect(notTrace.stderr).toBe(`tracevisor: ${dir}: no manifest.json; not a tracevisor trace\n`);
    const nowhere = await cli('export', 'dlt', recorded, '-o', join(dir, 'no', 'such', 'dir.dlt'));
    expect(nowhere).toMatchObject({ code: 2, stderr: `tracevisor: ${join(dir, 'no', 'such', 'dir.dlt')}: cannot open (ENOENT)\n` });
  });
});
