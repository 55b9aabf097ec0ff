// End to end through the real core: record, determinism, hostile guests, DLT content, steal.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario } from '../../src/scenario/load.js';
import { recordScenario, type RecordResult } from '../../src/platform/record.js';
import { QuerySession } from '../../src/query/session.js';
import { FAULT } from '../../src/core/codes.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'tv-rec-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function record(name: string, dir: string, patch: { seed?: number; durationNs?: number } = {}): Promise<RecordResult> {
  const scenario = loadScenario(name);
  Object.assign(scenario, patch);
  return recordScenario(scenario, join(root, dir));
}

const arrow = (dir: string, table: string) => readFileSync(join(root, dir, `${table}.arrow`));

describe('recording the default platform', () => {
  let a: RecordResult;
  beforeAll(async () => {
    a = await record('cockpit', 'a', { durationNs: 2_000_000_000 });
  });

  test('same scenario and seed: byte-identical tables; manifests differ only in host and time', async () => {
    const b = await record('cockpit', 'b', { durationNs: 2_000_000_000 });
    for (const table of ['events', 'dlt', 'clock', 'inputs']) {
      expect(arrow('b', table).equals(arrow('a', table)), table).toBe(true);
    }
    const strip = (m: Record<string, unknown>) => ({ ...m, host: null, createdAt: null });
    expect(strip(b.manifest)).toEqual(strip(a.manifest));
  });

  test('a run sliced for live endpoints (yieldEveryNs: drive in slices) records the same bytes', async () => {
    const scenario = loadScenario('cockpit');
    scenario.durationNs = 2_000_000_000;
    await recordScenario(scenario, join(root, 'sliced'), { yieldEveryNs: 7_000_000 });
    for (const table of ['events', 'dlt', 'clock']) {
      expect(arrow('sliced', table).equals(arrow('a', table)), table).toBe(true);
    }
  });

  test('another seed gives a different run', async () => {
    const c = await record('cockpit', 'c', { durationNs: 2_000_000_000, seed: 2 });
    expect(c.manifest.tables.events!.sha256).not.toBe(a.manifest.tables.events!.sha256);
  });

  test('every VM logs with its own ECU id, per-context counters count up by one', async () => {
    const s = await QuerySession.open(join(root, 'a'));
    try {
      const ecus = await s.run('SELECT DISTINCT ecu FROM dlt ORDER BY ecu');
      expect(ecus.rows.map((r) => r[0])).toEqual(['CLST', 'GW01', 'IVI1']);
      // Within one (ecu, apid, ctid) the counter steps by exactly 1 mod 256 (nothing lost).
      const gaps = await s.run(`
        SELECT count(*) FROM (
          SELECT msg_counter - lag(msg_counter) OVER (PARTITION BY ecu, apid, ctid ORDER BY ts_ns, local_ts_ns) AS d
          FROM dlt) WHERE d IS NOT NULL AND d NOT IN (1, -255)`);
      expect(gaps.rows[0]![0]).toBe(0n);
      // Local timestamps are each VM's uptime (issue 11: CLOCK_MONOTONIC, what DLT stamps), which
      // gPTP's step leaves alone: the infotainment's stays 1.2 s ahead of true time on both sides
      // of its servo's −1.2 s step at 250 ms; only its rate changes (−35 ppm free running: 8.75 µs
      // by then; after it the grandmaster's +4 ppm: < 8 µs more by 2 s). A message's ts is when
      // the console back-end took it, after it was stamped (the stamp floored to 0.1 ms), so
      // local − ts is below that and above it by less than the tick and the console path (1 ms).
      const ivi = await s.run(`
        WITH step AS (SELECT min(ts_ns) AS at FROM sync WHERE vm = 1 AND state = 'step')
        SELECT ts_ns < step.at AS before, min(local_ts_ns - ts_ns), max(local_ts_ns - ts_ns), count(*)
        FROM dlt, step WHERE ecu = 'IVI1' GROUP BY ALL ORDER BY before DESC`);
      const [before, after] = ivi.rows.map((r) => [r[0], Number(r[1]), Number(r[2]), Number(r[3])]);
      expect(before![0]).toBe(true);
      expect(before![1]).toBeGreaterThan(1_200_000_000 - 8_750 - 100_000 - 1_000_000);
      expect(before![2]).toBeLessThanOrEqual(1_200_000_000);
      expect(after![0]).toBe(false);
      expect(after![3]).toBeGreaterThan(0);
      expect(after![1]).toBeGreaterThan(1_200_000_000 - 8_750 - 100_000 - 1_000_000);
      expect(after![2]).toBeLessThan(1_200_000_000 + 8_000);
    } finally {
      s.close();
    }
  });

  test('steal time in the trace adds up to what the scheduler accounted', async () => {
    const s = await QuerySession.open(join(root, 'a'));
    try {
      const r = await s.run(`SELECT vm, sum(val) FROM events WHERE kind = 'sched_run' GROUP BY vm ORDER BY vm`);
      const fromTrace = r.rows.map((row) => Number(row[1]));
      expect(fromTrace).toEqual(a.summary.vms.map((vm) => vm.stealNs));
      expect(fromTrace.reduce((x, y) => x + y, 0)).toBeGreaterThan(0); // 4 vCPUs on 2 pCPUs
    } finally {
      s.close();
    }
  });

  test('CAN frames reach the gateway and are bridged to the cluster over Ethernet', async () => {
    const s = await QuerySession.open(join(root, 'a'));
    try {
      const r = await s.run(`
        SELECT
          count(*) FILTER (WHERE kind = 'can_tx'),
          count(*) FILTER (WHERE kind = 'switch_forward'),
          count(*) FILTER (WHERE kind = 'vq_used' AND vm = 0 AND dev = 1 AND queue = 0)
        FROM events`);
      const [canTx, forwarded, clusterRx] = r.rows[0]!.map(Number);
      expect(canTx).toBeGreaterThan(500); // ~ 100+100+50+10+20 frames/s for 2 s
      expect(forwarded).toBeGreaterThan(0);
      expect(clusterRx).toBeGreaterThan(0);
    } finally {
      s.close();
    }
  });
});

