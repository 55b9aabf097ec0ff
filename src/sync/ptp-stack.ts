// A VM's gPTP stack (IEEE 802.1AS-2020, automotive profile: static roles, two-step, peer delay),
// in the guest-program form (issue 11 §1, issue 10 §1): its run-time state is plain data with a
// zod schema, it reacts to typed events (a timer, a received PTP frame) and acts through its host
// (the VM: timers, the net device, the core's timestamps, the VM clock).
//
// Grandmaster: a Sync every syncInterval, its Follow_Up with preciseOriginTimestamp = the Sync's
// transmit timestamp (§11.2.15); in a plain-switch network it also answers Pdelay_Req (§11.2.19).
// Client: a Pdelay_Req every pdelayInterval (§11.2.19), meanLinkDelay from the four timestamps and
// the neighbour rate ratio, filtered by a moving median (linuxptp tsproc / filter); each
// Sync + Follow_Up gives offset = t2 − t1 − correction − meanLinkDelay (linuxptp port.c /
// tsproc.c), which feeds the PI servo (servo.ts) that sets the clock's frequency and steps it.

import { z } from 'zod';
import type { GuestClock } from '../platform/clock.js';
import type { GptpSyncConfig } from '../scenario/schema.js';
import type { SyncRow } from '../trace/recorder.js';
import { MSG, clockIdentityOf, decodePtp, encodePtp, portIdentityBytes, portIdentityText, type PtpMessage } from './ptp-messages.js';
import { piConstants, servoInit, servoSample, servoStateSchema, type ServoConfig } from './servo.js';
import { meanLinkDelayNs, medianOf, neighborRateRatio } from './path-delay.js';

/** What a PTP stack needs from its VM. */
export interface PtpHost {
  readonly vmIndex: number;
  /** The grandmaster's VM index (the sync table's master_vm; its own on the grandmaster). */
  readonly masterVm: number;
  readonly mac: Uint8Array;
  readonly clock: GuestClock;
  trueNs(): number;
  /** After delayNs of true time, onTimer(tag, arg). */
  timer(delayNs: number, tag: number, arg: number): void;
  send(frame: Uint8Array): void;
  /** The core's timestamp (true ns) of this VM's event message; dir 0 tx, 1 rx; -1 if none. */
  stamp(dir: 0 | 1, type: number, seq: number): number;
  /** A row of the sync table. */
  emit(row: SyncRow): void;
}

const TAG = { sync: 0, followUp: 1, pdelayReq: 2, respFollowUp: 3 } as const;
/** How long after a transmission its timestamp is looked for, and how often (a driver's TX poll). */
const TX_STAMP_POLL_NS = 20_000;
const TX_STAMP_POLLS_MAX = 50;
/**
 * The first Pdelay_Req goes soon after boot (the servo needs a path delay before its first
 * update), one millisecond apart per VM so the clients' exchanges do not all start together.
 */
const FIRST_PDELAY_NS = 1_000_000;
/** Neighbour rate ratio over this many last exchanges (802.1AS §11.2.19.3.3 leaves N open). */
const NRR_WINDOW = 8;

const optNs = z.number().int().nullable();
const stateSchema = z.strictObject({
  syncSeq: z.int().min(0).max(0xffff),
  pdelaySeq: z.int().min(0).max(0xffff),
  /** grandmaster: the Sync whose Follow_Up waits for its transmit timestamp */
  txSync: z.strictObject({ seq: z.int(), t1: optNs }).nullable(),
  /** grandmaster in a plain network: the Pdelay_Resp whose Follow_Up waits for t3 */
  txResp: z.array(z.strictObject({ seq: z.int(), requester: z.array(z.int().min(0).max(255)).length(10), t3: optNs })).max(8),
  /** client: the Sync whose Follow_Up is awaited */
  rxSync: z.strictObject({ seq: z.int(), t2: z.int(), correctionNs: z.number() }).nullable(),
  /** client: the peer-delay exchange in flight */
  pdelay: z.strictObject({ seq: z.int(), t1: optNs, t2: optNs, t4: optNs, correctionNs: z.number() }).nullable(),
  delays: z.array(z.number()),
  meanDelayNs: z.number().nullable(),
  nrrHistory: z.array(z.tuple([z.int(), z.int()])),
  rateRatio: z.number(),
  servo: servoStateSchema,
  servoState: z.enum(['unlocked', 'step', 'locked']),
  malformed: z.int().min(0),
});
export type PtpStackState = z.infer<typeof stateSchema>;

