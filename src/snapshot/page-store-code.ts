// The snapshot writer's costly half (format.ts): compressing the new pages in groups, each group's
// sha256, the page table, the index, and the two files. It is plain JavaScript in a string
// because it runs in two places: on a worker thread during a recording, off the recording's path
// (background-store.ts), and in the calling thread for writeSnapshot (writer.ts). One text for
// both, so the two write the same bytes (test/snapshot/store.test.ts).
//
// Input per snapshot (a PageJob, prepared in the calling thread by writer.ts pageJob): the
// snapshot's fields, its TypeScript state as JSON text, and its pages as `kinds` (per page:
// SAME as the previous job's page at that index, ZERO, or NEW) with the NEW pages' bytes back to
// back. The store remembers where the previous job's pages lie, so an unchanged page costs
// nothing but a table entry. Format 1 hashed every new page (sha256, content addressing) and
// listed every distinct page's hash in every index: measured on the cockpit, hashing and the
// ~1,000-entry index (JSON, deflate) were half of the worker's ~11 ms per snapshot, and the
// worker's CPU competes with the recording's on a 2-core host (README "Snapshots").

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
const { brotliCompressSync, constants, deflateSync } = require('node:zlib');
const DEFLATE = { level: 1 }; // the index: JSON
// The pages (format 3): brotli at quality 0 measured 1.0-1.6 ms for a cockpit snapshot's 379
// changed pages against deflate level 1's 3-5 ms, and 31 KiB against 36 (they are mostly zeros
// and small integers); the worker's CPU competes with the recording's on a 2-core host.
const BROTLI = { params: { [constants.BROTLI_PARAM_QUALITY]: 0 } };
const sha256Hex = (bytes) => createHash('sha256').update(bytes).digest('hex');
function writeWhole(path, chunks) {
  const temp = path + '.tmp';
  const fd = openSync(temp, 'w');
  try { for (const chunk of chunks) writeSync(fd, chunk); } finally { closeSync(fd); }
  renameSync(temp, path);
}
function makePageStore(folder, c) {
  // Per memory page, where the previous job's page lies: null for zero, else [group, slot] with
  // group = [pack id, offset, deflated bytes, pages, sha256] (the index's groups entry, shared).
  let where = [];
  function pack(id, bytes) {
    const groups = [];
    const pageCount = bytes.length / c.pageBytes;
    let offset = 0;
    for (let first = 0; first < pageCount; first += c.groupPagesMax) {
      const pages = Math.min(c.groupPagesMax, pageCount - first);
      const z = brotliCompressSync(bytes.subarray(first * c.pageBytes, (first + pages) * c.pageBytes), BROTLI);
      groups.push([id, offset, z.length, pages, sha256Hex(z), z]);
      offset += z.length;
    }
    return groups;
  }
  function locate(job, fresh) {
    const out = new Array(job.kinds.length);
    for (let i = 0, n = 0; i < job.kinds.length; i++) {
      const kind = job.kinds[i];
      if (kind === ${PAGE_ZERO}) out[i] = null;
      else if (kind === ${PAGE_NEW}) { out[i] = [fresh[(n / c.groupPagesMax) | 0], n % c.groupPagesMax]; n++; }
      else if (where[i] === undefined) throw new Error('assert: page ' + i + ' is the same as a page the previous snapshot does not have');
      else out[i] = where[i];
    }
    return out;
  }
  /** The page table: [group (0 zero, k groups[k - 1]), first slot, pages] runs, and the groups. */
  function tableOf(located) {
    const groups = [];
    const number = new Map();
    const table = [];
    let last = -1;
    for (const at of located) {
      let g = 0;
      let slot = 0;
      if (at !== null) {
        g = number.get(at[0]);
        if (g === undefined) { g = groups.push(at[0]); number.set(at[0], g); }
        slot = at[1];
      }
      if (last >= 0 && table[last] === g && (g === 0 || table[last + 1] + table[last + 2] === slot)) table[last + 2] += 1;
      else { last = table.length; table.push(g, slot, 1); }
    }
    return { groups: groups.map((x) => x.slice(0, 5)), table };
  }
  function write(job) {
    const fresh = pack(job.id, job.bytes);
    const located = locate(job, fresh);
    const { groups, table } = tableOf(located);
    const head = {
      format: c.format, formatVersion: c.formatVersion, id: job.id, timeNs: job.timeNs, seq: job.seq,
      coreVersion: job.coreVersion, wasmSha256: job.wasmSha256, limits: job.limits, seed: job.seed,
      pageBytes: c.pageBytes, memoryBytes: job.kinds.length * c.pageBytes, groups, table, globals: job.globals,
    };
    // the TypeScript state goes in as the text it was captured as (JSON.stringify(JSON.parse(t)) is t)
    const json = JSON.stringify(head).slice(0, -1) + ',"platform":' + job.platformJson + ',"platformSha256":"' + sha256Hex(job.platformJson) + '"}';
    const indexBytes = deflateSync(json, DEFLATE);
    const packBytes = fresh.reduce((n, g) => n + g[2], 0);
    writeWhole(join(folder, job.id + '.pages'), fresh.map((g) => g[5]));
    writeWhole(join(folder, job.id + '.index'), [indexBytes]);
    for (const g of fresh) g.length = 5; // the deflated bytes are on disk; \`where\` keeps only the entry
    where = located; // only once both files are in place: the next snapshot may name these groups
    return {
      id: job.id, timeNs: job.timeNs, seq: job.seq, file: job.id + '.index', bytes: indexBytes.length,
      sha256: sha256Hex(indexBytes), pagesFile: job.id + '.pages', pagesBytes: packBytes,
    };
  }
  return { write };
}
`;
