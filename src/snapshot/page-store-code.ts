// The snapshot writer's costly half (format.ts): sha256 of the changed pages, the content-addressed
// page table, deflate of the new pages and of the index, and the two files. It is plain JavaScript
// in a string because it runs in two places: on a worker thread during a recording, off the
// recording's path (background-store.ts: measured on the cockpit at one snapshot per second, this
// half was ~2/3 of a snapshot's 20-25 ms), and in the calling thread for writeSnapshot
// (writer.ts). One text for both, so the two write the same bytes (test/snapshot/store.test.ts).
//
// Input per snapshot (a PageJob, prepared in the calling thread by writer.ts pageJob): the
// snapshot's fields, its TypeScript state as JSON text, and its pages as `kinds` (per page:
// SAME as the previous job's page at that index, ZERO, or NEW) with the NEW pages' bytes back to
// back. The store remembers the previous job's page hashes, so an unchanged page costs no hash.

import type { CoreLimits } from '../core/api.js';
import type { ManifestSnapshot } from '../trace/manifest-file.js';

export const PAGE_SAME = 0;
export const PAGE_ZERO = 1;
export const PAGE_NEW = 2;

export interface PageJob {
  id: string;
  timeNs: number;
  seq: number;
  coreVersion: number;
  wasmSha256: string;
  limits: CoreLimits;
  seed: string;
  globals: [string, string][];
  platformJson: string;
  /** Per memory page: PAGE_SAME, PAGE_ZERO or PAGE_NEW. */
  kinds: Uint8Array;
  /** The PAGE_NEW pages' bytes, in memory order. */
  bytes: Uint8Array;
}

export interface PageStore {
  write(job: PageJob): ManifestSnapshot;
}

/**
 * Defines `makePageStore(folder, c)` (c: { pageBytes, groupPagesMax, format, formatVersion })
 * with the `require` it is given. Index key order is the format's (format.ts snapshotIndexSchema).
 */
export const PAGE_STORE_CODE = `
const { createHash } = require('node:crypto');
const { closeSync, openSync, renameSync, writeSync } = require('node:fs');
const { join } = require('node:path');
const { deflateSync } = require('node:zlib');
const DEFLATE = { level: 1 }; // pages are mostly small integers and zeros; level 6 saved ~10 % for 2-3x the time
const sha256Hex = (bytes) => createHash('sha256').update(bytes).digest('hex');
function writeWhole(path, chunks) {
  const temp = path + '.tmp';
  const fd = openSync(temp, 'w');
  try { for (const chunk of chunks) writeSync(fd, chunk); } finally { closeSync(fd); }
  renameSync(temp, path);
}
function makePageStore(folder, c) {
  const zeroHash = sha256Hex(new Uint8Array(c.pageBytes));
  const stored = new Map(); // sha256 -> [hash, pack id, group offset, group bytes, slot]
  let previous = []; // the previous job's page hashes, by memory page
  function pack(fresh) {
    const groups = [];
    let offset = 0;
    for (let first = 0; first < fresh.length; first += c.groupPagesMax) {
      const members = fresh.slice(first, first + c.groupPagesMax);
      const z = deflateSync(Buffer.concat(members.map((m) => m.page)), DEFLATE);
      members.forEach((m, slot) => { m.ref[2] = offset; m.ref[3] = z.length; m.ref[4] = slot; });
      groups.push(z);
      offset += z.length;
    }
    return groups;
  }
  function write(job) {
    const fresh = [];
    const refs = [];
    const refIndex = new Map();
    const table = [];
    const hashes = new Array(job.kinds.length);
    let at = 0;
    for (let i = 0; i < job.kinds.length; i++) {
      const kind = job.kinds[i];
      let hash;
      let page = null;
      if (kind === ${PAGE_SAME}) hash = previous[i];
      else if (kind === ${PAGE_ZERO}) hash = zeroHash;
      else {
        page = job.bytes.subarray(at, at + c.pageBytes);
        at += c.pageBytes;
        hash = sha256Hex(page);
      }
      if (hash === undefined) throw new Error('assert: page ' + i + ' is the same as a page the previous snapshot does not have');
      hashes[i] = hash;
      let ref = stored.get(hash);
      if (ref === undefined) {
        ref = [hash, job.id, 0, 1, 0]; // placed by pack
        stored.set(hash, ref);
        fresh.push({ page: page ?? new Uint8Array(c.pageBytes), ref });
      }
      let n = refIndex.get(hash);
      if (n === undefined) { n = refs.push(ref) - 1; refIndex.set(hash, n); }
      const end = table.length;
      if (end > 0 && table[end - 2] === n) table[end - 1] += 1;
      else table.push(n, 1);
    }
    if (at !== job.bytes.length) throw new Error('assert: ' + job.bytes.length + ' page bytes given, ' + at + ' used');
    previous = hashes;
    const index = {
      format: c.format, formatVersion: c.formatVersion, id: job.id, timeNs: job.timeNs, seq: job.seq,
      coreVersion: job.coreVersion, wasmSha256: job.wasmSha256, limits: job.limits, seed: job.seed,
      pageBytes: c.pageBytes, memoryBytes: job.kinds.length * c.pageBytes, pages: refs, table,
      globals: job.globals, platform: JSON.parse(job.platformJson), platformSha256: sha256Hex(job.platformJson),
    };
    const groups = pack(fresh);
    const packBytes = groups.reduce((n, g) => n + g.length, 0);
    const indexBytes = deflateSync(JSON.stringify(index), DEFLATE);
    writeWhole(join(folder, job.id + '.pages'), groups);
    writeWhole(join(folder, job.id + '.index'), [indexBytes]);
    return {
      id: job.id, timeNs: job.timeNs, seq: job.seq, file: job.id + '.index', bytes: indexBytes.length,
      sha256: sha256Hex(indexBytes), pagesFile: job.id + '.pages', pagesBytes: packBytes,
    };
  }
  return { write };
}
`;
