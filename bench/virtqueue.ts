// Side-by-side figure: the split-virtqueue cycle in the WASM core (batched, one crossing per
// hundreds of thousands of chains, stage-2 + IOMMU translation and trace rows included) against
// the plain-TypeScript reference in virtqueue-ref.ts. Rounds alternate core / ref on the same
// machine; each side reports its median round (shared, noisy machines: trust the ratio).

import { performance } from 'node:perf_hooks';
import { Core } from '../src/core/core.js';
import type { ChainSpec } from '../src/core/api.js';
import { RefSplitQueue, refCycle, type RefBuffer } from './virtqueue-ref.js';

const QUEUE_SIZE = 256;
const ROUNDS = 7;
const RAM = 1 << 20;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function setupCore(): { core: Core; q: number; chain: ChainSpec } {
  const core = Core.loadSync(
    {
      vmCount: 1, hostRamBytes: 2 * RAM, ptPages: 16, queueCount: 1, deviceCount: 1, linkCount: 0,
      switchPortCount: 0, macCount: 0, canNodeCount: 0, frameSlots: 0, frameBytesMax: 1536,
      timerCapacity: 16, traceCapacity: 1 << 20, scratchBytes: 64 * 1024,
    },
    1n,
  );
  core.setTraceSink(() => {}); // rows are written, then dropped: the recorder is not measured here
  core.vmCreate(0, RAM);
  core.iommuCreate(0, 0);
  core.iommuMapGuest(0, 0, RAM / 4096, 3);
  const q = core.vqCreate({
    vm: 0, dev: 0, index: 0, size: QUEUE_SIZE, descGpa: 0x1000, availGpa: 0x3000, usedGpa: 0x4000, eventIdx: true,
  });
  const chain = { out: [{ gpa: 0x10_000, len: 64 }], in: [{ gpa: 0x11_000, len: 64 }, { gpa: 0x12_000, len: 64 }] };
  return { core, q, chain };
}

function setupRef(): { q: RefSplitQueue; chain: RefBuffer[] } {
  const mem = new Uint8Array(RAM);
  const q = new RefSplitQueue(mem, QUEUE_SIZE, 0x1000, 0x3000, 0x4000);
  const chain = [
    { gpa: 0x10_000, len: 64, write: false },
    { gpa: 0x11_000, len: 64, write: true },
    { gpa: 0x12_000, len: 64, write: true },
  ];
  return { q, chain };
}

function timed(run: () => number, chains: number): number {
  const t0 = performance.now();
  const done = run();
  const seconds = (performance.now() - t0) / 1000;
  if (done !== chains) throw new Error(`bench: ${done} of ${chains} chains completed`);
  return chains / seconds;
}

export function benchVirtqueue(opts: { chains?: number } = {}): {
  coreChainsPerSec: number;
  refChainsPerSec: number;
  ratio: number;
} {
  const chains = opts.chains ?? 2_000_000;
  const c = setupCore();
  const r = setupRef();
  const warm = Math.max(1, chains >> 2);
  timed(() => c.core.benchCycle(c.q, c.chain, warm), warm);
  timed(() => refCycle(r.q, r.chain, warm), warm);
  const coreRates: number[] = [];
  const refRates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    coreRates.push(timed(() => c.core.benchCycle(c.q, c.chain, chains), chains));
    refRates.push(timed(() => refCycle(r.q, r.chain, chains), chains));
  }
  const coreChainsPerSec = median(coreRates);
  const refChainsPerSec = median(refRates);
  return { coreChainsPerSec, refChainsPerSec, ratio: coreChainsPerSec / refChainsPerSec };
}
