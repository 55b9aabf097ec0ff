// Time travel (issue 9 §4) on tiny scenarios whose state is worked out by hand: --until then
// --state, --break on a deadline miss, stopping never changes the run, --memory on a queue's
// descriptor table.
import { beforeAll, describe, expect, it } from 'vitest';
import { KIND } from '../../src/core/codes.js';
import { drive } from '../../src/platform/run-loop.js';
import { dumpMemory, formatHexDump, parseMemorySpec } from '../../src/replay/memory-dump.js';
import { collectState, type PlatformState } from '../../src/replay/state.js';
import { travel } from '../../src/replay/travel.js';
import { FRAME_PERIOD_NS, RUN_NS, SLICE_NS, freshRun, recordTiny } from './tiny.js';

const FRAME_COST_NS = 4_000_000; // fits in its 10 ms period: no miss
const MISS_COST_NS = 12_000_000; //  longer than its period: frame 0 misses
const CONSOLE_SERVICE_NS = 20_000; // src/devices/console.ts
const IRQ_COST_NS = 4_000; //         src/platform/vm.ts

let okTrace: string;
let missTrace: string;

beforeAll(async () => {
  okTrace = await recordTiny(FRAME_COST_NS);
  missTrace = await recordTiny(MISS_COST_NS);
});

async function stateAt(trace: string, untilNs: number): Promise<PlatformState> {
  const { platform } = await travel(trace, { untilNs });
  return collectState(platform);
}

function consoleQueue(state: PlatformState) {
  const device = state.devices.find((d) => d.type === 'console')!;
  return device.queues[0]!;
}

