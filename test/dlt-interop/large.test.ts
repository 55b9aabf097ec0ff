// A 2-million-message file imports in bounded memory: the peak RSS of this (forked) test
// process grows by far less than the file, let alone the trace it becomes.
import { closeSync, openSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeMessage } from '../../src/formats/dlt/index.js';
import { importDltFiles } from '../../src/formats/dlt/import.js';
import { readManifest } from '../../src/trace/index.js';
import { logMessage, tempDir } from './helpers.js';

const MESSAGES = 2_000_000;

/** Writes `count` copies of one message, each with its own storage time, counter and timestamp. */
function writeLargeFile(path: string, count: number): number {
  const proto = encodeMessage({ ...logMessage({ us: 0, ts: 0, session: 7, text: 'tick' }) }, { storageHeader: true });
  const size = proto.length;
  const perChunk = Math.floor((4 << 20) / size);
  const chunk = new Uint8Array(perChunk * size);
  const view = new DataView(chunk.buffer);
  const fd = openSync(path, 'w');
  try {
    for (let first = 0; first < count; first += perChunk) {
      const n = Math.min(perChunk, count - first);
      for (let k = 0; k < n; k++) {
        const i = first + k;
        const at = k * size;
        chunk.set(proto, at);
        view.setUint32(at + 4, 1_700_000_000 + Math.floor(i / 100_000), true); // 100 k messages/s
        view.setUint32(at + 8, (i % 100_000) * 10, true);
        chunk[at + 17] = i & 0xff; // counter
        view.setUint32(at + 16 + 12, i, false); // timestamp (after htyp, mcnt, len, ecu, session)
      }
      writeSync(fd, chunk, 0, n * size);
    }
  } finally {
    closeSync(fd);
  }
  return count * size;
}

describe('large files', () => {
  it(`${MESSAGES} messages import in bounded memory`, () => {
    const dir = tempDir('tv-large-');
    const path = join(dir, 'large.dlt');
    const bytes = writeLargeFile(path, MESSAGES);
    expect(statSync(path).size).toBe(bytes);
    const rssBefore = process.resourceUsage().maxRSS * 1024;
    const result = importDltFiles([path], join(dir, 't'));
    const rssGrowth = process.resourceUsage().maxRSS * 1024 - rssBefore;
    expect([result.messages, result.damagedMessages, result.skippedBytes]).toEqual([MESSAGES, 0, 0]);
    const manifest = readManifest(join(dir, 't'));
    expect(manifest.tables.dlt!.rows).toBe(MESSAGES);
    const traceBytes = statSync(join(dir, 't', 'dlt.arrow')).size;
    // what is held: the kernel's input region (one 1 MiB chunk plus a partial message) and its
    // three batch regions, the writer thread's queue of at most two batches; nothing per
    // message survives a batch
    expect(rssGrowth).toBeLessThan(bytes / 2);
    expect(traceBytes).toBeGreaterThan(bytes);
  }, 120_000);
});
