// CAN gateway: receives every frame on each of its CAN buses, bridges the ones its routing table
// names (src/guests/routes.ts, from the scenario) to Ethernet as telemetry, counts what it drops,
// and reports statistics once a period.

import { z } from 'zod';
import type { GuestApi, GuestProgram } from './guest-api.js';
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

/** Timer and job tags. */
const STATS = 0; //  timer: log the statistics
const BRIDGE = 1; // job: bridge the frames pending when it was queued and since

const frameSchema = z.strictObject({
  port: z.number().int().nonnegative(),
  canId: z.number().int().nonnegative(),
  data: z.array(z.number().int().min(0).max(255)).max(64),
});
const stateSchema = z.strictObject({
  canRx: z.number().int().nonnegative(),
  ethTx: z.number().int().nonnegative(),
  ethRx: z.number().int().nonnegative(),
  txFull: z.number().int().nonnegative(),
  /** CAN ids without a route already reported (once each). */
  unknownIds: z.array(z.number().int().nonnegative()),
  /** Frames received and not yet bridged, in arrival order. */
  pending: z.array(frameSchema),
  /** A bridging job is queued. */
  working: z.boolean(),
});
type Pending = z.infer<typeof frameSchema>;

export class GatewayProgram implements GuestProgram<z.infer<typeof stateSchema>> {
  readonly stateSchema = stateSchema;
  state: z.infer<typeof stateSchema> = { canRx: 0, ethTx: 0, ethRx: 0, txFull: 0, unknownIds: [], pending: [], working: false };
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
    api.log('GWAY', 'info', 'MAIN', 'gateway up, forwarding to', this.config.forwardTo.length, 'peers');
    if (api.cans.length === 0) api.log('GWAY', 'error', 'CAN', 'no CAN device: nothing to bridge');
    api.timer(this.config.statsEveryNs, STATS);
  }

  onTimer(api: GuestApi, tag: number): void {
    if (tag !== STATS) return;
    const s = this.state;
    api.log('GWAY', 'info', 'STAT', 'can_rx', s.canRx, 'eth_tx', s.ethTx, 'eth_rx', s.ethRx, 'tx_full', s.txFull);
    api.timer(this.config.statsEveryNs, STATS);
  }

  onNetFrame(): void {
    this.state.ethRx++;
  }

  /** Every CAN device bridges: frames of each bus are looked up in that bus's routes. */
  onCanFrame(api: GuestApi, port: number, frame: CanFrame): void {
    this.state.canRx++;
    this.state.pending.push({ port, canId: frame.canId, data: numbersOf(frame.data) });
    this.schedule(api);
  }

  onCpuDone(api: GuestApi, tag: number): void {
    if (tag !== BRIDGE) return;
    this.state.working = false;
    this.bridge(api, this.state.pending.splice(0));
    if (this.state.pending.length > 0) this.schedule(api);
  }

  /** Bridge pending frames in one job (interrupt coalescing, as a NAPI-style driver would). */
  private schedule(api: GuestApi): void {
    if (this.state.working) return;
    this.state.working = true;
    api.cpu(this.config.perFrameCostNs * Math.max(1, this.state.pending.length), BRIDGE);
  }

  private bridge(api: GuestApi, frames: Pending[]): void {
    const payloads: Uint8Array[][] = this.destinations.map(() => []);
    let bridged = 0;
    for (const frame of frames) {
      const route = this.routesByBus.get(api.cans[frame.port]!.bus)?.get(frame.canId);
      if (route === undefined) {
        this.noRoute(api, frame.canId);
        continue;
      }
      bridged++;
      const payload = writeTelemetry(frame.canId, route.signal, frame.data);
      for (const d of route.destinations) payloads[d]!.push(payload);
    }
    if (bridged > 0) api.log('GWAY', 'verbose', 'FWD', 'bridged', bridged, 'of', frames.length, 'frames');
    this.send(api, payloads);
  }

  private noRoute(api: GuestApi, canId: number): void {
    if (this.state.unknownIds.includes(canId)) return;
    this.state.unknownIds.push(canId);
    api.log('GWAY', 'warn', 'CAN', 'no route for CAN id', `0x${canId.toString(16)}`);
  }

  private send(api: GuestApi, payloads: Uint8Array[][]): void {
    if (api.net === null) return;
    this.destinations.forEach((peer, d) => {
      const batch = payloads[d]!;
      if (batch.length === 0) return;
      const sent = api.net!.send(peer, batch);
      this.state.ethTx += sent;
      if (sent < batch.length) {
        this.state.txFull += batch.length - sent;
        api.log('GWAY', 'warn', 'ETH', 'tx queue full, dropped', batch.length - sent);
      }
    });
  }
}

/** The bytes as plain numbers (state is JSON data); a loop: Array.from iterates, an object per byte. */
function numbersOf(bytes: Uint8Array): number[] {
  const out = new Array<number>(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i]!;
  return out;
}
