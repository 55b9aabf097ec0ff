// can_error and can_bus_off (issue 9 §5): one ECU sends an 8-byte standard frame every 1 ms on a
// 500 kbit/s bus, the gateway's virtio-can device receives it (test/faults/run.ts).
import { describe, expect, it } from 'vitest';
import { FAULT_EDGE } from '../../src/core/codes.js';
import { MS, bridge, runFaults, type Row } from './run.js';

const BPS = 500_000;
const ceilNs = (bits: number) => Math.ceil((bits * 1e9) / BPS);
/** ISO 11898-1: a standard data frame of 8 bytes is 47 + 64 bits (no stuffing in the model). */
const FRAME_NS = ceilNs(47 + 8 * 8);
/** Error flag 6 + delimiter 8 + intermission 3 bits. */
const ERROR_FRAME_NS = ceilNs(17);
const inside = (r: Row, fromNs: number, toNs: number) => r.ts >= fromNs && r.ts < toNs;

describe('can_error', () => {
  it('ppm=1000000 for a window: every attempt in it is destroyed and retried, back to back', async () => {
    const run = await runFaults(bridge({ faults: [{ type: 'can_error', bus: 'can0', at: '100ms', for: '100ms' }] }));
    expect(run.of('can_tx').filter((r) => inside(r, 100 * MS, 200 * MS))).toEqual([]);
    const hits = run.injected('can_error').filter((r) => r.val === FAULT_EDGE.hit);
    // The frame released at exactly 100 ms is the first destroyed; each retry follows the error
    // frame at once (the frame stays in its mailbox), so attempts are FRAME + ERROR_FRAME apart.
    const stepNs = FRAME_NS + ERROR_FRAME_NS;
    expect(hits[0]!.ts).toBe(100 * MS);
    hits.forEach((h, i) => expect(h.ts).toBe(100 * MS + i * stepNs));
    expect(hits.length).toBe(Math.ceil((100 * MS) / stepNs));
    for (const h of hits) expect([h.queue, h.vm, h.dev, h.len]).toEqual([0, -1, -1, 8]);
    // After the window the frames waiting in the mailboxes go out, and the gateway receives them.
    const after = run.of('can_tx').filter((r) => r.ts >= 200 * MS);
    expect(after.length).toBeGreaterThan(700);
    expect(run.of('can_rx').filter((r) => r.ts >= 200 * MS).length).toBeGreaterThanOrEqual(after.length - 1);
  });

  it('ppm=300000: about 30 % of the attempts fail, and every failed frame is sent again', async () => {
    const run = await runFaults(bridge({ faults: [{ type: 'can_error', ppm: 300_000 }] }));
    const hits = run.injected('can_error').filter((r) => r.val === FAULT_EDGE.hit);
    const rounds = run.of('can_arbitration');
    // Each arbitration round either starts a frame (can_tx) or ends in an error frame.
    expect(hits.length + run.of('can_tx').length).toBe(rounds.length);
    // ~1400 attempts at p = 0.3: sd ~17; 0.25..0.35 is beyond 4 sigma.
    expect(hits.length / rounds.length).toBeGreaterThan(0.25);
    expect(hits.length / rounds.length).toBeLessThan(0.35);
    // Retransmission: every frame the ECU handed over is eventually on the bus (bar the last few).
    const ecu = run.platform.ecus[0]!;
    expect(ecu.framesRefused).toBe(0);
    expect(run.of('can_tx').length).toBeGreaterThan(ecu.framesSent - 3);
  });
});

describe('can_bus_off', () => {
  it('the ECU sends nothing inside the window: each request refused with a row, then it recovers', async () => {
    const run = await runFaults(bridge({ faults: [{ type: 'can_bus_off', node: 'esc', at: '100ms', for: '100ms' }] }));
    expect(run.of('can_arbitration').filter((r) => inside(r, 100 * MS, 200 * MS))).toEqual([]);
    const rows = run.injected('can_bus_off');
    const edges = rows.filter((r) => r.val !== FAULT_EDGE.refused).map((r) => [r.ts, r.val, r.queue, r.vm, r.dev]);
    expect(edges).toEqual([[100 * MS, FAULT_EDGE.start, 0, -1, -1], [200 * MS, FAULT_EDGE.end, 0, -1, -1]]);
    // Releases every 1 ms at 100, 101 … 199 ms fall inside [100 ms, 200 ms): 100 refused.
    const refused = rows.filter((r) => r.val === FAULT_EDGE.refused);
    expect(refused.length).toBe(100);
    expect(refused.every((r) => inside(r, 100 * MS, 200 * MS) && r.len === 8)).toBe(true);
    expect(run.platform.ecus[0]!.framesRefused).toBe(100);
    // Recovered: the frame released at 200 ms is on the bus at 200 ms.
    expect(run.of('can_tx').find((r) => r.ts >= 200 * MS)!.ts).toBe(200 * MS);
  });
});
