// virtio-net: the data path (TX drain, link, switch, RX fill, interrupts) runs in the core; this
// file wires a device into the core's switch and gives the guest its driver (NetPort): a
// receive queue kept full of buffers and a transmit queue.

import type { CoreApi } from '../core/api.js';
import type { GuestMemory } from '../guests/guest-memory.js';
import type { NetPort } from '../guests/guest-api.js';
import { QueueDriver } from '../guests/queue-driver.js';
import { buildNetFrame, macToBigInt, netPayload } from '../guests/frames.js';

/** virtio-net queue indices (VIRTIO 1.2 §5.1.2): receiveq1 = 0, transmitq1 = 1. */
export const NET_RXQ = 0;
export const NET_TXQ = 1;
export const NET_QUEUE_SIZE = 256;
export const NET_SLOT_BYTES = 2048;

export interface NetOptions {
  core: CoreApi;
  memory: GuestMemory;
  dev: number;
  mac: string;
  port: number;
  link: number;
}

export class NetDevice implements NetPort {
  readonly mac: string;
  readonly rx: QueueDriver;
  readonly tx: QueueDriver;
  private handler: (payload: Uint8Array) => void = () => {};
  framesReceived = 0;

  constructor(options: NetOptions) {
    const { core, memory, dev } = options;
    this.mac = options.mac;
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
    const sent = this.tx.send(payloads.map((p) => buildNetFrame(dstMac, this.mac, p)));
    if (sent > 0) this.tx.kick();
    return sent;
  }

  onReceive(handler: (payload: Uint8Array) => void): void {
    this.handler = handler;
  }

  /** Interrupt: take back sent buffers, deliver received frames, refill the receive queue. */
  interrupt(): void {
    this.tx.reclaim();
    this.rx.reclaim((data) => {
      const payload = netPayload(data);
      if (payload === null) return;
      this.framesReceived++;
      this.handler(payload);
    });
    if (this.rx.post(this.rx.freeCount) > 0) this.rx.kick();
  }
}
