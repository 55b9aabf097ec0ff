// Live sources: candump lines over TCP sent at random wall times, and UDP datagrams that become
// Ethernet frames from an outside host. What arrived is only ever visible through the inputs
// rows: feeding those rows back (recordedFeed, as replay does) gives the same trace, every time.
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { realtimePace } from '../../src/inputs/pacing.js';
import { openInputSources } from '../../src/inputs/sources.js';
import { parseInputSpecs } from '../../src/inputs/spec.js';
import { recordedFeed } from '../../src/platform/run-loop.js';
import { NET_HDR_BYTES } from '../../src/guests/frames.js';
import { bridgeScenario, CLUSTER_MAC } from '../guests/scenarios.js';
import { encodeEthFrame } from '../../src/inputs/encoding.js';
import { KIND } from '../../src/core/codes.js';
import { readInputsTable, recordInputs, scenarioOf, tableBytes } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'tv-live-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SLICE_NS = 1_000_000;
const LIVE_RUN_NS = 150_000_000; // 150 ms of virtual time at real time: a try takes ~0.25 s
const LINES_PER_TRY = 5;
const SEND_WINDOW_MS = 60; //        from the run's first slice: well before its end

const canScenario = () => scenarioOf(bridgeScenario({ buses: ['body'], ecus: [{ name: 'esc', bus: 'body', frames: [{ canId: 0x0c1, periodNs: '2ms', signal: 'counter', dlc: 2 }] }] }), LIVE_RUN_NS);

async function connected(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return socket;
}

/** One live recording fed by a client sending at random wall times, then its replay from the table. */
async function liveTry(k: number): Promise<{ rows: number; sameAsReplay: boolean; distinctTimes: number }> {
  const s = canScenario();
  const opened = await openInputSources(parseInputSpecs(['body=tcp:0'], [], s), { frameBytesMax: 1536, warn: () => {} });
  const client = await connected(opened.inputs[0]!.port!);
  let started!: () => void;
  const runStarted = new Promise<void>((resolve) => (started = resolve));
  const pace = realtimePace(1);
  const sending = (async () => {
    await runStarted;
    const delays = Array.from({ length: LINES_PER_TRY }, () => Math.random() * SEND_WINDOW_MS).sort((a, b) => a - b);
    // Deadlines from the run's start, not from the previous line: on a loaded host the process
    // stalls now and then, and the paced run catches up after a stall; relative sleeps would
    // add up the stalls and could send the last line after the run ended (seen at load 11-12).
    const startMs = performance.now();
    for (const [i, at] of delays.entries()) {
      await sleep(Math.max(0, startMs + at - performance.now()));
      client.write(`(0.000000) vcan0 ${(0x200 + i).toString(16)}#${i.toString(16).padStart(2, '0')}\n`);
    }
  })();
  const dir = join(root, `live-${k}`);
  try {
    await recordInputs(s, dir, {
      inputs: opened.inputs, feed: opened.feed, sliceNs: SLICE_NS,
      pace: (virtualNs) => (started(), pace(virtualNs)),
    });
  } finally {
    await sending;
    client.destroy();
    await opened.close();
  }
  const rows = readInputsTable(dir);
  const replayDir = join(root, `replay-${k}`);
  // what replay does: the same scenario and sources (no socket opened), the table fed back
  await recordInputs(canScenario(), replayDir, { inputs: opened.inputs, feed: recordedFeed(rows) });
  const sameAsReplay = ['events', 'dlt', 'clock', 'inputs'].every((t) => tableBytes(dir, t).equals(tableBytes(replayDir, t)));
  return { rows: rows.length, sameAsReplay, distinctTimes: new Set(rows.map((r) => r.ts_ns)).size };
}

describe('live TCP candump input', () => {
  it('a client sending at random wall times: replaying its inputs table is byte-identical, 20 out of 20', async () => {
    const tries = [];
    for (let k = 0; k < 20; k++) tries.push(await liveTry(k));
    expect(tries.map((t) => t.rows)).toEqual(Array(20).fill(LINES_PER_TRY));
    expect(tries.map((t) => t.sameAsReplay)).toEqual(Array(20).fill(true));
    // the wall times did matter: inputs landed at more than one virtual time
    expect(tries.some((t) => t.distinctTimes > 1)).toBe(true);
  }, 120_000);

  it('live inputs are stamped at slice ends (whole ms here) and reach the bus then; a bad line is skipped with a warning', async () => {
    const s = canScenario();
    const warnings: string[] = [];
    const opened = await openInputSources(parseInputSpecs(['body=tcp:0'], [], s), { frameBytesMax: 1536, warn: (w) => warnings.push(w) });
    const client = await connected(opened.inputs[0]!.port!);
    client.write('(1.000000) vcan0 3AB#CAFE\n(1.000000) vcan0 3AC#R\nnot a frame\n');
    await sleep(30);
    const run = await recordInputs(s, join(root, 'stamped'), { inputs: opened.inputs, feed: opened.feed, sliceNs: SLICE_NS });
    client.destroy();
    await opened.close();
    expect(run.inputs.map((r) => [Number(r.ts_ns) % SLICE_NS, r.kind])).toEqual([[0, 'can_frame'], [0, 'can_frame']]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^--can-input body=tcp:0: 127\.0\.0\.1:\d+ line 3: expected .*; line ignored$/);
    const at = Number(run.inputs[0]!.ts_ns);
    expect(run.of('can_tx').filter((r) => r.id === 0x3ab || r.id === 0x3ac).every((r) => r.ts >= at)).toBe(true);
    expect(run.of('can_tx').filter((r) => r.id === 0x3ab || r.id === 0x3ac)).toHaveLength(2);
  });
});

