// Every argument type through encodeVerbosePayload → decodeVerbosePayload in both byte orders,
// plus hand-written byte layouts so a symmetric mistake in encoder and decoder cannot hide.
import { describe, expect, it } from 'vitest';
import {
  decodeControlPayload, decodeVerbosePayload, encodeMessage, encodeVerbosePayload, parseMessage,
  parseMessages, printfG, type DltArg,
} from '../../src/formats/dlt/index.js';

/** One argument of each shape the codec knows, with names, units and edge values. */
export const EVERY_ARG: DltArg[] = [
  { kind: 'bool', value: true },
  { kind: 'bool', value: false, name: 'ready' },
  { kind: 'bool', value: true, name: null },
  { kind: 'sint', bits: 8, value: -128 },
  { kind: 'sint', bits: 8, value: 127, name: 'i8', unit: 'u' },
  { kind: 'sint', bits: 16, value: -32768 },
  { kind: 'sint', bits: 16, value: 32767, name: '', unit: null },
  { kind: 'sint', bits: 32, value: -2147483648 },
  { kind: 'sint', bits: 32, value: -1, name: null, unit: null },
  { kind: 'sint', bits: 64, value: -9223372036854775808n },
  { kind: 'sint', bits: 64, value: 9223372036854775807n, name: 'big', unit: 'ns' },
  { kind: 'sint', bits: 128, value: -170141183460469231731687303715884105728n },
  { kind: 'uint', bits: 8, value: 255 },
  { kind: 'uint', bits: 16, value: 0xbeef, coding: 'hex' },
  { kind: 'uint', bits: 32, value: 0xffffffff },
  { kind: 'uint', bits: 32, value: 0xdeadbeef, coding: 'hex', name: 'addr', unit: null },
  { kind: 'uint', bits: 64, value: 0xffffffffffffffffn },
  { kind: 'uint', bits: 64, value: 0x0123456789abcdefn, coding: 'hex' },
  { kind: 'uint', bits: 8, value: 0xc2, coding: 'bin' },
  { kind: 'uint', bits: 16, value: 0xc236, coding: 'bin' },
  { kind: 'uint', bits: 128, value: (1n << 128n) - 1n, name: 'u128', unit: null },
  { kind: 'sint', bits: 32, value: -5, fixedPoint: { quantization: 0.5, offset: -3 } },
  { kind: 'uint', bits: 16, value: 9, fixedPoint: { quantization: 0.25, offset: 100 }, name: 'v', unit: 'V' },
  { kind: 'sint', bits: 64, value: -7n, fixedPoint: { quantization: 2, offset: -1n << 40n } },
  { kind: 'uint', bits: 128, value: 3n, fixedPoint: { quantization: 1, offset: 1n << 100n } },
  { kind: 'float', bits: 32, value: 3.140000104904175 },
  { kind: 'float', bits: 32, value: -Infinity, name: 'f', unit: 'm/s' },
  { kind: 'float', bits: 64, value: Math.PI },
  { kind: 'float', bits: 64, value: -0, name: 'zero', unit: '' },
  { kind: 'float', bits: 64, value: Number.MIN_VALUE },
  { kind: 'float', bits: 16, bytes: Uint8Array.of(0x00, 0x3c) },
  { kind: 'float', bits: 128, bytes: Uint8Array.from({ length: 16 }, (_, i) => i), name: 'q', unit: null },
  { kind: 'string', value: 'hello', coding: 'ascii' },
  { kind: 'string', value: '', coding: 'ascii' },
  { kind: 'string', value: 'grüße € 🚗', coding: 'utf8', name: 'text' },
  { kind: 'string', value: 'with\nnewline and \0 nul', coding: 'ascii', name: null },
  { kind: 'raw', value: Uint8Array.of(0, 1, 0x7f, 0x80, 0xff) },
  { kind: 'raw', value: new Uint8Array(0), name: 'empty' },
  { kind: 'raw', value: Uint8Array.of(1, 2, 3, 4), coding: 'hex', bits: 16 },
  { kind: 'trace', value: 'main::loop' },
  { kind: 'array', element: 'uint', bits: 8, dims: [2, 3], values: [1, 2, 3, 4, 5, 6] },
  { kind: 'array', element: 'sint', bits: 64, dims: [2], values: [-1n, 1n], name: 'a', unit: 'ms' },
  { kind: 'array', element: 'float', bits: 32, dims: [1], values: [0.5] },
  { kind: 'array', element: 'bool', bits: 8, dims: [3], values: [true, false, true] },
  {
    kind: 'struct', name: 'pos', fields: [
      { kind: 'float', bits: 64, value: 48.1, name: 'lat', unit: 'deg' },
      { kind: 'struct', fields: [{ kind: 'string', value: 'inner', coding: 'utf8' }] },
    ],
  },
];

