// Instrument cluster: a 60 Hz render loop with a deadline per frame (the next release), fed
// vehicle speed over Ethernet by the gateway. High priority; its framebuffer traffic is charged
// to its memory-bus budget, so a tight budget shows up as a missed deadline.

import { z } from 'zod';
import type { GuestApi, GuestProgram } from './guest-api.js';
import type { ProgramConfig } from '../scenario/schema.js';
import { readTelemetry } from './telemetry.js';

type ClusterConfig = Extract<ProgramConfig, { type: 'cluster' }>;

const SPEED_STALE_NS = 200_000_000;
/** Timer and job tags. */
const RELEASE = 0; //  timer: the next frame is released (arg: its number)
const RENDERED = 1; // job: a frame's render is done (arg: its number)

const stateSchema = z.strictObject({
  speedKph: z.number().int(),
  speedLocalNs: z.number().int(), // -1: no speed received yet
  frames: z.number().int().nonnegative(),
  misses: z.number().int().nonnegative(),
  staleReported: z.boolean(),
  /** Frames released and not yet rendered, oldest first (a late render overlaps the next). */
  rendering: z.array(z.strictObject({
    frame: z.number().int().nonnegative(),
    releaseLocalNs: z.number().int(),
    stallNs: z.number().int().nonnegative(),
  })),
});

export class ClusterProgram implements GuestProgram<z.infer<typeof stateSchema>> {
  readonly stateSchema = stateSchema;
  state: z.infer<typeof stateSchema> = {
    speedKph: 0, speedLocalNs: -1, frames: 0, misses: 0, staleReported: false, rendering: [],
  };

  constructor(private readonly config: ClusterConfig) {}

  /** One render loop: the cluster RTOS runs it, and its interrupts, on vCPU 0. */
  vcpusUsed(): number {
    return 1;
  }

  start(api: GuestApi): void {
    api.log('CLU', 'info', 'MAIN', 'cluster up, frame period ns', this.config.framePeriodNs);
    this.release(api, 0);
  }

  onNetFrame(api: GuestApi, payload: Uint8Array): void {
    const t = readTelemetry(payload);
    if (t === null || t.signal !== 'speed') return;
    this.state.speedKph = t.value;
    this.state.speedLocalNs = api.localNs();
    this.state.staleReported = false;
  }

  onTimer(api: GuestApi, tag: number, frame: number): void {
    if (tag === RELEASE) this.release(api, frame);
  }

  onCpuDone(api: GuestApi, tag: number, frame: number): void {
    if (tag === RENDERED) this.rendered(api, frame);
  }

  private release(api: GuestApi, frame: number): void {
    const { framePeriodNs, frameCostNs, frameCostJitterNs, framebufferBytes } = this.config;
    const releaseLocalNs = api.localNs();
    const stallNs = api.memoryTraffic(framebufferBytes * (this.isRedraw(frame) ? this.config.fullRedrawFactor : 1));
    const costNs = frameCostNs + api.random(frameCostJitterNs + 1) + stallNs;
    this.state.rendering.push({ frame, releaseLocalNs, stallNs });
    api.cpu(costNs, RENDERED, frame);
    api.timer(framePeriodNs, RELEASE, frame + 1);
  }

  private isRedraw(frame: number): boolean {
    return frame > 0 && frame % this.config.fullRedrawEvery === 0;
  }

  private rendered(api: GuestApi, frame: number): void {
    const s = this.state;
    const index = s.rendering.findIndex((r) => r.frame === frame);
    if (index < 0) throw new Error(`assert: cluster frame ${frame} rendered but never released`);
    const { releaseLocalNs, stallNs } = s.rendering.splice(index, 1)[0]!;
    s.frames++;
    const latenessNs = api.localNs() - releaseLocalNs - this.config.framePeriodNs;
    if (latenessNs > 0) {
      s.misses++;
      api.deadlineMiss(0, latenessNs);
      api.log('CLU', 'error', 'REND', 'frame deadline missed by us', Math.floor(latenessNs / 1000), 'frame', frame, 'redraw', this.isRedraw(frame));
    }
    if (stallNs > 0) api.log('CLU', 'debug', 'MEM', 'framebuffer stall us', Math.floor(stallNs / 1000));
    if (frame % 60 === 0) api.log('CLU', 'info', 'REND', 'frames', s.frames, 'misses', s.misses, 'speed_kph', s.speedKph);
    this.checkSpeed(api);
  }

  private checkSpeed(api: GuestApi): void {
    const s = this.state;
    const ageNs = s.speedLocalNs < 0 ? Infinity : api.localNs() - s.speedLocalNs;
    if (ageNs > SPEED_STALE_NS && !s.staleReported && s.frames > 30) {
      s.staleReported = true;
      api.log('CLU', 'warn', 'SIG', 'vehicle speed signal stale');
    }
  }
}
