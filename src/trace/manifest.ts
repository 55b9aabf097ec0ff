// manifest.json: what a trace is (tool, scenario, seed), whether the run completed, and per table
// its row count and content hash (principle 6). Untrusted on read: it enters only through
// parseManifest(), which runs the zod schema and the cross-field checks.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { TraceError, firstLine } from './errors.js';
import { TABLE_NAMES } from './schema.js';
import { MANIFEST_FILE, TRACE_FORMAT, TRACE_FORMAT_VERSION, type Manifest, type ManifestTable } from './manifest-file.js';

export * from './manifest-file.js';

const tableEntry = z.strictObject({
  file: z.string().regex(/^[a-z_]+\.arrow$/, 'a plain <table>.arrow file name'),
  rows: z.number().int().nonnegative(),
  batches: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits'),
});

// --- inputs (issue 9): the run's outside-input sources (ManifestInput); absent in older traces.
const inputEntry = z.strictObject({
  source: z.string().min(1),
  flag: z.enum(['--can-input', '--net-input']),
  kind: z.enum(['file', 'tcp', 'udp']),
  bus: z.string().optional(),
  mac: z.string().optional(),
  to: z.string().optional(),
  file: z.string().optional(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits').optional(),
  host: z.string().optional(),
  port: z.number().int().min(0).max(65535).optional(),
});

export const manifestSchema = z.strictObject({
  format: z.literal(TRACE_FORMAT),
  formatVersion: z.literal(TRACE_FORMAT_VERSION),
  tool: z.strictObject({ name: z.string(), version: z.string() }),
  coreVersion: z.union([z.string(), z.number()]),
  scenario: z.unknown(),
  seed: z.string(),
  inputs: z.array(inputEntry).optional(),
  frames: z.enum(['on', 'off']).optional(), // --- frames table (issue 12 §1)
  complete: z.boolean(),
  tables: z.record(z.string(), tableEntry),
  digests: z.strictObject({
    file: z.string().regex(/^digests\.ndjson$/, 'digests.ndjson'),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits'),
    batches: z.number().int().nonnegative(),
    epochs: z.number().int().nonnegative(),
    epochNs: z.number().int().positive(),
  }).optional(),
  snapshots: z.array(z.strictObject({ // --- snapshots (issue 10 §3), ManifestSnapshot
    id: z.string().regex(/^s\d{6}$/, 's and 6 digits'),
    timeNs: z.number().int().nonnegative(),
    seq: z.number().int().nonnegative(),
    file: z.string().regex(/^s\d{6}\.index$/, '<id>.index'),
    bytes: z.number().int().positive(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits'),
    pagesFile: z.string().regex(/^s\d{6}\.pages$/, '<id>.pages'),
    pagesBytes: z.number().int().nonnegative(),
  })).optional(),
  host: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
});

// The zod schema and the written types (manifest-file.ts) must describe the same object.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const manifestTypesAgree: Same<z.infer<typeof manifestSchema>, Manifest> = true;
const tableTypesAgree: Same<z.infer<typeof tableEntry>, ManifestTable> = true;
void manifestTypesAgree;
void tableTypesAgree;

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
