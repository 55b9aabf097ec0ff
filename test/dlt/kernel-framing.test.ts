// The import kernel's framing fast path and its lifecycles (assembly/dlt/frame.ts) against the
// JavaScript reference: importDltFiles with kernel 'js' (DltParser + LifecycleTracker +
// DltBatchBuilder), kernel 'wasm' with the kernel framing (the default for one file) and kernel
// 'wasm' with the parser framing every message must write byte-identical traces and report the
// same figures (messages, damage, lifecycles per ECU) — on clean files, damaged ones (garbage,
// lying lengths, truncated tails, with chunks so small that messages straddle refills), ECU
// restarts of every kind, and more ECUs and applications than the lifecycle tables keep.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSyntheticFile } from '../../bench/dlt.js';
import { encodeMessages, type DltMessage } from '../../src/formats/dlt/index.js';
import { importDltFiles, type DltImportOptions, type DltImportResult } from '../../src/formats/dlt/import.js';
import { DltParser } from '../../src/formats/dlt/parser.js';
import { int, randomMessage, rng, type R } from './random-messages.js';
import { concat } from '../bytes.js';

const FIXTURE = new URL('./fixtures/libdlt-all-types.dlt', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'tracevisor-kernel-framing-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let runs = 0;

const VARIANTS: Array<[string, DltImportOptions]> = [
  ['js', { kernel: 'js' }],
  ['wasm, kernel framing', { kernel: 'wasm' }],
  ['wasm, parser framing', { kernel: 'wasm', kernelFraming: false }],
];

/** The figures of a result that must agree (slowPayloads: the JS builder counts its own). */
function figures(r: DltImportResult) {
  return {
    files: r.files, messages: r.messages, skippedBytes: r.skippedBytes, damagedMessages: r.damagedMessages,
    lifecycles: Object.entries(r.lifecycles), // in order: the manifest keeps it
  };
}

/** Every variant on `inputs`; asserts identical trace files and figures; returns the reference's. */
function expectSameImports(inputs: string[], options: DltImportOptions = {}): DltImportResult {
  const results: DltImportResult[] = [];
  const dirs: string[] = [];
  for (const [, variant] of VARIANTS) {
    const dir = join(tmp, `out-${runs++}`);
    results.push(importDltFiles(inputs, dir, { ...options, ...variant }));
    dirs.push(dir);
  }
  const names = readdirSync(dirs[0]!).sort();
  expect(names).toContain('dlt.arrow');
  for (let v = 1; v < VARIANTS.length; v++) {
    const label = `${VARIANTS[v]![0]} vs js`;
    expect(figures(results[v]!), label).toEqual(figures(results[0]!));
    expect(readdirSync(dirs[v]!).sort(), label).toEqual(names);
    for (const name of names) {
      const [a, b] = [dirs[0]!, dirs[v]!].map((dir) => readFileSync(join(dir, name)));
      if (name === 'manifest.json') {
        // the same but for when and where it was written
        const strip = (m: Buffer) => ({ ...JSON.parse(m.toString()), createdAt: null, host: null });
        expect(strip(b!), `${label}: ${name}`).toEqual(strip(a!));
      } else {
        expect(b!.equals(a!), `${label}: ${name}`).toBe(true);
      }
    }
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  return results[0]!;
}

function write(name: string, bytes: Uint8Array): string {
  const path = join(tmp, name);
  writeFileSync(path, bytes);
  return path;
}

const id = (r: R) => String.fromCharCode(...Array.from({ length: 4 }, () => [0x41 + int(r, 26), 0, 0xe9, 0x30 + int(r, 10)][int(r, 8) === 0 ? int(r, 4) : 0]!));

/**
 * Small messages whose lifecycle fields vary the way restarts do: several ECUs (in the standard
 * header or only in the storage header), timestamps that run on, fall back a little
 * (reordering) or a lot (reboot), storage times with gaps ≥ 1 s and clocks falling back,
 * sessions that change, messages without timestamp, session or extended header.
 */
function lifecycleMessages(seed: number, count: number, ecus: string[], apids: string[],
  opts: { wide?: boolean; calm?: boolean } = {}): DltMessage[] {
  const r = rng(seed);
  const ts = new Map<string, number>();
  let us = 5_000_000_000;
  const out: DltMessage[] = [];
  for (let i = 0; i < count; i++) {
    const ecu = ecus[opts.wide === true || int(r, 8) === 0 ? int(r, ecus.length) : Math.min(int(r, 3), ecus.length - 1)]!;
    let t = ts.get(ecu) ?? int(r, 100_000);
    switch (opts.calm === true ? 99 : int(r, 12)) {
      case 0: t = int(r, 5000); break; // reboot-like fall back
      case 1: t = Math.max(0, t - int(r, 30_000)); break; // backlog / reordering
      case 2: t = Math.max(0, t - int(r, 20)); break;
      default: t += int(r, 3000);
    }
    ts.set(ecu, t);
    switch (opts.calm === true ? 99 : int(r, 15)) {
      case 0: us += 1_000_000 + int(r, 3_000_000); break; // storage gap
      case 1: us -= int(r, 2_000_000); break; // storing clock falls back
      case 2: us += 999_999; break;
      default: us += int(r, 20_000);
    }
    const inHeader = int(r, 4) !== 0;
    const m: DltMessage = {
      storage: { seconds: Math.floor(us / 1e6), microseconds: us % 1e6, ecu: inHeader ? 'RECV' : ecu },
      counter: i & 0xff, bigEndian: int(r, 5) === 0, payload: Uint8Array.of(1, 2, 3, 4, i & 0xff),
    };
    if (inHeader) m.ecu = ecu;
    if (opts.calm === true || int(r, 10) !== 0) m.timestamp = t;
    if (opts.calm === true) m.sessionId = 100 + int(r, 2);
    else if (int(r, 6) !== 0) m.sessionId = [100, 200, 300, 0xffffffff, 0][int(r, 5) === 0 ? int(r, 5) : int(r, 2)]!;
    if (opts.calm === true || int(r, 8) !== 0) {
      m.extended = { verbose: false, type: 0, subtype: 4, apid: apids[int(r, apids.length)]!, ctid: 'CTX', noar: 0 };
    }
    out.push(m);
  }
  return out;
}

describe('kernel framing and lifecycles: whole imports identical to the JavaScript reference', () => {
  it('on the libdlt fixture, whole and in 97-byte chunks', () => {
    for (const chunkBytes of [undefined, 97]) {
      const r = expectSameImports([FIXTURE], chunkBytes === undefined ? {} : { chunkBytes });
      expect(r.messages).toBeGreaterThan(30);
    }
  });

  it('on a large synthetic file (bench/dlt.ts) over several chunks and batches', () => {
    const path = join(tmp, 'synthetic.dlt');
    writeSyntheticFile(path, 150_000);
    const r = expectSameImports([path], { chunkBytes: 1 << 20 });
    expect(r.messages).toBe(150_000);
    expect(r.damagedMessages).toBe(0);
  });

  it('on seeded random messages, one file and three merged', () => {
    const files = [0, 1, 2].map((k) => {
      const r = rng(300 + k);
      return write(`random-${k}.dlt`, encodeMessages(Array.from({ length: 5000 }, (_, i) => randomMessage(r, i)), { storageHeader: true }));
    });
    expectSameImports([files[0]!], { rowsPerBatch: 1000 });
    expectSameImports(files, { rowsPerBatch: 1000 });
  });

  it('on ECU restarts (clock fall-backs, storage gaps, session changes), one file and merged', () => {
    const ecus = ['ECU1', 'ECU2', 'E\0X1', 'E\0X2', 'ÉCU', 'GW'];
    const apids = ['A', 'B', 'APP1', 'LOG', 'SYS\xff'];
    const a = write('life-a.dlt', encodeMessages(lifecycleMessages(1, 30_000, ecus, apids), { storageHeader: true }));
    const b = write('life-b.dlt', encodeMessages(lifecycleMessages(2, 10_000, ecus, apids), { storageHeader: true }));
    const r = expectSameImports([a]);
    expect(Math.max(...Object.values(r.lifecycles))).toBeGreaterThan(50);
    for (const chunkBytes of [64, 1000]) expectSameImports([a], { chunkBytes, rowsPerBatch: 777 });
    expectSameImports([a, b]);
  });

  it('beyond the bounds: more than 4096 ECUs, more than 4096 applications of one ECU', () => {
    const r = rng(9);
    const ecus = Array.from({ length: 5000 }, () => id(r));
    const manyEcus = lifecycleMessages(3, 25_000, ecus, ['A', 'B', 'C'], { wide: true });
    // ECUs with ~5700 applications in one lifecycle (the first 4096 keep their session), then
    // a message whose session changed with the clock 2 s back: a restart exactly when its
    // application's session was kept
    const apids = Array.from({ length: 6000 }, () => id(r));
    const fill = (seed: number, ecus: string[]) => {
      const messages = lifecycleMessages(seed, 12_000, ecus, apids, { calm: true, wide: true });
      const seen = [...new Set(messages.map((m) => m.extended!.apid))];
      expect(seen.length).toBeGreaterThan(5000);
      return { messages, seen };
    };
    const probe = (messages: DltMessage[], apid: string): DltMessage => {
      const last = messages[messages.length - 1]!;
      return {
        ...last, extended: { ...last.extended!, apid }, storage: { ...last.storage!, microseconds: last.storage!.microseconds + 1 },
        timestamp: last.timestamp! - 20_000, sessionId: 7,
      };
    };
    const one = fill(4, ['ONE']);
    const two = fill(5, ['TWO']);
    const three = fill(7, ['TRI']);
    // ECUs beyond the 4096th share one state
    const beyond = fill(6, Array.from({ length: 50 }, (_, k) => `Z${k}`));
    const all = [
      ...one.messages, probe(one.messages, one.seen[10]!), ...two.messages, probe(two.messages, two.seen[4096]!),
      ...three.messages, probe(three.messages, three.seen[4095]!),
      ...manyEcus, ...beyond.messages, probe(beyond.messages, beyond.seen[5000]!), probe(beyond.messages, beyond.seen[1]!),
      ...manyEcus.slice(0, 5000),
    ];
    const path = write('bounds.dlt', encodeMessages(all, { storageHeader: true }));
    const result = expectSameImports([path]);
    expect(Object.keys(result.lifecycles).length).toBeGreaterThan(3000); // 4096 keys, some names collide
    // the 4096th application kept its session, the 4097th did not
    expect([result.lifecycles.ONE, result.lifecycles.TWO, result.lifecycles.TRI]).toEqual([2, 1, 2]);
  });

  it('on damaged files (garbage, lying lengths, truncated tails) in chunks that split messages', () => {
    const r = rng(77);
    const messages = lifecycleMessages(5, 3000, ['ECU1', 'ECU2'], ['A', 'B']);
    const parts: Uint8Array[] = [];
    for (const m of messages) {
      const bytes = encodeMessages([m], { storageHeader: true });
      switch (int(r, 40)) {
        case 0: parts.push(new TextEncoder().encode('garbage!')); break;
        case 1: parts.push(Uint8Array.of(0x44, 0x4c, 0x54, 0x01, 1, 2, 3)); break; // a marker in garbage
        case 2: bytes[16 + 3] = (bytes[16 + 3]! + 1 + int(r, 40)) & 0xff; break; // lying length (low byte)
        case 3: bytes[16 + 3] = (bytes[16 + 3]! - 1 - int(r, 3)) & 0xff; break;
        case 4: bytes[16] = 0x41; break; // implausible version
        case 5: parts.push(bytes.subarray(0, int(r, bytes.length))); continue; // cut short
        default:
      }
      parts.push(bytes);
    }
    const whole = concat(...parts);
    const cut = whole.subarray(0, whole.length - 7); // a truncated last message
    const stats = DltParser.over(cut, { framing: 'storage' });
    for (const _ of stats.frames()) { /* count */ }
    expect(stats.stats.damagedMessages).toBeGreaterThan(50);
    const path = write('damaged.dlt', cut);
    for (const chunkBytes of [5, 64, 97, 1000, undefined]) {
      const result = expectSameImports([path], chunkBytes === undefined ? { rowsPerBatch: 500 } : { chunkBytes, rowsPerBatch: 500 });
      expect(result.damagedMessages, `chunk ${chunkBytes}`).toBe(stats.stats.damagedMessages);
    }
    // damaged and clean files merged
    expectSameImports([path, write('clean.dlt', encodeMessages(messages.slice(0, 500), { storageHeader: true }))], { chunkBytes: 97 });
  });

  it('on garbage only, a lone truncated message, and an empty file', () => {
    const one = encodeMessages(lifecycleMessages(6, 1, ['ECU1'], ['A']), { storageHeader: true });
    for (const [name, bytes] of [['garbage', new TextEncoder().encode('no markers here at all')],
      ['lone', one.subarray(0, one.length - 1)], ['exact', one], ['empty', new Uint8Array(0)]] as const) {
      for (const chunkBytes of [5, undefined]) {
        expectSameImports([write(`${name}.dlt`, bytes)], chunkBytes === undefined ? {} : { chunkBytes });
      }
    }
  });
});
