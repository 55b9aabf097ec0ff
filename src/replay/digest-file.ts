// digests.ndjson: the per-batch and per-epoch digests of a trace, one JSON object per line,
// appended while the recording runs (a killed run keeps the lines of what it wrote), listed with
// its sha256 in the finished manifest (`digests`). A sidecar rather than manifest fields,
// measured: a 600 s cockpit run has 6000 epochs of 16 digests (~2.2 MB of JSON), which every
// reader of manifest.json (query, info, the store's fingerprint) would parse through zod.
//
//   {"digests":1,"epochNs":100000000,"vms":["cluster",…],"core":["clock",…],"coreDigest":2}   first line
//   (`coreDigest`: the definition the batches' `core` digests follow, CORE_DIGEST_VERSION)
//   {"table":"events","batch":0,"rows":65472,"digest":"<32 hex>","core":"<16 hex>"}  a batch written
//   (`core`: events and frames batches only, the core's digest of its columns, columns-digest.ts;
//   traces recorded before it have none and replay compares their files byte for byte)
//   {"epoch":1,"atNs":100000000,"engine":"<16 hex>","vms":[…],"core":[…]}       an epoch's state

import { createHash, type Hash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { TraceError } from '../trace/errors.js';
import type { Manifest } from '../trace/manifest-file.js';
import { TABLE_NAMES, type TableName } from '../trace/tables.js';
import type { EpochDigest } from './digest-state.js';
import { CORE_DIGEST_VERSION } from '../core/api.js';

export const DIGEST_FILE = 'digests.ndjson';
export const DIGEST_FORMAT_VERSION = 1;

export interface DigestHeader {
  epochNs: number;
  vms: string[];
  core: string[];
  /** The definition the batches' `core` digests follow (CORE_DIGEST_VERSION; 1 when the header has none). */
  coreDigest?: number;
}

export interface BatchDigest {
  rows: number;
  digest: string;
  /** The core's digest of the batch's columns (events and frames; assembly/trace/columns-digest.ts). */
  core?: string;
}

export interface TraceDigests {
  header: DigestHeader;
  batches: Record<TableName, BatchDigest[]>;
  epochs: EpochDigest[];
}

/** Appends digest lines to a trace's sidecar; the hash covers every byte written. */
export class DigestLog {
  private readonly fd: number;
  private readonly hash: Hash = createHash('sha256');
  private batchCount = 0;
  private epochCount = 0;
  private closed = false;
  /**
   * --- pipeline (issue 10): lines behind a batch whose digest a writer thread still computes
   * (batchLater); null until it comes. Lines leave in the order they were given.
   */
  private readonly waiting: Array<string | null> = [];
  /** Lines taken off the front of `waiting` so far (a batchLater resolver finds its place by it). */
  private written = 0;

  constructor(
    dir: string,
    readonly header: DigestHeader,
  ) {
    this.fd = openSync(join(dir, DIGEST_FILE), 'w');
    this.line({ digests: DIGEST_FORMAT_VERSION, ...header, coreDigest: CORE_DIGEST_VERSION });
  }

  batch(table: TableName, index: number, digest: BatchDigest): void {
    this.line(batchLine(table, index, digest));
    this.batchCount++;
  }

  /**
   * A batch whose digest comes later: its line keeps its place (the same file as batch() at the
   * same moment), and it and the lines after it are written once the returned function is called.
   */
  batchLater(table: TableName, index: number, rows: number, core?: string): (digest: string) => void {
    if (this.closed) throw new Error('assert: digest line after close');
    const at = this.waiting.length;
    this.waiting.push(null);
    const base = this.written;
    this.batchCount++;
    return (digest) => {
      if (this.closed) return; // abandoned: the line is lost, as a crash would lose it
      this.waiting[at - (this.written - base)] = lineText(batchLine(table, index, { rows, digest, ...(core !== undefined ? { core } : {}) }));
      this.writeReady();
    };
  }

  epoch(e: EpochDigest): void {
    this.line({ epoch: e.epoch, atNs: e.atNs, engine: e.engine, vms: e.vms, core: e.core });
    this.epochCount++;
  }

  /** The manifest's `digests` entry once every line is written. */
  close(): NonNullable<Manifest['digests']> {
    if (this.waiting.length > 0) throw new Error(`assert: ${this.waiting.length} digest lines still waiting at close`);
    this.closed = true;
    closeSync(this.fd);
    return { file: DIGEST_FILE, sha256: this.hash.digest('hex'), batches: this.batchCount, epochs: this.epochCount, epochNs: this.header.epochNs };
  }

  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  private line(value: object): void {
    if (this.closed) throw new Error('assert: digest line after close');
    if (this.waiting.length > 0) this.waiting.push(lineText(value));
    else this.writeLine(lineText(value));
  }

  private writeReady(): void {
    let n = 0;
    while (n < this.waiting.length && this.waiting[n] !== null) this.writeLine(this.waiting[n++]!);
    if (n === 0) return;
    this.waiting.splice(0, n);
    this.written += n;
  }

  private writeLine(text: string): void {
    const bytes = Buffer.from(text);
    this.hash.update(bytes);
    let written = 0;
    while (written < bytes.length) written += writeSync(this.fd, bytes, written);
  }
}

function batchLine(table: TableName, index: number, d: BatchDigest): object {
  return { table, batch: index, rows: d.rows, digest: d.digest, ...(d.core !== undefined ? { core: d.core } : {}) };
}

function lineText(value: object): string {
  return `${JSON.stringify(value)}\n`;
}

/**
 * A trace's digests, or null when it has none (recorded before digests, or imported). A finished
 * trace's sidecar must match the manifest's sha256; an unfinished one's is read up to its last
 * whole line (the recorder was killed mid-write).
 */
export function readDigests(dir: string, manifest: Manifest): TraceDigests | null {
  const path = join(dir, DIGEST_FILE);
  if (manifest.complete && manifest.digests === undefined) return null;
  if (!existsSync(path)) {
    if (manifest.digests !== undefined) throw new TraceError('table_missing', `${dir}: ${DIGEST_FILE} is missing (the manifest lists it)`);
    return null;
  }
  const bytes = readFileSync(path);
  if (manifest.digests !== undefined && createHash('sha256').update(bytes).digest('hex') !== manifest.digests.sha256) {
    throw new TraceError('trace_damaged', `${path}: content hash differs from the manifest; the digests cannot be trusted (record the trace again)`);
  }
  return parseDigests(bytes.toString('utf8'), path);
}

function parseDigests(text: string, path: string): TraceDigests {
  const lines = text.split('\n');
  // The last element is '' after a final newline, or a line cut by a kill (unfinished traces).
  const whole = lines.slice(0, -1);
  const batches = Object.fromEntries(TABLE_NAMES.map((t) => [t, [] as BatchDigest[]])) as Record<TableName, BatchDigest[]>;
  const epochs: EpochDigest[] = [];
  let header: DigestHeader | null = null;
  whole.forEach((line, i) => {
    const bad = (what: string): TraceError => new TraceError('manifest_invalid', `${path}:${i + 1}: ${what}`);
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw bad('not a JSON line');
    }
    if (i === 0) {
      if (value.digests !== DIGEST_FORMAT_VERSION) throw bad(`digest format ${String(value.digests)}, this tracevisor reads ${DIGEST_FORMAT_VERSION}`);
      header = {
        epochNs: Number(value.epochNs), vms: value.vms as string[], core: value.core as string[],
        coreDigest: value.coreDigest === undefined ? 1 : Number(value.coreDigest),
      };
      return;
    }
    if (typeof value.table === 'string') {
      const list = batches[value.table as TableName];
      if (list === undefined || value.batch !== list.length) throw bad(`batch ${String(value.batch)} of table ${value.table} out of order`);
      if (value.core !== undefined && !(typeof value.core === 'string' && /^[0-9a-f]{16}$/.test(value.core))) throw bad(`batch ${list.length} of table ${value.table}: core digest is not 16 hex digits`);
      list.push({ rows: Number(value.rows), digest: String(value.digest), ...(typeof value.core === 'string' ? { core: value.core } : {}) });
    } else if (typeof value.epoch === 'number') {
      if (value.epoch !== epochs.length + 1) throw bad(`epoch ${value.epoch} out of order`);
      const hexes = (v: unknown): boolean => Array.isArray(v) && v.every((d) => typeof d === 'string');
      if (typeof value.atNs !== 'number' || typeof value.engine !== 'string' || !hexes(value.vms) || !hexes(value.core)) {
        throw bad(`epoch ${value.epoch}: expected atNs, engine, vms[] and core[] digests`);
      }
      epochs.push(value as unknown as EpochDigest);
    } else {
      throw bad('neither a batch nor an epoch line');
    }
  });
  if (header === null) throw new TraceError('manifest_invalid', `${path}: no header line`);
  return { header, batches, epochs };
}
