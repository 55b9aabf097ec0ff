// Seeded random DLT messages for tests: every argument type and coding, both byte orders, VARI
// names/units, non-verbose and control messages, messages without extended header, long
// payloads around the fast renderers' size bound, odd float bit patterns. One seed decides a
// whole sequence (xorshift32), so a failure names a reproducible message.
import {
  controlPayload, nonVerbosePayload, type DltArg, type DltMessage,
} from '../../src/formats/dlt/index.js';

export { rng } from '../bytes.js';

export type R = () => number;
export const int = (r: R, n: number): number => Math.floor(r() * n);
export const pick = <T>(r: R, xs: readonly T[]): T => xs[int(r, xs.length)]!;
export const bytes = (r: R, n: number): Uint8Array => Uint8Array.from({ length: n }, () => int(r, 256));

export const INTERESTING_DOUBLES = [
  0, -0, 1, -1, 0.1, 0.5, 1.5, 2.5, -2.5, 1 / 3, 2 / 3, 1e-4, 1e-5, 0.0001234, 99999.95, 999999.5, 9999995,
  123456.5, 1234565, 100000, 1e6, 1e7, 1e15, 1e16, 1e21, 1e22, 1e23, 1e100, 1e300, 1e-300, 1e-22, 1e-23,
  5e-324, 2.2250738585072014e-308, 2.225073858507201e-308, Number.MAX_VALUE, -Number.MAX_VALUE, 2 ** 53,
  2 ** 53 + 2, 2 ** 64, 3.14159265358979, 2.718281828, 42, 1024, 65535, 4294967295, 0.000999999, 9.999995e-5,
  Infinity, -Infinity, NaN, 142857.142857, 16777216, 1.17549435e-38, 1.4e-45, 3.4028234663852886e38,
];

/** A double of a kind real logs hold, or an extreme one. */
export function randomDouble(r: R): number {
  switch (int(r, 6)) {
    case 0: return pick(r, INTERESTING_DOUBLES);
    case 1: return Math.round((r() - 0.5) * 10 ** int(r, 12)) / 10 ** int(r, 12); // short decimals
    case 2: return int(r, 1_000_000) / 7;
    case 3: return (int(r, 2_000_000) + 0.5) * 10 ** (int(r, 40) - 20); // near ties
    case 4: return (r() - 0.5) * 10 ** (int(r, 80) - 40);
    default: {
      const f = new Float64Array(1);
      const w = new Uint32Array(f.buffer);
      w[0] = int(r, 2 ** 32);
      w[1] = int(r, 2 ** 32);
      return f[0]!; // any bit pattern: denormals, NaN, inf
    }
  }
}

/** Float bytes as stored, in the message's byte order: any bit pattern (NaN signs included). */
export function floatBytes(r: R, bits: 16 | 32 | 64 | 128, bigEndian: boolean): Uint8Array {
  const size = bits / 8;
  let host: Uint8Array;
  if (bits === 32 && r() < 0.7) {
    host = new Uint8Array(Float32Array.of(randomDouble(r)).buffer);
  } else if (bits === 64 && r() < 0.7) {
    host = new Uint8Array(Float64Array.of(randomDouble(r)).buffer);
  } else if (r() < 0.3 && bits !== 16 && bits !== 128) {
    // NaN, inf, denormals, ±0 with either sign
    const f = bits === 32 ? new Float32Array(1) : new Float64Array(1);
    f[0] = pick(r, [NaN, Infinity, -Infinity, 0, -0, bits === 32 ? 1e-40 : 1e-310, -(bits === 32 ? 1e-42 : 4e-320)]);
    host = new Uint8Array(f.buffer);
    if (r() < 0.5) host[size - 1]! ^= 0x80; // flip the sign bit (-nan / nan)
  } else {
    host = bytes(r, size);
  }
  const out = Uint8Array.from(host);
  if (bigEndian) out.reverse(); // host is little-endian
  return out;
}

export const INT_EDGES = [0n, 1n, -1n, 9n, 10n, 99n, 100n, 127n, -128n, 255n, 32767n, -32768n, 65535n, 2n ** 31n - 1n,
  -(2n ** 31n), 2n ** 32n - 1n, 2n ** 32n, 10n ** 9n, 10n ** 10n - 1n, 2n ** 53n - 1n, 2n ** 53n, -(2n ** 53n) + 1n,
  -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n), 10n ** 15n, 10n ** 16n - 1n, 123456789012n];

export function randomInt(r: R, bits: number): bigint {
  const raw = int(r, 3) === 0 ? pick(r, INT_EDGES) : BigInt(int(r, 2 ** 32)) * (bits > 32 ? BigInt(int(r, 2 ** 32)) : 1n)
    >> BigInt(int(r, 40));
  return BigInt.asUintN(bits, r() < 0.3 ? -raw : raw);
}

export const STRINGS = ['', 'hello', 'a\r\nb', 'cut\0x', '\0', 'grüße', '日本語', 'x'.repeat(40), 'tab\there', '\x7f\x01',
  'frame 12 processed', ' ', 'end\r', '\n'];

export function randomText(r: R): string {
  if (r() < 0.6) return pick(r, STRINGS);
  let s = '';
  const n = int(r, 30);
  for (let i = 0; i < n; i++) s += String.fromCharCode(r() < 0.9 ? 32 + int(r, 95) : pick(r, [0, 10, 13, 9, 0xe9, 0x20ac]));
  return s;
}