describe('named queries on a recorded platform', () => {
  test('virtio/latency names VMs, devices and queues; every bridged frame fills one cluster buffer', async () => {
    const s = await QuerySession.open(join(root, 'a'));
    try {
      const r = await s.runNamed('virtio/latency');
      const rows = r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c.name, row[i]])));
      const find = (vm: string, device: string, queue: string) =>
        rows.find((x) => x.vm_name === vm && x.device === device && x.queue_name === queue);
      const gatewayTx = find('gateway', 'net', 'tx');
      const clusterRx = find('cluster', 'net', 'rx');
      expect(gatewayTx).toBeDefined();
      // The gateway bridges only to the cluster, the switch drops nothing, so the counts agree
      // up to frames still on the wire at the end of the run — once the gPTP frames (ethertype
      // 0x88F7: the gateway's Sync and Follow_Up, the cluster's copies of them and the bridge's
      // Pdelay answers) are taken out. Those are counted as transmissions started (frames rows),
      // so a Sync that started but whose transmit chain is not yet returned at the end counts -1.
      const ptp = await s.run(`
        SELECT count(*) FILTER (WHERE vm = 2 AND dir = 'to_switch'), count(*) FILTER (WHERE vm = 0 AND dir = 'from_switch')
        FROM frames WHERE kind = 'eth' AND substr(hex(data), 25, 4) = '88F7'`);
      const [gatewayPtp, clusterPtp] = ptp.rows[0]!.map(Number);
      expect(clusterPtp).toBeGreaterThan(0);
      const inFlight = (Number(gatewayTx!.completions) - gatewayPtp!) - (Number(clusterRx!.completions) - clusterPtp!);
      expect(inFlight).toBeGreaterThanOrEqual(-1);
      expect(inFlight).toBeLessThanOrEqual(2);
      // A console request completes after the back-end's 20 µs service delay, never sooner.
      expect(find('cluster', 'console', 'tx')!.latency_ns_p50).toBe(20_000n);
    } finally {
      s.close();
    }
  });
});

describe('a hostile guest', () => {
  test('each broken chain is a recorded fault; the other VM keeps running; the run completes', async () => {
    const { manifest } = await record('hostile', 'hostile');
    expect(manifest.complete).toBe(true);
    const s = await QuerySession.open(join(root, 'hostile'));
    try {
      const faults = await s.run(`SELECT vm, id FROM events WHERE kind = 'fault' ORDER BY ts_ns, seq`);
      expect(faults.rows.map((r) => [Number(r[0]), Number(r[1])])).toEqual([
        [1, FAULT.desc_chain_loop],
        [1, FAULT.desc_index_out_of_range],
        [1, FAULT.addr_unmapped],
        [1, FAULT.readable_after_writable],
        [1, FAULT.nested_indirect],
      ]);
      const late = await s.run(`SELECT count(*) FROM dlt WHERE ecu = 'GW01' AND apid = 'GWAY' AND ctid = 'STAT' AND ts_ns > 500000000`);
      expect(Number(late.rows[0]![0])).toBeGreaterThanOrEqual(2);
    } finally {
      s.close();
    }
  });
});
