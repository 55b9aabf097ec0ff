// renderPayloadInto (the import's byte renderer) against renderPayload (the reference, checked
// against dlt-convert elsewhere in test/dlt): on many seeded random payloads of every argument
// type and coding, both byte orders, VARI names/units, non-verbose and control messages, messages
// without extended header and odd float bit patterns, whenever the fast path answers (≠ -1) its
// bytes must be exactly the UTF-8 of the reference text. The output buffer is exactly
// renderIntoSizeMax() long past the start offset, so writing past the promised bound shows up
// as missing bytes (typed arrays drop out-of-range writes).
import { describe, expect, it } from 'vitest';
import {
  DltParser, encodeMessages, renderPayload, type DltArg, type DltMessage,
} from '../../src/formats/dlt/index.js';
import { renderIntoSizeMax, renderPayloadInto } from '../../src/formats/dlt/render-into.js';
import { floatBytes, int, randomDouble, randomInt, randomMessage, randomText, rng } from './random-messages.js';

const encoder = new TextEncoder();

/** Every message of the file rendered both ways; counts fast answers. */
function compareAll(file: Uint8Array, damaged = false): { fast: number; total: number } {
  const parser = DltParser.over(file, { framing: 'storage' });
  let fast = 0;
  let total = 0;
  for (const f of parser.frames()) {
    const at = total % 7;
    const out = new Uint8Array(at + renderIntoSizeMax(f.payloadLength));
    const end = renderPayloadInto(f, out, at);
    total++;
    if (end < 0) continue;
    fast++;
    const expected = encoder.encode(renderPayload(f));
    const got = out.subarray(at, end);
    if (got.length !== expected.length || got.some((v, k) => v !== expected[k])) {
      expect(new TextDecoder().decode(got), `message ${total - 1}${damaged ? ' (damaged)' : ''}`)
        .toBe(new TextDecoder().decode(expected));
      expect([...got]).toEqual([...expected]);
    }
  }
  return { fast, total };
}

describe('renderPayloadInto is byte-identical to renderPayload', () => {
  it('on 30000 random messages of every argument type, coding and byte order', () => {
    const r = rng(20240601);
    const messages = Array.from({ length: 30000 }, (_, i) => randomMessage(r, i));
    const { fast, total } = compareAll(encodeMessages(messages, { storageHeader: true }));
    expect(total).toBe(30000);
    expect(fast).toBeGreaterThan(5000);
  });

  it('on single arguments of the common types (each message one argument: most take the fast path)', () => {
    const r = rng(99);
    const messages: DltMessage[] = [];
    for (let i = 0; i < 40000; i++) {
      const bigEndian = (i & 1) === 1;
      let arg: DltArg;
      switch (i % 8) {
        case 0: arg = { kind: 'uint', bits: 32, value: Number(randomInt(r, 32)) }; break;
        case 1: arg = { kind: 'sint', bits: 32, value: Number(BigInt.asIntN(32, randomInt(r, 32))) }; break;
        case 2: arg = { kind: 'sint', bits: 16, value: Number(BigInt.asIntN(16, randomInt(r, 16))) }; break;
        case 3: arg = r() < 0.5 ? { kind: 'sint', bits: 64, value: BigInt.asIntN(64, randomInt(r, 64)) } : { kind: 'uint', bits: 64, value: randomInt(r, 64) }; break;
        case 4: arg = { kind: 'float', bits: 64, value: randomDouble(r) }; break;
        case 5: arg = { kind: 'float', bits: 32, bytes: floatBytes(r, 32, bigEndian) }; break;
        case 6: arg = { kind: 'string', coding: 'ascii', value: randomText(r) }; break;
        default: arg = { kind: 'uint', bits: 8, value: int(r, 256), ...(r() < 0.5 ? { name: 'v', unit: 'km' } : {}) };
      }
      messages.push({
        storage: { seconds: 1, microseconds: i, ecu: 'RECV' }, counter: i & 0xff, bigEndian, payload: new Uint8Array(0),
        extended: { verbose: true, type: 0, subtype: 4, apid: 'A', ctid: 'C', noar: 1 }, args: [arg],
      });
    }
    const { fast, total } = compareAll(encodeMessages(messages, { storageHeader: true }));
    expect(total).toBe(40000);
    expect(fast).toBeGreaterThan(30000);
  });

  it('on damaged payloads (flipped bytes, wrong noar)', () => {
    const r = rng(5);
    const messages = Array.from({ length: 8000 }, (_, i) => {
      const m = randomMessage(r, i);
      if (m.extended !== undefined && r() < 0.3) m.extended.noar = (m.extended.noar + 1 + int(r, 3)) & 0xff;
      return m;
    });
    const file = encodeMessages(messages, { storageHeader: true });
    // flip payload-ish bytes but keep the storage markers and headers: walk the messages
    const parser = DltParser.over(file, { framing: 'storage' });
    for (const f of parser.frames()) {
      const flips = int(r, 3);
      for (let k = 0; k < flips && f.payloadLength > 0; k++) file[f.payloadOffset + int(r, f.payloadLength)] = int(r, 256);
    }
    expect(compareAll(file, true).total).toBe(8000);
  });
});
