// The import's byte renderer (render-into.ts) against the reference renderer (render-payload.ts,
// itself checked against dlt-convert in test/dlt): whenever the fast path answers, it must print
// exactly what the reference prints, on real messages, generated ones and damaged ones.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DltParser, encodeMessage, encodeMessages, nonVerbosePayload, renderPayload, type DltArg, type DltMessage,
} from '../../src/formats/dlt/index.js';
import { printfG } from '../../src/formats/dlt/printf-g.js';
import { renderIntoSizeMax, renderPayloadInto, writeG } from '../../src/formats/dlt/render-into.js';
import { syntheticMessage } from '../../bench/dlt.js';
import { rng } from '../bytes.js';

const fixture = new Uint8Array(readFileSync(new URL('../dlt/fixtures/libdlt-all-types.dlt', import.meta.url)));
const decoder = new TextDecoder();

/** Renders every message both ways; returns how many took the fast path. */
function compareAll(file: Uint8Array): { fast: number; total: number } {
  const parser = DltParser.over(file, { framing: 'storage' });
  let fast = 0;
  let total = 0;
  for (const f of parser.frames()) {
    const out = new Uint8Array(renderIntoSizeMax(f.payloadLength) + 8);
    const end = renderPayloadInto(f, out, 4);
    total++;
    if (end < 0) continue;
    fast++;
    expect(decoder.decode(out.subarray(4, end)), `message ${total - 1}`).toBe(renderPayload(f));
  }
  return { fast, total };
}


function randomArg(r: () => number): DltArg {
  const named = r() < 0.3 ? { name: 'n', unit: r() < 0.5 ? 'u' : null } : {};
  switch (Math.floor(r() * 9)) {
    case 0: return { kind: 'bool', value: r() < 0.5, ...(r() < 0.3 ? { name: 'b' } : {}) };
    case 1: return { kind: 'sint', bits: ([8, 16, 32] as const)[Math.floor(r() * 3)]!, value: Math.floor(r() * 200) - 100, ...named };
    case 2: return { kind: 'uint', bits: 32, value: Math.floor(r() * 2 ** 32), ...named };
    case 3: {
      const big = [0n, 1n, -1n, 2n ** 53n - 1n, 2n ** 53n, -(2n ** 53n) + 1n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n), 123456789012n][Math.floor(r() * 10)]!;
      return r() < 0.5 ? { kind: 'sint', bits: 64, value: big, ...named }
        : { kind: 'uint', bits: 64, value: BigInt.asUintN(64, big), ...named };
    }
    case 4: return { kind: 'float', bits: r() < 0.5 ? 32 : 64, value: [0.1, -2.5, 1e300, 1234565, 0, -0, Infinity, NaN, r() * 1e6][Math.floor(r() * 9)]!, ...named };
    case 5: return { kind: 'string', coding: r() < 0.5 ? 'ascii' : 'utf8', value: ['hello', 'a\r\nb', 'cut\0x', '', 'grüße', 'x'.repeat(40)][Math.floor(r() * 6)]!, ...(r() < 0.3 ? { name: 's' } : {}) };
    case 6: return { kind: 'raw', value: Uint8Array.from({ length: Math.floor(r() * 6) }, () => Math.floor(r() * 256)), ...(r() < 0.3 ? { name: 'r' } : {}) };
    case 7: return { kind: 'uint', bits: 16, value: 0xbeef, coding: 'hex' };
    default: return { kind: 'trace', value: 'fn' };
  }
}

function randomMessage(r: () => number, i: number): DltMessage {
  const bigEndian = r() < 0.5;
  const base = { storage: { seconds: 1, microseconds: i, ecu: 'RECV' }, counter: i & 0xff, bigEndian, payload: new Uint8Array(0) };
  if (r() < 0.15) {
    const data = Uint8Array.from({ length: Math.floor(r() * 8) }, () => Math.floor(r() * 256));
    const ext = r() < 0.8 ? { extended: { verbose: false, type: Math.floor(r() * 4), subtype: 1 + Math.floor(r() * 3), apid: 'A', ctid: 'C', noar: 0 } } : {};
    return { ...base, ...ext, payload: nonVerbosePayload(Math.floor(r() * 2 ** 32), data, bigEndian) };
  }
  const args = Array.from({ length: Math.floor(r() * 5) }, () => randomArg(r));
  return { ...base, extended: { verbose: true, type: 0, subtype: 4, apid: 'A', ctid: 'C', noar: args.length }, args };
}

