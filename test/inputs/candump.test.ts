// The candump -l format (src/formats/candump.ts and src/inputs/candump-file.ts): every frame type
// can-utils writes, exact times, the writer, and one named test per class of bad line.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CAN_EFF_FLAG, CAN_ERR_FLAG, CAN_RTR_FLAG, formatCandumpLine, parseCandumpLine, type CandumpFrame,
} from '../../src/formats/candump.js';
import { parseCandumpText, readCandumpFile } from '../../src/inputs/candump-file.js';
import { decodeCanInput, encodeCanInput } from '../../src/inputs/encoding.js';
import { InputSourceError } from '../../src/inputs/errors.js';

const bytes = (...b: number[]) => Uint8Array.from(b);
const frameOf = (line: string): CandumpFrame => parseCandumpLine(line).frame;

describe('candump -l: every frame type', () => {
  it('classic 11-bit data frame: (1436509052.249713) can0 123#DEADBEEF', () => {
    const line = parseCandumpLine('(1436509052.249713) can0 123#DEADBEEF');
    expect(line.iface).toBe('can0');
    expect(line.timeNs).toBe(1436509052_249713000n);
    expect(line.frame).toEqual({ type: 'data', canId: 0x123, data: bytes(0xde, 0xad, 0xbe, 0xef), len: 4, fdFlags: 0, len8Dlc: 0 });
  });

  it('extended id: 8 hex digits get CAN_EFF_FLAG (bit 31)', () => {
    const f = frameOf('(1436509052.250000) can0 12345678#0011');
    expect(f.canId).toBe((0x12345678 | CAN_EFF_FLAG) >>> 0);
    expect(f.canId).toBe(0x92345678);
    expect([...f.data]).toEqual([0x00, 0x11]);
  });

  it('remote frames: 123#R (length 0) and 123#R4 (requested length 4), no data bytes', () => {
    const r = frameOf('(1436509052.260000) can0 123#R');
    expect(r).toEqual({ type: 'remote', canId: (0x123 | CAN_RTR_FLAG) >>> 0, data: bytes(), len: 0, fdFlags: 0, len8Dlc: 0 });
    const r4 = frameOf('(1436509052.270000) can0 123#r4');
    expect(r4.type).toBe('remote');
    expect(r4.len).toBe(4);
    expect(r4.data.length).toBe(0);
  });

  it('CAN FD: 123##1AABBCCDDEEFF001122 (flags nibble 1 = BRS, 9 bytes) and a 64-byte frame', () => {
    const f = frameOf('(1436509052.280000) can0 123##1AABBCCDDEEFF001122');
    expect(f).toEqual({ type: 'fd', canId: 0x123, data: bytes(0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00, 0x11, 0x22), len: 9, fdFlags: 1, len8Dlc: 0 });
    const big = frameOf(`(1.000000) can1 1FFFFFFF##3${'5A'.repeat(64)}`);
    expect(big.canId).toBe(0x9fffffff);
    expect(big.data.length).toBe(64);
    expect(big.fdFlags).toBe(3);
  });

  it('error frame: an 8-digit id with CAN_ERR_FLAG (20000080 = bus error class) and 8 bytes', () => {
    const f = frameOf('(1436509052.290000) can0 20000080#0000000000000000');
    expect(f.type).toBe('error');
    expect(f.canId).toBe((CAN_ERR_FLAG | 0x80) >>> 0);
    expect((f.canId & CAN_EFF_FLAG) >>> 0).toBe(0);
    expect(f.data.length).toBe(8);
  });

  it("data with '.' separators, an empty frame, and a raw DLC after 8 bytes", () => {
    expect([...frameOf('(1.5) can0 123#11.22.33').data]).toEqual([0x11, 0x22, 0x33]);
    expect(frameOf('(1.000000) can0 7FF#')).toMatchObject({ type: 'data', canId: 0x7ff, len: 0 });
    expect(frameOf('(1.000000) can0 123#1122334455667788_E')).toMatchObject({ len: 8, len8Dlc: 0xe });
  });

  it('lower-case hex as can-utils accepts it', () => {
    expect(frameOf('(1.000000) can0 1ab#deadbeef').canId).toBe(0x1ab);
  });
});

describe('candump -l: times are exact decimals', () => {
  it('relative times are stamp - first stamp in ns, with no float rounding', () => {
    // As doubles, 1436509052.249713 - 1436509052.000001 = 0.24971199035644531: 249711990 ns.
    expect(Math.round((1436509052.249713 - 1436509052.000001) * 1e9)).not.toBe(249712000);
    const frames = parseCandumpText('(1436509052.000001) can0 123#\n(1436509052.249713) can0 123#\n(1436509053.1) can0 123#\n', 't.log', 'can0');
    expect(frames.map((f) => f.atNs)).toEqual([0, 249_712_000, 1_099_999_000]);
  });

  it('up to 9 fraction digits are nanoseconds; a fraction of 1 digit is tenths', () => {
    expect(parseCandumpLine('(2.123456789) can0 123#').timeNs).toBe(2_123_456_789n);
    expect(parseCandumpLine('(2.1) can0 123#').timeNs).toBe(2_100_000_000n);
  });
});