/** §10.6.2.2.13 logMessageInterval: log2 of the interval in s, rounded down (integer steps only). */
function logInterval(intervalNs: number): number {
  let log = 0;
  for (let s = intervalNs / 1e9; s < 1 && log > -128; s *= 2) log--;
  for (let s = intervalNs / 1e9; s >= 2 && log < 127; s /= 2) log++;
  return log;
}

export class PtpStack {
  state: PtpStackState = {
    syncSeq: 0, pdelaySeq: 0, txSync: null, txResp: [], rxSync: null, pdelay: null, delays: [],
    meanDelayNs: null, nrrHistory: [], rateRatio: 1, servo: servoInit(), servoState: 'unlocked', malformed: 0,
  };
  readonly stateSchema = stateSchema;
  private readonly servoConfig: ServoConfig;
  private readonly clockIdentity: Uint8Array;
  private readonly portText: string;
  private readonly logSyncInterval: number;

  constructor(
    private readonly host: PtpHost,
    private readonly config: GptpSyncConfig,
    /** The grandmaster's clock: ground truth for the error column (null on the grandmaster). */
    private readonly grandmaster: GuestClock | null,
  ) {
    const hardware = config.timestamping === 'hardware';
    const { kp, ki } = piConstants(config.syncIntervalNs / 1e9, hardware, config.servo.kp, config.servo.ki);
    this.servoConfig = { kp, ki, ...config.servo };
    this.clockIdentity = clockIdentityOf(host.mac);
    this.portText = portIdentityText(portIdentityBytes(this.clockIdentity, 1));
    this.logSyncInterval = logInterval(config.syncIntervalNs);
  }

  get isGrandmaster(): boolean {
    return this.config.role === 'grandmaster';
  }

  /** Boot (t = 0): the grandmaster's first Sync after one interval, the client's first Pdelay_Req. */
  start(): void {
    if (this.isGrandmaster) this.host.timer(this.config.syncIntervalNs, TAG.sync, 0);
    else this.host.timer(FIRST_PDELAY_NS * (1 + this.host.vmIndex), TAG.pdelayReq, 0); // staggered
  }

  onTimer(tag: number, arg: number): void {
    switch (tag) {
      case TAG.sync: return this.sendSync();
      case TAG.followUp: return this.sendFollowUp(arg);
      case TAG.pdelayReq: return this.sendPdelayReq();
      case TAG.respFollowUp: return this.sendRespFollowUp(arg);
      default: throw new Error(`assert: PTP timer tag ${tag}`);
    }
  }

  /** A frame with ethertype 0x88F7 reached the VM (a whole Ethernet frame, valid during the call). */
  onFrame(frame: Uint8Array): void {
    const m = decodePtp(frame);
    if (m === null) {
      this.state.malformed++; // a hostile or broken peer: ignored, counted (state dumps show it)
      return;
    }
    switch (m.type) {
      case MSG.sync: return this.onSync(m);
      case MSG.followUp: return this.onFollowUp(m);
      case MSG.pdelayReq: return this.onPdelayReq(m, frame);
      case MSG.pdelayResp: return this.onPdelayResp(m);
      case MSG.pdelayRespFollowUp: return this.onPdelayRespFollowUp(m);
    }
  }

  // --- timestamps: the PHC is the VM clock; hardware quantises it, software reads it now

  private get hardware(): boolean {
    return this.config.timestamping === 'hardware';
  }

  private quantise(localNs: number): number {
    const g = this.config.granularityNs;
    return Math.floor(localNs / g) * g;
  }

  /** A received event message's timestamp in local time, or null when the core has none. */
  private rxStamp(type: number, seq: number): number | null {
    if (!this.hardware) return this.host.clock.localNs(this.host.trueNs());
    const trueNs = this.host.stamp(1, type, seq);
    return trueNs < 0 ? null : this.quantise(this.host.clock.localNs(trueNs));
  }

  private txStampHw(type: number, seq: number): number | null {
    const trueNs = this.host.stamp(0, type, seq);
    return trueNs < 0 ? null : this.quantise(this.host.clock.localNs(trueNs));
  }

  private nowLocal(): number {
    return this.host.clock.localNs(this.host.trueNs());
  }

  private encode(type: number, seq: number, extra: { timestampNs?: number; requestingPort?: Uint8Array; correctionNs?: number } = {}) {
    const logMessageInterval = type === MSG.sync || type === MSG.followUp ? this.logSyncInterval : 0x7f;
    return encodePtp({ type, sequenceId: seq, srcMac: this.host.mac, clockIdentity: this.clockIdentity, portNumber: 1, logMessageInterval, ...extra });
  }

  // --- grandmaster

