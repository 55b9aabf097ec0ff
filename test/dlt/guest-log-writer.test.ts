// The guest's DLT log writer (src/devices/dlt-log-writer.ts, issue 10 §2) against the general
// codec it replaces on that path: for many seeded log calls, and for toArg's edge cases one by
// one, the arena's bytes must be exactly encodeGuestLog's (encodeMessage of toArg's arguments),
// and a call encodeMessage refuses must be refused with the same RangeError, leaving the arena
// as it was.
import { describe, expect, it } from 'vitest';
import { DLT_LEVELS, type DltLevel } from '../../src/core/codes.js';
import { encodeGuestLog, type GuestLogRecord } from '../../src/devices/dlt-channel.js';
import { DltLogArena } from '../../src/devices/dlt-log-writer.js';
import type { LogValue } from '../../src/guests/guest-api.js';
import { randomLogRecord } from './random-log-calls.js';
import { rng } from './random-messages.js';

/** The arena's bytes of one call, written after `before` other calls (so offsets are not 0). */
function written(record: GuestLogRecord, arena = new DltLogArena()): Uint8Array {
  const k = arena.count;
  arena.write(record, record.values);
  return Uint8Array.from(arena.bytes.subarray(arena.start(k), arena.endOf(k)));
}

function record(values: LogValue[], fields: Partial<GuestLogRecord> = {}): GuestLogRecord {
  return {
    ecu: 'ECU1', sessionId: 101, timestamp: 123_456, counter: 7, apid: 'APP', ctid: 'CTX', level: 'info',
    values, ...fields,
  };
}

const EDGE_VALUES: Array<[string, LogValue]> = [
  ['2^31 (the first sint64 above sint32)', 2 ** 31],
  ['2^31 - 1 (the last sint32)', 2 ** 31 - 1],
  ['-2^31 (the first sint32)', -(2 ** 31)],
  ['-2^31 - 1 (the first sint64 below sint32)', -(2 ** 31) - 1],
  ['2^32', 2 ** 32],
  ['2^53 + 2', 2 ** 53 + 2],
  ['-2^53', -(2 ** 53)],
  ['2^63 (wraps mod 2^64)', 2 ** 63],
  ['2^64 + 2^12 (above u64: the low 64 bits)', 2 ** 64 + 2 ** 12],
  ['1e300 (an integer double far above 2^64)', 1e300],
  ['-1e300', -1e300],
  ['-MAX_VALUE', -Number.MAX_VALUE],
  ['0.5 (a non-integer: float64)', 0.5],
  ['-2.5', -2.5],
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
  ['-0 (an integer: sint32 0)', -0],
  ['5e-324', 5e-324],
  ['a bigint', 123_456_789_012_345_678n],
  ['a negative bigint', -(2n ** 63n)],
  ['a bigint above 2^64 (its low 64 bits)', 2n ** 70n + 5n],
  ['a bigint below -2^64', -(2n ** 80n) - 3n],
  ['true', true],
  ['false', false],
  ['the empty string', ''],
  ['non-ASCII', 'grüße 日本語 €'],
  ['an astral character (4 UTF-8 bytes)', 'car 🚗'],
  ['a lone high surrogate (TextEncoder: U+FFFD)', 'x\ud800y'],
  ['a lone low surrogate at the end', 'end\udc00'],
  ['NUL inside', 'cut\0x'],
];

describe('DltLogArena: the guest log writer, byte for byte as encodeMessage', () => {
  for (const [what, value] of EDGE_VALUES) {
    it(`toArg edge: ${what}`, () => {
      const r = record(['v', value, 1]);
      expect(written(r)).toEqual(encodeGuestLog(r));
    });
  }

  it('header fields: every level, counters 0 and 255, long and non-Latin-1 ids, u32 wrap of time and session', () => {
    const cases: Partial<GuestLogRecord>[] = [
      ...DLT_LEVELS.map((level) => ({ level })),
      { counter: 0 }, { counter: 255 }, { apid: 'TOOLONG', ctid: '' }, { ecu: '', apid: 'A', ctid: 'ΩΩ€' },
      { timestamp: 2 ** 32 - 1 }, { timestamp: 0 }, { sessionId: 2 ** 32 + 5 }, { sessionId: -1 },
      { level: 'nonsense' as DltLevel },
    ];
    for (const fields of cases) {
      const r = record(['x', 1], fields);
      expect(written(r), JSON.stringify(fields)).toEqual(encodeGuestLog(r));
    }
  });

  it('no values, one value, 255 values', () => {
    for (const n of [0, 1, 255]) {
      const r = record(Array.from({ length: n }, (_, i) => (i % 3 === 0 ? i : i % 3 === 1 ? `s${i}` : i / 7)));
      expect(written(r)).toEqual(encodeGuestLog(r));
    }
  });

  it('a message of exactly 65535 bytes: one string of 2-byte characters filling it', () => {
    // header 26 + type info 4 + length 2 + text + NUL: 65502 bytes of text fill the message
    const fill = 'é'.repeat(65502 / 2);
    const longest = record([fill]);
    expect(encodeGuestLog(longest).length).toBe(65535);
    expect(written(longest)).toEqual(encodeGuestLog(longest));
  });

  it('refuses what encodeMessage refuses, with the same error, and keeps the arena as it was', () => {
    const refused: Array<[string, GuestLogRecord]> = [
      ['a string over 65534 bytes', record(['x'.repeat(65535)])],
      ['a message over 65535 bytes', record(['x'.repeat(40_000), 'y'.repeat(40_000)])],
      ['256 values', record(Array.from({ length: 256 }, () => 1))],
      ['a counter of 256', record([1], { counter: 256 })],
    ];
    for (const [what, r] of refused) {
      let expected: unknown;
      try {
        encodeGuestLog(r);
      } catch (e) {
        expected = e;
      }
      expect(expected, what).toBeInstanceOf(RangeError);
      const arena = new DltLogArena();
      const before = record(['kept']);
      arena.write(before, before.values);
      const end = arena.end;
      expect(() => arena.write(r, r.values), what).toThrow((expected as Error).message);
      expect([arena.count, arena.end], what).toEqual([1, end]);
      const after = record(['next']);
      expect(written(after, arena), what).toEqual(encodeGuestLog(after));
    }
  });

  it('many seeded log calls into one arena (it grows), each message as encodeGuestLog gives it', () => {
    const r = rng(0x10c5);
    const arena = new DltLogArena();
    const expected: Uint8Array[] = [];
    for (let i = 0; i < 3000; i++) {
      const rec = randomLogRecord(r);
      arena.write(rec, rec.values);
      expected.push(encodeGuestLog(rec));
      if (i % 500 === 499) {
        checkArena(arena, expected);
        arena.reset();
        expected.length = 0;
      }
    }
    checkArena(arena, expected);
  });
});

function checkArena(arena: DltLogArena, expected: Uint8Array[]): void {
  expect(arena.count).toBe(expected.length);
  for (let k = 0; k < expected.length; k++) {
    expect(Uint8Array.from(arena.bytes.subarray(arena.start(k), arena.endOf(k))), `message ${k}`).toEqual(expected[k]);
  }
}
