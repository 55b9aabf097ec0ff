// Cross-field rules zod's shapes cannot express: unique names and ECU ids, buses that exist,
// MACs, switch ports. Each problem names the field path of the second use and the first.

import type { z } from 'zod';
import type { Scenario } from './schema.js';
import { deviceEntries } from './topology.js';
import { checkGuestReferences } from './guest-references.js';
import { formatPath } from './field-path.js';

type Path = (string | number)[];

/** Reports the second use of a key, naming the first. Keys carry their namespace ("bus:can0"). */
function uniqueChecker(ctx: z.RefinementCtx) {
  const seen = new Map<string, string>();
  return (key: string, path: Path, what = 'duplicate') => {
    if (seen.has(key)) {
      ctx.addIssue({ code: 'custom', path, message: `${what}: already used by ${seen.get(key)}` });
    }
    seen.set(key, formatPath(path));
  };
}

export function checkReferences(s: Scenario, ctx: z.RefinementCtx): void {
  const unique = uniqueChecker(ctx);
  const buses = new Set(s.canBuses.map((b) => b.name));
  s.canBuses.forEach((bus, i) => unique(`bus:${bus.name}`, ['canBuses', i, 'name']));
  s.vms.forEach((vm, i) => {
    unique(`name:${vm.name}`, ['vms', i, 'name']);
    // The DLT ECU id is how a log message says which VM wrote it (the `dlt.ecu` column).
    unique(`ecu:${vm.ecu}`, ['vms', i, 'ecu'], `duplicate DLT ECU id "${vm.ecu}"`);
    vm.devices.forEach((d, j) => {
      if (d.type === 'can' && !buses.has(d.bus)) {
        ctx.addIssue({ code: 'custom', path: ['vms', i, 'devices', j, 'bus'], message: `no CAN bus named "${d.bus}" in canBuses` });
      }
      if (d.type === 'net') unique(`mac:${d.mac.toLowerCase()}`, ['vms', i, 'devices', j, 'mac']);
    });
    const consoles = vm.devices.filter((d) => d.type === 'console').length;
    if (consoles > 1) ctx.addIssue({ code: 'custom', path: ['vms', i, 'devices'], message: 'at most one console device' });
  });
  // Switch ports as the platform assigns them (topology.ts): an explicit `port` must not meet
  // another one, nor a port given in order to a net device without one.
  for (const d of deviceEntries(s)) {
    if (d.switchPort === null) continue;
    const path = ['vms', d.vm, 'devices', d.index];
    const explicit = d.config.type === 'net' && d.config.port !== undefined;
    unique(`port:${d.switchPort}`, explicit ? [...path, 'port'] : path,
      explicit ? `switch port ${d.switchPort}` : `switch port ${d.switchPort} (given in order)`);
  }
  s.ecus.forEach((ecu, i) => {
    unique(`name:${ecu.name}`, ['ecus', i, 'name']);
    if (!buses.has(ecu.bus)) {
      ctx.addIssue({ code: 'custom', path: ['ecus', i, 'bus'], message: `no CAN bus named "${ecu.bus}" in canBuses` });
    }
    ecu.frames.forEach((f, j) => {
      if (f.jitterNs >= f.periodNs) {
        ctx.addIssue({ code: 'custom', path: ['ecus', i, 'frames', j, 'jitterNs'], message: 'must be smaller than periodNs' });
      }
    });
  });
  checkGuestReferences(s, ctx);
}
