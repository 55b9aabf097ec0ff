// The clock-sync bench records test/sync/cockpit-cantsyn.json with every clock.sync removed, as
// the same topology without synchronisation. Regression: when the scenario gained an external
// ECU as a CanTSyn slave, removing only the VMs' sync left the ECU a slave without a master and
// `npm run bench` stopped at "assert: ecu engine: no CanTSyn master".
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { withoutSync } from '../../bench/sync.js';
import { recordScenario } from '../../src/platform/record.js';
import { loadScenario } from '../../src/scenario/load.js';

const root = mkdtempSync(join(tmpdir(), 'tv-bench-sync-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('bench sync: the scenarios without clock sync', () => {
  it('cockpit-cantsyn with every clock.sync removed (VMs and the ECU slave) records, with no sync rows', async () => {
    const scenario = loadScenario(join(import.meta.dirname, 'cockpit-cantsyn.json'), { durationNs: 200_000_000 });
    expect(scenario.ecus.some((e) => e.cantsyn !== undefined)).toBe(true);
    const plain = withoutSync(scenario);
    expect(plain.ecus.some((e) => e.cantsyn !== undefined)).toBe(false);
    expect(plain.ecus.length).toBe(scenario.ecus.length);
    const { manifest } = await recordScenario(plain, join(root, 't'));
    expect(manifest.tables.sync!.rows).toBe(0);
    expect(manifest.tables.events!.rows).toBeGreaterThan(0);
  }, 60_000);
});
