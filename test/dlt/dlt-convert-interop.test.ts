// Interop with COVESA's own reader: files written by our encoder go through `dlt-convert -a`,
// and every field it prints must be the one we wrote (checked against values written here, not
// only against our renderer), for every argument type in both byte orders. The same output is
// then compared with our renderer line by line, including dlt-convert's quirks.
// Needs the Debian package dlt-tools; skips without it, except under CI=true where it fails.
import { describe, expect, it } from 'vitest';
import {
  controlPayload, encodeMessages, nonVerbosePayload, parseMessages, renderConvertLine, renderPayload,
  type DltArg, type DltMessage,
} from '../../src/formats/dlt/index.js';
import { dltConvertAscii, requireDltConvert, splitConvertLine } from './dlt-convert.js';

const SECONDS = 1_700_000_000; // 2023/11/14 22:13:20 UTC

interface Case {
  message: DltMessage;
  /** what dlt-convert must print between the brackets */
  payload: string;
}

function log(counter: number, bigEndian: boolean, args: DltArg[], subtype = 4): DltMessage {
  return {
    storage: { seconds: SECONDS + counter, microseconds: 1000 + counter, ecu: 'RECV' },
    ecu: 'TVEC', sessionId: 77, timestamp: 5000 + counter, counter, bigEndian,
    extended: { verbose: true, type: 0, subtype, apid: 'TVAP', ctid: 'TVCT', noar: args.length },
    args, payload: new Uint8Array(0),
  };
}

/** Every printable argument type; hex/bin are printed little-endian by dlt-convert (see below). */
function argCases(bigEndian: boolean, first: number): Case[] {
  const c = (i: number, args: DltArg[], payload: string): Case => ({ message: log(first + i, bigEndian, args), payload });
  return [
    c(0, [{ kind: 'bool', value: true }, { kind: 'bool', value: false, name: 'b' }], '1 0'),
    c(1, [
      { kind: 'sint', bits: 8, value: -128 }, { kind: 'sint', bits: 16, value: -32768 },
      { kind: 'sint', bits: 32, value: -2147483648 }, { kind: 'sint', bits: 64, value: -9223372036854775808n },
    ], '-128 -32768 -2147483648 -9223372036854775808'),
    c(2, [
      { kind: 'uint', bits: 8, value: 255 }, { kind: 'uint', bits: 16, value: 65535, name: 'n', unit: 'u' },
      { kind: 'uint', bits: 32, value: 4294967295 }, { kind: 'uint', bits: 64, value: 18446744073709551615n },
    ], '255 65535 4294967295 18446744073709551615'),
    c(3, [{ kind: 'sint', bits: 128, value: -2n }, { kind: 'uint', bits: 128, value: 1n }],
      bigEndian
        ? 'ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff fe 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01'
        : 'fe ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00'),
    c(4, [
      { kind: 'float', bits: 32, value: 0.1 }, { kind: 'float', bits: 64, value: 2.718281828459045 },
      { kind: 'float', bits: 64, value: 1e300, name: 'x', unit: 'm' }, { kind: 'float', bits: 64, value: -0 },
      { kind: 'float', bits: 64, value: 1234565 }, { kind: 'float', bits: 64, value: 0.00001234 },
      { kind: 'float', bits: 64, value: 100000 }, { kind: 'float', bits: 64, value: 1e6 },
      { kind: 'float', bits: 64, value: Infinity }, { kind: 'float', bits: 64, value: NaN },
    ], '0.1 2.71828 1e+300 -0 1.23456e+06 1.234e-05 100000 1e+06 inf nan'),
    c(5, [
      { kind: 'string', value: 'hello world', coding: 'ascii' }, { kind: 'string', value: 'grüße €', coding: 'utf8', name: 's' },
      { kind: 'string', value: 'a\r\nb', coding: 'ascii' }, { kind: 'string', value: 'cut\0here', coding: 'ascii' },
      { kind: 'string', value: '', coding: 'ascii' },
    ], 'hello world grüße € a  b cut '),
    c(6, [{ kind: 'raw', value: Uint8Array.of(0, 0x7f, 0xff) }, { kind: 'raw', value: Uint8Array.of(0xca, 0xfe), name: 'r' },
      { kind: 'raw', value: new Uint8Array(0) }], "00'7f'ff ca'fe "),
    c(7, [{ kind: 'trace', value: 'main::loop' }, { kind: 'sint', bits: 32, value: 7, fixedPoint: { quantization: 0.5, offset: 1 } }],
      'main::loop 7'),
  ];
}

