// link_loss and link_corrupt (issue 9 §5) on the bridge of test/faults/run.ts: one Ethernet frame
// a millisecond goes gateway -> switch (the gateway's link) and switch -> cluster (the cluster's).
import { describe, expect, it } from 'vitest';
import { FAULT_EDGE } from '../../src/core/codes.js';
import { CLUSTER_LINK, CLUSTER_MAC, GATEWAY_LINK, GATEWAY_MAC, MS, bridge, runFaults, type Row } from './run.js';

const onLink = (rows: Row[], link: number) => rows.filter((r) => r.id === link);
const inside = (r: Row, fromNs: number, toNs: number) => r.ts >= fromNs && r.ts < toNs;
const FCS_ERROR = 4; // switch drop reason (assembly/bus/switch.ts DROP_FCS_ERROR)

describe('link_loss', () => {
  it('a down window: no link_rx on that link inside it, a lost-frame row for each frame, rows at its edges', async () => {
    const run = await runFaults(bridge({ faults: [{ type: 'link_loss', mac: CLUSTER_MAC, at: '300ms', for: '200ms' }] }));
    const rx = onLink(run.of('link_rx'), CLUSTER_LINK);
    const tx = onLink(run.of('link_tx'), CLUSTER_LINK);
    expect(rx.filter((r) => inside(r, 300 * MS, 500 * MS))).toEqual([]);
    expect(rx.some((r) => r.ts < 300 * MS) && rx.some((r) => r.ts >= 500 * MS)).toBe(true);
    const injected = run.injected('link_loss');
    const edges = injected.filter((r) => r.val !== FAULT_EDGE.hit).map((r) => [r.ts, r.val, r.queue, r.vm, r.dev]);
    expect(edges).toEqual([[300 * MS, FAULT_EDGE.start, CLUSTER_LINK, 0, 1], [500 * MS, FAULT_EDGE.end, CLUSTER_LINK, 0, 1]]);
    const lost = injected.filter((r) => r.val === FAULT_EDGE.hit);
    // One frame a millisecond arrives on the link: the window takes exactly those due inside it.
    expect(lost.length).toBe(200);
    for (const r of lost) expect(inside(r, 300 * MS, 500 * MS) && r.queue === CLUSTER_LINK).toBe(true);
    // Every frame that started on the link either arrived or was lost (none still in flight at 1 s).
    expect(rx.length + lost.length).toBe(tx.length);
    // The gateway's own link is untouched.
    expect(onLink(run.of('link_rx'), GATEWAY_LINK).length).toBe(onLink(run.of('link_tx'), GATEWAY_LINK).length);
  });

  it('ppm=1000000 loses every frame on every link; nothing reaches the switch', async () => {
    const run = await runFaults(bridge({ faults: [{ type: 'link_loss', ppm: 1_000_000 }] }));
    expect(run.of('link_rx')).toEqual([]);
    expect(run.of('switch_forward')).toEqual([]);
    const lost = run.injected('link_loss').filter((r) => r.val === FAULT_EDGE.hit);
    expect(lost.length).toBe(run.of('link_tx').length);
    expect(lost.length).toBeGreaterThan(900);
  });

  it('ppm=300000 loses about 30 % of the frames, and the seed decides which', async () => {
    const lossOf = async (seed: number) => {
      const run = await runFaults(bridge({ seed, faults: [{ type: 'link_loss', mac: GATEWAY_MAC, ppm: 300_000 }] }));
      const lost = run.injected('link_loss').filter((r) => r.val === FAULT_EDGE.hit);
      return { lost: lost.map((r) => r.ts), sent: onLink(run.of('link_tx'), GATEWAY_LINK).length };
    };
    const a = await lossOf(7);
    // ~1000 frames, p = 0.3: the binomial's standard deviation is 14.5 frames; 0.24..0.36 is > 4 sigma.
    expect(a.lost.length / a.sent).toBeGreaterThan(0.24);
    expect(a.lost.length / a.sent).toBeLessThan(0.36);
    expect(await lossOf(7)).toEqual(a);
    expect((await lossOf(8)).lost).not.toEqual(a.lost);
  });
});

describe('link_corrupt', () => {
  it('a corrupted frame from the gateway arrives (link_rx) and the switch drops it for its FCS', async () => {
    const run = await runFaults(bridge({ faults: [{ type: 'link_corrupt', mac: GATEWAY_MAC, ppm: 1_000_000 }] }));
    const hits = run.injected('link_corrupt').filter((r) => r.val === FAULT_EDGE.hit);
    const rx = onLink(run.of('link_rx'), GATEWAY_LINK);
    expect(hits.length).toBe(rx.length);
    expect(hits.length).toBeGreaterThan(900);
    // Each row names the flipped bit: inside the frame (len of its link_rx row, in bits).
    hits.forEach((h, i) => {
      expect(h.len).toBeGreaterThanOrEqual(0);
      expect(h.len).toBeLessThan(rx[i]!.len * 8);
    });
    const drops = run.of('switch_drop');
    expect(drops.length).toBe(hits.length);
    expect(drops.every((d) => d.id === FCS_ERROR)).toBe(true);
    expect(run.of('switch_forward')).toEqual([]);
  });

  it('a corrupted frame towards the cluster is dropped by the cluster\'s device (rx_drop), never delivered', async () => {
    const run = await runFaults(bridge({ faults: [{ type: 'link_corrupt', mac: CLUSTER_MAC, ppm: 1_000_000 }] }));
    const hits = run.injected('link_corrupt').filter((r) => r.val === FAULT_EDGE.hit);
    const drops = run.of('rx_drop');
    expect(hits.length).toBeGreaterThan(900);
    expect(drops.map((d) => [d.ts, d.vm, d.dev, d.queue])).toEqual(hits.map((h) => [h.ts, 0, 1, 0]));
    // Nothing was written into the cluster's receive queue (queue 0 of device 1).
    expect(run.of('vq_used').filter((r) => r.dev === 1 && r.queue === 0)).toEqual([]);
  });
});