describe('verbose payload round trip', () => {
  for (const bigEndian of [false, true]) {
    it(`decodes what it encodes, every argument type, ${bigEndian ? 'big' : 'little'}-endian`, () => {
      const bytes = encodeVerbosePayload(EVERY_ARG, bigEndian);
      const decoded = decodeVerbosePayload(bytes, EVERY_ARG.length, bigEndian);
      expect(decoded.error).toBeUndefined();
      expect(decoded.size).toBe(bytes.length);
      expect(decoded.args).toEqual(EVERY_ARG);
      // and encoding the decoded arguments gives the same bytes again
      expect(encodeVerbosePayload(decoded.args, bigEndian)).toEqual(bytes);
    });

    it(`round-trips whole messages through the parser, ${bigEndian ? 'big' : 'little'}-endian`, () => {
      const message = {
        storage: { seconds: 1_700_000_000, microseconds: 123456, ecu: 'RECV' },
        ecu: 'ECU1', sessionId: 0xdeadbeef, timestamp: 0x01020304, counter: 255, bigEndian,
        extended: { verbose: true, type: 0, subtype: 4, apid: 'APP', ctid: 'CTX1', noar: EVERY_ARG.length },
        args: EVERY_ARG, payload: new Uint8Array(0),
      };
      const file = encodeMessage(message, { storageHeader: true });
      const { messages, stats } = parseMessages(file, { framing: 'storage' });
      expect(stats).toEqual({ messages: 1, skippedBytes: 0, damagedMessages: 0 });
      expect(messages[0]).toEqual({ ...message, payload: file.subarray(16 + 4 + 12 + 10) });
    });
  }

  it('lays out arguments byte by byte as libdlt does', () => {
    const args: DltArg[] = [
      { kind: 'uint', bits: 16, value: 0x1234 },
      { kind: 'string', value: 'ab', coding: 'utf8', name: 'n' },
      { kind: 'sint', bits: 8, value: -2, name: 'x', unit: null },
    ];
    expect([...encodeVerbosePayload(args, false)]).toEqual([
      0x42, 0x00, 0x00, 0x00, 0x34, 0x12,
      0x00, 0x8a, 0x00, 0x00, 0x03, 0x00, 0x02, 0x00, 0x6e, 0x00, 0x61, 0x62, 0x00,
      0x21, 0x08, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x78, 0x00, 0xfe,
    ]);
    expect([...encodeVerbosePayload(args, true)]).toEqual([
      0x00, 0x00, 0x00, 0x42, 0x12, 0x34,
      0x00, 0x00, 0x8a, 0x00, 0x00, 0x03, 0x00, 0x02, 0x6e, 0x00, 0x61, 0x62, 0x00,
      0x00, 0x00, 0x08, 0x21, 0x00, 0x02, 0x00, 0x00, 0x78, 0x00, 0xfe,
    ]);
  });

  it('writes the standard header big-endian and the storage header little-endian', () => {
    const bytes = encodeMessage({
      storage: { seconds: 0x01020304, microseconds: 0x0a0b0c, ecu: 'AB' },
      ecu: 'ECU1', sessionId: 0x11223344, timestamp: 0x55667788, counter: 7, bigEndian: false,
      extended: { verbose: false, type: 3, subtype: 2, apid: 'DA1', ctid: 'DC1', noar: 1 },
      payload: Uint8Array.of(0x13, 0, 0, 0, 0),
    }, { storageHeader: true });
    expect([...bytes]).toEqual([
      0x44, 0x4c, 0x54, 0x01, 0x04, 0x03, 0x02, 0x01, 0x0c, 0x0b, 0x0a, 0x00, 0x41, 0x42, 0, 0,
      0x3d, 7, 0x00, 31, 0x45, 0x43, 0x55, 0x31, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
      0x26, 1, 0x44, 0x41, 0x31, 0, 0x44, 0x43, 0x31, 0,
      0x13, 0, 0, 0, 0,
    ]);
  });

  it('reports where a truncated payload stops instead of throwing', () => {
    const bytes = encodeVerbosePayload([{ kind: 'uint', bits: 32, value: 1 }, { kind: 'string', value: 'abc', coding: 'ascii' }], false);
    for (let cut = 0; cut < bytes.length; cut++) {
      const r = decodeVerbosePayload(bytes.subarray(0, cut), 2, false);
      expect(r.error).toBeDefined();
      expect(r.args.length).toBe(cut >= 8 ? 1 : 0);
    }
    expect(decodeVerbosePayload(Uint8Array.of(0, 0, 0, 0), 1, false).error).toMatch(/unknown argument type/);
  });

  it('refuses values that do not fit instead of writing garbage', () => {
    expect(() => encodeVerbosePayload([{ kind: 'raw', value: new Uint8Array(70000) }], false)).toThrow(RangeError);
    expect(() => encodeVerbosePayload([{ kind: 'sint', bits: 8, value: 1, coding: 'hex' }], false)).toThrow(RangeError);
    expect(() => encodeVerbosePayload([{ kind: 'array', element: 'uint', bits: 8, dims: [2], values: [1] }], false)).toThrow(RangeError);
  });

  it('parseMessage reads one message with or without storage header', () => {
    const m = {
      ecu: 'ECU1', sessionId: 1, timestamp: 2, counter: 3, bigEndian: false,
      extended: { verbose: true, type: 0, subtype: 2, apid: 'A', ctid: 'B', noar: 1 },
      args: [{ kind: 'string', value: 'x', coding: 'utf8' }] as DltArg[], payload: new Uint8Array(0),
    };
    expect(parseMessage(encodeMessage(m, { storageHeader: false }))?.args).toEqual(m.args);
    expect(parseMessage(encodeMessage(m, { storageHeader: true }))?.storage).toEqual({ seconds: 0, microseconds: 0, ecu: 'ECU1' });
    expect(parseMessage(Uint8Array.of(1, 2, 3))).toBeNull();
  });

  it('splits control payloads into service, status and data', () => {
    expect(decodeControlPayload(Uint8Array.of(0x02, 0x0f, 0, 0, 0, 9), { bigEndian: false, subtype: 2 })).toEqual({
      serviceId: 0xf02, serviceName: 'service(3842)', status: 0, statusName: 'ok', data: Uint8Array.of(9),
    });
    expect(decodeControlPayload(Uint8Array.of(0, 0, 0, 0x13), { bigEndian: true, subtype: 1 })).toEqual({
      serviceId: 0x13, serviceName: 'get_software_version', data: new Uint8Array(0),
    });
  });

  it('formats floats like printf %g, ties to even', () => {
    expect([0.5, 1234565, 1234575, 0.0001, 0.00001, 123456, 1234567, -2.5e-300, 1e21, 5e-324].map((v) => printfG(v)))
      .toEqual(['0.5', '1.23456e+06', '1.23458e+06', '0.0001', '1e-05', '123456', '1.23457e+06', '-2.5e-300', '1e+21', '4.94066e-324']);
  });
});

