// Shared by the frames and export tests: a short cockpit recording made once, and the frames
// table read back as plain rows.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { Trace } from '../../src/trace/index.js';
import { frameColumnsOfBatch } from '../../src/trace/frames-read.js';
import { tempDir } from '../trace/helpers.js';
import { tv } from '../executable.js';

export { tempDir };

export interface FrameRow {
  ts: bigint;
  arrival: bigint;
  seq: bigint;
  kind: 'eth' | 'can';
  link: number;
  bus: number;
  port: number;
  dir: 'to_switch' | 'from_switch' | 'bus';
  vm: number;
  dev: number;
  len: number;
  canId: number;
  canFlags: number;
  dlc: number;
  data: Uint8Array;
}

const KINDS = ['eth', 'can'] as const;
const DIRS = ['to_switch', 'from_switch', 'bus'] as const;

/** Records `scenario` for `duration` into a new directory with extra record flags. */
export function record(scenario: string, duration: string, ...flags: string[]): string {
  const dir = join(tempDir('tv-frames-'), 'trace');
  const r = tv('record', scenario, '--duration', duration, '-o', dir, '--snapshot-every', '0', ...flags);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return dir;
}

export function frameRows(dir: string): FrameRow[] {
  const out: FrameRow[] = [];
  for (const batch of Trace.open(dir).batches('frames')) {
    const c = frameColumnsOfBatch(batch);
    for (let i = 0; i < c.ts_ns.length; i++) {
      out.push({
        ts: c.ts_ns[i]!, arrival: c.arrival_ns[i]!, seq: c.seq[i]!, kind: KINDS[c.kind[i]!]!, link: c.link[i]!,
        bus: c.bus[i]!, port: c.port[i]!, dir: DIRS[c.dir[i]!]!, vm: c.vm[i]!, dev: c.dev[i]!, len: c.len[i]!,
        canId: c.can_id[i]!, canFlags: c.can_flags[i]!, dlc: c.dlc[i]!, data: c.data.slice(c.offsets[i]!, c.offsets[i + 1]!),
      });
    }
  }
  return out;
}

export function manifestOf(dir: string): { frames?: string; tables: Record<string, { rows: number; sha256: string }> } {
  return JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
