// CAN gateway: receives every frame on its CAN bus, bridges the ones it can decode to Ethernet
// as telemetry for the cluster, counts what it drops, and reports statistics once a period.

import type { GuestApi, GuestProgram } from './guest-api.js';
import type { CanFrame } from './frames.js';
import type { ProgramConfig } from '../scenario/schema.js';
import { SIGNAL_BY_CAN_ID, writeTelemetry } from './telemetry.js';

type GatewayConfig = Extract<ProgramConfig, { type: 'gateway' }>;

export class GatewayProgram implements GuestProgram {
  private canRx = 0;
  private ethTx = 0;
  private ethRx = 0;
  private txFull = 0;
  private readonly unknownIds = new Set<number>();
  private readonly pending: CanFrame[] = [];
  private working = false;

  constructor(private readonly config: GatewayConfig) {}

  start(api: GuestApi): void {
    const dlt = api.dltApp('GWAY');
    dlt.log('info', 'MAIN', 'gateway up, forwarding to', this.config.forwardTo.length, 'peers');
    if (api.can === null) dlt.log('error', 'CAN', 'no CAN device: nothing to bridge');
    api.can?.onReceive((frame) => {
      this.canRx++;
      this.pending.push(frame);
      this.schedule(api, dlt);
    });
    api.net?.onReceive(() => this.ethRx++);
    const stats = () => {
      dlt.log('info', 'STAT', 'can_rx', this.canRx, 'eth_tx', this.ethTx, 'eth_rx', this.ethRx, 'tx_full', this.txFull);
      api.timer(this.config.statsEveryNs, stats);
    };
    api.timer(this.config.statsEveryNs, stats);
  }

  /** Bridge pending frames in one job (interrupt coalescing, as a NAPI-style driver would). */
  private schedule(api: GuestApi, dlt: ReturnType<GuestApi['dltApp']>): void {
    if (this.working) return;
    this.working = true;
    api.cpu(this.config.perFrameCostNs * Math.max(1, this.pending.length), () => {
      this.working = false;
      const frames = this.pending.splice(0);
      const payloads: Uint8Array[] = [];
      for (const frame of frames) {
        if (!SIGNAL_BY_CAN_ID.has(frame.canId)) {
          if (!this.unknownIds.has(frame.canId)) {
            this.unknownIds.add(frame.canId);
            dlt.log('warn', 'CAN', 'no route for CAN id', `0x${frame.canId.toString(16)}`);
          }
          continue;
        }
        payloads.push(writeTelemetry(frame.canId, frame.data));
      }
      if (payloads.length > 0) dlt.log('verbose', 'FWD', 'bridged', payloads.length, 'of', frames.length, 'frames');
      for (const peer of this.config.forwardTo) {
        if (payloads.length === 0 || api.net === null) break;
        const sent = api.net.send(peer, payloads);
        this.ethTx += sent;
        if (sent < payloads.length) {
          this.txFull += payloads.length - sent;
          dlt.log('warn', 'ETH', 'tx queue full, dropped', payloads.length - sent);
        }
      }
      if (this.pending.length > 0) this.schedule(api, dlt);
    });
  }
}
