// Reads a snapshot back through one door (STYLE.md, rust-vmm: untrusted state becomes a checked
// object in one place): the manifest entry, the index's size and sha256, its schema, the build it
// names, the page table against the memory size, and every page's length and sha256. Anything
// wrong is a SnapshotError naming the snapshot, the file and what is wrong; the caller (replay's
// seek) falls back to re-execution from the start.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { Core } from '../core/core.js';
import { SnapshotError } from '../core/snapshot-error.js';
import { SNAPSHOT_PAGE_BYTES, WASM_PAGE_BYTES, ZERO_PAGE, checkSnapshotFits, type CoreSnapshot } from '../core/snapshot.js';
import { readManifest } from '../trace/manifest.js';
import type { ManifestSnapshot } from '../trace/manifest-file.js';
import { SNAPSHOT_DIR, snapshotIndexSchema, type SnapshotIndex } from './format.js';
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

/** The page table covers the memory exactly, in whole 64 KiB WebAssembly pages. */
function checkTable(index: SnapshotIndex, where: string): void {
  if (index.pageBytes !== SNAPSHOT_PAGE_BYTES) damaged(`${where}: pages of ${index.pageBytes} bytes, this build reads ${SNAPSHOT_PAGE_BYTES}`);
  if (index.memoryBytes % WASM_PAGE_BYTES !== 0) damaged(`${where}: memory of ${index.memoryBytes} bytes is not whole 64 KiB pages`);
  if (index.table.length % 2 !== 0) damaged(`${where}: page table has an odd length`);
  let pages = 0;
  for (let i = 0; i < index.table.length; i += 2) {
    const ref = index.table[i]!;
    if (ref >= index.pages.length) damaged(`${where}: page table names page ${ref} of ${index.pages.length}`);
    pages += index.table[i + 1]!;
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
  const groups = new Map<string, Buffer>(); // pack:offset -> inflated group
  const group = (id: string, offset: number, zbytes: number, hash: string): Buffer => {
    const key = `${id}:${offset}`;
    let bytes = groups.get(key);
    if (bytes !== undefined) return bytes;
    const packed = pack(id);
    if (offset + zbytes > packed.length) damaged(`${where}: page ${hash.slice(0, 16)}… lies beyond the end of ${id}.pages`);
    try {
      bytes = inflateSync(packed.subarray(offset, offset + zbytes));
    } catch {
      return damaged(`${where}: page ${hash.slice(0, 16)}… in ${id}.pages does not inflate`);
    }
    groups.set(key, bytes);
    return bytes;
  };
  const distinct = index.pages.map(([hash, id, offset, zbytes, slot]) => {
    const bytes = group(id, offset, zbytes, hash);
    const at = slot * SNAPSHOT_PAGE_BYTES;
    const page = bytes.subarray(at, at + SNAPSHOT_PAGE_BYTES);
    if (page.length !== SNAPSHOT_PAGE_BYTES || sha256Hex(page) !== hash) damaged(`${where}: page ${hash.slice(0, 16)}… in ${id}.pages fails its sha256`);
    return Buffer.compare(page, ZERO_PAGE) === 0 ? ZERO_PAGE : page;
  });
  const pages: Uint8Array[] = [];
  for (let i = 0; i < index.table.length; i += 2) {
    const page = distinct[index.table[i]!]!;
    for (let k = 0; k < index.table[i + 1]!; k++) pages.push(page);
  }
  return pages;
}
