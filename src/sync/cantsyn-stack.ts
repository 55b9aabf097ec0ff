// A VM's CanTSyn stack (AUTOSAR SWS TimeSyncOverCAN R4.3.1, issue 11 §2), in the guest-program
// form: plain state with a zod schema, typed events (a timer, a received SYNC / FUP), acting
// through its host (timers, the VM's CAN device, the core's frame timestamps, the VM clock).
//
// Time Master (the SWS's two-step SYNC / FUP scheme): every syncPeriodNs it reads its time t0 and sends a SYNC with
// t0's seconds; once the SYNC is on the bus (t1, here the core's first-bit timestamp, the
// "transmission" the SWS's TxConfirmation stands for) it sends the FUP with
// t0.ns + (t1 − t0), its overflow of whole seconds in OVS.
// Time Slave: t2 when the SYNC is received (the core's end-of-frame timestamp), and
// at the FUP the master's time at t2 is SYNC.sec + OVS + FUP.ns; the master's time now is that
// plus (now − t2). Nothing compensates the SYNC's time on the bus (from its first bit to its
// end) nor the wait in arbitration before it, so the slave ends up behind by the frame's
// duration: the error a user sees (README "Clock synchronisation").
//
// Correction (StbM, which the SWS hands the time to): `offset` steps the clock to the master's
// time at each FUP (StbM's immediate update); `rate` also corrects the rate from two
// consecutive syncs (StbM rate correction: the offset that built up since the last step, over
// the local time between them); `none` only measures.

import { z } from 'zod';
import type { GuestClock } from '../platform/clock.js';
import type { CanTsynSyncConfig } from '../scenario/schema.js';
import type { SyncRow } from '../trace/recorder.js';
import { NS_PER_S, OVS_MAX, decodeTsyn, encodeTsyn, type TsynFup, type TsynSync } from './cantsyn-messages.js';

/** What a CanTSyn stack needs from its VM. */
export interface CanTsynHost {
  readonly vmIndex: number;
  /** The master's VM index (the sync table's master_vm). */
  readonly masterVm: number;
  readonly clock: GuestClock;
  trueNs(): number;
  /** After delayNs of true time, onTimer(tag, arg). */
  timer(delayNs: number, tag: number, arg: number): void;
  /** Queue an 8-byte frame with the stack's CAN id; false if the TX queue is full. */
  send(data: Uint8Array): boolean;
  /** The core's timestamp (true ns) of this device's frame (0x100 | byte 0, byte 2); -1 if none. */
  stamp(dir: 0 | 1, type: number, seq: number): number;
  emit(row: SyncRow): void;
}

const TAG = { sync: 0, followUp: 1 } as const;
/** How often the master looks for the SYNC's transmit timestamp (its CanTSyn_MainFunction period). */
const MAIN_FUNCTION_NS = 1_000_000;
/** OVS holds 3 s (two bits of the FUP's byte 3): past that the SYNC's FUP cannot be expressed, so it is dropped. */
const FUP_POLLS_MAX = (OVS_MAX * NS_PER_S) / MAIN_FUNCTION_NS;
const STAMP_TYPE = 0x100;

const dropsSchema = z.strictObject({
  /** wrong DLC, an unknown type byte, a FUP nanosecond value >= 10^9 */
  malformed: z.int().min(0),
  crc: z.int().min(0),
  /** a SYNC whose sequence counter is a repeat of the last one */
  sequence: z.int().min(0),
  /** a FUP with no SYNC waiting, or with another sequence counter */
  noSync: z.int().min(0),
  /** a FUP later than followUpTimeoutNs after its SYNC */
  timeout: z.int().min(0),
  /** master: SYNCs that never left (a full queue, 3 s without a transmit timestamp) */
  notSent: z.int().min(0),
});
const stateSchema = z.strictObject({
  seq: z.int().min(0).max(15),
  /** master: the SYNC whose FUP waits for t1 (t0 in this clock, ns) */
  txSync: z.strictObject({ seq: z.int().min(0).max(15), t0: z.int(), typeByte: z.int(), sentTrueNs: z.int() }).nullable(),
  /** slave: the SYNC whose FUP is awaited (t2 this clock; received at true time rxTrueNs) */
  rxSync: z.strictObject({ seq: z.int().min(0).max(15), seconds: z.int(), t2: z.int(), rxTrueNs: z.int() }).nullable(),
  lastSeq: z.int().min(0).max(15).nullable(),
  /** slave: the last update that stepped the clock (for the rate correction) */
  lastStep: z.strictObject({ t2: z.int(), stepNs: z.int(), seq: z.int() }).nullable(),
  rateErrorPpb: z.int(),
  updates: z.int().min(0),
  drops: dropsSchema,
});
export type CanTsynState = z.infer<typeof stateSchema>;