  private sendSync(): void {
    const seq = this.state.syncSeq;
    this.state.syncSeq = (seq + 1) & 0xffff;
    this.state.txSync = { seq, t1: this.hardware ? null : this.nowLocal() };
    this.host.send(this.encode(MSG.sync, seq));
    this.host.timer(TX_STAMP_POLL_NS, TAG.followUp, 1);
    this.host.timer(this.config.syncIntervalNs, TAG.sync, 0);
  }

  /** §11.2.15: the Follow_Up carries the Sync's transmit time once the driver has it. */
  private sendFollowUp(polls: number): void {
    const pending = this.state.txSync;
    if (pending === null) return;
    const t1 = pending.t1 ?? this.txStampHw(MSG.sync, pending.seq);
    if (t1 === null) {
      if (polls < TX_STAMP_POLLS_MAX) this.host.timer(TX_STAMP_POLL_NS, TAG.followUp, polls + 1);
      else this.state.txSync = null; // the Sync never left (a full queue): no Follow_Up
      return;
    }
    this.state.txSync = null;
    this.host.send(this.encode(MSG.followUp, pending.seq, { timestampNs: t1 }));
  }

  /** Plain switch: the grandmaster is every client's peer and answers its Pdelay_Req. */
  private onPdelayReq(m: PtpMessage, frame: Uint8Array): void {
    if (!this.isGrandmaster) return;
    const t2 = this.rxStamp(MSG.pdelayReq, m.sequenceId);
    if (t2 === null) return;
    if (this.state.txResp.length >= 8) return; // answering at most 8 requesters at once
    const requester = [...frame.subarray(14 + 20, 14 + 30)];
    this.state.txResp.push({ seq: m.sequenceId, requester, t3: this.hardware ? null : this.nowLocal() });
    this.host.send(this.encode(MSG.pdelayResp, m.sequenceId, { timestampNs: t2, requestingPort: Uint8Array.from(requester) }));
    if (this.state.txResp.length === 1) this.host.timer(TX_STAMP_POLL_NS, TAG.respFollowUp, 1);
  }

  /** Each answered request's Pdelay_Resp_Follow_Up once its Pdelay_Resp has a transmit time. */
  private sendRespFollowUp(polls: number): void {
    const waiting: PtpStackState['txResp'] = [];
    for (const pending of this.state.txResp) {
      const t3 = pending.t3 ?? this.txStampHw(MSG.pdelayResp, pending.seq);
      if (t3 === null) {
        if (polls < TX_STAMP_POLLS_MAX) waiting.push(pending);
        continue;
      }
      const requestingPort = Uint8Array.from(pending.requester);
      this.host.send(this.encode(MSG.pdelayRespFollowUp, pending.seq, { timestampNs: t3, requestingPort }));
    }
    this.state.txResp = waiting;
    if (waiting.length > 0) this.host.timer(TX_STAMP_POLL_NS, TAG.respFollowUp, polls + 1);
  }

  // --- client: peer delay (§11.2.19 requester)

  private sendPdelayReq(): void {
    this.host.timer(this.config.pdelayIntervalNs, TAG.pdelayReq, 0);
    if (this.isGrandmaster) return;
    const seq = this.state.pdelaySeq;
    this.state.pdelaySeq = (seq + 1) & 0xffff;
    this.state.pdelay = { seq, t1: this.hardware ? null : this.nowLocal(), t2: null, t4: null, correctionNs: 0 };
    this.host.send(this.encode(MSG.pdelayReq, seq));
  }

  private myExchange(m: PtpMessage): boolean {
    const p = this.state.pdelay;
    return !this.isGrandmaster && p !== null && p.seq === m.sequenceId && m.requestingPort === this.portText;
  }

  private onPdelayResp(m: PtpMessage): void {
    if (!this.myExchange(m)) return;
    const p = this.state.pdelay!;
    p.t2 = m.timestampNs;
    p.t4 = this.rxStamp(MSG.pdelayResp, m.sequenceId);
    p.correctionNs = m.correctionNs;
  }

  private onPdelayRespFollowUp(m: PtpMessage): void {
    if (!this.myExchange(m)) return;
    const p = this.state.pdelay!;
    this.state.pdelay = null;
    const t1 = p.t1 ?? this.txStampHw(MSG.pdelayReq, p.seq);
    if (t1 === null || p.t2 === null || p.t4 === null) return;
    const t3 = m.timestampNs + p.correctionNs + m.correctionNs; // linuxptp port_peer_delay: t3c
    const s = this.state;
    s.nrrHistory.push([Math.round(t3), p.t4]);
    if (s.nrrHistory.length > NRR_WINDOW) s.nrrHistory.shift();
    s.rateRatio = neighborRateRatio(s.nrrHistory);
    const raw = meanLinkDelayNs({ t1, t2: p.t2, t3, t4: p.t4, rateRatio: s.rateRatio });
    s.delays.push(raw);
    if (s.delays.length > this.config.delayFilterLength) s.delays.shift();
    s.meanDelayNs = medianOf(s.delays);
    this.emitRow({ exchange: 'pdelay', seq: p.seq, t1, t2: p.t2, t3: Math.round(t3), t4: p.t4, correctionNs: p.correctionNs + m.correctionNs, offsetNs: null });
  }

