// `tracevisor export perfetto`: the .pftrace decoded by an independent reader (decode.ts:
// @bufbuild/protobuf's BinaryReader by Perfetto's field numbers), its structure checked
// (structure.ts), and its counts compared with the trace's own SQL (DuckDB through `query`).
// No Perfetto binary (trace_processor) installs here, so this is the check we have.

import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCli, tv } from '../executable.js';
import { decodeTrace } from './decode.js';
import { readTimeline, stepIntegral, trackByName, type Timeline } from './structure.js';

const INTERVAL_NS = 10_000_000; // the export's counter interval (intervals.ts says why 10 ms)
let work: string;
let faulty: string; // cockpit 2 s with a vCPU stall (deadline miss, steal) and corrupted descriptors
let hostile: string; // guest faults
let timeline: Timeline;

function csvRows(args: string[]): string[][] {
  const r = tv('query', ...args, '--format', 'csv');
  expect(r.stderr).toBe('');
  return r.stdout.trim().split(/\r?\n/).slice(1).map((line) => line.split(','));
}
const query = (dir: string, sql: string): string[][] => csvRows([dir, sql]);
/** A named query's rows as objects (queries/<name>.sql). */
function named(dir: string, name: string): Record<string, string>[] {
  const r = tv('query', dir, '--named', name, '--format', 'csv');
  expect(r.stderr).toBe('');
  const [head, ...rows] = r.stdout.trim().split(/\r?\n/).map((line) => line.split(','));
  return rows.map((row) => Object.fromEntries(head!.map((h, i) => [h, row[i]!])));
}
const one = (dir: string, sql: string): number => Number(query(dir, sql)[0]![0]);

function exportProto(dir: string, out: string): Timeline {
  const r = tv('export', 'perfetto', dir, '-o', out, '-f');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return readTimeline(decodeTrace(readFileSync(out)));
}

function vmTrack(t: Timeline, vmName: string): bigint {
  const found = [...t.tracks.values()].filter((d) => d.process?.name === vmName);
  expect(found).toHaveLength(1);
  return found[0]!.uuid;
}

