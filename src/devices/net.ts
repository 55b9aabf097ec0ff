// virtio-net: the data path (TX drain, link, switch, RX fill, interrupts) runs in the core; this
// file wires a device into the core's switch and gives the guest its driver (NetPort): a
// receive queue kept full of buffers and a transmit queue.

import { z } from 'zod';
import type { CoreApi } from '../core/api.js';
import type { Engine } from '../engine/engine.js';
import { StateHolder } from '../engine/event-target.js';
import { checkState, count } from '../engine/state-check.js';
import type { GuestMemory } from '../guests/guest-memory.js';
import type { NetPort } from '../guests/guest-api.js';
import { QueueDriver } from '../guests/queue-driver.js';
import { buildNetFrame, macBytes, writeNetFrame, macToBigInt, netPayload, NET_HDR_BYTES } from '../guests/frames.js';
import { ETHERTYPE_PTP } from '../sync/ptp-messages.js';

/** virtio-net queue indices (VIRTIO 1.2 §5.1.2): receiveq1 = 0, transmitq1 = 1. */
export const NET_RXQ = 0;
export const NET_TXQ = 1;
export const NET_QUEUE_SIZE = 256;
export const NET_SLOT_BYTES = 2048;

export interface NetOptions {
  core: CoreApi;
  engine: Engine;
  memory: GuestMemory;
  dev: number;
  mac: string;
  port: number;
  link: number;
}

const deviceSchema = z.strictObject({ framesReceived: count, rx: z.unknown(), tx: z.unknown() });

export class NetDevice extends StateHolder implements NetPort {
  readonly mac: string;
  readonly rx: QueueDriver;
  readonly tx: QueueDriver;
  private handler: (payload: Uint8Array) => void = () => {};
  /** gPTP (issue 11): where frames of ethertype 0x88F7 go when the VM runs a PTP stack. */
  private ptpHandler: ((frame: Uint8Array) => void) | null = null;
  framesReceived = 0;
  private readonly macBytes: Uint8Array;
  private readonly destinations = new Map<string, Uint8Array>();
  private readonly frameBuffer = new Uint8Array(NET_SLOT_BYTES);
  /** The receive path's reader, made once (issue 10 §2: no closure per interrupt). */
  private readonly readFrame = (data: Uint8Array): void => this.received(data);

  constructor(options: NetOptions) {
    super();
    const { core, memory, dev } = options;
    options.engine.register(`net dev ${dev}`, this);
    this.mac = options.mac;
    this.macBytes = macBytes(options.mac);
    const common = { core, memory, dev, size: NET_QUEUE_SIZE, slotBytes: NET_SLOT_BYTES };
    this.rx = new QueueDriver({ ...common, index: NET_RXQ });
    this.tx = new QueueDriver({ ...common, index: NET_TXQ });
    core.switchMac(macToBigInt(options.mac), options.port);
    core.switchPortLink(options.port, options.link, dev);
    core.netAttach({ dev, vm: memory.vm, txQueue: this.tx.q, rxQueue: this.rx.q, port: options.port, link: options.link });
    this.rx.post(NET_QUEUE_SIZE);
    this.rx.kick();
  }

  send(dstMac: string, payloads: Uint8Array[]): number {
    this.tx.reclaim();
    const dst = this.destinationBytes(dstMac);
    // issue 10 §2: each frame built in one reused buffer and written into its slot at once
    this.tx.beginStage();
    for (const p of payloads) if (!this.stageFrame(dst, p)) break;
    return this.tx.submitStaged(true);
  }

  /** The frame built in frameBuffer and staged from there (no view); false when no buffer is free. */
  private stageFrame(dst: Uint8Array, payload: Uint8Array): boolean {
    const bytes = NET_HDR_BYTES + 14 + payload.length;
    if (bytes > NET_SLOT_BYTES) return this.tx.stageMessage(buildNetFrame(dst, this.macBytes, payload)); // the slot refuses it
    return this.tx.stageRange(this.frameBuffer, 0, writeNetFrame(this.frameBuffer, dst, this.macBytes, payload));
  }

  /** A destination's MAC bytes, parsed the first time it is sent to (a guest has a few peers). */
  private destinationBytes(mac: string): Uint8Array {
    let bytes = this.destinations.get(mac);
    if (bytes === undefined) {
      bytes = macBytes(mac);
      this.destinations.set(mac, bytes);
    }
    return bytes;
  }

  onReceive(handler: (payload: Uint8Array) => void): void {
    this.handler = handler;
  }

  // --- gPTP (issue 11): whole Ethernet frames in and out, beside the program's payloads

  /** Frames of ethertype 0x88F7 go to `handler` (the whole Ethernet frame), not to the program. */
  onPtpFrame(handler: (frame: Uint8Array) => void): void {
    this.ptpHandler = handler;
  }

  /** Queue whole Ethernet frames (the stack builds its own header: the PTP multicast). */
  sendFrames(frames: Uint8Array[]): number {
    this.tx.reclaim();
    return this.tx.sendAndKick(frames.map((f) => {
      const buffer = new Uint8Array(NET_HDR_BYTES + f.length);
      buffer.set(f, NET_HDR_BYTES);
      return buffer;
    }));
  }

  private isPtp(data: Uint8Array): boolean {
    return this.ptpHandler !== null && data.length >= NET_HDR_BYTES + 14 &&
      ((data[NET_HDR_BYTES + 12]! << 8) | data[NET_HDR_BYTES + 13]!) === ETHERTYPE_PTP;
  }

  /** Interrupt: take back sent buffers, deliver received frames, refill the receive queue. */
  interrupt(): void {
    this.tx.reclaimWith(this.rx, this.readFrame);
    this.rx.postAndKick(this.rx.freeCount);
  }

  /** One received buffer (its bytes valid during the call: they may be guest memory in place). */
  private received(data: Uint8Array): void {
    if (this.isPtp(data)) {
      this.framesReceived++;
      this.ptpHandler!(data.subarray(NET_HDR_BYTES));
      return;
    }
    const payload = netPayload(data);
    if (payload === null) return;
    this.framesReceived++;
    this.handler(payload);
  }

  saveState(): z.infer<typeof deviceSchema> {
    return { framesReceived: this.framesReceived, rx: this.rx.saveState(), tx: this.tx.saveState() };
  }

  loadState(value: unknown, path: string): void {
    const state = checkState(deviceSchema, value, path);
    this.rx.loadState(state.rx, `${path}.rx`);
    this.tx.loadState(state.tx, `${path}.tx`);
    this.framesReceived = state.framesReceived;
  }
}
