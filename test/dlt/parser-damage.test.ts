// Damaged input: garbage between messages, truncated tails, length fields that lie, wrong
// versions — each with the exact counts the caller will report. Then seeded fuzzing: the parser
// never throws, always ends, accounts for every input byte, and streaming in chunks of any size
// gives the same result as one buffer.
import { describe, expect, it } from 'vitest';
import {
  DltParser, encodeMessage, nonVerbosePayload, type DltFraming, type DltMessage,
} from '../../src/formats/dlt/index.js';
import { concat, rng } from '../bytes.js';

function logMessage(i: number): DltMessage {
  return {
    storage: { seconds: 1_700_000_000 + i, microseconds: i, ecu: 'RECV' },
    ecu: 'ECU1', sessionId: 42, timestamp: 1000 + i, counter: i & 0xff, bigEndian: false,
    extended: { verbose: true, type: 0, subtype: 4, apid: 'APP', ctid: 'CTX', noar: 2 },
    args: [
      { kind: 'string', value: `message number ${i}`, coding: 'ascii' },
      { kind: 'uint', bits: 32, value: i },
    ],
    payload: new Uint8Array(0),
  };
}

const storage = (i: number) => encodeMessage(logMessage(i), { storageHeader: true });
const header = (i: number) => encodeMessage(logMessage(i), { storageHeader: false });
const ascii = (text: string) => new TextEncoder().encode(text);

/** Sets the big-endian length field of the message whose standard header is at `h`. */
function withLength(bytes: Uint8Array, h: number, length: number): Uint8Array {
  const copy = bytes.slice();
  copy[h + 2] = length >> 8;
  copy[h + 3] = length & 0xff;
  return copy;
}

interface Outcome {
  counters: number[];
  stats: { messages: number; skippedBytes: number; damagedMessages: number };
  accepted: number;
}

function parseWhole(bytes: Uint8Array, framing: DltFraming): Outcome {
  const parser = DltParser.over(bytes, { framing });
  const counters: number[] = [];
  let accepted = 0;
  for (const f of parser.frames()) {
    counters.push(f.counter);
    accepted += f.size;
  }
  return { counters, stats: { ...parser.stats }, accepted };
}

function parseChunked(bytes: Uint8Array, framing: DltFraming, chunkSizes: (n: number) => number): Outcome {
  const parser = new DltParser({ framing });
  const counters: number[] = [];
  let accepted = 0;
  const drain = () => {
    for (let f = parser.next(); f !== null; f = parser.next()) {
      counters.push(f.counter);
      accepted += f.size;
    }
  };
  for (let at = 0, n = 0; at < bytes.length; n++) {
    const size = Math.max(1, chunkSizes(n));
    parser.push(bytes.subarray(at, at + size));
    at += size;
    drain();
  }
  parser.finish();
  drain();
  return { counters, stats: { ...parser.stats }, accepted };
}