describe('--until then --state (tiny scenario, worked out by hand)', () => {
  // t = 0: the clock sample, then the guest start. The cluster logs "cluster up" (flushed into
  // the console transmitq: avail idx 1, the driver kicks, the service is armed at 20 us) and
  // releases frame 0: a 4 ms CPU job on vCPU 0, which wakes and is dispatched at once on the
  // only pCPU (no wait: steal 0), its slice armed for min(4 ms, 2 ms) = 2 ms; frame 1's timer
  // is armed at 10 ms.
  it('at 10 us: vCPU 0 running its first slice, one log message waiting in the console queue', async () => {
    const s = await stateAt(okTrace, 10_000);
    expect(s.timeNs).toBe(10_000);
    const vm = s.vms[0]!;
    expect(vm.guestClockNs).toBe(10_000); // offset 0, drift 0
    expect(vm.vcpus).toEqual([
      { vcpu: 0, state: 'running', pcpu: 0, priority: 50, runNs: 0, sliceRunNs: 10_000, sliceEndNs: SLICE_NS, stealNs: 0, waitingNs: 0, jobsQueued: 1 },
    ]);
    const q = consoleQueue(s);
    expect(q).toMatchObject({ index: 1, size: 256, availIdx: 1, lastAvail: 0, usedIdx: 0, waiting: 1, inFlight: 0, freeDesc: 255, failed: false });
    expect(s.pending.next.map((p) => [p.timeNs, p.what])).toEqual([
      [CONSOLE_SERVICE_NS, 'console service: dev 0'],
      [SLICE_NS, 'slice end: vm 0 vcpu 0'],
      [FRAME_PERIOD_NS, 'guest timer: vm solo'],
      [100_000_000, 'clock sample'],
    ]);
    expect(s.pending.coreEvents).toBe(0);
  });

  // t = 20 us: the console service drains the message (last avail 1, used idx 1) and notifies:
  // the driver's used_event is 0, so VIRTIO 1.2 §2.7.10 says interrupt; the handler is a 4 us
  // job queued behind frame 0 on vCPU 0. t = 2 ms: the slice ends, 2 ms credited, 2 ms left,
  // nobody waits: the next slice runs to 4 ms. The driver reclaims only when it next flushes
  // logs or its interrupt job runs, so its free count is still 255.
  it('at 3 ms: second slice in progress, the interrupt job queued, the message consumed', async () => {
    const s = await stateAt(okTrace, 3_000_000);
    expect(s.vms[0]!.vcpus[0]).toEqual({
      vcpu: 0, state: 'running', pcpu: 0, priority: 50, runNs: SLICE_NS, sliceRunNs: 1_000_000, sliceEndNs: 2 * SLICE_NS, stealNs: 0, waitingNs: 0, jobsQueued: 2,
    });
    expect(consoleQueue(s)).toMatchObject({ availIdx: 1, lastAvail: 1, usedIdx: 1, waiting: 0, inFlight: 0, freeDesc: 255 });
    expect(s.pending.next.map((p) => p.timeNs)).toEqual([2 * SLICE_NS, FRAME_PERIOD_NS, 100_000_000]);
  });

  // t = 4 ms: frame 0 done (4 ms run); it logs "frames 1 …" (frame 0 % 60 == 0), flushed as
  // avail idx 2 with a reclaim first (free back to 256, then 255); its service is armed at
  // 4.02 ms. The interrupt job runs 4 ms .. 4.004 ms; vCPU 0 goes idle. At 4.02 ms the second
  // message is drained and notified (another 4 us job: 4.02 .. 4.024 ms, reclaiming it).
  it('at 5 ms: vCPU 0 idle after 4 ms + 2 interrupt jobs, both messages consumed and reclaimed', async () => {
    const s = await stateAt(okTrace, 5_000_000);
    expect(s.vms[0]!.vcpus[0]).toEqual({
      vcpu: 0, state: 'idle', pcpu: -1, priority: 50, runNs: FRAME_COST_NS + 2 * IRQ_COST_NS, sliceRunNs: 0, sliceEndNs: -1, stealNs: 0, waitingNs: 0, jobsQueued: 0,
    });
    expect(consoleQueue(s)).toMatchObject({ availIdx: 2, lastAvail: 2, usedIdx: 2, waiting: 0, inFlight: 0, freeDesc: 256 });
    expect(s.vms[0]!.deadlineMisses).toBe(0);
  });

  it('the state at the end (--until = duration) equals a fresh run\'s summary', async () => {
    const fresh = await freshRun(FRAME_COST_NS);
    const s = await stateAt(okTrace, RUN_NS);
    const vm = s.vms[0]!;
    const summary = fresh.summary.vms[0]!;
    expect(vm.vcpus.reduce((n, v) => n + v.runNs, 0)).toBe(summary.runNs);
    expect(vm.vcpus.reduce((n, v) => n + v.stealNs, 0)).toBe(summary.stealNs);
    expect(vm.deadlineMisses).toBe(summary.deadlineMisses);
    expect(vm.logsDropped).toBe(summary.logsDropped);
    // every row of the fresh run has been emitted, and no more
    expect(s.seqNext).toBeGreaterThan(fresh.rows.at(-1)!.seq);
  });
});

describe('--break', () => {
  // Frame 0 costs 12 ms in 2 ms slices on an otherwise idle vCPU (its interrupt jobs queue
  // behind it), so it completes at 12 ms: 12 ms - 0 - 10 ms period = 2 ms late, the first miss.
  it("kind = 'deadline_miss' stops at frame 0's miss: the recorded row, seq as in a fresh run", async () => {
    const fresh = await freshRun(MISS_COST_NS);
    const first = fresh.rows.find((r) => r.kind === KIND.deadline_miss)!;
    const { platform, stop } = await travel(missTrace, { breakPredicate: "kind = 'deadline_miss'" });
    expect(stop.reason).toBe('break');
    expect(stop.event).toMatchObject({ kind: 'deadline_miss', ts_ns: 12_000_000, vm: 0, id: 0, val: 12_000_000 - FRAME_PERIOD_NS });
    expect(stop.event!.seq).toBe(first.seq);
    // an engine event (the slice end at 12 ms) emitted it: the stop is at its time, right after
    expect(stop.timeNs).toBe(12_000_000);
    expect(stop.seqNext).toBeGreaterThan(first.seq);
    expect(collectState(platform).vms[0]!.deadlineMisses).toBe(1);
  });

  it('stopping never changes the run: resumed to the end it gives the fresh run\'s summary', async () => {
    const fresh = await freshRun(MISS_COST_NS);
    const { platform } = await travel(missTrace, { breakPredicate: "kind = 'deadline_miss'" });
    await drive(platform, RUN_NS);
    expect(platform.finish()).toEqual(fresh.summary);
  });
});

