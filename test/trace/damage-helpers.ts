// A small trace with several batches per table, and the byte positions a damage test needs
// (message starts, body starts, buffer regions), read with apache-arrow's own Message decoder
// so the tests do not rely on the reader they check.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Message, MessageHeader } from 'apache-arrow';
import { Recorder, type Manifest } from '../../src/trace/index.js';
import { META, dltRow, eventColumns, tempDir } from './helpers.js';

/** Records `variant`-dependent rows: events 3 batches, dlt 3 batches of 4, clock 2, inputs 1. */
export function smallTrace(variant = 0, finish = true): string {
  const dir = tempDir('tv-damage-');
  const rec = Recorder.create(dir, META, { rowsPerBatch: 4 });
  let ts = 0;
  for (const n of [5, 7, 11]) {
    const events = Array.from({ length: n }, () => ({ ts: ts++, kind: 'vq_used' as const, val: ts + variant }));
    rec.appendEvents(eventColumns(events), n);
  }
  for (let i = 0; i < 12; i++) {
    rec.appendDlt(dltRow({
      ts_ns: 100 + i,
      payload: `payload ${i} of variant ${variant} é`,
      apid: i % 3 === 0 ? null : 'APP',
      level: i % 2 === 0 ? 'warn' : 'info',
      payload_raw: Uint8Array.of(i, variant),
    }));
  }
  for (let i = 0; i < 6; i++) {
    rec.appendClock({ ts_ns: i * 10, vm: 0, local_ns: i * 10 + 1, offset_ns: 1, drift_ppb: variant, steal_ns: 0, uptime_ns: i * 10 + 1 });
  }
  rec.appendInput({ ts_ns: 3, seq: 0, source: 'net', kind: 'frame', data: Uint8Array.of(1, 2, 3) });
  if (finish) rec.finish();
  return dir;
}

/** A fresh copy of a trace directory (one damage per copy). */
export function copyTrace(dir: string): string {
  const copy = tempDir('tv-damage-');
  cpSync(dir, copy, { recursive: true });
  return copy;
}

export interface MessageInfo {
  start: number;
  metadataBytes: number;
  bodyStart: number;
  bodyBytes: number;
  end: number;
  headerType: MessageHeader;
  /** [offset, length] per body buffer (record and dictionary batches). */
  regions: Array<[number, number]>;
  rows: number;
}

/** The messages of an intact table file, in order (EOS excluded). */
export function messagesOf(bytes: Uint8Array): MessageInfo[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: MessageInfo[] = [];
  for (let at = 0; at + 8 <= bytes.byteLength; ) {
    const metadataBytes = view.getInt32(at + 4, true);
    if (metadataBytes === 0) break;
    const message = Message.decode(bytes.subarray(at + 8, at + 8 + metadataBytes));
    const bodyStart = at + 8 + metadataBytes;
    const bodyBytes = Number(message.bodyLength);
    let regions: Array<[number, number]> = [];
    let rows = 0;
    if (message.headerType === MessageHeader.RecordBatch) {
      const header = message.header() as { length: number; buffers: { offset: number; length: number }[] };
      regions = header.buffers.map((b) => [Number(b.offset), Number(b.length)]);
      rows = Number(header.length);
    }
    out.push({ start: at, metadataBytes, bodyStart, bodyBytes, end: bodyStart + bodyBytes, headerType: message.headerType, regions, rows });
    at = bodyStart + bodyBytes;
  }
  return out;
}

export const batchesOf = (bytes: Uint8Array): MessageInfo[] =>
  messagesOf(bytes).filter((m) => m.headerType === MessageHeader.RecordBatch);

export const tablePath = (dir: string, table: string): string => join(dir, `${table}.arrow`);

/** Reads a table file, lets `edit` change its bytes, writes it back. */
export function editTable(dir: string, table: string, edit: (bytes: Buffer) => Buffer | void): void {
  const path = tablePath(dir, table);
  const bytes = readFileSync(path);
  writeFileSync(path, edit(bytes) ?? bytes);
}

export function editManifest(dir: string, edit: (manifest: Manifest) => void): void {
  const path = join(dir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  edit(manifest);
  writeFileSync(path, JSON.stringify(manifest, null, 2));
}

/** Where an int64 value sits in a message's metadata (the first match; tests pick unique ones). */
export function findInt64(bytes: Buffer, message: MessageInfo, value: bigint, from = 0): number {
  const needle = Buffer.alloc(8);
  needle.writeBigInt64LE(value);
  const at = bytes.subarray(message.start + 8 + from, message.bodyStart).indexOf(needle);
  if (at < 0) throw new Error(`int64 ${value} not in the metadata of the message at ${message.start}`);
  return message.start + 8 + from + at;
}

/** Where the buffer-region vector of a record batch message sits (offset/length int64 pairs). */
export function regionsAt(bytes: Buffer, message: MessageInfo): number {
  const needle = Buffer.alloc(16 * message.regions.length);
  message.regions.forEach(([o, l], i) => {
    needle.writeBigInt64LE(BigInt(o), 16 * i);
    needle.writeBigInt64LE(BigInt(l), 16 * i + 8);
  });
  const at = bytes.subarray(message.start, message.bodyStart).indexOf(needle);
  if (at < 0) throw new Error('buffer regions not found in the metadata');
  return message.start + at;
}
