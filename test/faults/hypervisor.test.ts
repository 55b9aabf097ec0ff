// The hypervisor's faults (issue 9 §5): clock_step, clock_drift, vcpu_stall, bus_cut. Each effect
// is worked out from the scenario: a clock with no drift, a VM that always has work, a frame's
// memory traffic against a token bucket.
import { describe, expect, it } from 'vitest';
import { FAULT_EDGE, KIND } from '../../src/core/codes.js';
import { MS, bridge, runFaults } from './run.js';
import { busyVm } from '../busy-vm.js';

const S = 1000 * MS;
const CLUSTER_VM = 0;

describe('clock_step and clock_drift', () => {
  it('clock_step by=5ms at=1s: the clock table\'s offset jumps by exactly 5 ms at the 1 s sample', async () => {
    const run = await runFaults(bridge({ durationNs: '2s', faults: [{ type: 'clock_step', vm: 'cluster', at: '1s', by: '5ms' }] }));
    const offsets = run.clock.filter((r) => r.vm === CLUSTER_VM).map((r) => [r.ts_ns, r.offset_ns]);
    // The cluster's clock has no drift and no offset: 0 before the step, 5 ms from it on.
    for (const [ts, offset] of offsets) expect(offset).toBe(ts! >= S ? 5 * MS : 0);
    expect(offsets.some(([ts]) => ts === S)).toBe(true);
    const rows = run.injected('clock_step');
    expect(rows.map((r) => [r.ts, r.vm, r.val])).toEqual([[S, CLUSTER_VM, 5 * MS]]);
  });

  it('clock_drift ppb=50000 at=1s: the offset grows 50 us per second from 1 s on, and drift_ppb says so', async () => {
    const run = await runFaults(bridge({ durationNs: '2s', faults: [{ type: 'clock_drift', vm: 'cluster', at: '1s', ppb: 50_000 }] }));
    for (const r of run.clock.filter((c) => c.vm === CLUSTER_VM)) {
      const sinceNs = Math.max(0, r.ts_ns - S);
      expect(r.offset_ns).toBe(Math.floor((sinceNs * 50_000) / 1e9));
      expect(r.drift_ppb).toBe(r.ts_ns >= S ? 50_000 : 0);
    }
    expect(run.injected('clock_drift').map((r) => [r.ts, r.vm, r.val])).toEqual([[S, CLUSTER_VM, 50_000]]);
  });
});


describe('vcpu_stall', () => {
  it('a vCPU with work is not scheduled for the window: its steal grows by the whole window', async () => {
    const calm = await runFaults(busyVm([]));
    const stalled = await runFaults(busyVm([{ type: 'vcpu_stall', vm: 'busy', vcpu: 0, at: '100ms', for: '50ms' }]));
    const growthNs = stalled.summary.vms[0]!.stealNs - calm.summary.vms[0]!.stealNs;
    expect(growthNs).toBeGreaterThanOrEqual(50 * MS);
    // Always runnable, and nobody else wants a pCPU: the stall is all the steal there is.
    expect(growthNs).toBe(50 * MS);
    const sched = stalled.events.filter((r) => r.kind === KIND.sched_run && r.ts > 100 * MS && r.ts < 150 * MS);
    expect(sched).toEqual([]);
    const resumed = stalled.events.find((r) => r.kind === KIND.sched_run && r.ts >= 150 * MS)!;
    expect([resumed.ts, resumed.val]).toEqual([150 * MS, 50 * MS]);
    const edges = stalled.injected('vcpu_stall').map((r) => [r.ts, r.val, r.vm, r.vcpu]);
    expect(edges).toEqual([[100 * MS, FAULT_EDGE.start, 0, 0], [150 * MS, FAULT_EDGE.end, 0, 0]]);
  });

  it('two overlapping stalls of one vCPU hold it until the later one ends', async () => {
    const stalled = await runFaults(busyVm([
      { type: 'vcpu_stall', vm: 'busy', at: '100ms', for: '50ms' },
      { type: 'vcpu_stall', vm: 'busy', at: '120ms', for: '80ms' },
    ]));
    // [100 ms, 150 ms) and [120 ms, 200 ms): not scheduled from 100 ms to 200 ms.
    expect(stalled.summary.vms[0]!.stealNs).toBe(100 * MS);
    const resumed = stalled.events.find((r) => r.kind === KIND.sched_run && r.ts > 100 * MS)!;
    expect(resumed.ts).toBe(200 * MS);
  });
});

describe('bus_cut', () => {
  it('percent=10: the first frame after the cut waits for the bucket at the cut rate', async () => {
    const run = await runFaults(bridge({ faults: [{ type: 'bus_cut', vm: 'cluster', percent: 10, at: '500ms', for: '200ms' }] }));
    const throttles = run.of('bus_throttle').filter((r) => r.vm === CLUSTER_VM);
    // 2 MB per 10 ms refills a 1 MiB frame in ~5 ms: no throttling before the cut.
    expect(throttles.filter((r) => r.ts < 500 * MS)).toEqual([]);
    // From 500 ms the bucket holds at most 200 000 bytes (10 %); the next 1 MiB frame leaves a
    // debt of 1048576 - 200000 bytes, repaid at 200 000 bytes per 10 ms.
    const first = throttles.find((r) => r.ts >= 500 * MS)!;
    const rateBytes = 200_000;
    expect(first.len).toBe(1_048_576);
    expect(first.val).toBe(Math.ceil(((1_048_576 - rateBytes) * 10 * MS) / rateBytes));
    const edges = run.injected('bus_cut').map((r) => [r.ts, r.val, r.len]);
    expect(edges).toEqual([[500 * MS, FAULT_EDGE.start, rateBytes], [700 * MS, FAULT_EDGE.end, 2_000_000]]);
  });
});
