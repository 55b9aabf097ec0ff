// Reads a snapshot back through one door (STYLE.md, rust-vmm: untrusted state becomes a checked
// object in one place): the manifest entry, the index's size and sha256, its schema, the build it
// names, the page table against the memory size and its groups, and every group's sha256 and
// decompressed size. Anything
// wrong is a SnapshotError naming the snapshot, the file and what is wrong; the caller (replay's
// seek) falls back to re-execution from the start.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliDecompressSync, inflateSync } from 'node:zlib';
import { Core } from '../core/core.js';
import { SnapshotError } from '../core/snapshot-error.js';
import { SNAPSHOT_PAGE_BYTES, WASM_PAGE_BYTES, ZERO_PAGE, checkSnapshotFits, type CoreSnapshot } from '../core/snapshot.js';
import { readManifest } from '../trace/manifest.js';
import type { ManifestSnapshot } from '../trace/manifest-file.js';
import { SNAPSHOT_DIR, SNAPSHOT_FORMAT, SNAPSHOT_FORMAT_VERSION, snapshotIndexSchema, type GroupRef, type SnapshotIndex } from './format.js';
import { sha256Hex } from './writer.js';

export interface ReadSnapshot {
  entry: ManifestSnapshot;
  core: CoreSnapshot;
  /** The TypeScript side's state as it was written (null when none was). */
  platform: unknown;
}

/** The trace's snapshots as its manifest lists them, in the order taken ([] for older traces). */
export function listSnapshots(dir: string): ManifestSnapshot[] {
  return readManifest(dir).snapshots ?? [];
}

export function readSnapshot(dir: string, id: string): ReadSnapshot {
  const entries = listSnapshots(dir);
  const entry = entries.find((e) => e.id === id);
  if (entry === undefined) {
    const have = entries.length === 0 ? 'none' : `${entries[0]!.id}..${entries.at(-1)!.id}`;
    throw new SnapshotError('snapshot_unknown', `${dir}: the trace lists no snapshot ${id} (it has ${have})`);
  }
  const where = `${dir}: snapshot ${id}`;
  const index = readIndex(dir, entry, where);
  const pages = readPages(dir, entries, index, where);
  const platformJson = JSON.stringify(index.platform) ?? 'null';
  if (sha256Hex(platformJson) !== index.platformSha256) damaged(`${where}: its TypeScript state fails its sha256`);
  const core: CoreSnapshot = {
    coreVersion: index.coreVersion, wasmSha256: index.wasmSha256, limits: index.limits, seed: index.seed,
    timeNs: index.timeNs, seq: index.seq, pages, globals: index.globals,
  };
  checkSnapshotFits(core, Core.build(), index.limits); // another build: foreign, said before restoring
  return { entry, core, platform: index.platform };
}

function damaged(message: string): never {
  throw new SnapshotError('snapshot_damaged', message);
}

function readFile(dir: string, file: string, where: string): Buffer {
  try {
    return readFileSync(join(dir, SNAPSHOT_DIR, file));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return damaged(`${where}: cannot read ${SNAPSHOT_DIR}/${file} (${code})`);
  }
}