describe('parser on damaged storage files', () => {
  it('skips garbage between messages and keeps every message', () => {
    const garbage = ascii('xxDL-DLT\x02junk');
    const r = parseWhole(concat(storage(0), garbage, storage(1), storage(2)), 'storage');
    expect(r.counters).toEqual([0, 1, 2]);
    expect(r.stats).toEqual({ messages: 3, skippedBytes: garbage.length, damagedMessages: 0 });
  });

  it('skips garbage before the first message', () => {
    const r = parseWhole(concat(ascii('\0\0\0garbage'), storage(0)), 'storage');
    expect(r.stats).toEqual({ messages: 1, skippedBytes: 10, damagedMessages: 0 });
  });

  it('counts a truncated last message as damaged', () => {
    const cut = storage(2).subarray(0, 30);
    const r = parseWhole(concat(storage(0), storage(1), cut), 'storage');
    expect(r.counters).toEqual([0, 1]);
    expect(r.stats).toEqual({ messages: 2, skippedBytes: 30, damagedMessages: 1 });
  });

  it('counts a last message cut inside its storage header as damaged', () => {
    const r = parseWhole(concat(storage(0), storage(1).subarray(0, 10)), 'storage');
    expect(r.stats).toEqual({ messages: 1, skippedBytes: 10, damagedMessages: 1 });
  });

  it('skips a tail too short to be a marker without calling it a message', () => {
    const r = parseWhole(concat(storage(0), ascii('DL')), 'storage');
    expect(r.stats).toEqual({ messages: 1, skippedBytes: 2, damagedMessages: 0 });
  });

  it('rejects a length that runs over the next message and resynchronises on its marker', () => {
    const m1 = storage(1);
    const lying = withLength(m1, 16, m1.length - 16 + 100);
    const r = parseWhole(concat(storage(0), lying, storage(2), storage(3)), 'storage');
    expect(r.counters).toEqual([0, 2, 3]);
    expect(r.stats).toEqual({ messages: 3, skippedBytes: m1.length, damagedMessages: 1 });
  });

  it('rejects a verbose message whose length is too short for its arguments', () => {
    const m1 = storage(1);
    const lying = withLength(m1, 16, m1.length - 16 - 3);
    const r = parseWhole(concat(storage(0), lying, storage(2), storage(3)), 'storage');
    expect(r.counters).toEqual([0, 2, 3]);
    expect(r.stats).toEqual({ messages: 3, skippedBytes: m1.length, damagedMessages: 1 });
  });

  it('rejects a length shorter than the headers it announces', () => {
    const m1 = storage(1);
    const r = parseWhole(concat(storage(0), withLength(m1, 16, 5), storage(2)), 'storage');
    expect(r.counters).toEqual([0, 2]);
    expect(r.stats).toEqual({ messages: 2, skippedBytes: m1.length, damagedMessages: 1 });
  });

  it('rejects a header with a protocol version other than 1', () => {
    const m1 = storage(1);
    m1[16] = (m1[16]! & 0x1f) | (2 << 5);
    const r = parseWhole(concat(storage(0), m1, storage(2)), 'storage');
    expect(r.stats).toEqual({ messages: 2, skippedBytes: m1.length, damagedMessages: 1 });
  });

  it('cannot see through a too-short length in a non-verbose message (documented limit)', () => {
    const nv: DltMessage = {
      ...logMessage(1), args: undefined,
      extended: { verbose: false, type: 0, subtype: 4, apid: 'APP', ctid: 'CTX', noar: 0 },
      payload: nonVerbosePayload(99, Uint8Array.of(1, 2, 3, 4, 5), false),
    };
    const bytes = encodeMessage(nv, { storageHeader: true });
    const lying = withLength(bytes, 16, bytes.length - 16 - 3);
    const r = parseWhole(concat(storage(0), lying, storage(2)), 'storage');
    expect(r.counters).toEqual([0, 1, 2]);
    expect(r.stats).toEqual({ messages: 3, skippedBytes: 3, damagedMessages: 0 });
  });

  it('reads nothing from pure garbage or an empty buffer', () => {
    expect(parseWhole(ascii('no dlt in here at all'), 'storage').stats)
      .toEqual({ messages: 0, skippedBytes: 21, damagedMessages: 0 });
    expect(parseWhole(new Uint8Array(0), 'storage').stats)
      .toEqual({ messages: 0, skippedBytes: 0, damagedMessages: 0 });
  });

  it('keeps a message whose payload contains the storage marker', () => {
    const m: DltMessage = { ...logMessage(5), args: [{ kind: 'raw', value: ascii('DLT\x01 inside') }],
      extended: { ...logMessage(5).extended!, noar: 1 } };
    const r = parseWhole(concat(encodeMessage(m, { storageHeader: true }), storage(6)), 'storage');
    expect(r.stats).toEqual({ messages: 2, skippedBytes: 0, damagedMessages: 0 });
  });
});

