// Instrument cluster: a 60 Hz render loop with a deadline per frame (the next release), fed
// vehicle speed over Ethernet by the gateway. High priority; its framebuffer traffic is charged
// to its memory-bus budget, so a tight budget shows up as a missed deadline.

import type { GuestApi, GuestProgram } from './guest-api.js';
import type { ProgramConfig } from '../scenario/schema.js';
import { readTelemetry } from './telemetry.js';

type ClusterConfig = Extract<ProgramConfig, { type: 'cluster' }>;

const SPEED_STALE_NS = 200_000_000;

export class ClusterProgram implements GuestProgram {
  private speedKph = 0;
  private speedLocalNs = -1;
  private frames = 0;
  private misses = 0;
  private staleReported = false;

  constructor(private readonly config: ClusterConfig) {}

  /** One render loop: the cluster RTOS runs it, and its interrupts, on vCPU 0. */
  vcpusUsed(): number {
    return 1;
  }

  start(api: GuestApi): void {
    const dlt = api.dltApp('CLU');
    dlt.log('info', 'MAIN', 'cluster up, frame period ns', this.config.framePeriodNs);
    api.net?.onReceive((payload) => {
      const t = readTelemetry(payload);
      if (t === null || t.signal !== 'speed') return;
      this.speedKph = t.value;
      this.speedLocalNs = api.localNs();
      this.staleReported = false;
    });
    this.release(api, dlt, 0);
  }

  private release(api: GuestApi, dlt: ReturnType<GuestApi['dltApp']>, frame: number): void {
    const { framePeriodNs, frameCostNs, frameCostJitterNs, framebufferBytes } = this.config;
    const releaseLocalNs = api.localNs();
    const redraw = frame > 0 && frame % this.config.fullRedrawEvery === 0;
    const stallNs = api.memoryTraffic(framebufferBytes * (redraw ? this.config.fullRedrawFactor : 1));
    const costNs = frameCostNs + api.random(frameCostJitterNs + 1) + stallNs;
    api.cpu(costNs, () => {
      this.frames++;
      const latenessNs = api.localNs() - releaseLocalNs - framePeriodNs;
      if (latenessNs > 0) {
        this.misses++;
        api.deadlineMiss(0, latenessNs);
        dlt.log('error', 'REND', 'frame deadline missed by us', Math.floor(latenessNs / 1000), 'frame', frame, 'redraw', redraw);
      }
      if (stallNs > 0) dlt.log('debug', 'MEM', 'framebuffer stall us', Math.floor(stallNs / 1000));
      if (frame % 60 === 0) {
        dlt.log('info', 'REND', 'frames', this.frames, 'misses', this.misses, 'speed_kph', this.speedKph);
      }
      this.checkSpeed(api, dlt);
    });
    api.timer(framePeriodNs, () => this.release(api, dlt, frame + 1));
  }

  private checkSpeed(api: GuestApi, dlt: ReturnType<GuestApi['dltApp']>): void {
    const ageNs = this.speedLocalNs < 0 ? Infinity : api.localNs() - this.speedLocalNs;
    if (ageNs > SPEED_STALE_NS && !this.staleReported && this.frames > 30) {
      this.staleReported = true;
      dlt.log('warn', 'SIG', 'vehicle speed signal stale');
    }
  }
}
