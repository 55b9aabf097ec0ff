// Clock sync rules (issue 11 §1) the field shapes cannot say: one grandmaster for the clients,
// and a network to reach it: every VM with `clock.sync` needs a net device on the switch.

import type { z } from 'zod';
import type { Scenario } from './schema.js';
import { formatPath } from './field-path.js';

export function checkSyncReferences(s: Scenario, ctx: z.RefinementCtx): void {
  const synced = s.vms.map((vm, i) => ({ vm, i, sync: vm.clock.sync })).filter((x) => x.sync !== undefined);
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
