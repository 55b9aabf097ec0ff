// The WASM kernel (build/dlt.wasm via src/formats/dlt/kernel.ts) against DltBatchBuilder (the
// JavaScript reference): the same messages through both, batch by batch, every column buffer
// byte for byte — values, offsets, validity bitmaps, null counts — with the builders used in
// turn exactly as the kernel's regions are (stale bytes past a batch's end must agree too).
// Then whole imports: importDltFiles with kernel 'wasm' and 'js' must write identical traces.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DltParser, encodeMessages, type DltArg, type DltMessage } from '../../src/formats/dlt/index.js';
import { DltBatchBuilder } from '../../src/formats/dlt/import-batch.js';
import { importDltFiles } from '../../src/formats/dlt/import.js';
import { DltKernel } from '../../src/formats/dlt/kernel.js';
import { PUSH_HEADROOM } from '../../src/formats/dlt/parser.js';
import type { ColumnBuffers } from '../../src/trace/ipc-encode.js';
import { TABLES } from '../../src/trace/tables.js';
import { int, randomMessage, rng } from './random-messages.js';

const FIXTURE = new URL('./fixtures/libdlt-all-types.dlt', import.meta.url);
const tmp = mkdtempSync(join(tmpdir(), 'tracevisor-kernel-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Copied {
  nullCount: number;
  validity: Buffer | null;
  offsets: Buffer | null;
  values: Buffer;
}
type Batch = { length: number; columns: Copied[] };

const bytesOf = (v: ArrayBufferView) => Buffer.from(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
function copy(columns: ColumnBuffers[]): Copied[] {
  return columns.map((c) => ({
    nullCount: c.nullCount,
    validity: c.validity === undefined ? null : Buffer.from(bytesOf(c.validity)),
    offsets: c.offsets === undefined ? null : Buffer.from(bytesOf(c.offsets)),
    values: Buffer.from(bytesOf(c.values)),
  }));
}

interface RunOptions {
  batchRows: number;
  regions: number;
  chunkBytes: number;
  payloadBytes?: number;
}

/** The file through the JS builders and through the kernel; both sides' batches. */
function runBoth(file: Uint8Array, opts: RunOptions): { js: Batch[]; wasm: Batch[]; slow: number; messages: number } {
  const js: Batch[] = [];
  const builders = Array.from({ length: opts.regions }, () => new DltBatchBuilder(opts.batchRows));
  let turn = 0;
  const wasm: Batch[] = [];
  const kernel = DltKernel.create({
    batchRows: opts.batchRows, regions: opts.regions, inputs: 1, inputBytes: Math.ceil((opts.chunkBytes + PUSH_HEADROOM) / 8) * 8,
    ...(opts.payloadBytes !== undefined ? { payloadBytes: opts.payloadBytes } : {}),
  }, {
    batch: (length, columns) => wasm.push({ length, columns: copy(columns) }),
    reuse: () => {},
  });
  const flushJs = () => {
    const b = builders[turn]!;
    js.push({ length: b.length, columns: copy(b.columns()) });
    turn = (turn + 1) % builders.length;
    builders[turn]!.reset();
  };
  // the JS builders read a private copy (its slow path decodes text, which shared memory refuses)
  const reference = DltParser.over(file, { framing: 'storage' });
  const parser = new DltParser({ framing: 'storage', buffer: kernel.input(0) });
  const base = kernel.inputBase(0);
  let at = 0;
  let row = 0;
  for (let ended = false; ; ) {
    for (let f = parser.next(); f !== null; f = parser.next()) {
      const lifecycle = (row * 7) % 5;
      const g = reference.next();
      expect(g, `message ${row}`).not.toBeNull();
      builders[turn]!.add(g!, lifecycle);
      if (builders[turn]!.full) flushJs();
      kernel.add(base + f.offset, lifecycle);
      row++;
    }
    if (ended) break;
    kernel.drain(); // fill() moves the unparsed tail: queued addresses go stale
    ended = parser.fill((into, to, max) => {
      const k = Math.min(max, file.length - at);
      into.set(file.subarray(at, at + k), to);
      at += k;
      return k;
    }, opts.chunkBytes) === 0;
  }
  if (builders[turn]!.length > 0) flushJs();
  kernel.finish();
  expect(reference.next()).toBeNull();
  return { js, wasm, slow: kernel.slowPayloads, messages: row };
}

const NAMES = TABLES.dlt.columns.map((c) => c.name);

/** Every batch, every column, every buffer: equal bytes, else the first difference named. */
function expectSameBatches(js: Batch[], wasm: Batch[]): void {
  expect(wasm.map((b) => b.length)).toEqual(js.map((b) => b.length));
  for (let b = 0; b < js.length; b++) {
    for (let c = 0; c < NAMES.length; c++) {
      const x = js[b]!.columns[c]!;
      const y = wasm[b]!.columns[c]!;
      const where = `batch ${b} column ${NAMES[c]}`;
      expect(y.nullCount, `${where} null count`).toBe(x.nullCount);
      for (const part of ['validity', 'offsets', 'values'] as const) {
        const u = x[part];
        const v = y[part];
        if (u === null || v === null) {
          expect(v === null, `${where} ${part} present`).toBe(u === null);
          continue;
        }
        if (u.equals(v)) continue;
        let k = 0;
        while (k < u.length && u[k] === v[k]) k++;
        const show = (d: Buffer) => JSON.stringify(d.subarray(Math.max(0, k - 24), k + 24).toString('latin1'));
        expect.fail(`${where} ${part}: ${u.length} vs ${v.length} bytes, first difference at ${k}: js ${show(u)} wasm ${show(v)}`);
      }
    }
  }
}

function randomFile(seed: number, count: number, tweak?: (m: DltMessage, r: () => number) => void): Uint8Array {
  const r = rng(seed);
  const messages = Array.from({ length: count }, (_, i) => {
    const m = randomMessage(r, i);
    tweak?.(m, r);
    return m;
  });
  return encodeMessages(messages, { storageHeader: true });
}

describe('the WASM kernel fills the dlt columns byte for byte as DltBatchBuilder', () => {
  it('on the libdlt fixture (every argument type libdlt writes)', () => {
    const file = readFileSync(FIXTURE);
    const { js, wasm, messages } = runBoth(file, { batchRows: 16, regions: 3, chunkBytes: 4096 });
    expect(messages).toBeGreaterThan(30);
    expectSameBatches(js, wasm);
  });

  it('on 40000 seeded random messages (both byte orders, VARI, codings, control, no extended header)', () => {
    const file = randomFile(20240601, 40000);
    const { js, wasm, slow, messages } = runBoth(file, { batchRows: 8192, regions: 3, chunkBytes: 256 * 1024 });
    expect(messages).toBe(40000);
    expect(js.length).toBe(5);
    expect(slow).toBeGreaterThan(1000); // the reference renderer was exercised through the kernel
    expectSameBatches(js, wasm);
  });

  it('with small batches, odd chunk sizes and one region (batch ends, refills mid-queue)', () => {
    const file = randomFile(7, 6000);
    for (const [batchRows, chunkBytes, regions] of [[1, 70_000, 1], [13, 65_600, 2], [1000, 100_003, 3]] as const) {
      const { js, wasm } = runBoth(file, { batchRows, regions, chunkBytes });
      expectSameBatches(js, wasm);
    }
  });

  it('on damaged payloads (flipped bytes, wrong noar): every row that takes the slow path agrees', () => {
    const r = rng(5);
    const file = randomFile(5, 8000, (m, rr) => {
      if (m.extended !== undefined && rr() < 0.3) m.extended.noar = (m.extended.noar + 1 + int(rr, 3)) & 0xff;
    });
    for (const f of DltParser.over(file, { framing: 'storage' }).frames()) {
      const flips = int(r, 3);
      for (let k = 0; k < flips && f.payloadLength > 0; k++) file[f.payloadOffset + int(r, f.payloadLength)] = int(r, 256);
    }
    const { js, wasm, messages } = runBoth(file, { batchRows: 512, regions: 3, chunkBytes: 128 * 1024 });
    expect(messages).toBe(8000);
    expectSameBatches(js, wasm);
  });

  it('on messages that all take the slow path (UTF-8 text, %g fallback, long payloads) and ints at 64-bit edges', () => {
    const messages: DltMessage[] = [];
    const r = rng(11);
    for (let i = 0; i < 3000; i++) {
      const args: DltArg[] = [
        [{ kind: 'string', coding: 'utf8', value: `grüße ${i}` }, { kind: 'float', bits: 64, value: Infinity },
          { kind: 'raw', value: new Uint8Array(3001 + (i % 5)) }, { kind: 'float', bits: 32, value: 5e-324 * i },
          { kind: 'sint', bits: 64, value: -(2n ** 63n) + BigInt(i) }, { kind: 'uint', bits: 64, value: 2n ** 64n - 1n - BigInt(i) },
          { kind: 'sint', bits: 64, value: BigInt(int(r, 2 ** 32)) * 2n ** 31n }][i % 7] as DltArg,
      ];
      messages.push({
        storage: { seconds: 1_700_000_000 + i, microseconds: i, ecu: 'É\0CU' }, counter: i & 0xff, bigEndian: (i & 1) === 1,
        payload: new Uint8Array(0), extended: { verbose: true, type: 0, subtype: 4, apid: 'AP\xff', ctid: 'C', noar: 1 }, args,
      });
    }
    const file = encodeMessages(messages, { storageHeader: true });
    const { js, wasm, slow } = runBoth(file, { batchRows: 1024, regions: 3, chunkBytes: 1 << 20 });
    expect(slow).toBeGreaterThan(1000);
    expectSameBatches(js, wasm);
  });

  it('ends a batch early when the payload region cannot take a row, and loses no row', () => {
    const file = randomFile(3, 3000);
    const { js, wasm } = runBoth(file, { batchRows: 3000, regions: 2, chunkBytes: 1 << 20, payloadBytes: 256 * 1024 });
    expect(js.length).toBe(1);
    expect(wasm.length).toBeGreaterThan(1);
    expect(wasm.reduce((n, b) => n + b.length, 0)).toBe(3000);
  });
});

describe('importDltFiles with kernel wasm and js', () => {
  it('writes identical trace files (one file, and three merged)', () => {
    const files = [0, 1, 2].map((k) => {
      const path = join(tmp, `in-${k}.dlt`);
      writeFileSync(path, randomFile(100 + k, 12000));
      return path;
    });
    for (const inputs of [[files[0]!], files]) {
      const dirs = (['wasm', 'js'] as const).map((kernel) => {
        const dir = join(tmp, `out-${kernel}-${inputs.length}`);
        const result = importDltFiles(inputs, dir, { kernel, rowsPerBatch: 4096 });
        expect(result.messages).toBe(12000 * inputs.length);
        return dir;
      });
      const names = readdirSync(dirs[0]!).sort();
      expect(readdirSync(dirs[1]!).sort()).toEqual(names);
      expect(names).toContain('dlt.arrow');
      for (const name of names) {
        const [a, b] = dirs.map((dir) => readFileSync(join(dir, name)));
        if (name === 'manifest.json') {
          // the same but for when and where it was written
          const strip = (m: Buffer) => ({ ...JSON.parse(m.toString()), createdAt: null, host: null });
          expect(strip(a!)).toEqual(strip(b!));
        } else {
          expect(a!.equals(b!), name).toBe(true);
        }
      }
    }
  });
});
