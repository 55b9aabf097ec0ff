// DLT import speed: our parser against COVESA's `dlt-convert -a`, side by side in one run.
// The input is a storage file of ≥ 1 M messages made deterministically with our encoder (a mix
// like a real trace: log messages with strings and numbers at several levels, a few non-verbose
// and network-trace messages). Parse time covers header decoding of every message plus what an
// importer reads per row (ids, level, timestamp); payload text is rendered lazily, so not there.
// A second figure parses and renders every dlt-convert -a line, the like-for-like comparison.

import { execFile } from 'node:child_process';
import { mkdtempSync, openSync, rmSync, writeSync, closeSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  DltLogLevel, DltNwTraceType, DltParser, DltType, encodeMessage, nonVerbosePayload, renderConvertLine,
  type DltArg, type DltMessage,
} from '../src/formats/dlt/index.js';

export interface DltBenchOptions {
  /** messages in the generated file (default 1 000 000) */
  messages?: number;
  /** also time `dlt-convert -a file > /dev/null` when it is installed (default true) */
  dltConvert?: boolean;
  /** parse passes; the best is reported (default 3) */
  rounds?: number;
}

export interface DltBenchResult {
  messages: number;
  mb: number;
  parseMsgsPerSec: number;
  parseMBPerSec: number;
  /** parse and render every line as dlt-convert -a does (the like-for-like comparison) */
  parseRenderMsgsPerSec: number;
  dltConvertMsgsPerSec?: number;
}

const APIDS = ['NAV', 'HMI', 'CAN', 'DIAG', 'AUD'];
const CTIDS = ['MAIN', 'GW', 'RX', 'TX'];

/** Message `i` of the synthetic trace: everything derives from `i`, nothing is random. */
export function syntheticMessage(i: number): DltMessage {
  const storage = { seconds: 1_700_000_000 + Math.floor(i / 1000), microseconds: (i % 1000) * 1000, ecu: 'RECV' };
  const common = {
    storage, ecu: 'ECU1', sessionId: 100 + (i % 7), timestamp: i * 3, counter: i & 0xff,
    bigEndian: false, payload: new Uint8Array(0),
  };
  const apid = APIDS[i % APIDS.length]!;
  const ctid = CTIDS[i % CTIDS.length]!;
  if (i % 50 === 7) {
    const payload = nonVerbosePayload(0x1000 + (i % 13), Uint8Array.of(i & 0xff, 1, 2, 3), false);
    return { ...common, extended: { verbose: false, type: DltType.LOG, subtype: DltLogLevel.INFO, apid, ctid, noar: 1 }, payload };
  }
  if (i % 50 === 13) {
    const args: DltArg[] = [
      { kind: 'raw', value: Uint8Array.of(0x12, 0x34, 0x56, 0x78) },
      { kind: 'raw', value: Uint8Array.of(i & 0xff, 0, 0, 0, 0, 0, 0, 0) },
    ];
    return { ...common, extended: { verbose: true, type: DltType.NW_TRACE, subtype: DltNwTraceType.CAN, apid, ctid, noar: 2 }, args };
  }
  const args: DltArg[] = [
    { kind: 'string', coding: 'ascii', value: `frame ${i % 1000} processed` },
    { kind: 'uint', bits: 32, value: i },
    { kind: 'sint', bits: 16, value: (i % 2001) - 1000 },
  ];
  if (i % 3 === 0) args.push({ kind: 'float', bits: 64, value: i / 7 });
  const subtype = [DltLogLevel.INFO, DltLogLevel.DEBUG, DltLogLevel.WARN, DltLogLevel.ERROR][i % 4]!;
  return { ...common, extended: { verbose: true, type: DltType.LOG, subtype, apid, ctid, noar: args.length }, args };
}

/** Writes the synthetic file in chunks; returns its size in bytes. */
export function writeSyntheticFile(path: string, count: number): number {
  const fd = openSync(path, 'w');
  const chunk = new Uint8Array(1 << 20);
  let used = 0;
  let size = 0;
  try {
    for (let i = 0; i < count; i++) {
      const bytes = encodeMessage(syntheticMessage(i), { storageHeader: true });
      if (used + bytes.length > chunk.length) {
        writeSync(fd, chunk, 0, used);
        used = 0;
      }
      chunk.set(bytes, used);
      used += bytes.length;
      size += bytes.length;
    }
    writeSync(fd, chunk, 0, used);
  } finally {
    closeSync(fd);
  }
  return size;
}

/** One import-style pass: every message's row fields, no payload text. Returns a checksum. */
function parsePass(bytes: Uint8Array): { count: number; checksum: number } {
  const parser = DltParser.over(bytes, { framing: 'storage' });
  let count = 0;
  let checksum = 0;
  for (let f = parser.next(); f !== null; f = parser.next()) {
    count++;
    // what an importer reads per row: ids (cached strings), type/level, times, sizes
    checksum = (checksum + f.timestamp + f.subtype + f.payloadLength + f.storageMicroseconds +
      (f.apid?.length ?? 0) + (f.ctid?.length ?? 0) + (f.ecu?.length ?? 0)) | 0;
  }
  if (parser.stats.damagedMessages !== 0) throw new Error('bench: synthetic file parsed as damaged');
  return { count, checksum };
}

/** Parse and render every `dlt-convert -a` line (kept, not printed). Returns the text size. */
function parseRenderPass(bytes: Uint8Array): number {
  const parser = DltParser.over(bytes, { framing: 'storage' });
  let index = 0;
  let chars = 0;
  for (let f = parser.next(); f !== null; f = parser.next()) chars += renderConvertLine(f, index++).length;
  return chars;
}

/** Wall seconds of `sh -c script` with `args` as $1…, TZ=UTC (dlt-convert formats local time). */
export function timeShell(script: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = execFile('sh', ['-c', script, 'sh', ...args], { env: { ...process.env, TZ: 'UTC' }, maxBuffer: 1 << 20 },
      (err) => (err ? reject(err) : resolve((performance.now() - started) / 1000)));
    child.stdin?.end();
  });
}

/** `dlt-convert -a file > /dev/null`, wall seconds. */
function runDltConvert(path: string): Promise<number> {
  return timeShell('exec dlt-convert -a "$1" > /dev/null', [path]);
}

export function hasDltConvert(): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('sh', ['-c', 'command -v dlt-convert'], (err) => resolve(err === null));
  });
}

export async function benchDlt(opts: DltBenchOptions = {}): Promise<DltBenchResult> {
  const count = opts.messages ?? 1_000_000;
  const rounds = opts.rounds ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'tracevisor-dlt-bench-'));
  try {
    const path = join(dir, 'synthetic.dlt');
    const size = writeSyntheticFile(path, count);
    const bytes = new Uint8Array(readFileSync(path));
    let best = Infinity;
    for (let r = 0; r < rounds; r++) {
      const started = performance.now();
      const { count: parsed } = parsePass(bytes);
      best = Math.min(best, (performance.now() - started) / 1000);
      if (parsed !== count) throw new Error(`bench: parsed ${parsed} of ${count} messages`);
    }
    const renderStarted = performance.now();
    parseRenderPass(bytes);
    const renderSeconds = (performance.now() - renderStarted) / 1000;
    const result: DltBenchResult = {
      messages: count,
      mb: size / 1e6,
      parseMsgsPerSec: count / best,
      parseMBPerSec: size / 1e6 / best,
      parseRenderMsgsPerSec: count / renderSeconds,
    };
    if ((opts.dltConvert ?? true) && (await hasDltConvert())) {
      result.dltConvertMsgsPerSec = count / (await runDltConvert(path));
    }
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
