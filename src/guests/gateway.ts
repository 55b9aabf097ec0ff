// CAN gateway: receives every frame on each of its CAN buses, bridges the ones its routing table
// names (src/guests/routes.ts, from the scenario) to Ethernet as telemetry, counts what it drops,
// and reports statistics once a period.

import type { CanPort, GuestApi, GuestProgram } from './guest-api.js';
import type { CanFrame } from './frames.js';
import type { ProgramConfig } from '../scenario/schema.js';
import type { GatewayRoute } from './routes.js';
import { writeTelemetry, type Signal } from './telemetry.js';

type GatewayConfig = Extract<ProgramConfig, { type: 'gateway' }>;

/** A route as the bridging loop uses it: destinations by index into `destinations`. */
interface Route {
  signal: Signal;
  destinations: readonly number[];
}

export class GatewayProgram implements GuestProgram {
  private canRx = 0;
  private ethTx = 0;
  private ethRx = 0;
  private txFull = 0;
  private readonly unknownIds = new Set<number>();
  private readonly pending: CanFrame[] = [];
  /** The route of each pending frame (null: no route), parallel to `pending`. */
  private readonly pendingRoutes: (Route | null)[] = [];
  private working = false;
  /** Every MAC some route sends to, in the order routes first name them. */
  private readonly destinations: string[] = [];
  private readonly routesByBus = new Map<string, Map<number, Route>>();

  constructor(
    private readonly config: GatewayConfig,
    routes: readonly GatewayRoute[],
  ) {
    for (const r of routes) {
      const destinations = r.to.map((mac) => this.destinationIndex(mac));
      if (!this.routesByBus.has(r.bus)) this.routesByBus.set(r.bus, new Map());
      this.routesByBus.get(r.bus)!.set(r.canId, { signal: r.signal, destinations });
    }
  }

  private destinationIndex(mac: string): number {
    const known = this.destinations.indexOf(mac);
    if (known >= 0) return known;
    this.destinations.push(mac);
    return this.destinations.length - 1;
  }

  /** One bridging loop (NAPI-style, coalesced): everything on vCPU 0. */
  vcpusUsed(): number {
    return 1;
  }

  start(api: GuestApi): void {
    const dlt = api.dltApp('GWAY');
    dlt.log('info', 'MAIN', 'gateway up, forwarding to', this.config.forwardTo.length, 'peers');
    if (api.cans.length === 0) dlt.log('error', 'CAN', 'no CAN device: nothing to bridge');
    for (const port of api.cans) this.listen(api, dlt, port);
    api.net?.onReceive(() => this.ethRx++);
    const stats = () => {
      dlt.log('info', 'STAT', 'can_rx', this.canRx, 'eth_tx', this.ethTx, 'eth_rx', this.ethRx, 'tx_full', this.txFull);
      api.timer(this.config.statsEveryNs, stats);
    };
    api.timer(this.config.statsEveryNs, stats);
  }

  /** Every CAN device bridges: frames of each bus are looked up in that bus's routes. */
  private listen(api: GuestApi, dlt: ReturnType<GuestApi['dltApp']>, port: CanPort): void {
    const routes = this.routesByBus.get(port.bus) ?? new Map<number, Route>();
    port.onReceive((frame) => {
      this.canRx++;
      this.pending.push(frame);
      this.pendingRoutes.push(routes.get(frame.canId) ?? null);
      this.schedule(api, dlt);
    });
  }

  /** Bridge pending frames in one job (interrupt coalescing, as a NAPI-style driver would). */
  private schedule(api: GuestApi, dlt: ReturnType<GuestApi['dltApp']>): void {
    if (this.working) return;
    this.working = true;
    api.cpu(this.config.perFrameCostNs * Math.max(1, this.pending.length), () => {
      this.working = false;
      const frames = this.pending.splice(0);
      const routes = this.pendingRoutes.splice(0);
      const payloads: Uint8Array[][] = this.destinations.map(() => []);
      let bridged = 0;
      frames.forEach((frame, i) => {
        const route = routes[i]!;
        if (route === null) {
          this.noRoute(dlt, frame.canId);
          return;
        }
        bridged++;
        const payload = writeTelemetry(frame.canId, route.signal, frame.data);
        for (const d of route.destinations) payloads[d]!.push(payload);
      });
      if (bridged > 0) dlt.log('verbose', 'FWD', 'bridged', bridged, 'of', frames.length, 'frames');
      this.send(api, dlt, payloads);
      if (this.pending.length > 0) this.schedule(api, dlt);
    });
  }

  private noRoute(dlt: ReturnType<GuestApi['dltApp']>, canId: number): void {
    if (this.unknownIds.has(canId)) return;
    this.unknownIds.add(canId);
    dlt.log('warn', 'CAN', 'no route for CAN id', `0x${canId.toString(16)}`);
  }

  private send(api: GuestApi, dlt: ReturnType<GuestApi['dltApp']>, payloads: Uint8Array[][]): void {
    if (api.net === null) return;
    this.destinations.forEach((peer, d) => {
      const batch = payloads[d]!;
      if (batch.length === 0) return;
      const sent = api.net!.send(peer, batch);
      this.ethTx += sent;
      if (sent < batch.length) {
        this.txFull += batch.length - sent;
        dlt.log('warn', 'ETH', 'tx queue full, dropped', batch.length - sent);
      }
    });
  }
}