export class CanTsynStack {
  state: CanTsynState = {
    seq: 0, txSync: null, rxSync: null, lastSeq: null, lastStep: null, rateErrorPpb: 0, updates: 0,
    drops: { malformed: 0, crc: 0, sequence: 0, noSync: 0, timeout: 0, notSent: 0 },
  };
  readonly stateSchema = stateSchema;
  private readonly dataIds: readonly number[] | null;

  constructor(
    private readonly host: CanTsynHost,
    private readonly config: CanTsynSyncConfig,
    /** The master's clock: ground truth for the error column (null on the master). */
    private readonly master: GuestClock | null,
  ) {
    this.dataIds = config.crc ? config.dataIds! : null;
  }

  get isMaster(): boolean {
    return this.config.role === 'master';
  }

  start(): void {
    if (this.isMaster) this.host.timer(this.config.syncPeriodNs, TAG.sync, 0);
  }

  onTimer(tag: number, arg: number): void {
    switch (tag) {
      case TAG.sync: return this.sendSync();
      case TAG.followUp: return this.sendFollowUp(arg);
      default: throw new Error(`assert: CanTSyn timer tag ${tag}`);
    }
  }

  private nowLocal(): number {
    return this.host.clock.localNs(this.host.trueNs());
  }

  // --- master

  private sendSync(): void {
    this.host.timer(this.config.syncPeriodNs, TAG.sync, 0);
    const t0 = this.nowLocal();
    // A time base before 0 has no SyncTimeSec (u32 seconds): StbM's time is not valid yet.
    if (t0 < 0 || this.state.txSync !== null) return;
    const seq = this.state.seq;
    const seconds = Math.floor(t0 / NS_PER_S) % 2 ** 32; // SyncTimeSec: the lower 32 bits
    const message: TsynSync = { kind: 'sync', domain: this.config.timeDomain, seq, seconds, userByte0: 0 };
    const frame = encodeTsyn({ message, dataIds: this.dataIds });
    if (!this.host.send(frame)) {
      this.state.drops.notSent++;
      return;
    }
    this.state.seq = (seq + 1) & 0x0f; // SWS: the counter steps with every SYNC sent
    this.state.txSync = { seq, t0, typeByte: frame[0]!, sentTrueNs: this.host.trueNs() };
    this.host.timer(MAIN_FUNCTION_NS, TAG.followUp, 1);
  }

  /** The FUP once the SYNC has its transmit time t1: t0.ns + (t1 − t0), whole seconds in OVS. */
  private sendFollowUp(polls: number): void {
    const pending = this.state.txSync;
    if (pending === null) return;
    const stampNs = this.host.stamp(0, STAMP_TYPE | pending.typeByte, (this.config.timeDomain << 4) | pending.seq);
    if (stampNs < pending.sentTrueNs) { // none yet (an older SYNC with this counter is no answer)
      if (polls < FUP_POLLS_MAX) this.host.timer(MAIN_FUNCTION_NS, TAG.followUp, polls + 1);
      else this.dropTx();
      return;
    }
    const t1 = this.host.clock.localNs(stampNs);
    const fupNs = (pending.t0 % NS_PER_S) + (t1 - pending.t0);
    const overflowSeconds = Math.floor(fupNs / NS_PER_S);
    if (fupNs < 0 || overflowSeconds > OVS_MAX) return this.dropTx();
    this.state.txSync = null;
    const message: TsynFup = {
      kind: 'fup', domain: this.config.timeDomain, seq: pending.seq, nanoseconds: fupNs % NS_PER_S, overflowSeconds, sgw: 0,
    };
    if (!this.host.send(encodeTsyn({ message, dataIds: this.dataIds }))) this.state.drops.notSent++;
  }

  private dropTx(): void {
    this.state.txSync = null;
    this.state.drops.notSent++;
  }

  // --- slave

  /** A frame with the CanTSyn id reached this VM (its 8 data bytes, valid during the call). */
  onFrame(data: Uint8Array): void {
    if (this.isMaster) return;
    const m = decodeTsyn(data, this.dataIds);
    if (typeof m === 'string') {
      if (m === 'crc') this.state.drops.crc++;
      else this.state.drops.malformed++; // a hostile or broken sender: ignored, counted
      return;
    }
    if (m.domain !== this.config.timeDomain) return; // another domain's master on the same id
    if (m.kind === 'sync') this.onSync(m, data[0]!);
    else this.onFollowUp(m);
  }