  // --- client: Sync + Follow_Up and the servo

  private onSync(m: PtpMessage): void {
    if (this.isGrandmaster) return;
    const t2 = this.rxStamp(MSG.sync, m.sequenceId);
    this.state.rxSync = t2 === null ? null : { seq: m.sequenceId, t2, correctionNs: m.correctionNs };
  }

  private onFollowUp(m: PtpMessage): void {
    const sync = this.state.rxSync;
    if (this.isGrandmaster || sync === null || sync.seq !== m.sequenceId) return;
    this.state.rxSync = null;
    const delay = this.state.meanDelayNs;
    if (delay === null) return; // no path delay yet: ptp4l waits for one too (tsproc_update_offset)
    const t1 = m.timestampNs;
    const correctionNs = sync.correctionNs + m.correctionNs;
    const offsetNs = sync.t2 - t1 - correctionNs - delay;
    const errorBefore = this.errorNs();
    const trueOffset = this.nowLocal() - this.host.trueNs();
    // t2 less the steps taken by now, before the servo's: its uptime (a clock_step fault
    // between the Sync and its Follow_Up would be counted in; none lands in those microseconds
    // in any scenario here, and the timeline it feeds is off by that step for one interval)
    const uptimeNs = sync.t2 - this.host.clock.stepsNs(this.host.trueNs());
    this.applyServo(offsetNs, sync.t2);
    this.emitRow({ exchange: 'sync', seq: m.sequenceId, t1, t2: sync.t2, t3: null, t4: null, correctionNs, offsetNs, errorNs: errorBefore, trueOffsetNs: trueOffset, uptimeNs });
  }

  /** clock.c clock_synchronize: jump = set the frequency and step by −offset; locked = set it. */
  private applyServo(offsetNs: number, localNs: number): void {
    const result = servoSample(this.state.servo, this.servoConfig, offsetNs, localNs);
    const now = this.host.trueNs();
    if (result.outcome === 'unlocked') {
      this.state.servoState = 'unlocked';
      return;
    }
    this.host.clock.adjustFrequency(now, Math.round(-result.adjPpb));
    if (result.outcome === 'jump') {
      this.host.clock.stepNow(now, -Math.round(offsetNs));
      this.state.nrrHistory = []; // our timestamps jumped: the rate ratio starts again
      this.state.servoState = 'step';
    } else {
      this.state.servoState = 'locked';
    }
  }

  /** Ground truth: this clock minus the grandmaster's, now. */
  private errorNs(): number {
    const now = this.host.trueNs();
    return this.grandmaster === null ? 0 : this.host.clock.localNs(now) - this.grandmaster.localNs(now);
  }

  private emitRow(r: {
    exchange: 'sync' | 'pdelay'; seq: number; t1: number; t2: number; t3: number | null; t4: number | null;
    correctionNs: number; offsetNs: number | null; errorNs?: number; trueOffsetNs?: number; uptimeNs?: number;
  }): void {
    const now = this.host.trueNs();
    const s = this.state;
    this.host.emit({
      ts_ns: now,
      vm: this.host.vmIndex,
      protocol: 'gptp',
      exchange: r.exchange,
      seq: r.seq,
      t1_ns: r.t1,
      t2_ns: r.t2,
      t3_ns: r.t3,
      t4_ns: r.t4,
      correction_ns: Math.round(r.correctionNs),
      offset_ns: r.offsetNs === null ? null : Math.round(r.offsetNs),
      path_delay_ns: s.meanDelayNs === null ? null : Math.round(s.meanDelayNs),
      rate_ratio_ppb: Math.round((s.rateRatio - 1) * 1e9),
      state: s.servoState,
      freq_adj_ppb: this.host.clock.frequencyAdjustPpb,
      true_offset_ns: r.trueOffsetNs ?? this.nowLocal() - now,
      error_ns: r.errorNs ?? this.errorNs(),
      uptime_ns: r.uptimeNs ?? null,
      master_vm: this.host.masterVm,
      ecu: null,
    });
  }
}
