// desc_corrupt (issue 9 §5): the cluster's virtio-net device returns its receive buffers with a
// wrong used id; the cluster's driver refuses each one, and the buffer behind it is lost to it.
import { describe, expect, it } from 'vitest';
import { FAULT, FAULT_EDGE } from '../../src/core/codes.js';
import { NET_QUEUE_SIZE, NET_RXQ } from '../../src/devices/net.js';
import { CLUSTER_LINK, MS, bridge, runFaults } from './run.js';

const CLUSTER_VM = 0;
const CLUSTER_NET_DEV = 1; // console 0, net 1 (src/scenario/topology.ts)
const onRxQueue = (r: { vm: number; dev: number; queue: number }) =>
  r.vm === CLUSTER_VM && r.dev === CLUSTER_NET_DEV && r.queue === NET_RXQ;

describe('desc_corrupt', () => {
  it('every used element wrong: the driver refuses each, its ring runs dry after one ring of buffers, then frames are dropped', async () => {
    const run = await runFaults(bridge({ faults: [{ type: 'desc_corrupt', vm: 'cluster', device: 1 }] }));
    const hits = run.injected('desc_corrupt').filter((r) => r.val === FAULT_EDGE.hit);
    // The driver posted one ring of buffers; each corrupted completion leaks one for good.
    expect(hits.length).toBe(NET_QUEUE_SIZE);
    expect(hits.every(onRxQueue)).toBe(true);
    // The driver's side: a desc_index_out_of_range row naming the id it found, head + queue size.
    const refused = run.of('fault').filter((r) => onRxQueue(r) && r.id === FAULT.desc_index_out_of_range);
    expect(refused.map((r) => r.len).sort((a, b) => a - b)).toEqual(hits.map((h) => h.len + NET_QUEUE_SIZE).sort((a, b) => a - b));
    // Every frame arriving after the ring ran dry finds no buffer.
    const arrived = run.of('link_rx').filter((r) => r.id === CLUSTER_LINK).length;
    expect(run.of('rx_drop').filter(onRxQueue).length).toBe(arrived - NET_QUEUE_SIZE);
  });

  it('ppm=100000 inside a window: corrupted elements only there, at about 10 %', async () => {
    const run = await runFaults(bridge({ faults: [{ type: 'desc_corrupt', vm: 'cluster', ppm: 100_000, at: '200ms', for: '600ms' }] }));
    const hits = run.injected('desc_corrupt').filter((r) => r.val === FAULT_EDGE.hit);
    expect(hits.every((h) => h.ts >= 200 * MS && h.ts < 800 * MS)).toBe(true);
    const used = run.of('vq_used').filter((r) => r.vm === CLUSTER_VM && r.ts >= 200 * MS && r.ts < 800 * MS);
    // ~600 completions at p = 0.1: sd ~7.3; 0.06..0.14 is beyond 4 sigma.
    expect(hits.length / used.length).toBeGreaterThan(0.06);
    expect(hits.length / used.length).toBeLessThan(0.14);
  });
});
