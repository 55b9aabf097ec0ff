// The console back-end's decoder (src/devices/dlt-console-decoder.ts, issue 10 §2: the DLT
// kernel renders a drain's messages in one call) against decodeGuestLog, the general parser and
// reference renderer it replaces: for each drained buffer, in order, the same `dlt` row with the
// same wire bytes, or the same "undecodable" — over guests' log calls, every kind of DLT message
// the random generator makes, and bytes damaged every way a guest could damage them.
import { describe, expect, it } from 'vitest';
import { decodeGuestLog, encodeGuestLog } from '../../src/devices/dlt-channel.js';
import { consoleDecoder, GROUP_ROWS_MAX, isPlainLogMessage } from '../../src/devices/dlt-console-decoder.js';
import { encodeMessage, type DltMessage } from '../../src/formats/dlt/index.js';
import type { DltRow } from '../../src/trace/recorder.js';
import { concat } from '../bytes.js';
import { randomLogRecord } from './random-log-calls.js';
import { bytes, int, pick, randomMessage, rng, type R } from './random-messages.js';

/** A row with its bytes as hex (vitest compares long typed arrays element by element: slowly). */
type Outcome = { row: Omit<DltRow, 'payload_raw'> & { payload_raw: string }; wire: string } | 'undecodable';
const AT = { tsNs: 5_000_000_123, vm: 2 };
const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
const outcome = (row: DltRow, wire: Uint8Array): Outcome => ({ row: { ...row, payload_raw: hex(row.payload_raw) }, wire: hex(wire) });

function viaDecoder(buffers: Uint8Array[]): Outcome[] {
  const out: Outcome[] = [];
  consoleDecoder().decode(buffers.map((data) => ({ data })), AT, {
    row: (row, wire) => out.push(outcome(row, wire)),
    undecodable: () => out.push('undecodable'),
  });
  return out;
}

function viaReference(buffers: Uint8Array[]): Outcome[] {
  return buffers.map((data) => {
    const row = decodeGuestLog(data, AT);
    return row === null ? 'undecodable' : outcome(row, data);
  });
}

function expectSame(buffers: Uint8Array[], what: string): Outcome[] {
  const got = viaDecoder(buffers);
  const expected = viaReference(buffers);
  expect(got.length, what).toBe(expected.length);
  for (let i = 0; i < got.length; i++) expect(got[i], `${what}: buffer ${i}`).toEqual(expected[i]);
  return got;
}

/** A general DLT message as a guest could write it (stream framing), often made a log message. */
function anyMessage(r: R, i: number): Uint8Array {
  const m: DltMessage = randomMessage(r, i);
  delete m.storage;
  if (m.extended !== undefined && r() < 0.6) m.extended = { ...m.extended, type: 0, subtype: int(r, 8) };
  return encodeMessage(m, { storageHeader: false });
}

/** One way a guest damages a buffer. */
function damage(r: R, b: Uint8Array): Uint8Array {
  const d = Uint8Array.from(b);
  switch (int(r, 11)) {
    case 0: d[int(r, d.length)] ^= 1 << int(r, 8); return d; // a bit anywhere
    case 1: d[0] = int(r, 256); return d; // htyp: version, flags
    case 2: d[2] = int(r, 256); return d; // length, high byte
    case 3: d[3] = int(r, 256); return d; // length, low byte
    case 4: return d.subarray(0, int(r, d.length)); // cut short
    case 5: return concat(d, bytes(r, 1 + int(r, 8))); // garbage after it
    case 6: return concat(d, b); // two messages in one buffer
    case 7: return concat(Uint8Array.of(0x44, 0x4c, 0x54, 0x01), d); // a storage marker in front
    case 8: return concat(Uint8Array.of(0x44, 0x4c, 0x53, 0x01), d); // a serial header in front
    case 9: if (d.length > 16) d[16] = int(r, 256); return d; // msin: type, level, verbose
    default: return bytes(r, int(r, 40)); // noise
  }
}

