// The CAN controller that puts outside frames (--can-input) onto one scenario bus: a node like
// an external ECU's (no virtqueues), attached only when a run has CAN inputs for that bus. Like
// a SocketCAN socket whose controller is busy, a frame that finds every TX mailbox full waits
// here, in order, and is offered again after one bus frame time (deterministic: virtual time).
// The node is an engine target (its retry is a record, issue 10 §1) and its queue plain data.

import { z } from 'zod';
import type { CoreApi } from '../core/api.js';
import type { Engine } from '../engine/engine.js';
import type { StatefulTarget } from '../engine/event-target.js';
import { checkState, requireState } from '../engine/state-check.js';
import { InputSourceError } from './errors.js';

/** Frames waiting for a mailbox, at most (then the log is faster than the bus can carry). */
export const CAN_INPUT_WAITING_MAX = 1024;
/** Bits of the shortest frame (11-bit id, no data, no stuffing): the retry period in bit times. */
const SHORTEST_FRAME_BITS = 47;
/** The node's engine event: offer the waiting frames again. */
const RETRY = 0;

interface Waiting {
  canId: number;
  data: Uint8Array;
}

const nodeSchema = z.strictObject({
  retryScheduled: z.boolean(),
  /** [can_id, data bytes] in arrival order. */
  waiting: z.array(z.tuple([z.number().int().nonnegative(), z.array(z.number().int().min(0).max(255)).max(8)])),
});

export class CanInputNode implements StatefulTarget {
  private readonly waiting: Waiting[] = [];
  private retryScheduled = false;
  private readonly retryNs: number;
  private readonly target: number;

  constructor(
    private readonly core: CoreApi,
    private readonly engine: Engine,
    private readonly node: number,
    private readonly busName: string,
    bitsPerSecond: number,
  ) {
    this.retryNs = Math.ceil((SHORTEST_FRAME_BITS * 1e9) / bitsPerSecond);
    this.target = engine.register(`can input ${busName}`, this);
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
    this.engine.after(this.retryNs, this.target, RETRY);
  }

  fire(op: number): void {
    if (op !== RETRY) throw new Error(`assert: CAN input event op ${op}`);
    this.retryScheduled = false;
    while (this.waiting.length > 0 && this.core.canOffer(this.node, this.waiting[0]!.canId, this.waiting[0]!.data)) {
      this.waiting.shift();
    }
    if (this.waiting.length > 0) this.scheduleRetry();
  }

  describe(op: number): string {
    return op === RETRY ? `CAN input retry: bus ${this.busName} (${this.waiting.length} waiting)` : `CAN input op ${op}`;
  }

  saveState(): z.infer<typeof nodeSchema> {
    return { retryScheduled: this.retryScheduled, waiting: this.waiting.map((w) => [w.canId, Array.from(w.data)]) };
  }

  loadState(value: unknown, path: string): void {
    const state = checkState(nodeSchema, value, path);
    const waiting = `${state.waiting.length} frames, at most ${CAN_INPUT_WAITING_MAX}`;
    requireState(state.waiting.length <= CAN_INPUT_WAITING_MAX, `${path}.waiting`, waiting);
    this.retryScheduled = state.retryScheduled;
    this.waiting.length = 0;
    for (const [canId, data] of state.waiting) this.waiting.push({ canId, data: Uint8Array.from(data) });
  }
}