describe('renderPayloadInto agrees with renderPayload', () => {
  it('on the real libdlt fixture', () => {
    const { fast, total } = compareAll(fixture);
    expect(total).toBe(341);
    expect(fast).toBeGreaterThan(250); // most real messages take the fast path
  });

  it('on the benchmark mix, all of it on the fast path', () => {
    const file = encodeMessages(Array.from({ length: 3000 }, (_, i) => syntheticMessage(i)), { storageHeader: true });
    expect(compareAll(file)).toEqual({ fast: 3000, total: 3000 });
  });

  it('on 4000 random messages (every argument type, both byte orders, VARI, non-verbose)', () => {
    const r = rng(7);
    const file = encodeMessages(Array.from({ length: 4000 }, (_, i) => randomMessage(r, i)), { storageHeader: true });
    const { fast, total } = compareAll(file);
    expect(total).toBe(4000);
    expect(fast).toBeGreaterThan(1000);
  });

  it('on damaged payloads: mutated bytes, wrong noar, cut arguments', () => {
    const r = rng(11);
    const parts: Uint8Array[] = [];
    for (let i = 0; i < 3000; i++) {
      const m = randomMessage(r, i);
      if (m.extended !== undefined && r() < 0.3) m.extended.noar = (m.extended.noar + 1 + Math.floor(r() * 3)) & 0xff;
      const bytes = encodeMessage(m, { storageHeader: true });
      const flips = Math.floor(r() * 3);
      for (let k = 0; k < flips && bytes.length > 32; k++) {
        const at = 30 + Math.floor(r() * (bytes.length - 30)); // payload bytes only: headers stay parseable
        bytes[at] = Math.floor(r() * 256);
      }
      parts.push(bytes);
    }
    const file = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      file.set(p, at);
      at += p.length;
    }
    expect(compareAll(file).total).toBeGreaterThan(2500);
  });
});

describe('writeG (the byte path of printf %g) agrees with printfG', () => {
  it('on a million doubles: random bits, short decimals, ties, powers of ten, extremes', () => {
    const r = rng(3);
    const out = new Uint8Array(64);
    const bits = new Float64Array(1);
    const words = new Uint32Array(bits.buffer);
    const values: number[] = [0.5, 1.5, 2.5, 1234565, 0.1, 1e-5, 99999.95, 999999.5, 9999995, 123456.5, 1e21, 1e22, 1e23,
      1e-22, 1e-23, 5e-324, Number.MAX_VALUE, 0.0001, 0.00001234, 100000, 1e6, 2 ** 53, 1 / 3];
    for (let i = 0; i < 1_000_000; i++) {
      if (i % 3 === 0) {
        words[0] = Math.floor(r() * 2 ** 32);
        words[1] = Math.floor(r() * 2 ** 32);
        values.push(bits[0]!);
      } else if (i % 3 === 1) {
        values.push(Math.round((r() - 0.5) * 10 ** Math.floor(r() * 12)) / 10 ** Math.floor(r() * 12));
      } else {
        values.push((Math.floor(r() * 2_000_000) + 0.5) * 10 ** (Math.floor(r() * 30) - 15));
      }
    }
    let fast = 0;
    for (const v of values) {
      if (!Number.isFinite(v)) continue;
      const end = writeG(out, 0, v);
      if (end < 0) continue;
      fast++;
      if (decoder.decode(out.subarray(0, end)) !== printfG(v)) {
        expect(decoder.decode(out.subarray(0, end)), `value ${v}`).toBe(printfG(v));
      }
    }
    // random bits mostly have exponents beyond the exact powers of ten, and the x.5 values are
    // near ties: those take printfG; short decimals, what logs hold, take the fast path
    expect(fast).toBeGreaterThan(450_000);
  });
});
