// One test per named query: a tiny hand-built trace, the query, the rows worked out by hand.
import { afterEach, describe, expect, it } from 'vitest';
import { listNamedQueries, QuerySession } from '../../src/query/index.js';
import type { ClockRow } from '../../src/trace/index.js';
import { dltRow, tinyTrace, type EventSpec } from '../trace/helpers.js';

let session: QuerySession | null = null;
afterEach(() => {
  session?.close();
  session = null;
});

async function open(parts: Parameters<typeof tinyTrace>[0]): Promise<QuerySession> {
  session = await QuerySession.open(tinyTrace(parts, 'tv-query-'));
  return session;
}

describe('named queries', () => {
  it('dlt/summary counts per ecu/apid/ctid/level with first and last time', async () => {
    const s = await open({
      dlt: [
        dltRow({ ts_ns: 5, ecu: 'ECU1', apid: null, ctid: null, type: 'control', level: null }),
        dltRow({ ts_ns: 10, ecu: 'ECU1', apid: 'APP', ctid: 'CTX', level: 'info' }),
        dltRow({ ts_ns: 15, ecu: 'ECU2', apid: 'NAV', ctid: 'GPS', level: 'warn' }),
        dltRow({ ts_ns: 20, ecu: 'ECU1', apid: 'APP', ctid: 'CTX', level: 'error' }),
        dltRow({ ts_ns: 30, ecu: 'ECU1', apid: 'APP', ctid: 'CTX', level: 'info' }),
      ],
    });
    const result = await s.runNamed('dlt/summary');
    expect(result.columns.map((c) => c.name)).toEqual([
      'ecu', 'apid', 'ctid', 'level', 'messages', 'first_ts_ns', 'last_ts_ns',
    ]);
    // apid/ctid NULLs first; levels in severity order (error before info).
    expect(result.rows).toEqual([
      ['ECU1', null, null, null, 1n, 5n, 5n],
      ['ECU1', 'APP', 'CTX', 'error', 1n, 20n, 20n],
      ['ECU1', 'APP', 'CTX', 'info', 2n, 10n, 30n],
      ['ECU2', 'NAV', 'GPS', 'warn', 1n, 15n, 15n],
    ]);
  });

  it('dlt/errors lists fatal and error messages in time order, ties in recording order', async () => {
    const s = await open({
      dlt: [
        dltRow({ ts_ns: 50, local_ts_ns: 51, level: 'error', payload: 'b' }),
        dltRow({ ts_ns: 40, local_ts_ns: 38, level: 'fatal', payload: 'boom', ecu: 'ECU2' }),
        dltRow({ ts_ns: 10, level: 'warn', payload: 'not me' }),
        dltRow({ ts_ns: 50, local_ts_ns: 52, level: 'error', payload: 'a' }),
        dltRow({ ts_ns: 20, local_ts_ns: 25, level: 'error', payload: 'first', apid: 'X', ctid: 'Y' }),
        dltRow({ ts_ns: 30, level: null, type: 'control', payload: 'ctl' }),
      ],
    });
    const result = await s.runNamed('dlt/errors');
    expect(result.columns.map((c) => c.name)).toEqual([
      'ts_ns', 'local_ts_ns', 'ecu', 'apid', 'ctid', 'level', 'payload',
    ]);
    expect(result.rows).toEqual([
      [20n, 25n, 'ECU1', 'X', 'Y', 'error', 'first'],
      [40n, 38n, 'ECU2', 'APP', 'CTX', 'fatal', 'boom'],
      [50n, 51n, 'ECU1', 'APP', 'CTX', 'error', 'b'],
      [50n, 52n, 'ECU1', 'APP', 'CTX', 'error', 'a'],
    ]);
  });

  it('virtio/latency gives exact discrete percentiles per vm/dev/queue from vq_used', async () => {
    // vm0/dev1/q0: latencies 100..1000 in a scrambled order. Discrete percentile = smallest
    // value whose cumulative share >= p: p50 → 5th of 10 = 500, p90 → 9th = 900,
    // p99 → ceil(9.9) = 10th = 1000.
    const scrambled = [700, 100, 1000, 300, 900, 200, 500, 800, 400, 600];
    const events: EventSpec[] = scrambled.map((val, i) => ({
      ts: i * 10, kind: 'vq_used', vm: 0, dev: 1, queue: 0, val,
    }));
    events.push({ ts: 200, kind: 'vq_used', vm: 1, dev: 2, queue: 1, val: 7 });
    events.push({ ts: 210, kind: 'vq_avail', vm: 0, dev: 1, queue: 0, val: 99_999 }); // not a completion
    const s = await open({ events });
    const result = await s.runNamed('virtio/latency');
    expect(result.columns.map((c) => c.name)).toEqual([
      'vm', 'vm_name', 'dev', 'device', 'queue', 'queue_name', 'completions',
      'latency_ns_p50', 'latency_ns_p90', 'latency_ns_p99', 'latency_ns_max',
    ]);
    // This trace's manifest holds no platform scenario, so names are NULL.
    expect(result.rows).toEqual([
      [0, null, 1, null, 0, null, 10n, 500n, 900n, 1000n, 1000n],
      [1, null, 2, null, 1, null, 1n, 7n, 7n, 7n, 7n],
    ]);
  });

  it('sched/deadline_misses lists each miss in time order, ties in recording order (sweep\'s check)', async () => {
    const s = await open({
      events: [
        { ts: 100, kind: 'sched_run', vm: 0, vcpu: 0, val: 5 },
        { ts: 200, kind: 'deadline_miss', vm: 1, vcpu: -1, id: 2, val: 20 },
        { ts: 300, kind: 'deadline_miss', vm: 0, vcpu: -1, id: 0, val: 1500 },
        { ts: 300, kind: 'deadline_miss', vm: 0, vcpu: -1, id: 1, val: 7 },
        { ts: 400, kind: 'vq_used', vm: 0, dev: 0, queue: 0, val: 9 },
      ],
    });
    const result = await s.runNamed('sched/deadline_misses');
    expect(result.columns.map((c) => c.name)).toEqual(['ts_ns', 'vm', 'vm_name', 'task', 'lateness_ns']);
    expect(result.rows).toEqual([
      [200n, 1, null, 2n, 20n],
      [300n, 0, null, 0n, 1500n],
      [300n, 0, null, 1n, 7n],
    ]);
  });

  it('sched/steal sums waits per vCPU and relates them to the traced span', async () => {
    const s = await open({
      events: [
        { ts: 0, kind: 'sched_wake', vm: 0, vcpu: 0 },
        { ts: 100, kind: 'sched_run', vm: 0, vcpu: 0, val: 0 },
        { ts: 200, kind: 'sched_run', vm: 0, vcpu: 0, val: 100 },
        { ts: 300, kind: 'sched_run', vm: 0, vcpu: 1, val: 0 },
        { ts: 400, kind: 'sched_run', vm: 1, vcpu: 0, val: 300 },
        { ts: 500, kind: 'sched_preempt', vm: 0, vcpu: 0, val: 999 }, // ran, not waited
        { ts: 600, kind: 'sched_run', vm: 0, vcpu: 0, val: 50 },
        { ts: 1000, kind: 'vq_used', vm: 1, dev: 0, queue: 0, val: 1 },
      ],
    });
    const result = await s.runNamed('sched/steal');
    expect(result.columns.map((c) => c.name)).toEqual([
      'vm', 'vm_name', 'vcpu', 'steal_ns', 'waits', 'wait_ns_max', 'traced_ns', 'steal_share',
    ]);
    // Span of all events: 1000 − 0 = 1000 ns.
    expect(result.rows).toEqual([
      [0, null, 0, 150n, 2n, 100n, 1000n, 0.15],
      [0, null, 1, 0n, 0n, 0n, 1000n, 0],
      [1, null, 0, 300n, 1n, 300n, 1000n, 0.3],
    ]);
  });

  it('clock/offset bins samples per VM and second of true time', async () => {
    const clock = (ts: number, vm: number, offset: number, drift: number): ClockRow => ({
      ts_ns: ts, vm, local_ns: ts + offset, offset_ns: offset, drift_ppb: drift, steal_ns: 0, uptime_ns: ts + offset,
    });
    const s = await open({
      clock: [
        clock(200_000_000, 0, 100, 10),
        clock(500_000_000, 1, 10, 5),
        clock(700_000_000, 0, 300, 20),
        clock(1_100_000_000, 0, -50, 30),
      ],
    });
    const result = await s.runNamed('clock/offset');
    expect(result.columns.map((c) => c.name)).toEqual([
      'vm', 'second_start_ns', 'samples', 'offset_ns_min', 'offset_ns_max', 'offset_ns_avg',
      'offset_ns_last', 'drift_ppb_last',
    ]);
    expect(result.rows).toEqual([
      [0, 0n, 2n, 100n, 300n, 200, 300n, 20n],
      [0, 1_000_000_000n, 1n, -50n, -50n, -50, -50n, 30n],
      [1, 0n, 1n, 10n, 10n, 10, 10n, 5n],
    ]);
  });

  it('bus/throttle counts throttles, bytes and delays per VM', async () => {
    const s = await open({
      events: [
        { ts: 1, kind: 'bus_throttle', vm: 0, len: 64, val: 500 },
        { ts: 2, kind: 'bus_throttle', vm: 2, len: 32, val: 10 },
        { ts: 3, kind: 'vq_used', vm: 1, len: 4096, val: 77 },
        { ts: 4, kind: 'bus_throttle', vm: 0, len: 128, val: 1500 },
      ],
    });
    const result = await s.runNamed('bus/throttle');
    expect(result.columns.map((c) => c.name)).toEqual([
      'vm', 'vm_name', 'throttles', 'throttled_bytes', 'delay_ns_total', 'delay_ns_max',
    ]);
    expect(result.rows).toEqual([
      [0, null, 2n, 192n, 2000n, 1500n],
      [2, null, 1n, 32n, 10n, 10n],
    ]);
  });

  it('every named query documents exactly the columns it returns, and answers on an empty trace', async () => {
    const queries = listNamedQueries();
    expect(queries.map((q) => q.name)).toEqual([
      'bus/link_util', 'bus/throttle', 'bus/throttle_timeline', 'clock/cantsyn', 'clock/drift', 'clock/offset', 'clock/offset_timeline',
      'clock/servo', 'clock/sync', 'clock/sync_timeline', 'dlt/clock_fit', 'dlt/counter_gaps', 'dlt/ecu_rate', 'dlt/errors', 'dlt/id_collisions',
      'dlt/lifecycles', 'dlt/rate', 'dlt/summary', 'dlt/timeline', 'sched/deadline_misses', 'sched/occupancy', 'sched/steal',
      'sched/steal_timeline', 'virtio/latency', 'virtio/latency_hist', 'vm/health', 'vm/incidents',
    ]);
    const s = await open({});
    for (const q of queries) {
      expect(q.description.length, q.name).toBeGreaterThan(20);
      expect(q.sql.startsWith('--'), q.name).toBe(false);
      const result = await s.runNamed(q.name);
      expect(q.columns.map((c) => c.name), q.name).toEqual(result.columns.map((c) => c.name));
      for (const c of q.columns) expect(c.description, `${q.name}.${c.name}`).not.toBe('');
      // Every query groups by something: an empty trace gives no groups, not a row of NULLs.
      expect(result.rows, q.name).toEqual([]);
    }
  });
});