describe('dlt-convert reads our files', () => {
  it('prints every field we wrote, every argument type, both byte orders', (ctx) => {
    requireDltConvert(ctx);
    const cases = [...argCases(false, 0), ...argCases(true, 10)];
    const lines = dltConvertAscii(encodeMessages(cases.map((c) => c.message), { storageHeader: true }))
      .split('\n').filter((l) => l !== '');
    expect(lines.length).toBe(cases.length);
    cases.forEach((c, i) => {
      const m = c.message;
      const got = splitConvertLine(lines[i]!);
      const micros = String(m.storage!.microseconds).padStart(6, '0');
      const date = new Date(m.storage!.seconds * 1000).toISOString().replace('T', ' ').slice(0, 19).replace(/-/g, '/');
      expect(got, `case ${i}`).toEqual({
        index: String(i), time: `${date}.${micros}`, timestamp: String(m.timestamp).padStart(10),
        counter: String(m.counter).padStart(3, '0'), ecu: 'TVEC', apid: 'TVAP', ctid: 'TVCT',
        type: 'log', subtype: 'info', mode: 'V', noar: String(m.extended!.noar), payload: c.payload,
      });
    });
  });

  it('prints header variants, message types and control messages as we wrote them', (ctx) => {
    requireDltConvert(ctx);
    const base = log(1, false, []);
    const ext = (type: number, subtype: number, verbose = true, noar = 0) =>
      ({ verbose, type, subtype, apid: 'AP', ctid: 'C', noar });
    const messages: DltMessage[] = [
      { ...base, ecu: undefined, sessionId: undefined, timestamp: undefined },
      { ...base, args: undefined, extended: undefined, payload: nonVerbosePayload(0xcafe, Uint8Array.of(4, 3), false) },
      { ...base, args: undefined, extended: ext(0, 3, false, 2), payload: nonVerbosePayload(0x1234, Uint8Array.of(5, 0), true), bigEndian: true },
      { ...base, extended: ext(1, 2) }, { ...base, extended: ext(1, 5) },
      { ...base, extended: ext(2, 2) }, { ...base, extended: ext(2, 5) }, { ...base, extended: ext(2, 6) },
      { ...base, args: undefined, extended: ext(3, 1, false), payload: controlPayload(0x13, new Uint8Array(0), { bigEndian: false }) },
      { ...base, args: undefined, extended: ext(3, 2, false), payload: controlPayload(3, Uint8Array.of(1, 2), { bigEndian: false, status: 8 }) },
      { ...base, args: undefined, extended: ext(3, 2, false), payload: controlPayload(0xf02, Uint8Array.of(2), { bigEndian: true, status: 6 }), bigEndian: true },
      { ...base, args: undefined, extended: ext(3, 3, false), payload: new Uint8Array(0) },
      { ...base, extended: ext(5, 9) },
    ];
    const want = [
      ['----------', 'RECV', 'TVAP', 'TVCT', 'log', 'info', 'V', '0', ''], // no WEID: storage ECU
      ['      5001', 'TVEC', '----', '----', '---', '---', 'N', '-', "51966, 04 03"],
      ['      5001', 'TVEC', 'AP--', 'C---', 'log', 'warn', 'N', '2', '4660, 05 00'],
      ['      5001', 'TVEC', 'AP--', 'C---', 'app_trace', 'func_in', 'V', '0', ''],
      ['      5001', 'TVEC', 'AP--', 'C---', 'app_trace', 'vfb', 'V', '0', ''],
      ['      5001', 'TVEC', 'AP--', 'C---', 'nw_trace', 'can', 'V', '0', ''],
      ['      5001', 'TVEC', 'AP--', 'C---', 'nw_trace', 'vfb', 'V', '0', ''],
      ['      5001', 'TVEC', 'AP--', 'C---', 'nw_trace', '', 'V', '0', ''],
      ['      5001', 'TVEC', 'AP--', 'C---', 'control', 'request', 'N', '0', 'get_software_version'],
      ['      5001', 'TVEC', 'AP--', 'C---', 'control', 'response', 'N', '0', 'get_log_info, no_matching_context_id, 01 02'],
      ['      5001', 'TVEC', 'AP--', 'C---', 'control', 'response', 'N', '0', 'service(3842), 06, 02'],
      ['      5001', 'TVEC', 'AP--', 'C---', 'control', 'time', 'N', '0', ''],
      ['      5001', 'TVEC', 'AP--', 'C---', '', '', 'V', '0', ''],
    ];
    const lines = dltConvertAscii(encodeMessages(messages, { storageHeader: true })).split('\n').filter((l) => l !== '');
    expect(lines.map((l) => {
      const f = splitConvertLine(l);
      return [f.timestamp, f.ecu, f.apid, f.ctid, f.type, f.subtype, f.mode, f.noar, f.payload];
    })).toEqual(want);
  });
});

