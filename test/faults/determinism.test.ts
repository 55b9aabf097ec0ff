// Seeded faults are reproduced by the seed (issue 9 §5), and a run without faults is the run it
// was before fault injection existed.
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVENT_KINDS, KIND } from '../../src/core/codes.js';
import { recordScenario } from '../../src/platform/record.js';
import { loadScenario, parseScenario } from '../../src/scenario/load.js';
import { packageRoot } from '../../src/util/package-root.js';
import { tempDir } from '../trace/helpers.js';
import { ALL_FAULTS, MS, bridge, runFaults, type Row } from './run.js';

const TABLES = ['events', 'dlt', 'clock', 'inputs'] as const;

async function recordBytes(seed: number): Promise<Map<string, Buffer>> {
  const dir = tempDir();
  await recordScenario(parseScenario(bridge({ seed, faults: ALL_FAULTS }), 'test'), dir);
  return new Map(TABLES.map((t) => [t, readFileSync(join(dir, `${t}.arrow`))]));
}

describe('fault runs are reproduced by their seed', () => {
  it('same scenario, seed and faults: byte-identical table files', async () => {
    const a = await recordBytes(7);
    const b = await recordBytes(7);
    for (const t of TABLES) expect(a.get(t)!.equals(b.get(t)!), t).toBe(true);
  });

  it('another seed: another pattern of injected faults', async () => {
    const pattern = async (seed: number) =>
      (await runFaults(bridge({ seed, faults: ALL_FAULTS }))).of('fault_injected').map((r) => [r.ts, r.id, r.val]);
    const a = await pattern(7);
    expect(a.length).toBeGreaterThan(100);
    expect(await pattern(8)).not.toEqual(a);
  });
});

/** Digest of rows as the pre-fault build's `query --format csv` printed them (no header). */
function csvDigest(lines: string[]): string {
  return createHash('sha256').update(lines.map((l) => `${l}\n`).join('')).digest('hex');
}

describe('a run without faults is unchanged', () => {
  it('the cockpit\'s events and clock rows for 2 s are those of the build before fault injection', async () => {
    // The cockpit as it was then, without the gPTP the built-in one runs since
    // (test/fixtures/cockpit-no-sync.json): the build before fault injection had no clock sync.
    const run = await runFaults(loadScenario(join(packageRoot(), 'test', 'fixtures', 'cockpit-no-sync.json'), { durationNs: 2000 * MS }));
    const events = run.events.map((r) => [r.ts, r.seq, r.vm, r.vcpu, EVENT_KINDS[r.kind], r.dev, r.queue, r.id, r.len, r.val].join(','));
    const clock = run.clock.map((r) => [r.ts_ns, r.vm, r.local_ns, r.offset_ns, r.drift_ppb, r.steal_ns].join(','));
    // Recorded with commit 9c37733 (before this feature): `record cockpit --duration 2s`, then
    // `query … --format csv` of events (ORDER BY seq) and clock (ORDER BY ts_ns, vm).
    expect([events.length, csvDigest(events)]).toEqual([58181, '9d915ed36f4d7a5895352267bb8ec183ca8edec5535098e3fa48f35a92d25c02']);
    expect([clock.length, csvDigest(clock)]).toEqual([63, 'ba73d9287c7686117936b17c62fcecf640b7b54c0f9d7f7ce232d4dfa7bdd9da']);
  });

  it('a fault that never hits (ppm=0) adds its own row and changes nothing else', async () => {
    const strip = (rows: Row[]) => rows.filter((r) => r.kind !== KIND.fault_injected).map(({ seq: _seq, ...rest }) => rest);
    const plain = await runFaults(bridge());
    const armed = await runFaults(bridge({ faults: [{ type: 'link_loss', ppm: 0 }, { type: 'can_error', ppm: 0 }] }));
    expect(armed.of('fault_injected').length).toBe(2);
    expect(strip(armed.events)).toEqual(strip(plain.events));
    expect(armed.clock).toEqual(plain.clock);
  });
});
