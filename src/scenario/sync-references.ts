// Clock sync rules (issue 11 §1) the field shapes cannot say: one grandmaster for the clients,
// and a network to reach it: every VM with `clock.sync` needs a net device on the switch.
// CanTSyn (issue 11 §2): a known bus the VM has a can device on, one master per bus and time
// domain, a master for every slave, and a DataID list when the messages carry a CRC.

import type { z } from 'zod';
import type { Scenario } from './schema.js';
import { formatPath } from './field-path.js';

export function checkSyncReferences(s: Scenario, ctx: z.RefinementCtx): void {
  checkCanTsyn(s, ctx);
  const synced = s.vms.flatMap((vm, i) => (vm.clock.sync?.protocol === 'gptp' ? [{ vm, i, sync: vm.clock.sync }] : []));
  if (synced.length === 0) return;
  const masters = synced.filter((x) => x.sync!.role === 'grandmaster');
  const rolePath = (i: number) => ['vms', i, 'clock', 'sync', 'role'];
  masters.slice(1).forEach((x) => {
    ctx.addIssue({ code: 'custom', path: rolePath(x.i), message: `a second grandmaster: ${formatPath(rolePath(masters[0]!.i))} is one already (static roles: one per network)` });
  });
  const client = synced.find((x) => x.sync!.role === 'client');
  if (masters.length === 0 && client !== undefined) {
    ctx.addIssue({ code: 'custom', path: rolePath(client.i), message: 'a client with no grandmaster to sync to: give one VM on the switch clock.sync.role "grandmaster"' });
  }
  for (const { vm, i } of synced) {
    if (!vm.devices.some((d) => d.type === 'net')) {
      ctx.addIssue({ code: 'custom', path: ['vms', i, 'clock', 'sync'], message: 'gPTP runs over Ethernet: the VM needs a net device (devices[] type "net")' });
    }
  }
}

// --- CanTSyn (issue 11 §2)
function checkCanTsyn(s: Scenario, ctx: z.RefinementCtx): void {
  const path = (i: number, field: string) => ['vms', i, 'clock', 'sync', field];
  const issue = (i: number, field: string, message: string) => ctx.addIssue({ code: 'custom', path: path(i, field), message });
  const entries = s.vms.flatMap((vm, i) => (vm.clock.sync?.protocol === 'cantsyn' ? [{ vm, i, c: vm.clock.sync }] : []));
  const buses = new Set(s.canBuses.map((b) => b.name));
  const masters = new Map<string, number>();
  const idOfBus = new Map<string, { i: number; id: string }>();
  for (const { vm, i, c } of entries) {
    if (!buses.has(c.bus)) {
      issue(i, 'bus', `unknown CAN bus "${c.bus}" (canBuses has: ${[...buses].join(', ') || 'none'})`);
      continue;
    }
    // The core stamps one time-sync id per bus (assembly/bus/can.ts canTsynId); domains share it.
    const id = `0x${c.canId.toString(16).toUpperCase()}${c.extended ? ' (extended)' : ''}`;
    const first = idOfBus.get(c.bus);
    if (first === undefined) idOfBus.set(c.bus, { i, id });
    else if (first.id !== id) issue(i, 'canId', `CanTSyn on bus "${c.bus}" uses ${first.id} already (${formatPath(path(first.i, 'canId'))}): one id per bus, time domains tell the messages apart`);
    if (!vm.devices.some((d) => d.type === 'can' && d.bus === c.bus)) {
      issue(i, 'bus', `CanTSyn runs over the VM's CAN controller: give it a can device on "${c.bus}" (devices[] type "can")`);
    }
    if (c.crc && c.dataIds === undefined) issue(i, 'dataIds', 'crc is on: give the 16 DataIDs of CanTSynGlobalTimeSyncDataIDList (one per sequence counter value)');
    if (c.role !== 'master') continue;
    const key = `${c.bus}/${c.timeDomain}`;
    const firstMaster = masters.get(key);
    if (firstMaster === undefined) masters.set(key, i);
    else issue(i, 'role', `a second master for time domain ${c.timeDomain} on bus "${c.bus}": ${formatPath(path(firstMaster, 'role'))} is one already`);
  }
  for (const { i, c } of entries) {
    if (c.role === 'slave' && buses.has(c.bus) && !masters.has(`${c.bus}/${c.timeDomain}`)) {
      issue(i, 'timeDomain', `no master for time domain ${c.timeDomain} on bus "${c.bus}": give one VM on it clock.sync.role "master" with this timeDomain`);
    }
  }
  checkEcuSlaves(s, ctx, masters, idOfBus, path);
}

// --- CanTSyn ECU slaves (issue 11): the same rules for an ECU's `cantsyn` (its bus is the ECU's)
function checkEcuSlaves(
  s: Scenario, ctx: z.RefinementCtx, masters: ReadonlyMap<string, number>,
  idOfBus: ReadonlyMap<string, { i: number; id: string }>, vmPath: (i: number, field: string) => (string | number)[],
): void {
  s.ecus.forEach((ecu, i) => {
    const c = ecu.cantsyn;
    if (c === undefined) return;
    const issue = (field: string, message: string) => ctx.addIssue({ code: 'custom', path: ['ecus', i, 'cantsyn', field], message });
    const id = `0x${c.canId.toString(16).toUpperCase()}${c.extended ? ' (extended)' : ''}`;
    const first = idOfBus.get(ecu.bus);
    if (first !== undefined && first.id !== id) {
      issue('canId', `CanTSyn on bus "${ecu.bus}" uses ${first.id} (${formatPath(vmPath(first.i, 'canId'))}): the ECU listens on that id`);
    }
    if (c.crc && c.dataIds === undefined) issue('dataIds', 'crc is on: give the 16 DataIDs of CanTSynGlobalTimeSyncDataIDList (one per sequence counter value)');
    if (!masters.has(`${ecu.bus}/${c.timeDomain}`)) {
      issue('timeDomain', `no master for time domain ${c.timeDomain} on bus "${ecu.bus}": give one VM on it clock.sync.role "master" with this timeDomain`);
    }
  });
}
