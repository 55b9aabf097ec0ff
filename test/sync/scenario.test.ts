// clock.sync in the scenario: ptp4l's and the automotive profile's defaults, and the field-path
// errors of a network that cannot sync.
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenario/load.js';
import { syncScenario } from './run.js';

describe('clock.sync', () => {
  it('defaults: hardware stamps of 8 ns, Sync 125 ms, Pdelay 1 s, first_step 20 µs, step 1 s, median of 10', () => {
    const s = parseScenario(syncScenario([{ name: 'gm', role: 'grandmaster' }, { name: 'a', role: 'client' }]), 'test');
    expect(s.vms[1]!.clock.sync).toEqual({
      protocol: 'gptp', role: 'client', timestamping: 'hardware', granularityNs: 8,
      syncIntervalNs: 125_000_000, pdelayIntervalNs: 1_000_000_000, delayFilterLength: 10,
      servo: { firstStepThresholdNs: 20_000, stepThresholdNs: 1_000_000_000, maxFrequencyPpb: 500_000 },
    });
    expect(s.network.timeAware).toBe(true);
    expect(s.vms[0]!.devices[1]).toMatchObject({ type: 'net', asymmetryNs: 0 });
  });

  it('a client with no grandmaster is an error naming its role field', () => {
    expect(() => parseScenario(syncScenario([{ name: 'a', role: 'client' }, { name: 'b', role: 'client' }]), 'test'))
      .toThrow(/vms\[0\]\.clock\.sync\.role: a client with no grandmaster to sync to/);
  });

  it('a second grandmaster names the first', () => {
    expect(() => parseScenario(syncScenario([{ name: 'a', role: 'grandmaster' }, { name: 'b', role: 'grandmaster' }]), 'test'))
      .toThrow(/vms\[1\]\.clock\.sync\.role: a second grandmaster: vms\[0\]\.clock\.sync\.role is one already/);
  });

  it('a VM without a net device cannot run gPTP', () => {
    const json = syncScenario([{ name: 'gm', role: 'grandmaster' }, { name: 'a', role: 'client' }]) as { vms: { devices: unknown[] }[] };
    json.vms[1]!.devices = [{ type: 'console' }];
    expect(() => parseScenario(json, 'test')).toThrow(/vms\[1\]\.clock\.sync: gPTP runs over Ethernet: the VM needs a net device/);
  });

  it('field checks: granularity, protocol, interval', () => {
    const bad = (sync: Record<string, unknown>) => () =>
      parseScenario(syncScenario([{ name: 'gm', role: 'grandmaster', sync }, { name: 'a', role: 'client' }]), 'test');
    expect(bad({ granularityNs: 0 })).toThrow(/vms\[0\]\.clock\.sync\.granularityNs/);
    expect(bad({ protocol: 'ntp' })).toThrow(/vms\[0\]\.clock\.sync\.protocol/);
    expect(bad({ syncIntervalNs: '100us' })).toThrow(/vms\[0\]\.clock\.sync\.syncIntervalNs: must be at least 1ms/);
  });
});