describe('--memory', () => {
  // Guest memory is a bump allocator from 0x1000 (src/guests/guest-memory.ts): the VM's 4 KiB
  // scratch page at 0x1000, then the console transmitq: desc table 16 x 256 at 0x2000, avail
  // (518 B, align 2) at 0x3000, used (2054 B, align 4) at 0x3208, the 512 B buffer pool
  // (align 64) at 0x3a40. The first message went in descriptor 0 (the free list's head) with
  // buffer slot 0: { le64 addr 0x3a40, le32 len, le16 flags 0 (one device-readable buffer),
  // le16 next 1 (the free list threads descriptor 0 to 1) }; descriptor 1 is still unwritten.
  it('dumps the console queue\'s descriptor table at 3 ms: descriptor 0 as worked out', async () => {
    const fresh = await freshRun(FRAME_COST_NS);
    const firstLen = fresh.dltWire[0]!.length;
    const { platform } = await travel(okTrace, { untilNs: 3_000_000 });
    expect(consoleQueue(collectState(platform)).descGpa).toBe(0x2000);
    const dump = dumpMemory(platform, parseMemorySpec('solo:0x2000:32'));
    const expected = new Uint8Array(32);
    const view = new DataView(expected.buffer);
    view.setBigUint64(0, 0x3a40n, true);
    view.setUint32(8, firstLen, true);
    view.setUint16(12, 0, true);
    view.setUint16(14, 1, true);
    expect([...dump.bytes]).toEqual([...expected]);
    const lines = formatHexDump(dump).split('\n');
    // xxd's ASCII column: printable bytes as themselves ('@' 0x40, ':' 0x3a, the len's low byte
    // if printable), every other byte as '.'
    const ascii = [...expected.subarray(0, 16)].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    expect(lines[1]).toBe(`00002000: 403a 0000 0000 0000 ${hex16(firstLen)} 0000 0000 0100  ${ascii}`);
    expect(ascii.startsWith('@:......')).toBe(true);
  });

  it('an unmapped range is refused with the VM\'s RAM named', async () => {
    const { platform } = await travel(okTrace, { untilNs: 1_000 });
    expect(() => dumpMemory(platform, parseMemorySpec('0:0x1000000:16'))).toThrow(/not all mapped readable in vm solo.*RAM is \[0, 0x1000000\)/);
  });
});

/** A le32 as xxd groups its first two bytes ("3300" for 0x33). */
function hex16(len: number): string {
  return `${(len & 0xff).toString(16).padStart(2, '0')}${((len >> 8) & 0xff).toString(16).padStart(2, '0')}`;
}

describe('--break on a row written while the platform is built', () => {
  // vqCreate zeroes the console rings' headers through the VM's page tables (a tlb_miss row for
  // the ring page) before boot: the first row, seq 0, exists before any event runs.
  it('stops before the run starts, at 0 ns, with no event run', async () => {
    const { platform, stop } = await travel(okTrace, { breakPredicate: 'seq = 0' });
    expect(stop).toMatchObject({ reason: 'break', duringBuild: true, timeNs: 0 });
    expect(stop.event!.kind).toBe('tlb_miss');
    expect(platform.engine.eventsRun).toBe(0);
    // guest start and the first clock sample are still pending at 0
    expect(collectState(platform).pending.next.filter((p) => p.timeNs === 0).map((p) => p.what)).toEqual([
      'clock sample', 'guest start: vm solo',
    ]);
  });
});
