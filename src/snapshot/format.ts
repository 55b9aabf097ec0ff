// The on-disk snapshot format (issue 10 §3). Inside a trace directory:
//
//   snapshots/
//     s000001.index   deflated JSON (SnapshotIndex): what the snapshot is, its page table, its
//                     globals and the TypeScript state; its size and sha256 are in the manifest
//     s000001.pages   the 4 KiB pages this snapshot stored first, deflated in groups of up to
//                     16 pages (64 KiB), the groups back to back
//     s000002.index   ...
//     s000002.pages   only the pages no earlier snapshot of the trace stored
//
// Pages are content-addressed by sha256: each distinct page is stored once across all snapshots
// of a trace, and an index names every page it uses by hash and by where it lies (pack, the
// group's offset and deflated length, the page's slot in the group). Groups, not single pages:
// one deflateSync per page cost ~0.1 ms of zlib set-up each (cockpit: ~285 changed pages a
// second), and a seek inflates at most 64 KiB per page it needs. Guest RAM and the core's tables change little in a second (cockpit: ~285 of
// 11,552 pages, ~31 KB deflated), so later snapshots cost little. Deflate because Node 20's zlib
// has no zstd.

import { z } from 'zod';

export const SNAPSHOT_DIR = 'snapshots';
export const SNAPSHOT_FORMAT = 'tracevisor-snapshot';
export const SNAPSHOT_FORMAT_VERSION = 1;

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

/** Pages per deflated group in a .pages file. */
export const GROUP_PAGES_MAX = 16;

/**
 * One distinct page: its sha256, the snapshot whose .pages file holds it, the offset and deflated
 * size of its group there, and its slot in the group.
 */
const pageRef = z.tuple([
  hex64, z.string().regex(/^s\d{6}$/), count, z.number().int().positive(), z.number().int().nonnegative().lt(GROUP_PAGES_MAX),
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
  /** The distinct pages this snapshot uses. */
  pages: z.array(pageRef),
  /** The memory's pages in order, run-length coded: [index into `pages`, run length, ...]. */
  table: z.array(count),
  globals: z.array(z.tuple([z.string(), z.string()])),
  /** The TypeScript side's state (Platform.captureState), plain JSON; null when none was given. */
  platform: z.unknown(),
  /** sha256 of JSON.stringify(platform). */
  platformSha256: hex64,
});

export type SnapshotIndex = z.infer<typeof snapshotIndexSchema>;
export type PageRef = z.infer<typeof pageRef>;
