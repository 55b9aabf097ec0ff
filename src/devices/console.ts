// virtio-console back-end, served by the hypervisor in TypeScript: the guest's log daemon writes
// DLT messages (standard + extended header + verbose payload, as on a DLT TCP connection) into
// the transmit queue; on notification the back-end drains the queue after a short service delay,
// decodes each message (dlt-console-decoder.ts: the DLT kernel renders a drain's messages in
// one call) and hands a `dlt` row to the sink. Like a DLT daemon, it stamps each
// message with the time it received it (ts_ns, also the storage time).

import type { CoreApi } from '../core/api.js';
import { z } from 'zod';
import type { Engine } from '../engine/engine.js';
import type { StatefulTarget } from '../engine/event-target.js';
import { checkState, count } from '../engine/state-check.js';
import type { GuestMemory } from '../guests/guest-memory.js';
import { QueueDriver } from '../guests/queue-driver.js';
import type { PlatformSink } from '../platform/sink.js';
import { consoleDecoder, GROUP_ROWS_MAX, type ConsoleRowSink } from './dlt-console-decoder.js';

/** virtio-console port 0: receiveq = 0, transmitq = 1 (VIRTIO 1.2 §5.3.2). */
export const CONSOLE_TRANSMITQ = 1;
export const CONSOLE_QUEUE_SIZE = 256;
export const CONSOLE_SLOT_BYTES = 512;
/** How long the back-end takes to pick up a notification (a host thread waking). */
export const CONSOLE_SERVICE_NS = 20_000;
const DRAIN_MAX = GROUP_ROWS_MAX;
/** The back-end's engine event: drain the transmit queue. */
const SERVICE = 0;

const consoleSchema = z.strictObject({ serviceArmed: z.boolean(), messages: count, undecodable: count, driver: z.unknown() });

export interface ConsoleOptions {
  core: CoreApi;
  engine: Engine;
  sink: PlatformSink;
  memory: GuestMemory;
  dev: number;
  vm: number;
}

export class ConsoleDevice implements StatefulTarget {
  readonly driver: QueueDriver;
  messages = 0;
  undecodable = 0;
  private serviceArmed = false;
  private readonly target: number;
  /** where the decoder's rows go: counted, then to the platform's sink */
  private readonly rows: ConsoleRowSink = {
    row: (row, wire) => {
      this.messages++;
      this.options.sink.dlt(row, wire);
    },
    undecodable: () => {
      this.undecodable++;
    },
  };

  constructor(private readonly options: ConsoleOptions) {
    this.target = options.engine.register(`console dev ${options.dev}`, this);
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
    this.options.engine.after(CONSOLE_SERVICE_NS, this.target, SERVICE);
  }

  /** Console interrupts only return used buffers; the guest reclaims them on its next flush. */
  interrupt(): void {
    this.driver.reclaim();
  }

  fire(op: number): void {
    if (op !== SERVICE) throw new Error(`assert: console event op ${op}`);
    this.service();
  }

  describe(op: number): string {
    return op === SERVICE ? `console service: dev ${this.options.dev}` : `console op ${op}`;
  }

  saveState(): z.infer<typeof consoleSchema> {
    const { serviceArmed, messages, undecodable } = this;
    return { serviceArmed, messages, undecodable, driver: this.driver.saveState() };
  }

  loadState(value: unknown, path: string): void {
    const state = checkState(consoleSchema, value, path);
    this.driver.loadState(state.driver, `${path}.driver`);
    this.serviceArmed = state.serviceArmed;
    this.messages = state.messages;
    this.undecodable = state.undecodable;
  }

  private service(): void {
    this.serviceArmed = false;
    const { core, engine, vm } = this.options;
    const q = this.driver.q;
    for (let round = 0; round < CONSOLE_QUEUE_SIZE / DRAIN_MAX + 1; round++) {
      const chains = core.devDrain(q, DRAIN_MAX);
      // issue 10 §2: the drained buffers rendered by the DLT kernel, one call per drain
      consoleDecoder().decode(chains, { tsNs: engine.now, vm }, this.rows);
      if (chains.length < DRAIN_MAX) break;
    }
    core.devNotify(q);
  }
}
