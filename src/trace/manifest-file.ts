// manifest.json as written: its shape, its constants and the atomic write. Free of zod so that
// a writer on a fast path (import) does not load it; reading goes through manifest.ts, whose zod
// schema is checked against these types at compile time.

import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { arch, hostname, platform } from 'node:os';
import { join } from 'node:path';
import { packageInfo } from '../util/package-root.js';

export const MANIFEST_FILE = 'manifest.json';
export const TRACE_FORMAT = 'tracevisor-trace';
export const TRACE_FORMAT_VERSION = 1;

export interface ManifestTable {
  file: string;
  rows: number;
  batches: number;
  sha256: string;
}

/**
 * One outside-input source of the run (issue 9 §1): what fed the `inputs` rows whose `source` is
 * `source`, for information (replay feeds the rows back and never opens it).
 */
export interface ManifestInput {
  source: string; //  the `source` column of its inputs rows: the flag's value as given
  flag: '--can-input' | '--net-input';
  kind: 'file' | 'tcp' | 'udp';
  bus?: string; //    --can-input: the scenario CAN bus the frames go onto
  mac?: string; //    --net-input: the virtual external host's MAC (the frames' source)
  to?: string; //     --net-input: the frames' destination MAC
  file?: string; //   file: its path as given, and the sha256 of its bytes
  sha256?: string;
  host?: string; //   tcp/udp: the address and port listened on
  port?: number;
}

export interface Manifest {
  format: typeof TRACE_FORMAT;
  formatVersion: typeof TRACE_FORMAT_VERSION;
  tool: { name: string; version: string };
  coreVersion: string | number;
  scenario: unknown;
  seed: string;
  inputs?: ManifestInput[]; // --- inputs (issue 9): the run's input sources, [] when none
  /** --- frames table (issue 12 §1): 'off' when recorded with --no-frames (frames.arrow is then
   *  empty); absent in traces that do not come from a run (imported logs). */
  frames?: 'on' | 'off';
  complete: boolean;
  tables: Record<string, ManifestTable>;
  /** The digests sidecar (src/replay/digest-file.ts), once the recording finished; replay
   *  compares against it. Absent in traces recorded before digests and in imported ones. */
  digests?: ManifestDigests | undefined;
  /** --- snapshots (issue 10 §3): the snapshots under snapshots/ (src/snapshot), in the order
   *  taken. Absent in older traces and in traces recorded without snapshots. */
  snapshots?: ManifestSnapshot[] | undefined;
  host: Record<string, unknown>;
  createdAt: string;
}

export interface ManifestDigests {
  file: string;
  sha256: string;
  /** Batch lines and epoch lines in the file. */
  batches: number;
  epochs: number;
  /** Virtual time between two state epochs. */
  epochNs: number;
}

/**
 * --- snapshots (issue 10 §3): one snapshot of the run (src/snapshot/format.ts has the files).
 * The index's hash is checked before it is read; the index holds the hash of every page.
 */
export interface ManifestSnapshot {
  id: string; //          s000001, s000002, ... in the order taken
  timeNs: number; //      virtual time it was taken at
  seq: number; //         the core's next sequence number then
  file: string; //        its index, snapshots/<id>.index (deflated JSON)
  bytes: number; //       the index file's size
  sha256: string; //      the index file's sha256
  pagesFile: string; //   the pages first stored by this snapshot, snapshots/<id>.pages
  pagesBytes: number; //  that file's size (its pages' hashes are in the indexes)
}

/** What a new trace says of itself before its tables are complete. */
export interface TraceMeta {
  scenario: unknown;
  seed: string | number | bigint;
  coreVersion: string | number;
  inputs?: ManifestInput[];
  frames?: 'on' | 'off'; // --- frames table (issue 12 §1)
}

/** The manifest of a trace being written: complete:false until the writer finishes. */
export function newManifest(meta: TraceMeta, tables: Record<string, ManifestTable>): Manifest {
  const tool = packageInfo();
  return {
    format: TRACE_FORMAT,
    formatVersion: TRACE_FORMAT_VERSION,
    tool: { name: tool.name, version: tool.version },
    coreVersion: meta.coreVersion,
    scenario: meta.scenario,
    seed: String(meta.seed),
    inputs: meta.inputs ?? [],
    ...(meta.frames !== undefined ? { frames: meta.frames } : {}), // --- frames table (issue 12 §1)
    complete: false,
    tables,
    host: { platform: platform(), arch: arch(), node: process.version, hostname: hostname() },
    createdAt: new Date().toISOString(),
  };
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
    inputs: manifest.inputs,
    ...(manifest.frames !== undefined ? { frames: manifest.frames } : {}), // issue 12 §1
    complete: manifest.complete,
    tables: manifest.tables,
    ...(manifest.digests !== undefined ? { digests: manifest.digests } : {}),
    ...(manifest.snapshots !== undefined ? { snapshots: manifest.snapshots } : {}), // issue 10 §3
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
