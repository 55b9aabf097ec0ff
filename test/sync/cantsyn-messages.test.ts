// CanTSyn message layout (AUTOSAR SWS TimeSyncOverCAN §7.2.2) and its CRC-8 SAE J1850, checked
// against a bit-serial CRC written here from the polynomial (not the table the code uses) and the
// catalogue's check value (CRC-8/SAE-J1850 of "123456789" is 0x4B).
import { describe, expect, it } from 'vitest';
import { crc8J1850, decodeTsyn, encodeTsyn, tsynCrc } from '../../src/sync/cantsyn-messages.js';

/** Bit-serial CRC-8, x^8 + x^4 + x^3 + x^2 + 1, init 0xFF, final XOR 0xFF, no reflection. */
function crcBitwise(bytes: number[]): number {
  let reg = 0xff;
  for (const byte of bytes) {
    for (let bit = 7; bit >= 0; bit--) {
      const top = ((reg >> 7) & 1) ^ ((byte >> bit) & 1);
      reg = (reg << 1) & 0xff;
      if (top) reg ^= 0x1d;
    }
  }
  return reg ^ 0xff;
}

const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));
const DATA_IDS = Array.from({ length: 16 }, (_, i) => (i * 37 + 11) & 0xff);

describe('CRC-8 SAE J1850', () => {
  it('check value of "123456789" is 0x4B, for the code and for the bit-serial reference', () => {
    expect(crc8J1850(ascii('123456789'))).toBe(0x4b);
    expect(crcBitwise(ascii('123456789'))).toBe(0x4b);
  });

  it('agrees with the bit-serial reference on every single byte and on longer inputs', () => {
    for (let b = 0; b < 256; b++) expect(crc8J1850([b])).toBe(crcBitwise([b]));
    const long = Array.from({ length: 64 }, (_, i) => (i * 151 + 7) & 0xff);
    expect(crc8J1850(long)).toBe(crcBitwise(long));
  });
});

describe('SYNC and FUP layout', () => {
  it('SYNC without CRC (0x10): domain | counter in byte 2, seconds big-endian in bytes 4..7', () => {
    const frame = encodeTsyn({ message: { kind: 'sync', domain: 3, seq: 5, seconds: 0x01020304, userByte0: 0x9a }, dataIds: null });
    expect([...frame]).toEqual([0x10, 0x00, 0x35, 0x9a, 0x01, 0x02, 0x03, 0x04]);
    expect(decodeTsyn(frame, null)).toEqual({ kind: 'sync', crc: false, domain: 3, seq: 5, seconds: 0x01020304, userByte0: 0x9a });
  });

  it('FUP without CRC (0x18): SGW bit 2 and OVS bits 1..0 in byte 3, nanoseconds in bytes 4..7', () => {
    const frame = encodeTsyn({ message: { kind: 'fup', domain: 15, seq: 15, nanoseconds: 999_999_999, overflowSeconds: 2, sgw: 1 }, dataIds: null });
    expect([...frame]).toEqual([0x18, 0x00, 0xff, 0x06, 0x3b, 0x9a, 0xc9, 0xff]); // 999999999 = 0x3B9AC9FF
    expect(decodeTsyn(frame, null)).toEqual({ kind: 'fup', crc: false, domain: 15, seq: 15, nanoseconds: 999_999_999, overflowSeconds: 2, sgw: 1 });
  });

  it('with CRC (0x20 / 0x28) byte 1 is the CRC over bytes 2..7 then DataIDList[counter]', () => {
    const sync = encodeTsyn({ message: { kind: 'sync', domain: 1, seq: 9, seconds: 77, userByte0: 0 }, dataIds: DATA_IDS });
    expect(sync[0]).toBe(0x20);
    expect(sync[1]).toBe(crcBitwise([...sync.subarray(2, 8), DATA_IDS[9]!]));
    const fup = encodeTsyn({ message: { kind: 'fup', domain: 1, seq: 9, nanoseconds: 123, overflowSeconds: 0, sgw: 0 }, dataIds: DATA_IDS });
    expect(fup[0]).toBe(0x28);
    expect(fup[1]).toBe(crcBitwise([...fup.subarray(2, 8), DATA_IDS[9]!]));
    expect(tsynCrc(fup, DATA_IDS)).toBe(fup[1]);
    expect(decodeTsyn(sync, DATA_IDS)).toMatchObject({ kind: 'sync', crc: true, seq: 9, seconds: 77 });
    expect(decodeTsyn(fup, DATA_IDS)).toMatchObject({ kind: 'fup', crc: true, seq: 9, nanoseconds: 123 });
  });

  it('a receiver without CRC checking takes CRC types as they are (CRC_IGNORED)', () => {
    const sync = encodeTsyn({ message: { kind: 'sync', domain: 0, seq: 1, seconds: 5, userByte0: 0 }, dataIds: DATA_IDS });
    sync[1]! ^= 0xff;
    expect(decodeTsyn(sync, null)).toMatchObject({ kind: 'sync', crc: true, seconds: 5 });
  });
});

describe('refused frames', () => {
  const good = () => encodeTsyn({ message: { kind: 'sync', domain: 2, seq: 4, seconds: 1000, userByte0: 0 }, dataIds: DATA_IDS });

  it('a flipped payload bit fails the CRC', () => {
    const f = good();
    f[6]! ^= 0x10;
    expect(decodeTsyn(f, DATA_IDS)).toBe('crc');
  });

  it('the same bytes under another DataID list fail the CRC', () => {
    expect(decodeTsyn(good(), DATA_IDS.map((d) => d ^ 1))).toBe('crc');
  });

  it('a non-CRC type where CRCs are validated, an unknown type, a short frame', () => {
    const plain = encodeTsyn({ message: { kind: 'sync', domain: 2, seq: 4, seconds: 1000, userByte0: 0 }, dataIds: null });
    expect(decodeTsyn(plain, DATA_IDS)).toBe('type');
    const unknown = good();
    unknown[0] = 0x44;
    expect(decodeTsyn(unknown, null)).toBe('type');
    expect(decodeTsyn(good().subarray(0, 7), null)).toBe('length');
  });

  it('a FUP with nanoseconds >= 10^9', () => {
    const f = new Uint8Array([0x18, 0, 0x00, 0, 0x3b, 0x9a, 0xca, 0x00]); // 1_000_000_000
    expect(decodeTsyn(f, null)).toBe('field');
  });
});
