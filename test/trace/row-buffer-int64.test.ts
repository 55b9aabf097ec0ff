// RowBuffer's int64 columns store a number as its two 32-bit words (row-buffer.ts Int64Column:
// no bigint per value) and a bigint as itself: every value must read back as the same int64,
// negative and beyond 32 bits included, NULLs as NULL, and an unsafe number is refused.
import { describe, expect, it } from 'vitest';
import { RowBuffer } from '../../src/trace/row-buffer.js';
import type { DltRow } from '../../src/trace/recorder.js';

const VALUES: (number | bigint | null)[] = [
  0, 1, -1, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 32, 2 ** 32 + 5, -(2 ** 32), -(2 ** 32) - 5,
  Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 1_700_000_000_123_456_789n, 2n ** 63n - 1n, -(2n ** 63n), null, 123_456_789_012,
];

function row(messageId: number | bigint | null, i: number): DltRow {
  return {
    ts_ns: typeof messageId === 'number' ? messageId : i, local_ts_ns: 0, vm: 0, ecu: 'ECU1', apid: 'APP', ctid: 'CTX',
    session_id: 1, type: 'log', subtype: 'info', level: 'info', msg_counter: 0, verbose: true, noar: 1,
    message_id: messageId, payload: '', payload_raw: new Uint8Array(0), lifecycle: 1, storage_ts_ns: i,
  };
}

describe('RowBuffer int64 columns', () => {
  it('read back every value as the int64 it was, numbers and bigints, NULL as NULL', () => {
    const buffer = new RowBuffer('dlt', 64);
    VALUES.forEach((v, i) => buffer.append(row(v, i) as unknown as Record<string, unknown>));
    const batch = buffer.toBatch();
    const ids = batch.getChild('message_id')!;
    const ts = batch.getChild('ts_ns')!;
    VALUES.forEach((v, i) => {
      expect(ids.get(i), `message_id ${i}`).toBe(v === null ? null : BigInt(v));
      expect(ts.get(i), `ts_ns ${i}`).toBe(BigInt(typeof v === 'number' ? v : i));
    });
    expect(ids.nullCount).toBe(1);
  });

  it('refuses a number that is not a safe integer, and leaves the buffer as it was', () => {
    const buffer = new RowBuffer('dlt', 4);
    buffer.append(row(5, 0) as unknown as Record<string, unknown>);
    expect(() => buffer.append(row(2 ** 53, 1) as unknown as Record<string, unknown>)).toThrow(/ts_ns: 9007199254740992 is not a safe integer/);
    expect(() => buffer.append(row(1.5, 1) as unknown as Record<string, unknown>)).toThrow(/not a safe integer/);
    expect(buffer.length).toBe(1);
    expect(buffer.toBatch().getChild('message_id')!.get(0)).toBe(5n);
  });
});
