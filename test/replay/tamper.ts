// Rewrites a recorded trace the way a different run would have written it: one table's batches
// go through the real writer again after `change` edits them, and the manifest (rows, batches,
// sha256) and digests.ndjson (that table's batch digests, its own sha256) follow, so the
// trace's verified reads pass and only a replay can tell it was not recorded so.
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import { batchDigest } from '../../src/replay/digest.js';
import { DIGEST_FILE } from '../../src/replay/digest-file.js';
import { readManifest } from '../../src/trace/manifest.js';
import { writeManifest } from '../../src/trace/manifest-file.js';
import { openCheckedTrace } from '../../src/trace/open.js';
import { arrowSchema, type TableName } from '../../src/trace/schema.js';
import { TableFileWriter } from '../../src/trace/table-writer.js';

/** The typed values of a fixed-width column of a decoded batch (edits go into the batch). */
export function columnValues<T>(batch: RecordBatch, column: string): T {
  return batch.getChild(column)!.data[0]!.values as T;
}

export function rewriteTable(dir: string, table: TableName, change: (index: number, batch: RecordBatch) => void): void {
  const path = join(dir, `${table}.arrow`);
  const writer = new TableFileWriter(`${path}.new`, arrowSchema(table));
  const digests: string[] = [];
  openCheckedTrace(dir, 'verify');
  let index = 0;
  for (const batch of openCheckedTrace(dir, 'verify').batches(table)) {
    change(index++, batch);
    digests.push(batchDigest(batch));
    writer.writeBatch(batch);
  }
  const summary = writer.close();
  renameSync(`${path}.new`, path);
  const manifest = readManifest(dir);
  manifest.tables[table] = { file: `${table}.arrow`, rows: summary.rows, batches: summary.batches, sha256: summary.sha256 };
  editDigestLines(dir, (line) => (line.table === table ? { ...line, digest: digests[line.batch as number] } : line));
  manifest.digests!.sha256 = sha256Of(join(dir, DIGEST_FILE));
  writeManifest(dir, manifest);
}

/** Edits digests.ndjson line by line (JSON objects) and keeps the manifest's sha256 right. */
export function editDigestLines(dir: string, edit: (line: Record<string, unknown>) => Record<string, unknown>): void {
  const path = join(dir, DIGEST_FILE);
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');
  writeFileSync(path, lines.map((l) => JSON.stringify(edit(JSON.parse(l) as Record<string, unknown>))).join('\n') + '\n');
  const manifest = readManifest(dir);
  manifest.digests!.sha256 = sha256Of(path);
  writeManifest(dir, manifest);
}

export function sha256Of(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}