describe('our renderer matches dlt-convert -a', () => {
  it('line for line, quirks included', (ctx) => {
    requireDltConvert(ctx);
    const quirks: DltMessage[] = [];
    const q = (args: DltArg[], bigEndian = false) => quirks.push(log(quirks.length, bigEndian, args));
    // hex and binary codings are read little-endian even in big-endian messages
    for (const be of [false, true]) {
      q([
        { kind: 'uint', bits: 8, value: 0xab, coding: 'hex' }, { kind: 'uint', bits: 16, value: 0xbeef, coding: 'hex' },
        { kind: 'uint', bits: 32, value: 0xdeadbeef, coding: 'hex' }, { kind: 'uint', bits: 64, value: 0x0123456789abcdefn, coding: 'hex' },
        { kind: 'uint', bits: 8, value: 0xc2, coding: 'bin' }, { kind: 'uint', bits: 16, value: 0xc236, coding: 'bin' },
      ], be);
    }
    q([{ kind: 'uint', bits: 32, value: 5, coding: 'bin' }, { kind: 'uint', bits: 8, value: 7 }]); // prints nothing, consumes nothing
    q([{ kind: 'uint', bits: 8, value: 1, coding: 'hex', name: 'n', unit: null }, { kind: 'uint', bits: 8, value: 2 }]); // VARI not skipped
    q([{ kind: 'float', bits: 16, bytes: Uint8Array.of(1, 2) }, { kind: 'float', bits: 128, bytes: new Uint8Array(16).fill(7) }]);
    q([{ kind: 'array', element: 'uint', bits: 8, dims: [2], values: [1, 2] }, { kind: 'uint', bits: 8, value: 1 }]);
    q([{ kind: 'uint', bits: 8, value: 3 }, { kind: 'struct', fields: [{ kind: 'uint', bits: 8, value: 1 }] }]);
    q([{ kind: 'string', value: 'x'.repeat(9000), coding: 'ascii' }, { kind: 'string', value: 'y'.repeat(2000), coding: 'ascii' }]);
    q([{ kind: 'raw', value: new Uint8Array(3000) }, { kind: 'raw', value: new Uint8Array(1000) }, { kind: 'bool', value: true }]);
    q([{ kind: 'string', value: 'z'.repeat(10023), coding: 'ascii' }, { kind: 'bool', value: true }]); // fills the buffer
    q([{ kind: 'string', value: 'z'.repeat(10024), coding: 'ascii' }, { kind: 'bool', value: true }]); // one too many
    q([{ kind: 'raw', value: new Uint8Array(3330).fill(1) }, { kind: 'uint', bits: 128, value: 1n }, { kind: 'uint', bits: 8, value: 2 }]);
    const f = (x: number) => ({ kind: 'float' as const, bits: 64 as const, value: x });
    q([f(0.5), f(2.5), f(1e-5), f(123456.5), f(999999.5), f(1e21), f(5e-324), f(1.7976931348623157e308), f(-1e-300), f(0.000123456789)]);
    const ext = { verbose: false, type: 0, subtype: 4, apid: 'A', ctid: 'C', noar: 0 };
    for (const n of [0, 3]) {
      quirks.push({ ...log(quirks.length, false, []), args: undefined, extended: ext, payload: new Uint8Array(n) });
      for (const subtype of [1, 2, 3]) {
        quirks.push({ ...log(quirks.length, false, []), args: undefined, extended: { ...ext, type: 3, subtype }, payload: new Uint8Array(n) });
      }
    }
    // a non-verbose payload too long for dlt-convert's text buffer: printed as []
    quirks.push({ ...log(quirks.length, false, []), args: undefined, extended: ext, payload: new Uint8Array(4000) });
    quirks.push(log(quirks.length, false, [{ kind: 'bool', value: true }]));

    const bytes = encodeMessages(quirks, { storageHeader: true });
    const expected = dltConvertAscii(bytes);
    const { messages } = parseMessages(bytes, { framing: 'storage' });
    const ours = messages.map((m, i) => renderConvertLine(m, i)).join('');
    const a = expected.split('\n');
    const b = ours.split('\n');
    for (let i = 0; i < Math.max(a.length, b.length); i++) expect(b[i], `line ${i}`).toBe(a[i]);
    // spot checks, so the comparison above cannot pass by both being empty
    expect(a[0]).toMatch(/\[0xab 0xbeef 0xdeadbeef 0x0123456789abcdef 0b1100 0010 0b1100 0010 0011 0110\]$/);
    expect(a[1]).toMatch(/\[0xab 0xefbe 0xefbeadde 0xefcdab8967452301 0b1100 0010 0b0011 0110 1100 0010\]$/);
    expect(a[2]).toMatch(/\[ \]$/);
    expect(a[8]).toMatch(/00 ~?\s?1\]$|00  1\]$/);
    expect(a[9]).toMatch(/z\]$/);
    expect(a[10]).toMatch(/V 2 \[\]$/);
    expect(a[12]).toMatch(/\[0\.5 2\.5 1e-05 123456 1e\+06 1e\+21 4\.94066e-324 1\.79769e\+308 -1e-300 0\.000123457\]$/);
  });
});

