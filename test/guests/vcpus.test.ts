// Every vCPU a VM declares gets work, or the VM says at boot that it stays idle (issue #8: the
// cockpit's second infotainment vCPU never ran, so "four vCPUs share two" was three).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario } from '../../src/scenario/load.js';
import { recordScenario } from '../../src/platform/record.js';
import { QuerySession } from '../../src/query/session.js';
import { runScenario } from './run-platform.js';
import { bridgeScenario, GATEWAY_VM } from './scenarios.js';

const SECOND = 1_000_000_000;

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'tv-vcpus-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('vCPUs that run', () => {
  test('cockpit, 10 s: every vCPU of every VM has sched_run rows (four vCPUs share two pCPUs)', async () => {
    const scenario = loadScenario('cockpit');
    expect(scenario.durationNs).toBe(10 * SECOND);
    await recordScenario(scenario, join(root, 'cockpit'));
    const s = await QuerySession.open(join(root, 'cockpit'));
    try {
      const r = await s.run(`SELECT vm, vcpu, count(*) FROM events WHERE kind = 'sched_run' GROUP BY ALL ORDER BY ALL`);
      const ran = r.rows.map((row) => [Number(row[0]), Number(row[1]), Number(row[2])]);
      const declared = scenario.vms.flatMap((vm, i) => Array.from({ length: vm.vcpus }, (_, v) => [i, v]));
      expect(declared).toHaveLength(4);
      expect(scenario.pcpus).toBe(2);
      expect(ran.map(([vm, vcpu]) => [vm, vcpu])).toEqual(declared);
      for (const [vm, vcpu, n] of ran) expect(n, `vm ${vm} vcpu ${vcpu}`).toBeGreaterThan(0);
    } finally {
      s.close();
    }
  });

  test('infotainment with 3 vCPUs: the decode of each burst runs on all three', async () => {
    const input = bridgeScenario({
      buses: ['can0'],
      ecus: [{ name: 'esc', bus: 'can0', frames: [{ canId: 0x0c1, periodNs: '10ms', signal: 'speed' }] }],
      extraVms: [{
        name: 'ivi', ecu: 'IVI1', vcpus: 3, priority: 20,
        devices: [{ type: 'console' }, { type: 'net', mac: '02:00:00:00:00:02' }],
        program: { type: 'infotainment', burstEveryNs: '40ms', peer: '02:00:00:00:00:03' },
      }],
    });
    const run = await runScenario(input, SECOND);
    const runs = [0, 1, 2].map((vcpu) => run.of('sched_run').filter((e) => e.vm === 2 && e.vcpu === vcpu).length);
    // ~25 bursts in 1 s: each vCPU runs at least once per burst.
    for (const n of runs) expect(n).toBeGreaterThanOrEqual(12);
    expect(run.logs('IVI1', 'SMP')).toEqual([]);
  });

  test('a single-threaded program with vcpus > 1: vCPU 1 is idle, and the VM says so at boot', async () => {
    const input = bridgeScenario({
      buses: ['can0'],
      ecus: [{ name: 'esc', bus: 'can0', frames: [{ canId: 0x0c1, periodNs: '1ms', signal: 'speed' }] }],
    });
    (input.vms as { vcpus?: number }[])[GATEWAY_VM]!.vcpus = 2;
    const run = await runScenario(input, SECOND / 2);
    const gatewayRuns = (vcpu: number) => run.of('sched_run').filter((e) => e.vm === GATEWAY_VM && e.vcpu === vcpu).length;
    expect(gatewayRuns(0)).toBeGreaterThan(100);
    expect(gatewayRuns(1)).toBe(0);
    expect(run.logs('GW01', 'SMP')).toEqual(['gateway is single-threaded: idle vcpus 1 of 2']);
  });
});
