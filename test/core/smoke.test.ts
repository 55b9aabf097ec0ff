import { describe, expect, it } from 'vitest';
import { makeCore, vmWithDevice, queueAt, TraceLog } from './helpers.js';

describe('smoke', () => {
  it('submits, pops, pushes and reclaims one chain', async () => {
    const core = await makeCore();
    const log = new TraceLog(core);
    vmWithDevice(core, 0, 0);
    const { q, bufGpa } = queueAt(core, { vm: 0, dev: 0, size: 8, base: 0x1000 });
    expect(core.drvSubmit(q, [{ out: [{ gpa: bufGpa, len: 10 }], in: [{ gpa: bufGpa + 64, len: 20 }] }])).toBe(1);
    const popped = core.devPop(q);
    expect(popped).toMatchObject({ head: 0 });
    core.devPush(q, 0, 5);
    expect(core.drvReclaim(q, 8)).toEqual([{ id: 0, len: 5 }]);
    expect(log.of('vq_avail').length).toBe(1);
    expect(log.of('vq_used').length).toBe(1);
  });
});