describe('floats print as C %g', () => {
  it('matches dlt-convert on 4000 seeded doubles and floats of every magnitude', (ctx) => {
    requireDltConvert(ctx);
    let x = 0x9e3779b9;
    const next = () => {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
      return (x >>> 0) / 2 ** 32;
    };
    const messages: DltMessage[] = [];
    for (let m = 0; m < 20; m++) {
      const args: DltArg[] = [];
      for (let i = 0; i < 200; i++) {
        const magnitude = 10 ** Math.floor(next() * 40 - 20);
        // exact halves and integers too, where rounding ties show
        const value = i % 5 === 0 ? Math.round(next() * 2e7) / 2 : (next() - 0.5) * magnitude;
        args.push(i % 2 === 0 ? { kind: 'float', bits: 64, value } : { kind: 'float', bits: 32, value: Math.fround(value) });
      }
      messages.push(log(m, m % 2 === 1, args));
    }
    const bytes = encodeMessages(messages, { storageHeader: true });
    const expected = dltConvertAscii(bytes).split('\n').filter((l) => l !== '').map((l) => splitConvertLine(l).payload);
    const ours = parseMessages(bytes, { framing: 'storage' }).messages.map((m) => renderPayload(m));
    expect(ours).toEqual(expected);
    expect(expected[0]!.split(' ').length).toBe(200);
  });
});

