// The record command's default snapshot spacing (README "Snapshots": every 3 s of virtual time;
// a seek re-executes at most that much). Worked out by hand: of a 7 s run's epoch ends, 3 s and
// 6 s are multiples of 3 s; none is taken at 0 (nothing to seek to) nor at the end (7 s).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireCli, tv } from '../executable.js';
import { tempDir } from '../trace/helpers.js';

describe('record without --snapshot-every', () => {
  it('takes a snapshot every 3 s of virtual time', () => {
    requireCli();
    const dir = join(tempDir('tv-snap-default-'), 'run');
    const r = tv('record', 'cockpit', '-o', dir, '--duration', '7s', '--no-frames');
    expect(r.code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { snapshots: { id: string; timeNs: number }[] };
    expect(manifest.snapshots.map((s) => [s.id, s.timeNs])).toEqual([['s000001', 3_000_000_000], ['s000002', 6_000_000_000]]);
    expect(r.stdout).toMatch(/\n {2}2 snapshots for seeking, \d+ KiB\n/);
  }, 60_000);
});
