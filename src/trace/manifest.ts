// manifest.json: what a trace is (tool, scenario, seed), whether the run completed, and per table
// its row count and content hash (principle 6). Untrusted on read: it enters only through
// parseManifest(), which runs the zod schema and the cross-field checks.

import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { TraceError, firstLine } from './errors.js';
import { TABLE_NAMES } from './schema.js';

export const MANIFEST_FILE = 'manifest.json';
export const TRACE_FORMAT = 'tracevisor-trace';
export const TRACE_FORMAT_VERSION = 1;

const tableEntry = z.strictObject({
  file: z.string().regex(/^[a-z_]+\.arrow$/, 'a plain <table>.arrow file name'),
  rows: z.number().int().nonnegative(),
  batches: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits'),
});

export const manifestSchema = z.strictObject({
  format: z.literal(TRACE_FORMAT),
  formatVersion: z.literal(TRACE_FORMAT_VERSION),
  tool: z.strictObject({ name: z.string(), version: z.string() }),
  coreVersion: z.union([z.string(), z.number()]),
  scenario: z.unknown(),
  seed: z.string(),
  complete: z.boolean(),
  tables: z.record(z.string(), tableEntry),
  host: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestTable = z.infer<typeof tableEntry>;

/** Validates a parsed manifest; every table the schema defines must be listed. */
export function parseManifest(raw: unknown, where: string): Manifest {
  const result = manifestSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    throw new TraceError('manifest_invalid', `${where}: manifest invalid at ${path}: ${issue.message}`);
  }
  const manifest = result.data;
  for (const table of TABLE_NAMES) {
    const entry = manifest.tables[table];
    if (entry === undefined) {
      throw new TraceError('manifest_invalid', `${where}: manifest lists no table "${table}"`);
    }
    if (entry.file !== `${table}.arrow`) {
      throw new TraceError(
        'manifest_invalid',
        `${where}: manifest table "${table}" names file "${entry.file}", expected ${table}.arrow`,
      );
    }
  }
  return manifest;
}

export function readManifest(dir: string): Manifest {
  const path = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new TraceError('no_manifest', `${dir}: no ${MANIFEST_FILE}; not a tracevisor trace`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new TraceError('manifest_invalid', `${path}: not JSON (${firstLine(error)})`);
  }
  return parseManifest(raw, path);
}

/**
 * Writes the manifest atomically (temp file + fsync + rename) so a crash leaves either the old
 * manifest or the new one, never half of one. Keys keep the order of the Manifest type, so two
 * recordings differ only in `host` and `createdAt`.
 */
export function writeManifest(dir: string, manifest: Manifest): void {
  const ordered: Manifest = {
    format: manifest.format,
    formatVersion: manifest.formatVersion,
    tool: manifest.tool,
    coreVersion: manifest.coreVersion,
    scenario: manifest.scenario,
    seed: manifest.seed,
    complete: manifest.complete,
    tables: manifest.tables,
    host: manifest.host,
    createdAt: manifest.createdAt,
  };
  const text = JSON.stringify(ordered, bigintReplacer, 2) + '\n';
  const temp = join(dir, `${MANIFEST_FILE}.tmp`);
  const fd = openSync(temp, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, join(dir, MANIFEST_FILE));
}

function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