describe('candump -l: the writer', () => {
  const lines = [
    '(1436509052.249713) can0 123#DEADBEEF',
    '(1436509052.250000) can0 12345678#0011',
    '(1436509052.260000) can0 123#R',
    '(1436509052.270000) can0 123#R4',
    '(1436509052.280000) can0 123##1AABBCCDDEEFF001122',
    '(1436509052.290000) can0 20000080#0000000000000000',
    '(0000000001.000000) vcan0 7FF#',
    '(0000000001.000000) can0 123#1122334455667788_E',
  ];
  it.each(lines)('formatCandumpLine(parse(%s)) gives the line back', (line) => {
    const p = parseCandumpLine(line);
    expect(formatCandumpLine(p.timeNs, p.iface, p.frame)).toBe(line);
  });

  it('pads seconds to 10 digits and cuts ns to µs, as candump -l writes', () => {
    const f = frameOf('(1.0) can0 123#01');
    expect(formatCandumpLine(5_000_001_999n, 'can0', f)).toBe('(0000000005.000001) can0 123#01');
  });

  it('the input encoding keeps every field: decode(encode(frame)) = frame', () => {
    for (const line of lines) {
      const f = parseCandumpLine(line).frame;
      expect(decodeCanInput(encodeCanInput(f))).toEqual(f);
    }
    // le32 can_id | u8 flags | u8 len | data, worked out by hand for 123#DEADBEEF and 123#R4
    expect([...encodeCanInput(frameOf('(1.0) can0 123#DEADBEEF'))]).toEqual([0x23, 0x01, 0, 0, 0, 4, 0xde, 0xad, 0xbe, 0xef]);
    expect([...encodeCanInput(frameOf('(1.0) can0 123#R4'))]).toEqual([0x23, 0x01, 0, 0x40, 0, 4]);
    expect([...encodeCanInput(frameOf('(1.0) can0 123##5AA'))]).toEqual([0x23, 0x01, 0, 0, 0x04 | 0x01, 1, 0xaa]);
  });
});

describe('candump -l: can-utils reads what we read (log2asc, when installed)', () => {
  // Under CI=true (.ci/run installs can-utils) a missing log2asc fails instead of skipping.
  const hasLog2asc = process.env.CI === 'true' || spawnSync('log2asc', ['-h'], { encoding: 'utf8' }).error === undefined;
  it.skipIf(!hasLog2asc)('log2asc gives the same id, type, length and bytes for every frame type', () => {
    const text = [
      '(1436509052.249713) can0 123#DEADBEEF',
      '(1436509052.250000) can0 12345678#0011',
      '(1436509052.260000) can0 123#R',
      '(1436509052.270000) can0 321#R4',
      '(1436509052.290000) can0 20000080#0000000000000000',
      '(1436509052.300000) can0 7FF#11.22.33',
    ].join('\n') + '\n';
    const asc = spawnSync('log2asc', ['can0'], { input: text, encoding: 'utf8' });
    expect(asc.status).toBe(0);
    const rows = asc.stdout.split('\n').filter((l) => /^\s+\d+\.\d+ 1 /.test(l)).map((l) => l.trim().split(/\s+/).slice(2));
    const ours = parseCandumpText(text, 'stdin', 'can0').map(({ frame }) => {
      if (frame.type === 'error') return ['ErrorFrame'];
      const id = frame.canId & 0x1fffffff;
      const idText = id.toString(16).toUpperCase() + ((frame.canId & CAN_EFF_FLAG) !== 0 ? 'x' : '');
      const type = frame.type === 'remote' ? 'r' : 'd';
      return [idText, 'Rx', type, String(frame.len), ...[...frame.data].map((b) => b.toString(16).toUpperCase().padStart(2, '0'))];
    });
    expect(rows).toEqual(ours);
  });

  it.skipIf(!hasLog2asc)('log2asc reads what formatCandumpLine writes', () => {
    const frames = ['3A0#0102', '18DAF110#0210', '123#R2', '7FF#'].map((f) => parseCandumpLine(`(1.0) can0 ${f}`).frame);
    const text = frames.map((f, i) => formatCandumpLine(1_000_000_000n + BigInt(i) * 1_000_000n, 'can0', f)).join('\n') + '\n';
    const asc = spawnSync('log2asc', ['can0'], { input: text, encoding: 'utf8' });
    expect(asc.status).toBe(0);
    const rows = asc.stdout.split('\n').filter((l) => /^\s+\d+\.\d+ 1 /.test(l)).map((l) => l.trim().split(/\s+/));
    expect(rows.map((r) => r[0])).toEqual(['0.000000', '0.001000', '0.002000', '0.003000']);
    expect(rows.map((r) => r.slice(2).join(' '))).toEqual(['3A0 Rx d 2 01 02', '18DAF110x Rx d 2 02 10', '123 Rx r 2', '7FF Rx d 0']);
  });
});

