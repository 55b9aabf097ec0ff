// The arithmetic of limits.ts against the code it mirrors: the core's own layout, the guest
// drivers' allocations, and the CAN frame bit counts of the cited formula.
import { describe, expect, test } from 'vitest';
import { loadCoreModule } from '../../src/core/wasm-file.js';
import { coreLimitsFor } from '../../src/platform/platform.js';
import { CountingSink } from '../../src/platform/sink.js';
import { Platform } from '../../src/platform/platform.js';
import { loadScenario, parseScenario } from '../../src/scenario/load.js';
import { CORE_MEMORY_BYTES_MAX, MIB, canFrameBitsMax, coreMemoryBytes } from '../../src/scenario/limits.js';
import { guestRamNeededBytes } from '../../src/scenario/guest-ram.js';
import type { CoreLimits } from '../../src/core/api.js';

async function coreLayoutBytes(limits: CoreLimits): Promise<number> {
  const x = await loadCoreModule();
  x.frameRingLimits(limits.frameRingRows ?? 0, limits.frameRingBytes ?? 0); // frames table (issue 12 §1)
  x.init(
    limits.vmCount, BigInt(limits.hostRamBytes), limits.ptPages, limits.queueCount, limits.deviceCount,
    limits.linkCount, limits.switchPortCount, limits.macCount, limits.canNodeCount, limits.frameSlots,
    limits.frameBytesMax, limits.timerCapacity, limits.traceCapacity, limits.scratchBytes, 1n,
  );
  return x.layoutBytes() >>> 0;
}

const vm = (i: number, ramMiB: number, devices: object[]) => ({ name: `v${i}`, ecu: `E${i}`, ramMiB, devices, program: { type: 'idle' } });

describe('limits.ts against what it mirrors', () => {
  test('coreMemoryBytes covers the layout the core computes, within its static-data margin', async () => {
    const scenarios = [
      loadScenario('cockpit'),
      loadScenario('hostile'),
      parseScenario({ name: 'big', vms: Array.from({ length: 16 }, (_, i) => vm(i, 64, [{ type: 'console' }, { type: 'net', mac: `02:00:00:00:00:${10 + i}` }])) }, 'big'),
    ];
    for (const s of scenarios) {
      const limits = coreLimitsFor(s);
      const actual = await coreLayoutBytes(limits);
      const estimate = coreMemoryBytes(limits);
      expect(estimate, s.name).toBeGreaterThanOrEqual(actual);
      expect(estimate - actual, s.name).toBeLessThanOrEqual(128 * 1024);
    }
  });

  test('guest RAM per VM: the smallest ramMiB the check accepts boots its drivers, one MiB less does not', async () => {
    const net = (n: number) => ({ type: 'net', mac: `02:00:00:00:00:0${n}` });
    const deviceSets = [[{ type: 'console' }], [{ type: 'console' }, net(1)], [net(1), net(2), { type: 'can', bus: 'c' }], [net(1), net(2), net(3), net(4)]];
    for (const devices of deviceSets) {
      const needMiB = Math.ceil(guestRamNeededBytes(devices as { type: 'console' | 'net' | 'can' }[]) / MIB);
      const scenario = (ramMiB: number) => ({ name: 'ram', canBuses: [{ name: 'c', bitsPerSecond: 500000 }], vms: [vm(0, ramMiB, devices)] });
      const s = parseScenario(scenario(needMiB), 'ram');
      await Platform.create(s, new CountingSink()); // boots
      if (needMiB === 1) continue;
      expect(() => parseScenario(scenario(needMiB - 1), 'ram')).toThrow(
        new RegExp(`vms\\[0\\]\\.ramMiB: ${needMiB - 1} MiB cannot hold its devices' rings and buffers \\(\\d+ bytes\\): at least ${needMiB}`),
      );
      // The same scenario past the check: the drivers run out of guest RAM at boot.
      const tooSmall = { ...s, vms: [{ ...s.vms[0]!, ramMiB: needMiB - 1 }] };
      await expect(Platform.create(tooSmall, new CountingSink())).rejects.toThrow(/guest RAM exhausted/);
    }
  });

  test('CAN 2.0 frame bits with worst-case stuffing (Davis et al. 2007, eq. 1)', () => {
    expect(canFrameBitsMax(8, false)).toBe(135);
    expect(canFrameBitsMax(8, true)).toBe(160);
    expect(canFrameBitsMax(0, false)).toBe(55);
    expect(canFrameBitsMax(0, true)).toBe(80);
  });

  test('a scenario just under the core memory bound loads and runs; just over it is refused', async () => {
    // 3 x 1024 MiB + a fourth VM sized to leave less than the bound's margin.
    const base = (lastMiB: number) => ({
      name: 'ram', durationNs: '10ms',
      vms: [vm(0, 1024, []), vm(1, 1024, []), vm(2, 1024, []), vm(3, lastMiB, [{ type: 'console' }])],
    });
    let lastMiB = 1024;
    while (lastMiB > 1) {
      try {
        parseScenario(base(lastMiB), 'ram');
        break;
      } catch {
        lastMiB--;
      }
    }
    const s = parseScenario(base(lastMiB), 'ram');
    expect(coreMemoryBytes(coreLimitsFor(s))).toBeLessThanOrEqual(CORE_MEMORY_BYTES_MAX);
    expect(() => parseScenario(base(lastMiB + 1), 'ram')).toThrow(/vms: needs .* MiB of core memory .* more than the core's 4095\.9 MiB/);
    const sink = new CountingSink();
    const platform = await Platform.create(s, sink);
    expect(platform.run().durationNs).toBe(10_000_000);
    expect(sink.dltRows).toBe(0);
  }, 60_000);
});