describe('live UDP Ethernet input', () => {
  it('a datagram becomes a frame from the outside host that reaches the VM\'s virtio-net RX queue', async () => {
    const s = scenarioOf(bridgeScenario({ buses: ['body'], ecus: [] }), 20_000_000);
    const spec = `02:00:00:00:00:99=udp:0,to=${CLUSTER_MAC}`;
    const warnings: string[] = [];
    const opened = await openInputSources(parseInputSpecs([], [spec], s), { frameBytesMax: 1536, warn: (w) => warnings.push(w) });
    const payload = Buffer.from('hello cluster');
    const sender = createSocket('udp4');
    await new Promise<void>((resolve) => sender.send(payload, opened.inputs[0]!.port!, '127.0.0.1', () => resolve()));
    await sleep(30);
    const run = await recordInputs(s, join(root, 'udp'), { inputs: opened.inputs, feed: opened.feed, sliceNs: SLICE_NS });
    sender.close();
    await opened.close();
    expect(warnings).toEqual([]);
    // taken at the first slice end after it arrived (sent 30 ms of wall time before the run)
    expect(run.inputs.map((r) => [Number(r.ts_ns) % SLICE_NS, r.kind, r.data.length])).toEqual([[0, 'eth_frame', 14 + payload.length]]);
    const atNs = Number(run.inputs[0]!.ts_ns);
    expect(atNs).toBeGreaterThan(0);
    const frame = run.inputs[0]!.data;
    expect([...frame.subarray(0, 6)]).toEqual([2, 0, 0, 0, 0, 1]); // to the cluster
    expect([...frame.subarray(6, 12)]).toEqual([2, 0, 0, 0, 0, 0x99]); // from the outside host
    expect(Buffer.from(frame.subarray(14)).equals(payload)).toBe(true);
    // host link -> switch -> the cluster's link -> its RX queue: the device wrote header + frame
    const forwarded = run.of('switch_forward').filter((r) => r.ts >= atNs);
    expect(forwarded.map((r) => r.len)).toEqual([14 + payload.length]);
    const rxUsed = run.of('vq_used').filter((r) => r.dev === 1 && r.ts >= atNs && r.len === NET_HDR_BYTES + 14 + payload.length);
    expect(rxUsed).toHaveLength(1);
  });
});

describe('the outside Ethernet hosts', () => {
  it("are switch ports like a VM's: a frame to a host's MAC is forwarded to its port and leaves at its link end", async () => {
    // Scenarios may only address VM MACs, so host A's frame to host B comes as a recorded row
    // (replay's path: installInputHandlers from the manifest's list, no socket opened).
    const A = '02:00:00:00:00:a1';
    const B = '02:00:00:00:00:b2';
    const s = scenarioOf(bridgeScenario({ buses: ['body'], ecus: [] }), 5_000_000);
    const inputs = parseInputSpecs([], [`${A}=udp:0,to=${CLUSTER_MAC}`, `${B}=udp:0,to=${CLUSTER_MAC}`], s);
    const frame = encodeEthFrame(B, A, new Uint8Array(50));
    const rows = [{ ts_ns: 1_000_000, seq: 0, source: inputs[0]!.source, kind: 'eth_frame', data: frame }];
    const run = await recordInputs(s, join(root, 'hosts'), { inputs, feed: recordedFeed(rows) });
    expect(run.of('switch_drop')).toEqual([]);
    expect(run.of('rx_drop')).toEqual([]);
    // ports: the VMs' devices 0 (cluster) and 1 (gateway), the core's spare 2, then A = 3, B = 4;
    // links: the devices' 0 and 1, then A's 2 and B's 3
    expect(run.of('switch_forward').map((r) => [r.id, r.len])).toEqual([[4, 64]]);
    const hostLinks = run.of('link_tx').concat(run.of('link_rx')).filter((r) => r.dev === -1);
    expect(hostLinks.map((r) => [r.kind === KIND.link_tx ? 'tx' : 'rx', r.id, r.len]).sort()).toEqual(
      [['rx', 2, 64], ['rx', 3, 64], ['tx', 2, 64], ['tx', 3, 64]],
    );
    // A's link: 64 bytes at the default 100 Mbit/s = 5120 ns, + the default 1 us latency; the
    // switch stores and forwards: then the same on B's link
    expect(s.network).toEqual({ latencyNs: 1000, bitsPerSecond: 100_000_000, timeAware: true });
    const rx = run.of('link_rx').filter((r) => r.dev === -1);
    expect(rx.map((r) => r.ts)).toEqual([1_000_000 + 5120 + 1000, 1_000_000 + 2 * (5120 + 1000)]);
  });
});
