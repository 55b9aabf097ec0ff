// The on-disk snapshot format (issue 10 §3). Inside a trace directory:
//
//   snapshots/
//     s000001.index   deflated JSON (SnapshotIndex): what the snapshot is, its page table, its
//                     globals and the TypeScript state; its size and sha256 are in the manifest
//     s000001.pages   the 4 KiB pages that changed since the previous snapshot (all non-zero
//                     pages for the first), brotli-compressed in groups of up to 16 pages
//                     (64 KiB), the groups back to back
//     s000002.index   ...
//     s000002.pages   only the pages that changed since s000001
//
// An index lists the groups it uses (in its own .pages or an earlier snapshot's): pack, offset,
// compressed size, page count and the sha256 of the compressed bytes, so every byte a restore reads
// is covered by a hash chained from the manifest. The page table maps the memory's pages in
// order, run-length coded, to a group and slot, or to the zero page (stored nowhere). Groups,
// not single pages: one deflateSync per page cost ~0.1 ms of zlib set-up each, and a seek
// decompresses at most 64 KiB per group it needs. Guest RAM and the core's tables change little
// in three seconds (cockpit: ~380 of 13,424 pages, ~31 KB compressed), so later snapshots cost
// little. Node 20's zlib has no zstd; brotli at quality 0 is its fastest here (page-store-code.ts).
//
// Format 3 (this one) compresses the pages with brotli where format 2 deflated them; the index
// stays deflated JSON, so an older index is still read far enough to be refused by its version.
//
// Format 2 replaced format 1's content addressing (a sha256 per page, each distinct
// page stored once, every index listing every distinct page's hash): a page unchanged since the
// previous snapshot is still stored once, a page that changes back to an older content is stored
// again. Older formats are refused as foreign (re-record to seek from snapshots).

import { z } from 'zod';

export const SNAPSHOT_DIR = 'snapshots';
export const SNAPSHOT_FORMAT = 'tracevisor-snapshot';
export const SNAPSHOT_FORMAT_VERSION = 3;

export function snapshotId(ordinal: number): string {
  return `s${String(ordinal).padStart(6, '0')}`;
}
export const indexFile = (id: string): string => `${id}.index`;
export const pagesFile = (id: string): string => `${id}.pages`;

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits');
const count = z.number().int().nonnegative();
const limits = z.strictObject({
  vmCount: count, hostRamBytes: count, ptPages: count, queueCount: count, deviceCount: count,
  linkCount: count, switchPortCount: count, macCount: count, canNodeCount: count, frameSlots: count,
  frameBytesMax: count, timerCapacity: count, traceCapacity: count, scratchBytes: count,
  frameRingRows: count.optional(), frameRingBytes: count.optional(), // frames table (issue 12 §1)
});

/** Pages per compressed group in a .pages file. */
export const GROUP_PAGES_MAX = 16;

/**
 * One compressed group of pages: the snapshot whose .pages file holds it, its offset and
 * compressed size there, how many pages it holds, and the sha256 of its compressed bytes.
 */
const groupRef = z.tuple([
  z.string().regex(/^s\d{6}$/), count, z.number().int().positive(), z.number().int().positive().max(GROUP_PAGES_MAX), hex64,
]);
export const snapshotIndexSchema = z.strictObject({
  format: z.literal(SNAPSHOT_FORMAT),
  formatVersion: z.literal(SNAPSHOT_FORMAT_VERSION),
  id: z.string().regex(/^s\d{6}$/),
  timeNs: count,
  seq: count,
  coreVersion: z.number().int(),
  wasmSha256: hex64,
  limits,
  seed: z.string(),
  pageBytes: z.number().int().positive(),
  memoryBytes: z.number().int().positive(),
  /** The groups this snapshot's pages lie in. */
  groups: z.array(groupRef),
  /**
   * The memory's pages in order, run-length coded as triples [group, slot, pages]: group 0 is
   * the zero page (slot 0), group k >= 1 is groups[k - 1], whose slots slot..slot+pages-1 these
   * pages are.
   */
  table: z.array(count),
  globals: z.array(z.tuple([z.string(), z.string()])),
  /** The TypeScript side's state (Platform.captureState), plain JSON; null when none was given. */
  platform: z.unknown(),
  /** sha256 of JSON.stringify(platform). */
  platformSha256: hex64,
});

export type SnapshotIndex = z.infer<typeof snapshotIndexSchema>;
export type GroupRef = z.infer<typeof groupRef>;