describe('candump -l: bad lines are one error naming the file and line', () => {
  const bad = (name: string, text: string, line: number, reason: RegExp) =>
    it(name, () => {
      let error: unknown;
      try {
        parseCandumpText(text, 'cap.log', 'can0');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InputSourceError);
      const message = (error as Error).message;
      expect(message.startsWith(`cap.log:${line}: `)).toBe(true);
      expect(message).toMatch(reason);
      expect(message).not.toContain('\n');
    });
  const ok = '(1436509052.249713) can0 123#DEADBEEF\n';
  bad('no timestamp: "can0 123#DEADBEEF"', `${ok}can0 123#DEADBEEF\n`, 2, /expected "\(<seconds>\.<fraction>\) <interface> <frame>"/);
  bad('missing frame: "(1436509052.249713) can0"', '(1436509052.249713) can0\n', 1, /expected/);
  bad('extra field: "(1.000000) can0 123#00 R"', '(1.000000) can0 123#00 R\n', 1, /expected/);
  bad('timestamp not a decimal: "(1436509052,249713) can0 123#00"', '(1436509052,249713) can0 123#00\n', 1, /timestamp "\(1436509052,249713\)"/);
  bad('timestamp with 10 fraction digits: "(1.0000000001) can0 123#00"', '(1.0000000001) can0 123#00\n', 1, /1 to 9 digits/);
  bad('id of 4 digits: "(1.000000) can0 1234#00"', '(1.000000) can0 1234#00\n', 1, /3 hex digits \(11-bit\) or 8 \(29-bit\)/);
  bad('id not hex: "(1.000000) can0 12G#00"', '(1.000000) can0 12G#00\n', 1, /CAN id "12G" is not hexadecimal/);
  bad('11-bit id above 0x7FF: "(1.000000) can0 800#00"', '(1.000000) can0 800#00\n', 1, /above 0x7FF/);
  bad('29-bit id with the RTR bit: "(1.000000) can0 40000123#00"', '(1.000000) can0 40000123#00\n', 1, /above 0x1FFFFFFF/);
  bad('data not hex: "(1.000000) can0 123#0G"', '(1.000000) can0 123#0G\n', 1, /data "0G" is not hexadecimal/);
  bad('odd hex digits: "(1.000000) can0 123#ABC"', '(1.000000) can0 123#ABC\n', 1, /odd number of hex digits/);
  bad('9 bytes in a classic frame: "(1.000000) can0 123#112233445566778899"', '(1.000000) can0 123#112233445566778899\n', 1, /9 data bytes, at most 8/);
  bad('65 bytes in an FD frame', `(1.000000) can0 123##0${'00'.repeat(65)}\n`, 1, /65 data bytes, at most 64/);
  bad('FD without a flags digit: "(1.000000) can0 123##"', '(1.000000) can0 123##\n', 1, /one flags hex digit/);
  bad('remote length above 8: "(1.000000) can0 123#R9"', '(1.000000) can0 123#R9\n', 1, /"R<length 0\.\.8>"/);
  bad('raw DLC after fewer than 8 bytes: "(1.000000) can0 123#11_9"', '(1.000000) can0 123#11_9\n', 1, /may follow only 8 data bytes/);
  bad('time going back', `${ok}(1436509052.000000) can0 123#00\n`, 2, /time goes back/);
  bad('two interfaces in one file', `${ok}(1436509052.300000) can1 123#00\n`, 2, /a frame of can1 after frames of can0; one file feeds one bus/);
  bad('a CAN FD frame for a classic bus', `${ok}(1436509052.300000) can0 123##1AA\n`, 2, /CAN FD frame .* bus can0 is classic CAN/);

  it('blank lines and CRLF line ends are accepted; line numbers count every line', () => {
    const frames = parseCandumpText('\r\n(1.000000) can0 123#00\r\n\n(2.000000) can0 124#01\r\n', 'c.log', 'can0');
    expect(frames.map((f) => f.line)).toEqual([2, 4]);
    expect(frames.map((f) => f.atNs)).toEqual([0, 1_000_000_000]);
  });

  const dir = mkdtempSync(join(tmpdir(), 'tv-candump-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('an unreadable file names the flag and the errno', () => {
    expect(() => readCandumpFile(join(dir, 'missing.log'), 'can0')).toThrow(/^--can-input can0=.*missing\.log: cannot read the file \(ENOENT\)$/);
  });
  it('a file gives its frames and the sha256 of its bytes', () => {
    const path = join(dir, 'one.log');
    writeFileSync(path, ok);
    const log = readCandumpFile(path, 'can0');
    expect(log.frames).toHaveLength(1);
    expect(log.sha256).toBe(createHash('sha256').update(ok).digest('hex'));
  });
});