function readIndex(dir: string, entry: ManifestSnapshot, where: string): SnapshotIndex {
  const bytes = readFile(dir, entry.file, where);
  if (bytes.length !== entry.bytes) damaged(`${where}: ${entry.file} is ${bytes.length} bytes, the manifest says ${entry.bytes}`);
  if (sha256Hex(bytes) !== entry.sha256) damaged(`${where}: ${entry.file} fails the sha256 the manifest lists`);
  let raw: unknown;
  try {
    raw = JSON.parse(inflateSync(bytes).toString('utf8'));
  } catch {
    return damaged(`${where}: ${entry.file} is not deflated JSON`);
  }
  checkFormatVersion(raw, entry, where);
  const parsed = snapshotIndexSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    damaged(`${where}: ${entry.file} invalid at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const index = parsed.data;
  if (index.id !== entry.id || index.timeNs !== entry.timeNs || index.seq !== entry.seq) {
    damaged(`${where}: ${entry.file} describes ${index.id} at ${index.timeNs} ns, the manifest ${entry.id} at ${entry.timeNs} ns`);
  }
  checkTable(index, where);
  return index;
}

/** Another format version of this format: refused as foreign, said before the schema speaks. */
function checkFormatVersion(raw: unknown, entry: ManifestSnapshot, where: string): void {
  const head = raw as { format?: unknown; formatVersion?: unknown } | null;
  if (head === null || typeof head !== 'object' || head.format !== SNAPSHOT_FORMAT) return; // the schema says what is wrong
  if (typeof head.formatVersion === 'number' && head.formatVersion !== SNAPSHOT_FORMAT_VERSION) {
    throw new SnapshotError(
      'snapshot_foreign',
      `${where}: ${entry.file} is snapshot format ${head.formatVersion}, this build reads format ${SNAPSHOT_FORMAT_VERSION}; ` +
        're-record the trace to seek from snapshots',
    );
  }
}

/** The page table covers the memory exactly, in whole 64 KiB WebAssembly pages, within its groups. */
function checkTable(index: SnapshotIndex, where: string): void {
  if (index.pageBytes !== SNAPSHOT_PAGE_BYTES) damaged(`${where}: pages of ${index.pageBytes} bytes, this build reads ${SNAPSHOT_PAGE_BYTES}`);
  if (index.memoryBytes % WASM_PAGE_BYTES !== 0) damaged(`${where}: memory of ${index.memoryBytes} bytes is not whole 64 KiB pages`);
  if (index.table.length % 3 !== 0) damaged(`${where}: page table's length is not a multiple of 3`);
  let pages = 0;
  for (let i = 0; i < index.table.length; i += 3) {
    const [g, slot, run] = [index.table[i]!, index.table[i + 1]!, index.table[i + 2]!];
    if (g > index.groups.length) damaged(`${where}: page table names group ${g} of ${index.groups.length}`);
    const held = g === 0 ? 1 : index.groups[g - 1]![3];
    if (run === 0 || (g === 0 ? slot !== 0 : slot + run > held)) {
      damaged(`${where}: page table names pages ${slot}..${slot + run - 1} of group ${g}, which holds ${g === 0 ? 'the zero page' : held}`);
    }
    pages += run;
  }
  if (pages * SNAPSHOT_PAGE_BYTES !== index.memoryBytes) {
    damaged(`${where}: page table covers ${pages} pages, the memory of ${index.memoryBytes} bytes has ${index.memoryBytes / SNAPSHOT_PAGE_BYTES}`);
  }
}

function readPages(dir: string, entries: ManifestSnapshot[], index: SnapshotIndex, where: string): Uint8Array[] {
  const order = new Map(entries.map((e, i) => [e.id, i]));
  const self = order.get(index.id)!;
  const packs = new Map<string, Buffer>();
  const pack = (id: string): Buffer => {
    let bytes = packs.get(id);
    if (bytes !== undefined) return bytes;
    const entry = entries[order.get(id) ?? Number.NaN];
    if (entry === undefined || order.get(id)! > self) damaged(`${where}: a page lies in ${id}, which the manifest does not list before it`);
    bytes = readFile(dir, entry.pagesFile, where);
    if (bytes.length !== entry.pagesBytes) damaged(`${where}: ${entry.pagesFile} is ${bytes.length} bytes, the manifest says ${entry.pagesBytes}`);
    packs.set(id, bytes);
    return bytes;
  };
  const groups = index.groups.map((g) => readGroup(g, pack, where));
  const pages: Uint8Array[] = [];
  for (let i = 0; i < index.table.length; i += 3) {
    const [g, slot, run] = [index.table[i]!, index.table[i + 1]!, index.table[i + 2]!];
    for (let k = 0; k < run; k++) {
      const at = (slot + k) * SNAPSHOT_PAGE_BYTES;
      pages.push(g === 0 ? ZERO_PAGE : groups[g - 1]!.subarray(at, at + SNAPSHOT_PAGE_BYTES));
    }
  }
  return pages;
}

/** One group's pages, decompressed (brotli, format.ts) after its compressed bytes pass their sha256. */
function readGroup([id, offset, zbytes, pageCount, hash]: GroupRef, pack: (id: string) => Buffer, where: string): Buffer {
  const packed = pack(id);
  const name = `group at ${offset} of ${id}.pages`;
  if (offset + zbytes > packed.length) damaged(`${where}: the ${name} lies beyond its end`);
  const zipped = packed.subarray(offset, offset + zbytes);
  if (sha256Hex(zipped) !== hash) damaged(`${where}: the ${name} fails its sha256`);
  let bytes: Buffer;
  try {
    // at most the pages it claims (a damaged group cannot make us allocate more)
    bytes = brotliDecompressSync(zipped, { maxOutputLength: pageCount * SNAPSHOT_PAGE_BYTES });
  } catch {
    return damaged(`${where}: the ${name} does not decompress to ${pageCount} pages`);
  }
  if (bytes.length !== pageCount * SNAPSHOT_PAGE_BYTES) damaged(`${where}: the ${name} holds ${bytes.length} bytes, not ${pageCount} pages`);
  return bytes;
}