beforeAll(() => {
  requireCli();
  work = mkdtempSync(join(tmpdir(), 'tv-perfetto-'));
  faulty = join(work, 'faulty');
  hostile = join(work, 'hostile');
  const a = tv('record', 'cockpit', '--duration', '2s', '--fault', 'vcpu_stall:vm=cluster,at=1s,for=12ms',
    '--fault', 'desc_corrupt:vm=infotainment,ppm=20000', '-o', faulty);
  expect(a.code).toBe(0);
  expect(tv('record', 'hostile', '--duration', '1s', '-o', hostile).code).toBe(0);
  timeline = exportProto(faulty, join(work, 'faulty.pftrace'));
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('export perfetto: structure', () => {
  it('every event is on a described track, slices nest per track and end after they begin, time never goes back', () => {
    expect(timeline.problems).toEqual([]);
    expect(timeline.slices.length).toBeGreaterThan(1000);
  });

  it('has a process track per VM named after it and a thread track vcpuN per vCPU', () => {
    const vms = query(faulty, 'SELECT name, vcpus FROM vms ORDER BY vm');
    expect(vms.length).toBe(3);
    for (const [name, vcpus] of vms) {
      const proc = vmTrack(timeline, name!);
      const threads = [...timeline.tracks.values()].filter((d) => d.parentUuid === proc && d.thread !== null);
      expect(threads.map((d) => d.thread!.name).sort()).toEqual(Array.from({ length: Number(vcpus) }, (_, i) => `vcpu${i}`));
    }
  });

  it('leaves no slice open but those the trace ends inside', () => {
    const open = timeline.slices.filter((s) => s.endNs === null);
    // runs still going and requests still in flight when the recording stopped
    const inFlight = one(faulty, "SELECT (SELECT count(*) FROM events WHERE kind = 'vq_avail') - (SELECT count(*) FROM events WHERE kind = 'vq_used')");
    expect(open.filter((s) => s.name === 'request' || s.name === 'rx buffer').length).toBe(inFlight);
  });
});

describe('export perfetto: counts equal the trace\'s queries', () => {
  it('one run slice per sched_run on the vCPU tracks and on the pCPU tracks', () => {
    const runs = one(faulty, "SELECT count(*) FROM events WHERE kind = 'sched_run'");
    expect(timeline.slices.filter((s) => s.name === 'run').length).toBe(runs);
    const cpuTracks = new Set([...timeline.tracks.values()].filter((d) => /^cpu \d+$/.test(d.name ?? '')).map((d) => d.uuid));
    expect(timeline.slices.filter((s) => cpuTracks.has(s.track)).length).toBe(runs);
  });

  it('one steal slice per run that waited, lasting exactly the wait (sched/steal)', () => {
    const perVcpu = named(faulty, 'sched/steal');
    const waits = perVcpu.reduce((n, r) => n + Number(r.waits), 0);
    const stealNs = perVcpu.reduce((n, r) => n + Number(r.steal_ns), 0);
    const steal = timeline.slices.filter((s) => s.name === 'runnable (steal)');
    expect(steal.length).toBe(waits);
    expect(steal.reduce((sum, s) => sum + Number(s.endNs! - s.beginNs), 0)).toBe(stealNs);
    expect(waits).toBeGreaterThan(0);
  });

  it('virtqueue request slices last the vq_used latency', () => {
    const [used, latencyNs] = query(faulty, "SELECT count(*), sum(val) FROM events WHERE kind = 'vq_used'")[0]!.map(Number);
    const done = timeline.slices.filter((s) => (s.name === 'request' || s.name === 'rx buffer') && s.endNs !== null);
    expect(done.length).toBe(used);
    expect(done.reduce((sum, s) => sum + Number(s.endNs! - s.beginNs), 0)).toBe(latencyNs);
  });

  it('a DLT instant per dlt row, with ecu/apid/ctid/level/payload', () => {
    const rows = one(faulty, 'SELECT count(*) FROM dlt');
    const dltTracks = new Set(trackByName(timeline, 'DLT').map((d) => d.uuid));
    const dlt = timeline.instants.filter((i) => dltTracks.has(i.track));
    expect(dlt.length).toBe(rows);
    for (const i of dlt) for (const arg of ['ecu', 'apid', 'ctid', 'level', 'payload']) expect(i.args.has(arg)).toBe(true);
    const first = query(faulty, 'SELECT ecu, apid, ctid, level, payload FROM dlt ORDER BY ts_ns, rowid LIMIT 1')[0]!;
    expect([...['ecu', 'apid', 'ctid', 'level'].map((a) => dlt[0]!.args.get(a))]).toEqual(first.slice(0, 4));
  });

  it('fault, deadline-miss and injected-fault instants, one per row', () => {
    const faults = one(faulty, "SELECT count(*) FROM events WHERE kind = 'fault'");
    const missRows = named(faulty, 'sched/deadline_misses');
    const misses = missRows.length;
    const injected = one(faulty, "SELECT count(*) FROM events WHERE kind = 'fault_injected'");
    expect(faults * misses * injected).toBeGreaterThan(0);
    expect(timeline.instants.filter((i) => i.name.startsWith('fault ')).length).toBe(faults);
    expect(timeline.instants.filter((i) => i.name === 'deadline miss').length).toBe(misses);
    expect(timeline.instants.filter((i) => i.name.startsWith('injected ')).length).toBe(injected);
    const lateness = Number(missRows[0]!.lateness_ns);
    expect(timeline.instants.find((i) => i.name === 'deadline miss')!.args.get('lateness_ns')).toBe(BigInt(lateness));
  });

  it('guest faults of the hostile scenario', () => {
    const t = exportProto(hostile, join(work, 'hostile.pftrace'));
    expect(t.problems).toEqual([]);
    const faults = query(hostile, "SELECT fault_code FROM (SELECT id AS fault_code FROM events WHERE kind = 'fault') ORDER BY ALL");
    expect(faults.length).toBeGreaterThan(0);
    expect(t.instants.filter((i) => i.name.startsWith('fault ')).length).toBe(faults.length);
  });

  it('a clock offset sample per clock row, with its value', () => {
    const vms = query(faulty, 'SELECT vm, name FROM vms ORDER BY vm');
    for (const [vm, name] of vms) {
      const track = trackByName(timeline, 'clock offset (ns)', vmTrack(timeline, name!))[0]!;
      const expected = query(faulty, `SELECT ts_ns, offset_ns FROM clock WHERE vm = ${vm} ORDER BY ts_ns`);
      expect(timeline.counters.get(track.uuid)!.map((s) => [String(s.tsNs), String(s.value)])).toEqual(expected);
    }
  });

  it('per-interval counters add up to the rows: throttle delay, TLB misses, link busy time', () => {
    for (const [vm, name] of query(faulty, 'SELECT vm, name FROM vms ORDER BY vm')) {
      const proc = vmTrack(timeline, name!);
      const tlb = one(faulty, `SELECT count(*) FROM events WHERE kind = 'tlb_miss' AND vm = ${vm}`);
      const tlbTrack = trackByName(timeline, 'TLB misses (per 10 ms)', proc)[0];
      expect(tlbTrack === undefined ? 0 : stepIntegral(timeline.counters.get(tlbTrack.uuid)!) / INTERVAL_NS).toBe(tlb);
      const delay = one(faulty, `SELECT coalesce(sum(val), 0) FROM events WHERE kind = 'bus_throttle' AND vm = ${vm}`);
      const throttle = trackByName(timeline, 'bus throttle delay (ns per 10 ms)', proc)[0];
      expect(throttle === undefined ? 0 : stepIntegral(timeline.counters.get(throttle.uuid)!) / INTERVAL_NS).toBe(delay);
    }
    expect(one(faulty, "SELECT count(*) FROM events WHERE kind = 'bus_throttle'")).toBeGreaterThan(0);
    const links = query(faulty, "SELECT id, sum(val) FROM events WHERE kind = 'link_tx' GROUP BY id ORDER BY id");
    expect(links.length).toBeGreaterThan(0);
    for (const [link, busyNs] of links) {
      const track = [...timeline.tracks.values()].find((d) => d.counter && d.name!.startsWith(`link ${link} `))!;
      // utilisation × interval, integrated over time: busy ns (a float sum of fractions)
      expect(stepIntegral(timeline.counters.get(track.uuid)!)).toBeCloseTo(Number(busyNs), -1);
    }
  });

  it('CAN frames: a slice per can_tx lasting the frame, and a flow to each VM that received it', () => {
    const frames = query(faulty, "SELECT ts_ns, val FROM events WHERE kind = 'can_tx' ORDER BY ts_ns, seq");
    const bus = trackByName(timeline, 'CAN can0')[0]!;
    const slices = timeline.slices.filter((s) => s.track === bus.uuid);
    expect(slices.map((s) => [String(s.beginNs), String(s.endNs! - s.beginNs)])).toEqual(frames);
    const rx = one(faulty, "SELECT count(*) FROM events WHERE kind = 'can_rx' AND vm >= 0");
    const rxInstants = timeline.instants.filter((i) => i.name.startsWith('rx 0x'));
    expect(rxInstants.length).toBe(rx);
    const txFlows = new Set(slices.map((s) => s.flowIds[0]));
    expect(rxInstants.every((i) => i.flowIds.length === 1 && txFlows.has(i.flowIds[0]))).toBe(true);
  });

  it('link frames: a tx instant per link_tx, its rx joined by the same flow', () => {
    const rows = one(faulty, "SELECT count(*) FROM events WHERE kind = 'link_rx'");
    const rx = timeline.instants.filter((i) => i.name === 'rx' && i.flowIds.length >= 1);
    expect(rx.length).toBe(rows);
    const tx = new Map(timeline.instants.filter((i) => i.name === 'tx').map((i) => [i.flowIds[0], i]));
    for (const r of rx) expect(r.tsNs - tx.get(r.flowIds[0])!.tsNs).toBe(BigInt(r.args.get('since_tx_ns') as bigint));
  });
});

describe('the flow of a CAN frame through the gateway (bridged-flows.ts)', () => {
  // What the frames table says, in SQL: the gateway's telemetry frames (ethertype 0x88B5, the
  // CAN id little-endian at payload offset 0) and the switch's copies of them that reached the
  // cluster's side of its link.
  const telemetry = (f = 'frames') => `${f}.kind = 'eth' AND substr(hex(${f}.data), 25, 4) = '88B5'`;
  const vmIndex = (name: string) => one(faulty, `SELECT vm FROM vms WHERE name = '${name}'`);
  const canIdOf = (hexLe: string) => Number.parseInt(hexLe.match(/../g)!.reverse().join(''), 16);
  const linkTracks = (vmName: string) =>
    new Set([...timeline.tracks.values()].filter((d) => / \(/.test(d.name ?? '') && d.name!.startsWith('link ') && d.name!.includes(`(${vmName} `) && !d.counter).map((d) => d.uuid));

  it('continues from the CAN frame to the gateway\'s Ethernet frame carrying it, with that frame\'s CAN id', () => {
    const gateway = vmIndex('gateway');
    const sent = query(faulty, `SELECT substr(hex(data), 29, 8) FROM frames WHERE ${telemetry()} AND dir = 'to_switch' AND vm = ${gateway} ORDER BY ts_ns, seq`)
      .map((r) => canIdOf(r[0]!));
    expect(sent.length).toBeGreaterThan(10);
    const canSlices = new Map(timeline.slices.filter((s) => s.flowIds.length === 1 && /^0x[0-9a-f]+x?$/.test(s.name)).map((s) => [s.flowIds[0]!, s]));
    const gatewayLinks = linkTracks('gateway');
    const tx = timeline.instants.filter((i) => i.name === 'tx' && gatewayLinks.has(i.track) && i.flowIds.length === 2);
    expect(tx.map((i) => Number.parseInt(canSlices.get(i.flowIds[1]!)!.name.slice(2), 16))).toEqual(sent);
    for (const i of tx) {
      const can = canSlices.get(i.flowIds[1]!)!;
      expect(can.beginNs).toBeLessThan(i.tsNs);
      // the gateway's can_rx of that frame is on the same flow, between the two
      const rx = timeline.instants.find((r) => r.name === `rx ${can.name}` && r.flowIds.includes(i.flowIds[1]!) && r.tsNs <= i.tsNs);
      expect(rx).toBeDefined();
    }
  });

  it('goes on through the switch to the cluster\'s receive of the same bytes', () => {
    const cluster = vmIndex('cluster');
    const gateway = vmIndex('gateway');
    const delivered = one(faulty, `SELECT count(*) FROM frames f WHERE ${telemetry('f')} AND dir = 'from_switch' AND vm = ${cluster}
      AND EXISTS (SELECT 1 FROM events e WHERE e.kind = 'link_rx' AND e.id = f.link AND e.ts_ns = f.arrival_ns)
      AND EXISTS (SELECT 1 FROM frames g WHERE g.dir = 'to_switch' AND g.vm = ${gateway} AND g.data = f.data AND g.ts_ns < f.ts_ns)`);
    expect(delivered).toBeGreaterThan(10);
    const gatewayTx = new Map(timeline.instants.filter((i) => i.name === 'tx' && linkTracks('gateway').has(i.track) && i.flowIds.length === 2)
      .map((i) => [i.flowIds[1]!, i]));
    const clusterLinks = linkTracks('cluster');
    const rx = timeline.instants.filter((i) => i.name === 'rx' && clusterLinks.has(i.track) && i.flowIds.length === 2);
    expect(rx.length).toBe(delivered);
    for (const r of rx) {
      const from = gatewayTx.get(r.flowIds[1]!);
      expect(from).toBeDefined();
      expect(from!.tsNs).toBeLessThan(r.tsNs);
      // and the switch's copy towards the cluster (tx on the cluster's link) carries it too
      expect(timeline.instants.some((t) => t.name === 'tx' && clusterLinks.has(t.track) && t.flowIds[1] === r.flowIds[1] && t.tsNs < r.tsNs)).toBe(true);
    }
  });
});

describe('export perfetto --format json', () => {
  interface JsonEvent { ph: string; name?: string; pid: number; tid?: number; ts: number; id?: string | number; args?: Record<string, unknown> }
  let events: JsonEvent[];
  beforeAll(() => {
    const out = join(work, 'faulty.json');
    const r = tv('export', 'perfetto', faulty, '-o', out, '--format', 'json');
    expect(r.code).toBe(0);
    const text = readFileSync(out, 'utf8');
    events = (JSON.parse(text) as { traceEvents: JsonEvent[] }).traceEvents;
  });

  it('has the same slices, instants and counters as the protobuf', () => {
    const count = (ph: string, name?: string) => events.filter((e) => e.ph === ph && (name === undefined || e.name === name)).length;
    expect(count('B', 'run')).toBe(timeline.slices.filter((s) => s.name === 'run').length);
    expect(count('B', 'runnable (steal)')).toBe(timeline.slices.filter((s) => s.name === 'runnable (steal)').length);
    expect(count('B')).toBe(timeline.slices.filter((s) => !['request', 'rx buffer'].includes(s.name)).length);
    expect(count('b')).toBe(timeline.slices.filter((s) => ['request', 'rx buffer'].includes(s.name)).length);
    expect(count('i')).toBe(timeline.instants.length);
    expect(count('C')).toBe([...timeline.counters.values()].reduce((n, s) => n + s.length, 0));
    expect(count('f')).toBe(count('s'));
    // one s/f pair per flow an instant continues: a link's rx its frame's, and, for a bridged
    // CAN frame, the CAN flow (its gateway tx continues it too)
    const continued = (i: { name: string; flowIds: bigint[] }) => (i.name === 'tx' ? i.flowIds.length - 1 : i.flowIds.length);
    expect(count('s')).toBe(timeline.instants.reduce((n, i) => n + continued(i), 0));
  });

  it('B/E pairs nest per thread, b/e pair per id, ts in µs with the ns as decimals', () => {
    const stacks = new Map<string, number[]>();
    for (const e of events) {
      if (e.ph !== 'B' && e.ph !== 'E') continue;
      const key = `${e.pid}:${e.tid}`;
      if (!stacks.has(key)) stacks.set(key, []);
      if (e.ph === 'B') stacks.get(key)!.push(e.ts);
      else expect(e.ts).toBeGreaterThanOrEqual(stacks.get(key)!.pop()!);
    }
    const dl = events.filter((e) => e.ph === 'i' && e.args?.payload !== undefined);
    expect(dl.length).toBe(one(faulty, 'SELECT count(*) FROM dlt'));
    const firstDltUs = Number(query(faulty, 'SELECT ts_ns FROM dlt ORDER BY ts_ns LIMIT 1')[0]![0]) / 1000;
    expect(Math.min(...dl.map((e) => e.ts))).toBeCloseTo(firstDltUs, 3);
  });
});

describe('export perfetto: determinism and errors', () => {
  it('the same trace gives the same bytes (protobuf and JSON)', () => {
    for (const format of ['proto', 'json']) {
      const a = join(work, `det-a.${format}`);
      const b = join(work, `det-b.${format}`);
      expect(tv('export', 'perfetto', hostile, '-o', a, '--format', format).code).toBe(0);
      expect(tv('export', 'perfetto', hostile, '-o', b, '--format', format).code).toBe(0);
      expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
    }
  });

  it('a damaged trace: exit 2 and the same one-line error as query, no output file', () => {
    const damaged = join(work, 'damaged');
    cpSync(hostile, damaged, { recursive: true });
    rmSync(join(damaged, 'store.duckdb'), { force: true });
    rmSync(join(damaged, 'store.events.parquet'), { force: true });
    const events = readFileSync(join(damaged, 'events.arrow'));
    events[events.length - 200] ^= 0xff; // inside the last batch's body
    writeFileSync(join(damaged, 'events.arrow'), events);
    const out = join(work, 'damaged.pftrace');
    const r = tv('export', 'perfetto', damaged, '-o', out);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^tracevisor: .*damaged: .*trace damaged: events: /);
    expect(tv('query', damaged, 'SELECT 1').stderr).toBe(r.stderr);
    expect(() => readFileSync(out)).toThrow();
    // --salvage exports the intact batches and says what it dropped
    const salvaged = tv('export', 'perfetto', damaged, '-o', out, '--salvage');
    expect(salvaged.code).toBe(0);
    expect(salvaged.stderr).toMatch(/^tracevisor: warning: events: (salvaged \d+ of \d+|using all \d+) rows/);
    expect(readTimeline(decodeTrace(readFileSync(out))).problems).toEqual([]);
  });

  it('an imported DLT log (no VMs, no scenario): a process per ECU with its DLT instants', () => {
    const dltFile = join(work, 'faulty.dlt');
    const imported = join(work, 'imported');
    expect(tv('export', 'dlt', faulty, '-o', dltFile).code).toBe(0);
    expect(tv('import', 'dlt', dltFile, '-o', imported).code).toBe(0);
    const t = exportProto(imported, join(work, 'imported.pftrace'));
    expect(t.problems).toEqual([]);
    for (const [ecu, messages] of query(imported, 'SELECT ecu, count(*) FROM dlt GROUP BY ecu ORDER BY ecu')) {
      const proc = vmTrack(t, `ECU ${ecu}`);
      const dlt = trackByName(t, 'DLT', proc)[0]!;
      expect(t.instants.filter((i) => i.track === dlt.uuid).length).toBe(Number(messages));
    }
  });

  it('refuses to replace a file without --force, and an unknown --format', () => {
    const out = join(work, 'exists.pftrace');
    copyFileSync(join(work, 'hostile.pftrace'), out);
    const r = tv('export', 'perfetto', hostile, '-o', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`tracevisor: ${out} exists; use --force to replace it, or -o another file\n`);
    const f = tv('export', 'perfetto', hostile, '-o', join(work, 'x.txt'), '--format', 'xml');
    expect(f.code).toBe(2);
    expect(f.stderr).toBe('tracevisor: --format xml: not a format; use proto or json\n');
  });
});
