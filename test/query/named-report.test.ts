// The named queries the HTML report draws (issue 12 §4: "each query is tested on its own"): a
// tiny hand-built trace each, the rows worked out by hand. Binned queries use nice_bin_ns over
// the table's span with at most 1000 bins: the traces below span 1 ms, so bins are 1000 ns.

import { afterEach, describe, expect, it } from 'vitest';
import { QuerySession } from '../../src/query/index.js';
import type { ClockRow } from '../../src/trace/index.js';
import { dltRow, tinyTrace, type EventSpec } from '../trace/helpers.js';

let session: QuerySession | null = null;
afterEach(() => {
  session?.close();
  session = null;
});

async function open(parts: Parameters<typeof tinyTrace>[0]): Promise<QuerySession> {
  session = await QuerySession.open(tinyTrace(parts, 'tv-query-report-'));
  return session;
}

/** Rows at 0 and 1 ms that fix the events' span (nothing else counts them). */
const SPAN: EventSpec[] = [
  { ts: 0, kind: 'sched_wake', vm: 0, vcpu: 0 },
  { ts: 1_000_000, kind: 'sched_wake', vm: 0, vcpu: 0 },
];

function columnsOf(result: { columns: { name: string }[] }): string[] {
  return result.columns.map((c) => c.name);
}

