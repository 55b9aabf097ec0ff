// `tracevisor export candump` (issue 12 §2): the frames table's CAN frames as candump -l lines
// that our own reader (what `record --can-input` uses) and can-utils' log2asc read back to the
// same frames; times to the µs (candump -l's resolution).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCandumpText } from '../../src/inputs/candump-file.js';
import { CAN_EFF_FLAG } from '../../src/formats/candump.js';
import { requireCli, tv } from '../executable.js';
import { frameRows, hex, manifestOf, record, tempDir, type FrameRow } from '../frames/helpers.js';
import { requireTool } from './tshark.js';

describe('export candump', () => {
  let dir: string;
  let can: FrameRow[];
  let log: string;
  beforeAll(() => {
    requireCli();
    dir = record('cockpit', '2s');
    can = frameRows(dir).filter((r) => r.kind === 'can');
    log = join(tempDir('tv-candump-'), 'can.log');
    const r = tv('export', 'candump', dir, '-o', log);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^exported ${can.length} CAN frames \\(\\d+ bytes\\) from can0 -> `));
  }, 120_000);

  it('reads back (the --can-input reader) as the frames table\'s CAN frames, to the µs', () => {
    const text = readFileSync(log, 'utf8');
    const frames = parseCandumpText(text, log, 'can0');
    expect(can.length).toBeGreaterThan(100);
    expect(text.split('\n')[0]).toBe(`(0000000000.${String(can[0]!.ts / 1000n).padStart(6, '0')}) can0 ${can[0]!.canId.toString(16).toUpperCase().padStart(3, '0')}#${hex(can[0]!.data).toUpperCase()}`);
    // the reader gives times after the first line's (what --can-input feeds): µs, truncated
    const us = (ns: bigint): bigint => (ns / 1000n) * 1000n;
    expect(frames.map((f) => [BigInt(f.atNs), f.frame.type, f.frame.canId, hex(f.frame.data)])).toEqual(
      can.map((r) => [us(r.ts) - us(can[0]!.ts), 'data', (r.canId | ((r.canFlags & 1) !== 0 ? CAN_EFF_FLAG : 0)) >>> 0, hex(r.data)]),
    );
  });

  it('log2asc (can-utils) reads every frame with its id, length and bytes', (ctx) => {
    requireTool(ctx, 'log2asc');
    const asc = spawnSync('log2asc', ['-I', log, 'can0'], { encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(asc.status).toBe(0);
    const rows = asc.stdout.split('\n').filter((l) => /^\s+\d+\.\d+ 1 /.test(l)).map((l) => l.trim().split(/\s+/).slice(2));
    expect(rows).toEqual(can.map((r) => [
      r.canId.toString(16).toUpperCase(), 'Rx', 'd', String(r.dlc), ...[...r.data].map((b) => b.toString(16).toUpperCase().padStart(2, '0')),
    ]));
  });

  it('feeds a new run through record --can-input: one input per exported frame', () => {
    const again = record('cockpit', '2s', '--can-input', `can0=${log}`);
    expect(manifestOf(again).tables.inputs!.rows).toBe(can.length);
    // the fed frames cross the bus too: the new run has the old run's CAN frames twice
    expect(frameRows(again).filter((r) => r.kind === 'can').length).toBe(2 * can.length);
  }, 120_000);

  it('--filter takes bus names only', () => {
    const r = tv('export', 'candump', dir, '-o', join(tempDir('tv-candump-'), 'x.log'), '--filter', 'gateway-eth0');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('tracevisor: --filter gateway-eth0: no such link or bus in this trace; it has can0\n');
  });
});
