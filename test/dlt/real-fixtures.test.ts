// The parser and renderer against real files: libdlt-all-types.dlt was written by COVESA's
// dlt-daemon/dlt-receive while a libdlt program logged every argument type (fixtures/generate.sh),
// and libdlt-all-types.txt is `TZ=UTC dlt-convert -a` of it. Field by field, every line must match;
// and every message, decoded and encoded again, must give back libdlt's bytes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DltParser, encodeMessage, parseMessages, renderConvertFields, renderConvertLine,
} from '../../src/formats/dlt/index.js';
import { splitConvertLine } from './dlt-convert.js';

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);
const file = new Uint8Array(readFileSync(fixture('libdlt-all-types.dlt')));
const convertLines = readFileSync(fixture('libdlt-all-types.txt'), 'utf8').split('\n').filter((l) => l !== '');

describe('real libdlt fixture', () => {
  const { messages, stats } = parseMessages(file, { framing: 'storage' });

  it('reads every message, nothing damaged', () => {
    expect(messages.length).toBe(convertLines.length);
    expect(stats).toEqual({ messages: convertLines.length, skippedBytes: 0, damagedMessages: 0 });
  });

  it('matches dlt-convert -a field by field', () => {
    messages.forEach((m, i) => {
      const want = splitConvertLine(convertLines[i]!);
      const f = renderConvertFields(m);
      const got = {
        index: String(i), time: f.time, timestamp: f.timestamp, counter: f.counter, ecu: f.ecu,
        apid: f.apid, ctid: f.ctid, type: f.type, subtype: f.subtype, mode: f.mode, noar: f.noar,
        payload: f.payload,
      };
      expect(got, `message ${i}`).toEqual(want);
    });
  });

  it('renders whole lines identical to dlt-convert -a, from frames too', () => {
    const parser = DltParser.over(file, { framing: 'storage' });
    let i = 0;
    for (const frame of parser.frames()) {
      expect(renderConvertLine(frame, i)).toBe(`${convertLines[i]}\n`);
      i++;
    }
    expect(i).toBe(convertLines.length);
  });

  it('re-encodes every message to the bytes libdlt and dlt-daemon wrote', () => {
    const parser = DltParser.over(file, { framing: 'storage' });
    let verboseWithArgs = 0;
    for (const frame of parser.frames()) {
      const m = frame.toMessage();
      if (m.args !== undefined) verboseWithArgs++;
      expect(encodeMessage(m, { storageHeader: true }), `message at ${frame.offset}`).toEqual(frame.messageBytes());
    }
    expect(verboseWithArgs).toBeGreaterThan(300);
  });

  it('decodes the attribute message with names and units', () => {
    const m = messages.find((x) => x.args?.[0]?.kind === 'bool' && x.args[0].name === 'flag');
    expect(m?.args).toEqual([
      { kind: 'bool', value: true, name: 'flag' },
      { kind: 'sint', bits: 8, value: -8, name: 'i8', unit: 'u8' },
      { kind: 'sint', bits: 16, value: -16, name: 'i16', unit: '' },
      { kind: 'sint', bits: 32, value: -32, name: '', unit: 'km' },
      { kind: 'sint', bits: 64, value: -64n, name: 'i64', unit: 'ns' },
      { kind: 'uint', bits: 8, value: 8, name: 'speed', unit: 'km/h' },
      { kind: 'uint', bits: 16, value: 16, name: 'u16', unit: 'x' },
      { kind: 'uint', bits: 32, value: 32, name: 'u32', unit: 'y' },
      { kind: 'uint', bits: 64, value: 64n, name: 'u64', unit: 'z' },
      { kind: 'float', bits: 32, value: 1.25, name: 'f32', unit: 'V' },
      { kind: 'float', bits: 64, value: -2.5, name: 'f64', unit: 'A' },
      { kind: 'string', value: 'text', coding: 'ascii', name: 'name' },
      { kind: 'string', value: 'ä', coding: 'utf8', name: 'utf' },
      { kind: 'raw', value: Uint8Array.of(0xca, 0xfe), name: 'blob' },
    ]);
  });

  it('reads the same messages header-less off the TCP stream the daemon sent at the same time', () => {
    const stream = new Uint8Array(readFileSync(fixture('libdlt-all-types.stream')));
    const streamParser = DltParser.over(stream, { framing: 'stream' });
    const fromStream: string[] = [];
    for (const f of streamParser.frames()) {
      if (f.apid === 'TVAP') fromStream.push(Buffer.from(f.messageBytes()).toString('hex'));
    }
    expect(streamParser.stats.damagedMessages).toBe(0);
    expect(streamParser.stats.skippedBytes).toBe(0);
    const fileParser = DltParser.over(file, { framing: 'storage' });
    const fromFile: string[] = [];
    for (const f of fileParser.frames()) {
      if (f.apid === 'TVAP') fromFile.push(Buffer.from(f.messageBytes().subarray(16)).toString('hex'));
    }
    expect(fromFile.length).toBeGreaterThan(320);
    expect(fromStream).toEqual(fromFile);
  });

  it('decodes non-verbose messages, network traces and header variants', () => {
    const nonVerbose = messages.filter((m) => m.extended?.verbose === false && m.extended.type === 0);
    expect(nonVerbose.map((m) => [m.messageId, m.extended?.subtype, m.extended?.noar])).toEqual([
      [0x1234, 3, 2], [7, 4, 0],
    ]);
    const noExtended = messages.filter((m) => m.extended === undefined);
    expect(noExtended.map((m) => m.messageId)).toEqual([0xcafe]);
    const can = messages.find((m) => m.extended?.type === 2 && m.extended.subtype === 2);
    expect(can?.args).toEqual([
      { kind: 'raw', value: Uint8Array.of(1, 2, 3, 4) },
      { kind: 'raw', value: Uint8Array.of(0xde, 0xad, 0xbe, 0xef, 0) },
    ]);
    const plain = messages.find((m) => m.args?.[0]?.kind === 'string' && m.args[0].value === 'no ecu id either');
    expect(plain).toMatchObject({ storage: { ecu: 'RECV' }, counter: expect.any(Number) });
    expect(plain?.ecu).toBeUndefined();
    expect(plain?.sessionId).toBeUndefined();
    expect(plain?.timestamp).toBeUndefined();
  });
});

