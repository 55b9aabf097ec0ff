// Load-time cross-references of the guest programs: every MAC a program sends to belongs to a net
// device, and every gateway route names a CAN id an ECU on the gateway's buses sends. Before these
// checks such a scenario ran silently wrong (issue #8): an unknown MAC turned every frame into a
// switch_drop, an unknown id was never bridged.

import type { z } from 'zod';
import { canBusesOf, canSenders, flaggedCanId, formatCanId, type RoutingScenario } from '../guests/routes.js';
import { CAN_SFF_ID_MAX } from '../core/codes.js';

type Path = (string | number)[];

interface ReferencedScenario extends RoutingScenario {
  vms: readonly {
    devices: readonly { type: string; bus?: string; mac?: string }[];
    program: {
      type: string;
      forwardTo?: string[];
      peer?: string | undefined;
      routes?: { canId: number; extended: boolean; to?: string[] | undefined }[] | undefined;
    };
  }[];
}

export function checkGuestReferences(s: ReferencedScenario, ctx: z.RefinementCtx): void {
  const issue = (path: Path, message: string) => ctx.addIssue({ code: 'custom', path, message });
  const macs = new Set<string>();
  for (const vm of s.vms) {
    for (const d of vm.devices) if (d.type === 'net' && d.mac !== undefined) macs.add(d.mac.toLowerCase());
  }
  const checkMac = (mac: string, path: Path) => {
    if (macs.has(mac.toLowerCase())) return;
    const known = macs.size === 0 ? 'there are no net devices' : `net devices have ${[...macs].join(', ')}`;
    issue(path, `no net device has MAC ${mac} (${known})`);
  };
  s.vms.forEach((vm, i) => {
    const p = vm.program;
    if (p.type === 'infotainment' && p.peer !== undefined) checkMac(p.peer, ['vms', i, 'program', 'peer']);
    if (p.type !== 'gateway') return;
    (p.forwardTo ?? []).forEach((mac, k) => checkMac(mac, ['vms', i, 'program', 'forwardTo', k]));
    checkRoutes(s, i, issue, checkMac);
  });
}

function checkRoutes(
  s: ReferencedScenario,
  vmIndex: number,
  issue: (path: Path, message: string) => void,
  checkMac: (mac: string, path: Path) => void,
): void {
  const vm = s.vms[vmIndex]!;
  const buses = canBusesOf(vm);
  const sent = new Set(canSenders(s, buses).map((x) => x.canId));
  const seen = new Map<number, number>();
  (vm.program.routes ?? []).forEach((route, k) => {
    const path: Path = ['vms', vmIndex, 'program', 'routes', k];
    const canId = flaggedCanId(route.canId, route.extended);
    (route.to ?? []).forEach((mac, m) => checkMac(mac, [...path, 'to', m]));
    if (!route.extended && route.canId > CAN_SFF_ID_MAX) {
      const got = formatCanId(route.canId);
      issue([...path, 'canId'], `a standard (11-bit) CAN id is at most 0x7FF, got ${got}; set "extended": true for a 29-bit id`);
      return;
    }
    const first = seen.get(canId);
    if (first !== undefined) {
      const again = `${formatCanId(canId)} is already routed by routes[${first}]`;
      issue([...path, 'canId'], `${again}; list its MACs in one route's "to"`);
      return;
    }
    seen.set(canId, k);
    if (buses.length === 0) {
      const what = `the gateway has no CAN device, so nothing sends ${formatCanId(canId)}`;
      issue([...path, 'canId'], `${what}; add a "can" device`);
    } else if (!sent.has(canId)) {
      issue([...path, 'canId'], `no ECU on ${buses.join(' or ')} sends ${formatCanId(canId)}`);
    }
  });
}
