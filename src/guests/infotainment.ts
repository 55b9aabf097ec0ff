// Infotainment (an Android-like VM): bursts of network traffic (media, telemetry upload) and
// large memory copies that its bus budget throttles; a long stall is an audio underrun.

import { z } from 'zod';
import type { GuestApi, GuestProgram } from './guest-api.js';
import type { ProgramConfig } from '../scenario/schema.js';

type InfotainmentConfig = Extract<ProgramConfig, { type: 'infotainment' }>;

const UNDERRUN_STALL_NS = 8_000_000;
/** Timer and job tags. */
const BURST = 0; //   timer: the next media burst starts
const DECODED = 1; // job: one codec thread's part of a burst is done (arg: the burst number)

const burstSchema = z.strictObject({
  burst: z.number().int().positive(),
  partsLeft: z.number().int().nonnegative(),
  stallNs: z.number().int().nonnegative(),
  copyBytes: z.number().int().nonnegative(),
});
const stateSchema = z.strictObject({
  bursts: z.number().int().nonnegative(),
  framesSent: z.number().int().nonnegative(),
  /** Bursts whose decode is in progress, oldest first. */
  decoding: z.array(burstSchema),
});
type Burst = z.infer<typeof burstSchema>;

export class InfotainmentProgram implements GuestProgram<z.infer<typeof stateSchema>> {
  readonly stateSchema = stateSchema;
  state: z.infer<typeof stateSchema> = { bursts: 0, framesSent: 0, decoding: [] };
  /** The frames' payload buffers, reused from burst to burst: send() copies them into the
   *  driver's buffers, so they are scratch, not state (issue 10: no garbage per frame). */
  private readonly payloads: Uint8Array[] = [];

  constructor(private readonly config: InfotainmentConfig) {}

  /** Every vCPU decodes (below); interrupts and unpinned work spread over all of them. */
  vcpusUsed(declared: number): number {
    return declared;
  }

  start(api: GuestApi): void {
    api.log('SYS', 'info', 'BOOT', 'infotainment up, vcpus ready');
    api.timer(this.config.burstEveryNs, BURST);
  }

  onTimer(api: GuestApi, tag: number): void {
    if (tag !== BURST) return;
    this.burst(api);
    // Bursty: the next one comes after 50%..150% of the nominal interval.
    const base = this.config.burstEveryNs;
    api.timer(Math.floor(base / 2) + api.random(base + 1), BURST);
  }

  onCpuDone(api: GuestApi, tag: number, burst: number): void {
    if (tag !== DECODED) return;
    const index = this.state.decoding.findIndex((b) => b.burst === burst);
    if (index < 0) throw new Error(`assert: infotainment burst ${burst} decoded but never started`);
    const b = this.state.decoding[index]!;
    if (--b.partsLeft > 0) return;
    this.state.decoding.splice(index, 1);
    this.finish(api, b);
  }

  /**
   * One media burst as an Android pipeline runs it: the extractor thread (vCPU 0) copies the
   * buffer in, which is where the bus budget stalls it; the decode is split over one codec
   * thread per vCPU (Codec2's C2SoftAvcDec sizes libavc's threads by the CPU count); when the
   * last part is done the burst's frames go out. With one vCPU this is the one job it was.
   */
  private burst(api: GuestApi): void {
    const { burstCostNs, memoryBurstBytes, bigBurstOneIn } = this.config;
    const copyBytes = memoryBurstBytes * (api.chance(1, bigBurstOneIn) ? 4 : 1);
    const stallNs = api.memoryTraffic(copyBytes);
    const burst = ++this.state.bursts;
    const parts = api.vcpuCount;
    this.state.decoding.push({ burst, partsLeft: parts, stallNs, copyBytes });
    for (let vcpu = 0; vcpu < parts; vcpu++) {
      const decodeNs = Math.floor(burstCostNs / parts) + (vcpu === 0 ? burstCostNs % parts : 0);
      api.cpuOn(vcpu, decodeNs + (vcpu === 0 ? stallNs : 0), DECODED, burst);
    }
  }

  private finish(api: GuestApi, b: Burst): void {
    const { burstFrames, frameBytes, peer } = this.config;
    if (b.stallNs > UNDERRUN_STALL_NS) {
      api.log('MEDI', 'error', 'AUD', 'audio underrun, memory stall us', Math.floor(b.stallNs / 1000), 'bytes', b.copyBytes);
    }
    if (peer !== undefined && api.net !== null) {
      const payloads = this.payloadsOf(b.burst, burstFrames, frameBytes);
      const sent = api.net.send(peer, payloads);
      this.state.framesSent += sent;
      if (sent < burstFrames) api.log('MEDI', 'warn', 'NET', 'tx ring full, dropped', burstFrames - sent);
    }
    api.log('MEDI', 'debug', 'NET', 'burst', b.burst, 'frames sent', this.state.framesSent, 'stall us', Math.floor(b.stallNs / 1000));
  }

  /** Frame i's payload: `bytes` bytes, zero but for the burst and frame numbers (u32 LE each). */
  private payloadsOf(burst: number, frames: number, bytes: number): Uint8Array[] {
    const payloads = this.payloads;
    if (payloads.length !== frames || payloads[0]?.length !== bytes) {
      payloads.length = 0;
      for (let i = 0; i < frames; i++) payloads.push(new Uint8Array(bytes));
    }
    payloads.forEach((out, i) => {
      out.fill(0);
      putU32le(out, 0, burst);
      putU32le(out, 4, i);
    });
    return payloads;
  }
}

function putU32le(out: Uint8Array, at: number, value: number): void {
  out[at] = value & 0xff;
  out[at + 1] = (value >>> 8) & 0xff;
  out[at + 2] = (value >>> 16) & 0xff;
  out[at + 3] = value >>> 24;
}
