// The core's read-only views behind --state, each checked against something computed another
// way: a link_tx row (serialisation time), a CAN arbitration row (winner on the bus, the loser
// keeping its mailbox), the token bucket's own charge arithmetic; and looking changes nothing.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { KIND } from '../../src/core/codes.js';
import { Platform } from '../../src/platform/platform.js';
import { recordScenario } from '../../src/platform/record.js';
import type { PlatformSink } from '../../src/platform/sink.js';
import { CountingSink } from '../../src/platform/sink.js';
import { loadScenario } from '../../src/scenario/load.js';
import { collectState } from '../../src/replay/state.js';
import { travel } from '../../src/replay/travel.js';

const RUN_NS = 200_000_000;

interface Row { seq: number; ts: number; kind: number; vm: number; vcpu: number; dev: number; queue: number; id: number; len: number; val: number }

let trace: string;
const rows: Row[] = [];

beforeAll(async () => {
  trace = join(mkdtempSync(join(tmpdir(), 'tv-travel-views-')), 'trace');
  await recordScenario(loadScenario('cockpit', { durationNs: RUN_NS }), trace);
  const sink: PlatformSink = {
    events(cols, count) {
      for (let i = 0; i < count; i++) {
        rows.push({
          seq: Number(cols.seq[i]), ts: Number(cols.ts_ns[i]), kind: cols.kind[i]!, vm: cols.vm[i]!, vcpu: cols.vcpu[i]!, dev: cols.dev[i]!,
          queue: cols.queue[i]!, id: Number(cols.id[i]), len: cols.len[i]!, val: Number(cols.val[i]),
        });
      }
    },
    dlt: () => {},
    clock: () => {},
    input: () => {},
  };
  (await Platform.create(loadScenario('cockpit', { durationNs: RUN_NS }), sink)).run(RUN_NS);
});

describe('core views', () => {
  it('a link 1 ns into a frame: on the wire, free at tx start + the serialisation time of its link_tx row', async () => {
    const tx = rows.find((r) => r.kind === KIND.link_tx)!;
    const s = collectState((await travel(trace, { untilNs: tx.ts + 1 })).platform);
    const link = s.links.find((l) => l.link === tx.id)!;
    const busy = [link.toSwitch, link.fromSwitch].filter((d) => d.onWire);
    expect(busy.map((d) => d.busyUntilNs)).toContain(tx.ts + tx.val);
  });

  it('a CAN bus 1 ns into an arbitration of 2: the winner on the bus, the loser still in its mailbox', async () => {
    const arb = rows.find((r) => r.kind === KIND.can_arbitration && r.len === 2)!;
    const s = collectState((await travel(trace, { untilNs: arb.ts + 1 })).platform);
    const bus = s.canBuses[arb.queue]!;
    expect(bus).toMatchObject({ busy: true, canId: arb.id });
    const held = s.canNodes.filter((n) => n.bus === arb.queue).flatMap((n) => n.mailboxes);
    expect(held.length).toBeGreaterThanOrEqual(1);
    const loser = held.find((m) => m.readyAtNs <= arb.ts)!;
    expect(loser.canId).not.toBe(arb.id);
    // lower identifier wins arbitration (ISO 11898-1): the loser's is higher (both standard ids here)
    expect(loser.canId).toBeGreaterThan(arb.id);
  });

  it("the bus budget's tokens follow the core's own charge and refill arithmetic", async () => {
    // cockpit's cluster (vm 0): 2000000 bytes per 10 ms, full at t = 0
    const platform = await Platform.create(loadScenario('cockpit', { durationNs: RUN_NS }), new CountingSink());
    const { core } = platform;
    expect(core.busBudgetState(0)).toEqual({ on: true, bytesPerPeriod: 2_000_000, periodNs: 10_000_000, tokensBytes: 2_000_000 });
    // 123456 bytes beyond the bucket: that debt takes 123456 x 10 ms / 2000000 B = 617280 ns
    expect(core.busCharge(0, 2_000_000 + 123_456)).toBe(617_280);
    expect(core.busBudgetState(0).tokensBytes).toBe(-123_456);
    // 1 ms later the bucket has refilled 200000 bytes (rate 2000000 B / 10 ms), as a view only…
    core.setNow(1_000_000);
    expect(core.busBudgetState(0).tokensBytes).toBe(76_544);
    expect(core.busBudgetState(0).tokensBytes).toBe(76_544);
    // …and a real refill (a charge of 0 bytes) agrees
    expect(core.busCharge(0, 0)).toBe(0);
    expect(core.busBudgetState(0).tokensBytes).toBe(76_544);
  });

  it("a preempted vCPU's slice-end event still queued is shown as stale, the live one is not", async () => {
    // A preemption by priority (not a round-robin yield at the slice's own end): the cluster
    // (vm 0, priority 90) starts running at the same time on the pCPU the victim left.
    const preempt = rows.find((r) => r.kind === KIND.sched_preempt && r.vm !== 0 &&
      rows.some((q) => q.kind === KIND.sched_run && q.vm === 0 && q.ts === r.ts && q.seq > r.seq))!;
    expect(preempt).toBeDefined();
    const { platform } = await travel(trace, { untilNs: preempt.ts });
    const s = collectState(platform, { pendingMax: 1000 });
    const label = `slice end: vm ${preempt.vm} vcpu ${preempt.vcpu}`;
    const ends = s.pending.next.filter((p) => p.what.startsWith(label));
    const vcpu = s.vms[preempt.vm]!.vcpus[preempt.vcpu]!;
    // the preempted slice's event is still queued (it was armed to fire after now)…
    expect(ends.filter((p) => p.what.includes('(stale')).length).toBeGreaterThanOrEqual(1);
    // …and a live slice end, if the vCPU runs again, is at exactly its sliceEndNs
    for (const live of ends.filter((p) => !p.what.includes('(stale'))) expect(live.timeNs).toBe(vcpu.sliceEndNs);
    if (vcpu.state !== 'running') expect(vcpu.sliceEndNs).toBe(-1);
  });

  it('looking changes nothing: no TLB counted, no row, the same state twice', async () => {
    const { platform } = await travel(trace, { untilNs: 100_000_000 });
    const { core } = platform;
    const tlbs = (): unknown => platform.vms.map((vm) => core.tlbStats(vm.vmIndex));
    const before = { seq: core.seqNext(), rows: core.traceCount(), tlb: tlbs() };
    const first = collectState(platform);
    expect(core.guestPeek(0, 0x2000, 4096)).toBeInstanceOf(Uint8Array);
    const second = collectState(platform);
    expect(second).toEqual(first);
    expect({ seq: core.seqNext(), rows: core.traceCount(), tlb: tlbs() }).toEqual(before);
    // the guest's own read path does count (so the check above can fail)
    core.guestRead(0, 0x2000, 16);
    expect(tlbs()).not.toEqual(before.tlb);
  });
});
