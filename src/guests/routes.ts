// The gateway's routing table: which CAN frames it bridges to Ethernet, as which signal, to which
// MACs. It comes from the scenario: the gateway program's `routes`, or by default every frame an
// ECU on one of the gateway's buses declares as `speed` or `rpm`, sent to `forwardTo` — what the
// cockpit always did (0x0C1 speed, 0x1A0 rpm), now derived instead of hard-coded (issue #8).
// The load-time checks (src/scenario/references.ts) use the same lookups, so a route the
// platform could not resolve never reaches it.

import { CAN_EFF_FLAG } from '../core/codes.js';
import type { Signal } from './telemetry.js';

/** A frame an external ECU sends on a bus; `canId` carries CAN_EFF_FLAG for an extended id. */
export interface CanSender {
  bus: string;
  canId: number;
  signal: Signal;
  ecu: string;
}

/** One resolved route: frames `canId` from `bus` go out as `signal` telemetry to `to`. */
export interface GatewayRoute {
  bus: string;
  canId: number;
  signal: Signal;
  to: readonly string[];
}

/** What the default routing bridges: the signals the cluster (and a dashboard) consume. */
export const DEFAULT_ROUTED_SIGNALS: readonly Signal[] = ['speed', 'rpm'];

/** The parts of a scenario routing reads (structural, so the schema's refinement can pass its shape). */
export interface RoutingScenario {
  ecus: readonly { name: string; bus: string; frames: readonly { canId: number; extended: boolean; signal: Signal }[] }[];
  vms: readonly { devices: readonly { type: string; bus?: string }[]; program: { type: string } }[];
}

export interface RouteConfig {
  canId: number;
  extended: boolean;
  signal?: Signal | undefined;
  to?: string[] | undefined;
}

interface GatewayShape {
  type: 'gateway';
  forwardTo: string[];
  routes?: RouteConfig[] | undefined;
}

/** can_id as the core and virtio-can carry it (SocketCAN: bit 31 = CAN_EFF_FLAG). */
export function flaggedCanId(canId: number, extended: boolean): number {
  return (canId | (extended ? CAN_EFF_FLAG : 0)) >>> 0;
}

/** `0x0C1` for a standard id, `0x1234567 (extended)` for a flagged one. */
export function formatCanId(flagged: number): string {
  const extended = (flagged & CAN_EFF_FLAG) !== 0;
  const id = (flagged & 0x1fff_ffff).toString(16).toUpperCase();
  return extended ? `0x${id} (extended)` : `0x${id.padStart(3, '0')}`;
}

/** The buses a VM's CAN devices are on, in device order, each once. */
export function canBusesOf(vm: RoutingScenario['vms'][number]): string[] {
  const buses: string[] = [];
  for (const d of vm.devices) if (d.type === 'can' && d.bus !== undefined && !buses.includes(d.bus)) buses.push(d.bus);
  return buses;
}

/** Frames the ECUs on `buses` send, in ECU then frame order; the first declaration of an id on a bus wins. */
export function canSenders(s: RoutingScenario, buses: readonly string[]): CanSender[] {
  const out: CanSender[] = [];
  for (const ecu of s.ecus) {
    if (!buses.includes(ecu.bus)) continue;
    for (const f of ecu.frames) {
      const canId = flaggedCanId(f.canId, f.extended);
      if (out.some((x) => x.bus === ecu.bus && x.canId === canId)) continue;
      out.push({ bus: ecu.bus, canId, signal: f.signal, ecu: ecu.name });
    }
  }
  return out;
}

/** The routing table of the gateway program of VM `vmIndex`. */
export function gatewayRoutes(s: RoutingScenario, vmIndex: number): GatewayRoute[] {
  const vm = s.vms[vmIndex]!;
  const program = vm.program as GatewayShape;
  if (program.type !== 'gateway') throw new Error(`assert: vm ${vmIndex} runs ${program.type}, not a gateway`);
  const senders = canSenders(s, canBusesOf(vm));
  if (program.routes === undefined) {
    return senders
      .filter((x) => DEFAULT_ROUTED_SIGNALS.includes(x.signal))
      .map((x) => ({ bus: x.bus, canId: x.canId, signal: x.signal, to: program.forwardTo }));
  }
  const out: GatewayRoute[] = [];
  for (const route of program.routes) {
    const canId = flaggedCanId(route.canId, route.extended);
    // A route names an id, not a bus: it applies on every gateway bus where an ECU sends it.
    for (const x of senders) {
      if (x.canId !== canId) continue;
      out.push({ bus: x.bus, canId, signal: route.signal ?? x.signal, to: route.to ?? program.forwardTo });
    }
  }
  return out;
}