export function name(r: R): string | null | undefined {
  const x = r();
  return x < 0.6 ? undefined : x < 0.7 ? null : pick(r, ['n', 'speed', '', 'ü']);
}

export function randomArg(r: R, bigEndian: boolean, depth = 0): DltArg {
  const nm = name(r);
  const unit = nm === undefined && r() < 0.8 ? undefined : name(r);
  const named = { ...(nm !== undefined ? { name: nm } : {}), ...(unit !== undefined ? { unit } : {}) };
  switch (int(r, 14)) {
    case 0: return { kind: 'bool', value: r() < 0.5, ...(nm !== undefined ? { name: nm } : {}) };
    case 1:
    case 2: {
      const bits = pick(r, [8, 16, 32] as const);
      const kind = r() < 0.5 ? 'sint' : 'uint';
      const v = Number(randomInt(r, bits));
      return { kind, bits, value: kind === 'sint' ? Number(BigInt.asIntN(bits, BigInt(v))) : v, ...named };
    }
    case 3: {
      const bits = pick(r, [64, 128] as const);
      const v = randomInt(r, bits);
      return r() < 0.5 ? { kind: 'sint', bits, value: BigInt.asIntN(bits, v), ...named } : { kind: 'uint', bits, value: v, ...named };
    }
    case 4: {
      const bits = pick(r, [8, 16, 32, 64, 128] as const);
      const coding = pick(r, ['hex', 'bin', 'dec'] as const);
      const v = randomInt(r, bits);
      return bits >= 64 ? { kind: 'uint', bits: bits as 64 | 128, value: v, coding, ...named }
        : { kind: 'uint', bits: bits as 8 | 16 | 32, value: Number(v), coding, ...named };
    }
    case 5:
    case 6: {
      const bits = pick(r, [32, 64, 32, 64, 16, 128] as const);
      return { kind: 'float', bits, bytes: floatBytes(r, bits, bigEndian), ...named } as DltArg;
    }
    case 7:
    case 8: return { kind: 'string', coding: r() < 0.5 ? 'ascii' : 'utf8', value: randomText(r), ...(nm !== undefined ? { name: nm } : {}) };
    case 9: return { kind: 'raw', value: bytes(r, int(r, 12)), ...(nm !== undefined ? { name: nm } : {}) };
    case 10: return { kind: 'trace', value: randomText(r) };
    case 11: {
      const bits = pick(r, [8, 16, 32] as const);
      return { kind: 'sint', bits, value: int(r, 100) - 50, fixedPoint: { quantization: 0.5, offset: int(r, 10) }, ...named };
    }
    case 12: return { kind: 'array', element: 'uint', bits: 16, dims: [2], values: [int(r, 65536), int(r, 65536)], ...named } as DltArg;
    default:
      return depth < 2 && r() < 0.5
        ? { kind: 'struct', fields: [randomArg(r, bigEndian, depth + 1)], ...(nm !== undefined ? { name: nm } : {}) }
        : { kind: 'uint', bits: 32, value: int(r, 2 ** 32) };
  }
}

export function randomMessage(r: R, i: number): DltMessage {
  const bigEndian = r() < 0.5;
  const base = {
    storage: { seconds: 1, microseconds: i, ecu: 'RECV' }, counter: i & 0xff, bigEndian, payload: new Uint8Array(0),
    ...(r() < 0.5 ? { ecu: 'ECU1' } : {}), ...(r() < 0.5 ? { timestamp: i } : {}), ...(r() < 0.3 ? { sessionId: i } : {}),
  };
  const ext = (verbose: boolean, type: number, subtype: number, noar: number) =>
    ({ extended: { verbose, type, subtype, apid: 'APP', ctid: 'CTX', noar } });
  const x = r();
  if (x < 0.06) return { ...base, payload: bytes(r, int(r, 10)) }; // no extended header
  if (x < 0.14) {
    const payload = nonVerbosePayload(int(r, 2 ** 32), bytes(r, int(r, 12)), bigEndian);
    return { ...base, ...ext(false, pick(r, [0, 1, 2, 4, 7]), int(r, 16), int(r, 3)), payload: r() < 0.1 ? payload.subarray(0, int(r, 4)) : payload };
  }
  if (x < 0.2) {
    const subtype = 1 + int(r, 3);
    const payload = controlPayload(pick(r, [1, 3, 0x13, 0x14, 0x15, 0xf01, 0xf04, 0, int(r, 2 ** 32)]), bytes(r, int(r, 6)),
      { bigEndian, ...(subtype === 2 && r() < 0.8 ? { status: pick(r, [0, 1, 2, 5, 8, 200]) } : {}) });
    return { ...base, ...ext(false, 3, subtype, 0), payload };
  }
  if (x < 0.21) {
    // long payloads around the fast path's size bound
    const n = 900 + int(r, 300);
    const args: DltArg[] = [{ kind: r() < 0.5 ? 'raw' : 'string', value: r() < 0.5 ? bytes(r, n) : 'y'.repeat(n * 3), coding: 'ascii' } as DltArg];
    return { ...base, ...ext(true, 0, 4, 1), args };
  }
  const args = Array.from({ length: int(r, 6) }, () => randomArg(r, bigEndian));
  return { ...base, ...ext(true, int(r, 3), int(r, 7), args.length), args };
}

