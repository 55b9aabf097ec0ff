// RowBuffer's string columns are written with Buffer.write (issue 10 §2: no view per value);
// the bytes must be the UTF-8 TextEncoder gives — lone surrogates as U+FFFD, astral characters
// as 4 bytes, empty strings as nothing — across the buffer's growth past its first 64 KiB.
import { describe, expect, it } from 'vitest';
import { RowBuffer } from '../../src/trace/row-buffer.js';
import type { DltRow } from '../../src/trace/recorder.js';

const TEXTS = ['', 'frame 12 processed', 'grüße 日本語 €', 'car 🚗', 'x\ud800y', 'end\udc00', '\udbff', 'cut\0x',
  'é'.repeat(40_000), '🚗'.repeat(9000) + '\ud800',
  // around the ASCII loop (row-buffer.ts ASCII_LOOP_MAX): at and past its length, non-ASCII after an ASCII prefix
  'a'.repeat(64), 'b'.repeat(65), 'c'.repeat(63) + 'é', 'abc\u007f', 'abc\u0080', 'ab\ud800'];

function row(payload: string, i: number): DltRow {
  return {
    ts_ns: i, local_ts_ns: 0, vm: 0, ecu: 'ECU1', apid: payload.slice(0, 4), ctid: 'CTX', session_id: 1, type: 'log',
    subtype: 'info', level: 'info', msg_counter: i & 0xff, verbose: true, noar: 1, message_id: null, payload,
    payload_raw: new Uint8Array(0), lifecycle: 1, storage_ts_ns: i,
  };
}

describe('RowBuffer string columns', () => {
  it('hold exactly the TextEncoder UTF-8 of each value, growth included', () => {
    const buffer = new RowBuffer('dlt', 64);
    const texts = [...TEXTS, ...TEXTS.slice().reverse()];
    texts.forEach((text, i) => buffer.append(row(text, i) as unknown as Record<string, unknown>));
    const payload = buffer.toBatch().getChild('payload')!.data[0]!;
    const encoder = new TextEncoder();
    const expected = texts.map((t) => encoder.encode(t));
    for (let i = 0; i < texts.length; i++) {
      const from = payload.valueOffsets[i]!;
      const to = payload.valueOffsets[i + 1]!;
      expect(Buffer.from(payload.values.subarray(from, to)).equals(Buffer.from(expected[i]!)), `value ${i}`).toBe(true);
    }
    expect(payload.valueOffsets[texts.length]).toBe(expected.reduce((n, b) => n + b.length, 0));
    expect(payload.valueOffsets[texts.length]).toBeGreaterThan(64 * 1024); // it grew
  });
});