describe('report queries', () => {
  it('sched/occupancy splits each run at bin edges, per physical CPU and VM', async () => {
    const s = await open({
      events: [
        SPAN[0]!,
        { ts: 1700, kind: 'sched_block', vm: 0, vcpu: 1, id: 1, val: 200 }, // vm 0 on CPU 1: 1500–1700
        { ts: 2500, kind: 'sched_block', vm: 0, vcpu: 0, id: 0, val: 2500 }, // vm 0 on CPU 0: 0–2500
        { ts: 2600, kind: 'sched_block', vm: 1, vcpu: 0, id: 0, val: 0 }, // ran 0 ns: nothing
        { ts: 3000, kind: 'sched_preempt', vm: 1, vcpu: 0, id: 0, val: 500 }, // vm 1 on CPU 0: 2500–3000
        SPAN[1]!,
      ],
    });
    const result = await s.runNamed('sched/occupancy');
    expect(columnsOf(result)).toEqual(['pcpu', 'vm', 'vm_name', 'bin_start_ns', 'bin_ns', 'ran_ns', 'share']);
    expect(result.rows).toEqual([
      [0n, 0, null, 0n, 1000n, 1000n, 1],
      [0n, 0, null, 1000n, 1000n, 1000n, 1],
      [0n, 0, null, 2000n, 1000n, 500n, 0.5],
      [0n, 1, null, 2000n, 1000n, 500n, 0.5],
      [1n, 0, null, 1000n, 1000n, 200n, 0.2],
    ]);
  });

  it('sched/steal_timeline spreads each wait over the bins it covers; two vCPUs can steal 1.5 bins', async () => {
    const s = await open({
      events: [
        SPAN[0]!,
        { ts: 1500, kind: 'sched_run', vm: 1, vcpu: 1, id: 0, val: 500 }, // waited 1000–1500
        { ts: 1600, kind: 'sched_run', vm: 0, vcpu: 0, id: 0, val: 0 }, // no wait
        { ts: 2500, kind: 'sched_run', vm: 1, vcpu: 0, id: 1, val: 1800 }, // waited 700–2500
        SPAN[1]!,
      ],
    });
    const result = await s.runNamed('sched/steal_timeline');
    expect(columnsOf(result)).toEqual(['vm', 'vm_name', 'bin_start_ns', 'bin_ns', 'steal_ns', 'share']);
    expect(result.rows).toEqual([
      [1, null, 0n, 1000n, 300n, 0.3],
      [1, null, 1000n, 1000n, 1500n, 1.5],
      [1, null, 2000n, 1000n, 500n, 0.5],
    ]);
  });

  it('virtio/latency_hist counts completions in power-of-two buckets with the cumulative share', async () => {
    const used = (val: number): EventSpec => ({ ts: 10, kind: 'vq_used', vm: 0, dev: 0, queue: 1, val });
    const s = await open({ events: [used(0), used(1), used(3), used(1024), used(1500), { ts: 20, kind: 'vq_used', vm: 1, dev: 2, queue: 0, val: 7 }] });
    const result = await s.runNamed('virtio/latency_hist');
    expect(columnsOf(result)).toEqual(['vm', 'vm_name', 'dev', 'device', 'queue', 'bucket_low_ns', 'completions', 'cumulative_share']);
    // 0 and 1 in [1, 2); 3 in [2, 4); 1024 and 1500 in [1024, 2048); 7 in [4, 8) of another queue
    expect(result.rows).toEqual([
      [0, null, 0, null, 1, 1n, 2n, 0.4],
      [0, null, 0, null, 1, 2n, 1n, 0.6],
      [0, null, 0, null, 1, 1024n, 2n, 1],
      [1, null, 2, null, 0, 4n, 1n, 1],
    ]);
  });

  it('bus/throttle_timeline sums throttles per VM and bin', async () => {
    const throttle = (ts: number, len: number, val: number): EventSpec => ({ ts, kind: 'bus_throttle', vm: 1, len, val });
    const s = await open({ events: [SPAN[0]!, throttle(100, 64, 10), throttle(900, 32, 20), throttle(1500, 8, 5), SPAN[1]!] });
    const result = await s.runNamed('bus/throttle_timeline');
    expect(columnsOf(result)).toEqual(['vm', 'vm_name', 'bin_start_ns', 'bin_ns', 'throttles', 'throttled_bytes', 'delay_ns']);
    expect(result.rows).toEqual([
      [1, null, 0n, 1000n, 2n, 96n, 30n],
      [1, null, 1000n, 1000n, 1n, 8n, 5n],
    ]);
  });

  it('bus/link_util gives each link\'s frames, bytes and busy share per bin', async () => {
    const tx = (ts: number, link: number, vm: number, len: number, val: number): EventSpec => ({ ts, kind: 'link_tx', id: link, vm, len, val });
    const s = await open({ events: [SPAN[0]!, tx(100, 2, 0, 100, 800), tx(200, 2, 0, 50, 400), tx(300, 3, -1, 1, 8), tx(1200, 2, 0, 10, 80), SPAN[1]!] });
    const result = await s.runNamed('bus/link_util');
    expect(columnsOf(result)).toEqual(['link', 'vm', 'bin_start_ns', 'bin_ns', 'frames', 'bytes', 'busy_ns', 'utilisation']);
    expect(result.rows).toEqual([
      [2n, 0, 0n, 1000n, 2n, 150n, 1200n, 1.2],
      [2n, 0, 1000n, 1000n, 1n, 10n, 80n, 0.08],
      [3n, -1, 0n, 1000n, 1n, 1n, 8n, 0.008],
    ]);
  });

  it('dlt/ecu_rate counts messages and fatal/error/warn per ECU and bin of the dlt span', async () => {
    const s = await open({
      dlt: [
        dltRow({ ts_ns: 0, level: 'info' }),
        dltRow({ ts_ns: 10, level: 'error' }),
        dltRow({ ts_ns: 20, level: 'fatal' }),
        dltRow({ ts_ns: 1500, ecu: 'ECU2', level: 'warn' }),
        dltRow({ ts_ns: 1_000_000, level: 'warn' }),
      ],
    });
    const result = await s.runNamed('dlt/ecu_rate');
    expect(columnsOf(result)).toEqual(['ecu', 'bin_start_ns', 'bin_ns', 'messages', 'fatals', 'errors', 'warnings']);
    expect(result.rows).toEqual([
      ['ECU1', 0n, 1000n, 3n, 1n, 1n, 0n],
      ['ECU1', 1_000_000n, 1000n, 1n, 0n, 0n, 1n],
      ['ECU2', 1000n, 1000n, 1n, 0n, 0n, 1n],
    ]);
  });

  it('clock/offset_timeline keeps each 100 ms sample of a short run in a bin of its own', async () => {
    const clock = (ts: number, vm: number, offset: number, drift: number): ClockRow => ({
      ts_ns: ts, vm, local_ns: ts + offset, offset_ns: offset, drift_ppb: drift, steal_ns: 0, uptime_ns: ts + offset,
    });
    // span 100 ms → bins of 100 µs; vm 1's two samples share the first bin
    const s = await open({ clock: [clock(0, 0, 5, 1), clock(50_000, 1, -3, 2), clock(60_000, 1, -4, 3), clock(100_000_000, 0, 7, 4)] });
    const result = await s.runNamed('clock/offset_timeline');
    expect(columnsOf(result)).toEqual(['vm', 'vm_name', 'bin_start_ns', 'bin_ns', 'samples', 'offset_ns_min', 'offset_ns_max', 'offset_ns_last', 'drift_ppb_last']);
    expect(result.rows).toEqual([
      [0, null, 0n, 100_000n, 1n, 5n, 5n, 5n, 1n],
      [0, null, 100_000_000n, 100_000n, 1n, 7n, 7n, 7n, 4n],
      [1, null, 0n, 100_000n, 2n, -4n, -3n, -4n, 3n],
    ]);
  });

  it('vm/incidents names each incident and gives the VM\'s last DLT message before it', async () => {
    const s = await open({
      events: [
        { ts: 500, kind: 'fault', vm: 0, dev: 1, id: 2, val: 0x1000 }, // FAULT_CODES[2]
        { ts: 700, kind: 'deadline_miss', vm: 1, id: 3, val: 1500 },
        { ts: 800, kind: 'switch_drop', vm: -1, id: 3, len: 60 }, // DROP_REASONS[3]
        { ts: 900, kind: 'rx_drop', vm: 0, dev: 1, len: 42 },
        { ts: 950, kind: 'fault_injected', vm: 0, id: 6, val: 1 }, // FAULT_TYPES[6]
        { ts: 960, kind: 'vq_used', vm: 0 }, // not an incident
      ],
      dlt: [
        dltRow({ ts_ns: 400, vm: 0, apid: 'APP', ctid: 'CTX', level: 'info', payload: 'hello' }),
        dltRow({ ts_ns: 600, vm: 0, apid: 'APP', ctid: 'ERR', level: 'warn', payload: 'after the fault' }),
        dltRow({ ts_ns: 100, vm: 2, payload: 'another VM' }),
      ],
    });
    const result = await s.runNamed('vm/incidents');
    expect(columnsOf(result)).toEqual(['ts_ns', 'vm', 'vm_name', 'kind', 'what', 'dev', 'last_log_ts_ns', 'last_log']);
    expect(result.rows).toEqual([
      [500n, 0, null, 'fault', 'desc_chain_loop', 1, 400n, 'APP CTX info hello'],
      [700n, 1, null, 'deadline_miss', 'task 3 late by 1.500 µs', -1, null, null],
      [800n, -1, null, 'switch_drop', 'dropped (queue_full), 60 bytes', -1, null, null],
      [900n, 0, null, 'rx_drop', 'no receive buffer, 42 bytes', 1, 600n, 'APP ERR warn after the fault'],
      [950n, 0, null, 'fault_injected', 'clock_step', -1, 600n, 'APP ERR warn after the fault'],
    ]);
  });
});
