// virtio-console back-end, served by the hypervisor in TypeScript: the guest's log daemon writes
// DLT messages (standard + extended header + verbose payload, as on a DLT TCP connection) into
// the transmit queue; on notification the back-end drains the queue after a short service delay,
// decodes each message and hands a `dlt` row to the sink. Like a DLT daemon, it stamps each
// message with the time it received it (ts_ns, also the storage time).

import type { CoreApi } from '../core/api.js';
import type { Engine } from '../engine/engine.js';
import type { GuestMemory } from '../guests/guest-memory.js';
import { QueueDriver } from '../guests/queue-driver.js';
import type { PlatformSink } from '../platform/sink.js';
import { decodeGuestLog } from './dlt-channel.js';

/** virtio-console port 0: receiveq = 0, transmitq = 1 (VIRTIO 1.2 §5.3.2). */
export const CONSOLE_TRANSMITQ = 1;
export const CONSOLE_QUEUE_SIZE = 256;
export const CONSOLE_SLOT_BYTES = 512;
/** How long the back-end takes to pick up a notification (a host thread waking). */
export const CONSOLE_SERVICE_NS = 20_000;
const DRAIN_MAX = 256;

export interface ConsoleOptions {
  core: CoreApi;
  engine: Engine;
  sink: PlatformSink;
  memory: GuestMemory;
  dev: number;
  vm: number;
}

export class ConsoleDevice {
  readonly driver: QueueDriver;
  messages = 0;
  undecodable = 0;
  private serviceArmed = false;
  /** Names the service event in state dumps (built once). */
  private readonly serviceLabel: string;

  constructor(private readonly options: ConsoleOptions) {
    this.serviceLabel = `console service: dev ${options.dev}`;
    this.driver = new QueueDriver({
      core: options.core,
      memory: options.memory,
      dev: options.dev,
      index: CONSOLE_TRANSMITQ,
      size: CONSOLE_QUEUE_SIZE,
      slotBytes: CONSOLE_SLOT_BYTES,
    });
  }

  /** The guest notified the device (its kick was not suppressed). */
  notify(): void {
    if (this.serviceArmed) return;
    this.serviceArmed = true;
    this.options.engine.after(CONSOLE_SERVICE_NS, () => this.service(), this.serviceLabel);
  }

  private service(): void {
    this.serviceArmed = false;
    const { core, engine, sink, vm } = this.options;
    const q = this.driver.q;
    for (let round = 0; round < CONSOLE_QUEUE_SIZE / DRAIN_MAX + 1; round++) {
      const chains = core.devDrain(q, DRAIN_MAX);
      for (const chain of chains) {
        const row = decodeGuestLog(chain.data, { tsNs: engine.now, vm });
        if (row === null) {
          this.undecodable++;
          continue;
        }
        this.messages++;
        sink.dlt(row, chain.data);
      }
      if (chains.length < DRAIN_MAX) break;
    }
    core.devNotify(q);
  }
}
