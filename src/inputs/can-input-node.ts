// The CAN controller that puts outside frames (--can-input) onto one scenario bus: a node like
// an external ECU's (no virtqueues), attached only when a run has CAN inputs for that bus. Like
// a SocketCAN socket whose controller is busy, a frame that finds every TX mailbox full waits
// here, in order, and is offered again after one bus frame time (deterministic: virtual time).

import type { CoreApi } from '../core/api.js';
import type { Engine } from '../engine/engine.js';
import { InputSourceError } from './errors.js';

/** Frames waiting for a mailbox, at most (then the log is faster than the bus can carry). */
export const CAN_INPUT_WAITING_MAX = 1024;
/** Bits of the shortest frame (11-bit id, no data, no stuffing): the retry period in bit times. */
const SHORTEST_FRAME_BITS = 47;

interface Waiting {
  canId: number;
  data: Uint8Array;
}

export class CanInputNode {
  private readonly waiting: Waiting[] = [];
  private retryScheduled = false;
  private readonly retryNs: number;

  constructor(
    private readonly core: CoreApi,
    private readonly engine: Engine,
    private readonly node: number,
    private readonly busName: string,
    bitsPerSecond: number,
  ) {
    this.retryNs = Math.ceil((SHORTEST_FRAME_BITS * 1e9) / bitsPerSecond);
  }

  /** Queue a data frame for transmission now (classic CAN: 0..8 bytes). */
  send(canId: number, data: Uint8Array): void {
    if (this.waiting.length === 0 && this.core.canOffer(this.node, canId, data)) return;
    if (this.waiting.length >= CAN_INPUT_WAITING_MAX) {
      throw new InputSourceError(
        `--can-input ${this.busName}: ${CAN_INPUT_WAITING_MAX} frames waiting for the bus at ${this.engine.now} ns; the input is faster than bus ${this.busName} can carry`,
      );
    }
    this.waiting.push({ canId, data });
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retryScheduled) return;
    this.retryScheduled = true;
    this.engine.after(this.retryNs, () => {
      this.retryScheduled = false;
      while (this.waiting.length > 0 && this.core.canOffer(this.node, this.waiting[0]!.canId, this.waiting[0]!.data)) {
        this.waiting.shift();
      }
      if (this.waiting.length > 0) this.scheduleRetry();
    });
  }
}