describe('DltConsoleDecoder: the kernel-rendered rows are decodeGuestLog\'s', () => {
  it('guests\' log calls (every value type and toArg edge), drained in batches of 1..256', () => {
    const r = rng(0xc0de);
    let rows = 0;
    for (let drain = 0; drain < 60; drain++) {
      const n = 1 + int(r, drain % 10 === 0 ? GROUP_ROWS_MAX : 12);
      const buffers = Array.from({ length: n }, () => encodeGuestLog(randomLogRecord(r)));
      rows += expectSame(buffers, `drain ${drain}`).length;
    }
    expect(rows).toBeGreaterThan(500);
  });

  it('any DLT message a guest could write: log or not, verbose or not, both byte orders, long payloads', () => {
    const r = rng(0xd17);
    let kernelRendered = 0;
    for (let drain = 0; drain < 40; drain++) {
      const buffers = Array.from({ length: 1 + int(r, 40) }, (_, i) => anyMessage(r, i));
      kernelRendered += buffers.filter(isPlainLogMessage).length;
      expectSame(buffers, `drain ${drain}`);
    }
    expect(kernelRendered).toBeGreaterThan(200); // the kernel's path was taken, not only the fallback
  });

  it('damaged bytes between intact ones: the same rows and undecodables, in the drained order', () => {
    const r = rng(0xbad);
    let undecodable = 0;
    for (let drain = 0; drain < 80; drain++) {
      const buffers = Array.from({ length: 1 + int(r, 20) }, (_, i) => {
        const intact = r() < 0.5 ? encodeGuestLog(randomLogRecord(r, 4)) : anyMessage(r, i);
        return r() < 0.5 ? damage(r, intact) : intact;
      });
      undecodable += expectSame(buffers, `drain ${drain}`).filter((o) => o === 'undecodable').length;
    }
    expect(undecodable).toBeGreaterThan(50);
  });

  it('named damage: empty, 1-3 bytes, a length one short and one long, version 2, no extended header, level 0 and 7', () => {
    const good = encodeGuestLog(randomLogRecord(rng(7), 3));
    const withByte = (at: number, value: number) => {
      const d = Uint8Array.from(good);
      d[at] = value;
      return d;
    };
    const buffers = [
      new Uint8Array(0), good.subarray(0, 1), good.subarray(0, 3), good,
      withByte(3, good[3]! - 1), withByte(3, good[3]! + 1), withByte(0, (good[0]! & 0x1f) | (2 << 5)),
      withByte(0, good[0]! & ~0x01), withByte(16, good[16]! & 0x0f), withByte(16, (good[16]! & 0x0f) | (7 << 4)),
      good,
    ];
    const outcomes = expectSame(buffers, 'named');
    expect(outcomes.map((o) => (o === 'undecodable' ? 'u' : 'row'))[3]).toBe('row');
  });

  it('one kernel call for a full drain of 256 guest messages', () => {
    const r = rng(0x256);
    const decoder = consoleDecoder();
    const before = decoder.groups;
    expectSame(Array.from({ length: GROUP_ROWS_MAX }, () => encodeGuestLog(randomLogRecord(r))), 'full drain');
    expect(decoder.groups - before).toBe(1);
  });

  it('drains larger than one kernel group (long payloads, the reference renderer\'s rows) split and keep order', () => {
    const r = rng(0x1a26e);
    const big = (n: number) => encodeGuestLog({ ...randomLogRecord(r, 0), values: ['x'.repeat(n), n, 'ü'.repeat(n % 97)] });
    const small = () => encodeGuestLog(randomLogRecord(r, 3));
    const decoder = consoleDecoder();
    const groups = (buffers: Uint8Array[], what: string) => {
      const before = decoder.groups;
      expectSame(buffers, what);
      return decoder.groups - before;
    };
    // over 3000 payload bytes the kernel hands the row to the reference renderer (STOP_SLOW)
    expect(groups(Array.from({ length: 40 }, (_, i) => big(3000 + i * 7)), 'long')).toBe(1);
    // 18 of 62 KB: more than a group's 1 MiB of input
    expect(groups(Array.from({ length: 18 }, (_, i) => big(62_000 + i)), 'more input than a group')).toBe(2);
    // 15 of 65 KB and 241 small ones: within the input, but more than the text room the kernel
    // asks for (3 B per payload byte, or 30072 B for any row: 10.2 MB of the group's 8 MiB)
    const mix = [...Array.from({ length: 15 }, (_, i) => big(64_900 + i)), ...Array.from({ length: 241 }, small)];
    expect(groups(mix, 'more text room than a group')).toBe(2);
    // damaged buffers between: each one renders the group before it
    const mixed = Array.from({ length: 30 }, (_, i) => (i % 10 === 9 ? new Uint8Array(3) : small()));
    expect(groups(mixed, 'undecodables between')).toBe(3);
  });

  it('a sink that throws leaves the decoder empty: the next drain gives its own rows only', () => {
    const r = rng(3);
    const buffers = Array.from({ length: 5 }, () => encodeGuestLog(randomLogRecord(r)));
    let seen = 0;
    expect(() => consoleDecoder().decode(buffers.map((data) => ({ data })), AT, {
      row: () => {
        if (++seen === 2) throw new Error('sink failed');
      },
      undecodable: () => {},
    })).toThrow('sink failed');
    const next = Array.from({ length: 3 }, () => encodeGuestLog(randomLogRecord(r)));
    expectSame(next, 'after a throw');
  });

  it('isPlainLogMessage takes exactly the buffers decodeGuestLog makes rows of in one piece', () => {
    const r = rng(99);
    for (let i = 0; i < 2000; i++) {
      const b = damage(r, pick(r, [encodeGuestLog(randomLogRecord(r, 3)), anyMessage(r, i)]));
      if (isPlainLogMessage(b)) expect(decodeGuestLog(b, AT), `buffer ${i}`).not.toBeNull();
    }
  });
});
