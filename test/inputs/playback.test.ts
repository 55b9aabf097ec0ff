// A candump file played onto a scenario bus (--can-input <bus>=<file>): the frames appear as
// can_tx/can_rx rows at the times the bus model gives them (worked out below), the inputs rows
// hold the documented encoding, and the same file twice gives identical trace files.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CAN_EFF_FLAG } from '../../src/core/codes.js';
import { openInputSources } from '../../src/inputs/sources.js';
import { parseInputSpecs } from '../../src/inputs/spec.js';
import { bridgeScenario, GATEWAY_FIRST_CAN_DEV, GATEWAY_VM } from '../guests/scenarios.js';
import { recordInputs, scenarioOf, tableBytes, type InputRun } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'tv-playback-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// One bus at 500 kbit/s (2000 ns a bit), no ECUs: only the input node sends; the gateway's
// virtio-can device (dev 4) receives.
const BIT_NS = 2000;
const RUN_NS = 10_000_000;
const scenario = () => scenarioOf(bridgeScenario({ buses: ['body'], ecus: [] }), RUN_NS);

async function play(log: string, name: string, out = name): Promise<InputRun> {
  const file = join(root, `${name}.log`);
  writeFileSync(file, log);
  const s = scenario();
  const opened = await openInputSources(parseInputSpecs([`body=${file}`], [], s), { frameBytesMax: 1536, warn: () => {} });
  return recordInputs(s, join(root, out), { inputs: opened.inputs, feed: opened.feed });
}

// Frame durations without bit stuffing (assembly/bus/can.ts): 47 + 8 dlc bits standard,
// 67 + 8 dlc extended; a remote frame has no data field, so it lasts as a 0-byte data frame.
const LOG = [
  '(1436509052.000000) can0 123#DEADBEEF', //              t 0:      79 bits = 158 us
  '(1436509052.001000) can0 12345678#0011', //             t 1 ms:   83 bits = 166 us
  '(1436509052.002000) can0 123#R', //                     t 2 ms:   47 bits =  94 us
  '(1436509052.002010) can0 321#R4', //                    t 2.01 ms, bus busy until 2.094 ms
  '(1436509052.003000) can0 20000080#0000000000000000', // t 3 ms:   error frame, not on the bus
  '(1436509052.004000) can0 7FF#11.22.33', //              t 4 ms:   71 bits = 142 us
  '(1436509052.005000) can0 100#1122334455667788_E', //    t 5 ms:  111 bits = 222 us
  '(1436509052.020000) can0 101#00', //                    t 20 ms: after the run's 10 ms
].join('\n') + '\n';

