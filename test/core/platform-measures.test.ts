// The platform section's measures (bench/platform-measures.ts, issue 10 targets) count and weigh
// what they claim: every call into the core's exports, sampled time by frame kind, bytes
// allocated including the ones the GC already took back.
import { afterEach, describe, expect, it } from 'vitest';
import { Session } from 'node:inspector/promises';
import { Core } from '../../src/core/core.js';
import { setCoreExportsWrapper } from '../../src/core/wasm-file.js';
import type { CoreExports } from '../../src/core/exports.js';
import {
  allocatedBytes, countingExports, sampleAllocations, sharesOf,
} from '../../bench/platform-measures.js';

afterEach(() => setCoreExportsWrapper(null));

describe('crossing counter', () => {
  it('counts each call by export name and passes arguments, results and memory through', () => {
    const memory = { buffer: new ArrayBuffer(8) };
    const fake = { memory, add: (a: number, b: number) => a + b, now: () => 7n };
    const calls = new Map<string, number>();
    const x = countingExports(fake as unknown as CoreExports, calls) as unknown as typeof fake;
    expect(x.add(2, 3)).toBe(5);
    expect(x.add(4, 5)).toBe(9);
    expect(x.now()).toBe(7n);
    expect(x.memory).toBe(memory);
    expect([...calls]).toEqual([['add', 2], ['now', 1]]);
  });

  it('sees the calls a Core makes once installed through the bench-only hook', () => {
    const calls = new Map<string, number>();
    setCoreExportsWrapper((x) => countingExports(x, calls));
    const core = Core.loadSync({
      vmCount: 1, hostRamBytes: 1 << 20, ptPages: 8, queueCount: 1, deviceCount: 1, linkCount: 0,
      switchPortCount: 0, macCount: 0, canNodeCount: 0, frameSlots: 0, frameBytesMax: 1536,
      timerCapacity: 16, traceCapacity: 1 << 12, scratchBytes: 4096,
    }, 1n);
    setCoreExportsWrapper(null);
    expect(calls.get('init')).toBe(1);
    const before = calls.get('vmCreate') ?? 0;
    core.vmCreate(0, 1 << 16);
    expect(calls.get('vmCreate')).toBe(before + 1);
  });
});

describe('CPU profile shares', () => {
  it('weights each sample by its time delta and sorts frames into wasm, GC, JS, program, idle', () => {
    const frame = (id: number, functionName: string, url = '') => ({ id, callFrame: { functionName, url } });
    const profile = {
      nodes: [
        frame(1, '(root)'), frame(2, 'wasm-function[57]', 'wasm://wasm/0002c82a'),
        frame(3, '(garbage collector)'), frame(4, 'run', 'file:///x.js'), frame(5, '(idle)'),
      ],
      samples: [2, 2, 4, 3, 5, 1],
      timeDeltas: [100, 300, 200, 200, 100, 100],
    };
    expect(sharesOf(profile)).toEqual({ wasm: 0.4, gc: 0.2, js: 0.2, program: 0.1, idle: 0.1 });
  });
});

describe('allocation sampling', () => {
  it('sums the self sizes of the whole tree', () => {
    const leaf = (selfSize: number) => ({ selfSize, children: [] });
    expect(allocatedBytes({ selfSize: 1, children: [leaf(2), { selfSize: 3, children: [leaf(4)] }] })).toBe(10);
  });

  it('estimates the bytes of arrays the GC already collected within 15 %', async () => {
    const session = new Session();
    session.connect();
    try {
      await session.post('HeapProfiler.enable');
      const arrays = 400;
      const slots = 10_000;
      let kept = 0;
      const bytes = await sampleAllocations(session, async () => {
        for (let i = 0; i < arrays; i++) kept += new Array<number>(slots).fill(i).length;
      });
      expect(kept).toBe(arrays * slots);
      // Each array's backing store: `slots` tagged slots (4 bytes with pointer compression, 8
      // without) plus headers; what else the test process allocates meanwhile is small.
      const variables = process.config.variables as Record<string, unknown>;
      const compressed = variables.v8_enable_pointer_compression;
      const slotBytes = compressed === 1 || compressed === true || compressed === 'true' ? 4 : 8;
      const expected = arrays * slots * slotBytes;
      expect(bytes).toBeGreaterThan(0.85 * expected);
      expect(bytes).toBeLessThan(1.15 * expected + (1 << 20));
    } finally {
      session.disconnect();
    }
  });
});
