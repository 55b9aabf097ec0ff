// virtio-can: arbitration, bus timing and delivery run in the core; this file attaches a device
// to a bus and gives the guest its driver (CanPort): TX requests with a status byte, and a
// receive queue kept full of buffers.

import { z } from 'zod';
import type { CoreApi } from '../core/api.js';
import type { Engine } from '../engine/engine.js';
import { StateHolder } from '../engine/event-target.js';
import { checkState, count } from '../engine/state-check.js';
import type { GuestMemory } from '../guests/guest-memory.js';
import type { CanPort } from '../guests/guest-api.js';
import { QueueDriver } from '../guests/queue-driver.js';
import { buildCanTx, parseCanRx, type CanFrame } from '../guests/frames.js';

/** virtio-can queue indices (VIRTIO 1.3 §5.20.2): txq = 0, rxq = 1, controlq = 2. */
export const CAN_TXQ = 0;
export const CAN_RXQ = 1;
export const CAN_QUEUE_SIZE = 128;
export const CAN_SLOT_BYTES = 80; // 12-byte header + 64-byte sdu (CAN FD), rounded up

export interface CanOptions {
  core: CoreApi;
  engine: Engine;
  memory: GuestMemory;
  dev: number;
  bus: number; //     core bus index
  busName: string;
}

const deviceSchema = z.strictObject({ framesReceived: count, tx: z.unknown(), rx: z.unknown() });

export class CanDevice extends StateHolder implements CanPort {
  readonly tx: QueueDriver;
  readonly rx: QueueDriver;
  readonly node: number;
  readonly bus: string;
  readonly dev: number;
  private handler: (frame: CanFrame) => void = () => {};
  /** --- CanTSyn (issue 11 §2): frames with this id go to the VM's time-sync stack instead. */
  private tsyn: { canId: number; handler: (frame: CanFrame) => void } | null = null;
  framesReceived = 0;
  /** The receive path's reader, made once (issue 10 §2: no closure per interrupt). */
  private readonly readFrame = (data: Uint8Array, len: number): void => this.received(data, len);

  constructor(options: CanOptions) {
    super();
    const { core, memory, dev } = options;
    options.engine.register(`can dev ${dev}`, this);
    const common = { core, memory, dev, size: CAN_QUEUE_SIZE, slotBytes: CAN_SLOT_BYTES };
    this.tx = new QueueDriver({ ...common, index: CAN_TXQ });
    this.rx = new QueueDriver({ ...common, index: CAN_RXQ });
    this.bus = options.busName;
    this.dev = dev;
    this.node = core.canAttach({ dev, vm: memory.vm, bus: options.bus, txQueue: this.tx.q, rxQueue: this.rx.q });
    this.rx.post(CAN_QUEUE_SIZE);
    this.rx.kick();
  }

  send(frames: CanFrame[]): number {
    this.tx.reclaim();
    return this.tx.sendAndKick(frames.map((f) => buildCanTx(f.canId, f.data)), 1);
  }

  onReceive(handler: (frame: CanFrame) => void): void {
    this.handler = handler;
  }

  /** Frames with canId (CAN_EFF_FLAG set for 29-bit) reach `handler`, not the program's. */
  onTsynFrame(canId: number, handler: (frame: CanFrame) => void): void {
    this.tsyn = { canId, handler };
  }

  interrupt(): void {
    this.tx.reclaimWith(this.rx, this.readFrame);
    this.rx.postAndKick(this.rx.freeCount);
  }

  /** One received buffer (its bytes valid during the call; parseCanRx copies the data). */
  private received(data: Uint8Array, len: number): void {
    const frame = parseCanRx(data, len);
    if (frame === null) return;
    this.framesReceived++;
    if (this.tsyn !== null && frame.canId === this.tsyn.canId) this.tsyn.handler(frame);
    else this.handler(frame);
  }

  saveState(): z.infer<typeof deviceSchema> {
    return { framesReceived: this.framesReceived, tx: this.tx.saveState(), rx: this.rx.saveState() };
  }

  loadState(value: unknown, path: string): void {
    const state = checkState(deviceSchema, value, path);
    this.tx.loadState(state.tx, `${path}.tx`);
    this.rx.loadState(state.rx, `${path}.rx`);
    this.framesReceived = state.framesReceived;
  }
}