describe('candump playback onto a bus', () => {
  let run: InputRun;
  it('every frame type: can_tx at its time (or when the bus frees), can_rx one frame later', async () => {
    run = await play(LOG, 'every-type');
    const expected = [
      { at: 0, id: 0x123, dlc: 4, bits: 47 + 32 },
      { at: 1_000_000, id: (0x12345678 | CAN_EFF_FLAG) >>> 0, dlc: 2, bits: 67 + 16 },
      { at: 2_000_000, id: 0x123, dlc: 0, bits: 47 },
      { at: 2_000_000 + 47 * BIT_NS, id: 0x321, dlc: 0, bits: 47 }, // waited for the remote frame before it
      { at: 4_000_000, id: 0x7ff, dlc: 3, bits: 47 + 24 },
      { at: 5_000_000, id: 0x100, dlc: 8, bits: 47 + 64 },
    ];
    expect(run.of('can_tx').map((r) => [r.ts, r.id, r.len, r.val, r.vm, r.dev, r.queue])).toEqual(
      expected.map((f) => [f.at, f.id, f.dlc, f.bits * BIT_NS, -1, -1, 0]),
    );
    expect(run.of('can_rx').map((r) => [r.ts, r.id, r.len, r.vm, r.dev, r.queue])).toEqual(
      expected.map((f) => [f.at + f.bits * BIT_NS, f.id, f.dlc, GATEWAY_VM, GATEWAY_FIRST_CAN_DEV, 0]),
    );
  });

  it('inputs rows: (ts_ns, seq, source, kind, data) with data = le32 can_id | u8 flags | u8 len | data', () => {
    const source = run.manifest.inputs![0]!.source;
    expect(run.inputs.map((r) => [Number(r.ts_ns), Number(r.seq), r.source, r.kind, [...r.data]])).toEqual([
      [0, 0, source, 'can_frame', [0x23, 0x01, 0, 0, 0, 4, 0xde, 0xad, 0xbe, 0xef]],
      [1_000_000, 1, source, 'can_frame', [0x78, 0x56, 0x34, 0x92, 0, 2, 0x00, 0x11]],
      [2_000_000, 2, source, 'can_frame', [0x23, 0x01, 0, 0x40, 0, 0]],
      [2_010_000, 3, source, 'can_frame', [0x21, 0x03, 0, 0x40, 0, 4]],
      [3_000_000, 4, source, 'can_error', [0x80, 0, 0, 0x20, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0]],
      [4_000_000, 5, source, 'can_frame', [0xff, 0x07, 0, 0, 0, 3, 0x11, 0x22, 0x33]],
      [5_000_000, 6, source, 'can_frame', [0x00, 0x01, 0, 0, 0xe0, 8, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]],
    ]);
    // each input also has an `input` event at its time naming its row (id = seq, len = bytes)
    expect(run.of('input').map((r) => [r.ts, r.id, r.len])).toEqual(run.inputs.map((r) => [Number(r.ts_ns), Number(r.seq), r.data.length]));
  });

  it('the manifest names the source: flag, bus, kind file, the file and its sha256', () => {
    expect(run.manifest.inputs).toEqual([
      { source: expect.stringMatching(/^body=.*every-type\.log$/), flag: '--can-input', kind: 'file', bus: 'body', file: expect.stringMatching(/every-type\.log$/), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
    ]);
  });

  it('more frames at one instant than the node has mailboxes (16): they wait and all go, by id', async () => {
    const lines = Array.from({ length: 20 }, (_, k) => `(7.000000) can0 ${(0x100 + k).toString(16)}#`);
    const burst = await play(lines.join('\n') + '\n', 'burst');
    // 0-byte frames last 47 bits each and follow each other with no gap; the lower id wins.
    expect(burst.of('can_tx').map((r) => [r.ts, r.id])).toEqual(lines.map((_, k) => [k * 47 * BIT_NS, 0x100 + k]));
  });

  it('the same file twice gives byte-identical trace files', async () => {
    await play(LOG, 'every-type', 'again'); // the same file (its path is the source's name)
    for (const table of ['events', 'dlt', 'clock', 'inputs']) {
      expect(tableBytes(join(root, 'again'), table).equals(tableBytes(join(root, 'every-type'), table)), table).toBe(true);
    }
  });

  it('the input node is attached only when the run has inputs: then it too receives each frame', async () => {
    const ecu = { name: 'esc', bus: 'body', frames: [{ canId: 0x0c1, periodNs: '1ms', signal: 'counter', dlc: 2 }] };
    const s = scenarioOf(bridgeScenario({ buses: ['body'], ecus: [ecu] }), RUN_NS);
    const plain = await recordInputs(s, join(root, 'plain'), {});
    expect(plain.manifest.inputs).toEqual([]);
    const delivered = (r: InputRun, id: number) => r.of('can_tx').filter((t) => t.id === id && t.ts + t.val <= RUN_NS).length;
    const ecuFrames = delivered(plain, 0x0c1);
    expect(ecuFrames).toBeGreaterThan(5);
    expect(plain.of('can_rx').map((r) => r.dev)).toEqual(Array(ecuFrames).fill(GATEWAY_FIRST_CAN_DEV));
    // an input source whose first frame is at t = 0 and second after the run
    writeFileSync(join(root, 'late.log'), '(1.000000) can0 7FF#\n(9.000000) can0 7FF#\n');
    const opened = await openInputSources(parseInputSpecs([`body=${join(root, 'late.log')}`], [], s), { frameBytesMax: 1536, warn: () => {} });
    const withNode = await recordInputs(s, join(root, 'with-node'), { inputs: opened.inputs, feed: opened.feed });
    expect(delivered(withNode, 0x7ff)).toBe(1);
    // each ECU frame now reaches the gateway and the input node (dev -1, as ECUs have no device);
    // the input frame reaches the gateway and the ECU
    const ecuFramesWithNode = delivered(withNode, 0x0c1);
    expect(withNode.of('can_rx').filter((r) => r.dev === -1 && r.id === 0x0c1).length).toBe(ecuFramesWithNode);
    expect(withNode.of('can_rx').length).toBe(2 * (ecuFramesWithNode + 1));
  });
});
