// BulkTraceWriter: a trace directory filled with one big table (an import's `dlt` rows) while
// the other tables stay empty. The same files and bytes a Recorder would write for the same
// batches (a test compares them), made without apache-arrow (ipc-encode.ts) and with the big
// table's writing and hashing on a second thread (threaded-writer.ts), so an import pays only for
// parsing on its own thread and starts ~0.15 s sooner (neither apache-arrow nor zod is loaded).
//
// Like the Recorder: manifest complete:false first, rewritten complete:true by finish(); a
// killed import leaves a readable prefix.

import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { prepareDirectory } from './directory.js';
import {
  encodeDictionaryMessages, encodeRecordBatch, encodeSchemaMessage, EOS_BYTES, messageParts,
  type ColumnBuffers,
} from './ipc-encode.js';
import { newManifest, writeManifest, type Manifest, type ManifestTable, type TraceMeta } from './manifest-file.js';
import { TABLE_NAMES, type TableName } from './tables.js';
import { ThreadedFileWriter } from './threaded-writer.js';

export interface BulkTraceWriterOptions {
  /** replace a trace (or same-named files) in the directory */
  overwrite?: boolean;
}

function writeAllSync(fd: number, bytes: Uint8Array): void {
  let at = 0;
  while (at < bytes.byteLength) at += writeSync(fd, bytes, at, bytes.byteLength - at);
}

export class BulkTraceWriter {
  private readonly big: ThreadedFileWriter;
  private readonly manifest: Manifest;
  private rows = 0;
  private batches = 0;
  private state: 'open' | 'finished' | 'aborted' = 'open';

  private constructor(readonly dir: string, readonly table: TableName, meta: TraceMeta) {
    const entries: Record<string, ManifestTable> = {};
    let big: ThreadedFileWriter | null = null;
    try {
      for (const name of TABLE_NAMES) {
        const schema = encodeSchemaMessage(name);
        const path = join(dir, `${name}.arrow`);
        const fd = openSync(path, 'w');
        if (name === table) {
          try {
            big = new ThreadedFileWriter(path, fd);
          } catch (error) {
            closeSync(fd);
            throw error;
          }
          big.writeBytes(schema);
          entries[name] = { file: `${name}.arrow`, rows: 0, batches: 0, sha256: sha256(schema) };
        } else {
          // The other tables stay empty: written whole now (schema, end of stream), so the end
          // of the import has only the big table to wait for.
          try {
            writeAllSync(fd, schema);
            writeAllSync(fd, EOS_BYTES);
            fsyncSync(fd);
          } finally {
            closeSync(fd);
          }
          entries[name] = { file: `${name}.arrow`, rows: 0, batches: 0, sha256: sha256(schema, EOS_BYTES) };
        }
      }
    } catch (error) {
      big?.abandon();
      throw error;
    }
    this.big = big!;
    this.manifest = newManifest(meta, entries);
    writeManifest(dir, this.manifest);
  }

  /** Creates (or replaces) a trace directory whose table `table` will be written in bulk. */
  static create(dir: string, table: TableName, meta: TraceMeta, options: BulkTraceWriterOptions = {}): BulkTraceWriter {
    prepareDirectory(dir, options.overwrite === true);
    return new BulkTraceWriter(dir, table, meta);
  }

  /**
   * Appends one record batch of `length` rows over the caller's column buffers. Buffers in
   * SharedArrayBuffers are written from where they are: keep them unchanged until
   * waitWritten(ticket) returns. Others are copied before this returns.
   */
  appendBatch(length: number, columns: readonly ColumnBuffers[]): number {
    if (this.state !== 'open') throw new Error(`${this.dir}: bulk writer already ${this.state}`);
    if (length === 0) return 0;
    if (this.batches === 0) {
      for (const dictionary of encodeDictionaryMessages(this.table)) this.big.writeBytes(dictionary);
    }
    const message = encodeRecordBatch(this.table, length, columns);
    this.rows += length;
    this.batches += 1;
    return this.big.write(messageParts(message));
  }

  /** Blocks until the batch with this ticket is written (its buffers may be reused). */
  waitWritten(ticket: number): void {
    this.big.waitWritten(ticket);
  }

  /** Ends every stream, waits for the writer thread, and marks the manifest complete. */
  finish(scenario?: unknown): Manifest {
    if (this.state !== 'open') throw new Error(`${this.dir}: bulk writer already ${this.state}`);
    this.state = 'finished';
    this.big.writeBytes(EOS_BYTES);
    const summary = this.big.finish();
    this.manifest.tables[this.table] = {
      file: `${this.table}.arrow`, rows: this.rows, batches: this.batches, sha256: summary.sha256,
    };
    this.manifest.complete = true;
    if (scenario !== undefined) this.manifest.scenario = scenario;
    writeManifest(this.dir, this.manifest);
    return structuredClone(this.manifest);
  }

  /** Stops without finishing: files keep what was written, the manifest stays complete:false. */
  abort(): void {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    this.big.abandon();
  }
}

function sha256(...parts: Uint8Array[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}