  private onSync(m: TsynSync, typeByte: number): void {
    const s = this.state;
    // The SWS's sequence counter check (CanTSynGlobalTimeSequenceCounterJumpWidth), reduced to
    // its minimum: a repeated counter is a stale or replayed SYNC; any step forward is taken.
    if (s.lastSeq !== null && m.seq === s.lastSeq) {
      s.drops.sequence++;
      return;
    }
    s.lastSeq = m.seq;
    const rxTrueNs = this.host.stamp(1, STAMP_TYPE | typeByte, (m.domain << 4) | m.seq);
    if (rxTrueNs < 0) {
      s.drops.malformed++; // its stamp was overwritten: more CanTSyn frames than the ring holds came at once
      return;
    }
    s.rxSync = { seq: m.seq, seconds: m.seconds, t2: this.host.clock.localNs(rxTrueNs), rxTrueNs };
  }

  private onFollowUp(m: TsynFup): void {
    const s = this.state;
    const sync = s.rxSync;
    if (sync === null || sync.seq !== m.seq) {
      s.drops.noSync++;
      return;
    }
    s.rxSync = null;
    if (this.host.trueNs() - sync.rxTrueNs > this.config.followUpTimeoutNs) {
      s.drops.timeout++;
      return;
    }
    const masterAtT2 = (sync.seconds + m.overflowSeconds) * NS_PER_S + m.nanoseconds;
    const t3 = this.nowLocal();
    const offsetNs = sync.t2 - masterAtT2; // this clock − the master's (both at t2)
    const errorBefore = this.errorNs();
    const trueOffset = t3 - this.host.trueNs();
    const uptimeNs = this.host.clock.uptimeNs(sync.rxTrueNs);
    const state = this.correct(offsetNs, sync.t2, m.seq);
    s.updates++;
    this.emitRow({ seq: m.seq, t1: masterAtT2, t2: sync.t2, t3, offsetNs, state, errorNs: errorBefore, trueOffsetNs: trueOffset, uptimeNs });
  }

  private correct(offsetNs: number, t2: number, seq: number): SyncRow['state'] {
    const s = this.state;
    if (this.config.correction === 'none') return 'unlocked';
    const now = this.host.trueNs();
    const last = s.lastStep;
    if (this.config.correction === 'rate' && last !== null && ((last.seq + 1) & 0x0f) === seq) {
      // The offset built up since the last step, over the local time since then (without that step).
      const localSpanNs = t2 - last.t2 - last.stepNs;
      if (localSpanNs > 0) {
        s.rateErrorPpb = Math.round((offsetNs / localSpanNs) * 1e9);
        const max = this.config.maxFrequencyPpb;
        const adj = Math.max(-max, Math.min(max, this.host.clock.frequencyAdjustPpb - s.rateErrorPpb));
        this.host.clock.adjustFrequency(now, adj);
      }
    }
    const stepNs = -offsetNs;
    if (stepNs !== 0) this.host.clock.stepNow(now, stepNs);
    const first = last === null;
    s.lastStep = { t2, stepNs, seq };
    return first ? 'step' : 'locked';
  }

  /** Ground truth: this clock minus the master's, now. */
  private errorNs(): number {
    const now = this.host.trueNs();
    return this.master === null ? 0 : this.host.clock.localNs(now) - this.master.localNs(now);
  }

  private emitRow(r: {
    seq: number; t1: number; t2: number; t3: number; offsetNs: number; state: SyncRow['state']; errorNs: number; trueOffsetNs: number;
    uptimeNs: number;
  }): void {
    this.host.emit({
      ts_ns: this.host.trueNs(),
      vm: this.host.vmIndex,
      protocol: 'cantsyn',
      exchange: 'sync',
      seq: r.seq,
      t1_ns: r.t1,
      t2_ns: r.t2,
      t3_ns: r.t3,
      t4_ns: null,
      correction_ns: 0,
      offset_ns: r.offsetNs,
      path_delay_ns: null, // AUTOSAR CanTSyn measures no path delay
      rate_ratio_ppb: this.state.rateErrorPpb,
      state: r.state,
      freq_adj_ppb: this.host.clock.frequencyAdjustPpb,
      true_offset_ns: r.trueOffsetNs,
      error_ns: r.errorNs,
      uptime_ns: r.uptimeNs,
      master_vm: this.host.masterVm,
      ecu: null, // an ECU slave's host names it (ecu-slave.ts)
    });
  }
}
