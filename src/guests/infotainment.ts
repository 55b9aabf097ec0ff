// Infotainment (an Android-like VM): bursts of network traffic (media, telemetry upload) and
// large memory copies that its bus budget throttles; a long stall is an audio underrun.

import type { GuestApi, GuestProgram } from './guest-api.js';
import type { ProgramConfig } from '../scenario/schema.js';

type InfotainmentConfig = Extract<ProgramConfig, { type: 'infotainment' }>;

const UNDERRUN_STALL_NS = 8_000_000;

export class InfotainmentProgram implements GuestProgram {
  private bursts = 0;
  private framesSent = 0;

  constructor(private readonly config: InfotainmentConfig) {}

  start(api: GuestApi): void {
    const media = api.dltApp('MEDI');
    const sys = api.dltApp('SYS');
    sys.log('info', 'BOOT', 'infotainment up, vcpus ready');
    const burst = () => {
      this.burst(api, media);
      // Bursty: the next one comes after 50%..150% of the nominal interval.
      const base = this.config.burstEveryNs;
      api.timer(Math.floor(base / 2) + api.random(base + 1), burst);
    };
    api.timer(this.config.burstEveryNs, burst);
  }

  /** Every vCPU decodes (below); interrupts and unpinned work spread over all of them. */
  vcpusUsed(declared: number): number {
    return declared;
  }

  /**
   * One media burst as an Android pipeline runs it: the extractor thread (vCPU 0) copies the
   * buffer in, which is where the bus budget stalls it; the decode is split over one codec
   * thread per vCPU (Codec2's C2SoftAvcDec sizes libavc's threads by the CPU count); when the
   * last part is done the burst's frames go out. With one vCPU this is the one job it was.
   */
  private burst(api: GuestApi, media: ReturnType<GuestApi['dltApp']>): void {
    const { burstCostNs, memoryBurstBytes, bigBurstOneIn } = this.config;
    const copyBytes = memoryBurstBytes * (api.chance(1, bigBurstOneIn) ? 4 : 1);
    const stallNs = api.memoryTraffic(copyBytes);
    const burst = ++this.bursts;
    const parts = api.vcpuCount;
    let left = parts;
    for (let vcpu = 0; vcpu < parts; vcpu++) {
      const decodeNs = Math.floor(burstCostNs / parts) + (vcpu === 0 ? burstCostNs % parts : 0);
      api.cpuOn(vcpu, decodeNs + (vcpu === 0 ? stallNs : 0), () => {
        if (--left === 0) this.finish(api, media, { burst, stallNs, copyBytes });
      });
    }
  }

  private finish(
    api: GuestApi,
    media: ReturnType<GuestApi['dltApp']>,
    b: { burst: number; stallNs: number; copyBytes: number },
  ): void {
    const { burstFrames, frameBytes, peer } = this.config;
    if (b.stallNs > UNDERRUN_STALL_NS) {
      media.log('error', 'AUD', 'audio underrun, memory stall us', Math.floor(b.stallNs / 1000), 'bytes', b.copyBytes);
    }
    if (peer !== undefined && api.net !== null) {
      const payloads = Array.from({ length: burstFrames }, (_, i) => payload(frameBytes, b.burst, i));
      const sent = api.net.send(peer, payloads);
      this.framesSent += sent;
      if (sent < burstFrames) media.log('warn', 'NET', 'tx ring full, dropped', burstFrames - sent);
    }
    media.log('debug', 'NET', 'burst', b.burst, 'frames sent', this.framesSent, 'stall us', Math.floor(b.stallNs / 1000));
  }
}

function payload(bytes: number, burst: number, index: number): Uint8Array {
  const out = new Uint8Array(bytes);
  const view = new DataView(out.buffer);
  view.setUint32(0, burst, true);
  view.setUint32(4, index, true);
  return out;
}