describe('parser on damaged TCP streams (no storage header)', () => {
  it('resynchronises after garbage, counting one loss of sync', () => {
    const r = parseWhole(concat(header(0), new Uint8Array(5), header(1), header(2)), 'stream');
    expect(r.counters).toEqual([0, 1, 2]);
    expect(r.stats).toEqual({ messages: 3, skippedBytes: 5, damagedMessages: 1 });
  });

  it('skips serial headers ("DLS\\x01") as framing', () => {
    const dls = Uint8Array.of(0x44, 0x4c, 0x53, 0x01);
    const r = parseWhole(concat(dls, header(0), dls, header(1)), 'stream');
    expect(r.stats).toEqual({ messages: 2, skippedBytes: 0, damagedMessages: 0 });
  });

  it('counts a truncated last message', () => {
    const r = parseWhole(concat(header(0), header(1).subarray(0, 9)), 'stream');
    expect(r.stats).toEqual({ messages: 1, skippedBytes: 9, damagedMessages: 1 });
  });
});


function mutate(bytes: Uint8Array, random: () => number): Uint8Array {
  const out = Array.from(bytes);
  const edits = 1 + Math.floor(random() * 6);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(random() * out.length);
    const what = random();
    if (what < 0.4) out[at] = Math.floor(random() * 256);
    else if (what < 0.6) out.splice(at, 1 + Math.floor(random() * 40));
    else if (what < 0.8) out.splice(at, 0, ...Array.from({ length: 1 + Math.floor(random() * 30) }, () => Math.floor(random() * 256)));
    else out.length = at; // truncate
  }
  return Uint8Array.from(out);
}

describe('parser under fuzzing', () => {
  const clean = concat(...Array.from({ length: 40 }, (_, i) => storage(i)));
  const cleanStream = concat(...Array.from({ length: 40 }, (_, i) => header(i)));

  for (const [framing, input] of [['storage', clean], ['stream', cleanStream]] as const) {
    it(`never throws, ends, and accounts for every byte (${framing})`, () => {
      for (let seed = 1; seed <= 300; seed++) {
        const random = rng(seed);
        const bytes = mutate(input, random);
        const whole = parseWhole(bytes, framing);
        expect(whole.accepted + whole.stats.skippedBytes, `seed ${seed}`).toBe(bytes.length);
        expect(whole.stats.messages).toBe(whole.counters.length);
        const chunked = parseChunked(bytes, framing, () => 1 + Math.floor(random() * 200));
        expect(chunked, `seed ${seed}`).toEqual(whole);
      }
    });
  }

  it('recovers every message when garbage without markers is inserted between them', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const random = rng(seed);
      const parts: Uint8Array[] = [];
      let garbageBytes = 0;
      for (let i = 0; i < 40; i++) {
        parts.push(storage(i));
        if (random() < 0.3) {
          const g = Uint8Array.from({ length: 1 + Math.floor(random() * 50) }, () => 0x45 + Math.floor(random() * 180));
          garbageBytes += g.length;
          parts.push(g);
        }
      }
      const r = parseWhole(concat(...parts), 'storage');
      expect(r.counters, `seed ${seed}`).toEqual(Array.from({ length: 40 }, (_, i) => i));
      expect(r.stats).toEqual({ messages: 40, skippedBytes: garbageBytes, damagedMessages: 0 });
    }
  });

  it('streams byte by byte exactly like one buffer', () => {
    const bytes = concat(storage(0), ascii('junk'), storage(1).subarray(0, 40), storage(2), storage(3).subarray(0, 25));
    expect(parseChunked(bytes, 'storage', () => 1)).toEqual(parseWhole(bytes, 'storage'));
    expect(parseWhole(bytes, 'storage').stats).toEqual({ messages: 2, skippedBytes: 4 + 40 + 25, damagedMessages: 2 });
  });
});
