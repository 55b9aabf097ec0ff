// External ECUs on a CAN bus (sensors, engine, body): periodic frames with release jitter drawn
// from their own PRNG stream. They are outside the SoC, so they have no virtqueues: the core's
// CAN controller model takes their frames directly (Core.canSend) and arbitrates them with the
// virtio-can devices' frames. Each ECU is an engine target; a frame event carries which of its
// frames it is and the release number k (issue 10 §1: records, not closures).

import { z } from 'zod';
import type { CoreApi, CoreFaultApi } from '../core/api.js';
import type { Engine } from '../engine/engine.js';
import type { StatefulTarget } from '../engine/event-target.js';
import { checkState, count, requireState } from '../engine/state-check.js';
import { ECU_MAIN_FUNCTION_NS, type EcuTimeSlave } from '../sync/ecu-slave.js';
import type { EcuConfig } from '../scenario/schema.js';
import { CAN_EFF_FLAG } from '../core/codes.js';

type FrameConfig = EcuConfig['frames'][number];

/** The ECU's engine events: release k of frame a0 (a1 = k); its CanTSyn main function (issue 11). */
const FRAME = 0;
const TSYN_MAIN = 1;

const ecuSchema = z.strictObject({
  framesSent: count,
  framesRefused: count,
  /** --- CanTSyn ECU slaves (issue 11): clock and stack state, absent when the ECU is no slave */
  timeSlave: z.unknown().optional(),
});

export class ExternalEcu implements StatefulTarget {
  framesSent = 0;
  /** Frames the controller could not take: mailboxes full, or bus-off (seeded faults, issue 9 §5). */
  framesRefused = 0;
  private readonly target: number;
  /** --- CanTSyn ECU slaves (issue 11): set by installEcuSlaves when the scenario marks the ECU. */
  private timeSlave: EcuTimeSlave | null = null;

  constructor(
    private readonly config: EcuConfig,
    private readonly core: CoreApi & CoreFaultApi,
    private readonly engine: Engine,
    private readonly node: number,
    private readonly prngStream: number,
  ) {
    this.target = engine.register(`ecu ${config.name}`, this);
  }

  start(): void {
    this.config.frames.forEach((_, i) => this.schedule(i, 0));
    if (this.timeSlave !== null) this.engine.after(ECU_MAIN_FUNCTION_NS, this.target, TSYN_MAIN, 0, 0);
  }

  setTimeSlave(slave: EcuTimeSlave): void {
    this.timeSlave = slave;
  }

  get name(): string {
    return this.config.name;
  }

  get canNode(): number {
    return this.node;
  }

  private schedule(index: number, k: number): void {
    const frame = this.config.frames[index]!;
    const jitter = frame.jitterNs > 0 ? this.core.prngBelow(this.prngStream, frame.jitterNs + 1) : 0;
    this.engine.at(k * frame.periodNs + jitter + frame.periodNs, this.target, FRAME, index, k);
  }

  fire(op: number, index: number, k: number): void {
    if (op === TSYN_MAIN && this.timeSlave !== null) {
      this.engine.after(ECU_MAIN_FUNCTION_NS, this.target, TSYN_MAIN, 0, 0);
      this.timeSlave.mainFunction();
      return;
    }
    if (op !== FRAME) throw new Error(`assert: ecu event op ${op}`);
    const frame = this.config.frames[index]!;
    const id = frame.canId | (frame.extended ? CAN_EFF_FLAG : 0);
    // Without faults the mailboxes never fill (the scenario's load checks see to it); with CAN
    // errors retransmitting or a bus-off node they can, and a controller then drops the frame.
    if (this.core.canSendTry(this.node, id >>> 0, this.payload(frame, k)) === 'sent') this.framesSent++;
    else this.framesRefused++;
    this.schedule(index, k + 1);
  }

  describe(op: number): string {
    if (op === TSYN_MAIN) return `ecu CanTSyn main function: ${this.config.name}`;
    return op === FRAME ? `ecu frame: ${this.config.name}` : `ecu ${this.config.name} op ${op}`;
  }

  saveState(): z.infer<typeof ecuSchema> {
    const state: z.infer<typeof ecuSchema> = { framesSent: this.framesSent, framesRefused: this.framesRefused };
    if (this.timeSlave !== null) state.timeSlave = this.timeSlave.saveState();
    return state;
  }

  loadState(value: unknown, path: string): void {
    const state = checkState(ecuSchema, value, path);
    const slave = this.timeSlave;
    if (slave === null) requireState(state.timeSlave === undefined, `${path}.timeSlave`, 'CanTSyn state for an ECU that is no time slave');
    else slave.loadState(state.timeSlave, `${path}.timeSlave`);
    this.framesSent = state.framesSent;
    this.framesRefused = state.framesRefused;
  }

  /** Signal content: a triangle speed profile (0.01 km/h), an rpm sweep, a counter, or noise. */
  private payload(frame: FrameConfig, k: number): Uint8Array {
    const data = new Uint8Array(frame.dlc);
    let value: number;
    switch (frame.signal) {
      case 'speed': {
        const phase = k % 4000;
        value = (phase < 2000 ? phase : 4000 - phase) * 6; // 0..120 km/h over 40 s
        break;
      }
      case 'rpm':
        value = 800 + ((k * 7) % 5200);
        break;
      case 'counter':
        value = k & 0xffff;
        break;
      case 'random':
        for (let i = 0; i < data.length; i++) data[i] = this.core.prngBelow(this.prngStream, 256);
        return data;
    }
    if (data.length > 0) data[0] = value & 0xff;
    if (data.length > 1) data[1] = (value >> 8) & 0xff;
    return data;
  }
}
