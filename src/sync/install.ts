// Wires clock sync into a platform being built (issue 11 §1): the switch's PTP mode and ports,
// and a gPTP stack per VM whose clock has `clock.sync`. Nothing happens without one: the
// core's PTP paths stay off and the platform runs exactly as before.

import { PTP_MODE, type CoreApi } from '../core/api.js';
import type { Scenario } from '../scenario/schema.js';
import type { VmRuntime } from '../platform/vm.js';
import type { SyncRow } from '../trace/recorder.js';
import { macBytes } from '../guests/frames.js';
import { PtpStack } from './ptp-stack.js';

export interface SyncInstall {
  scenario: Scenario;
  core: CoreApi;
  vms: readonly VmRuntime[];
  /** each VM's net device (the one vm.net drives) and its switch port */
  netPorts: ReadonlyMap<number, { dev: number; port: number }>;
  emit: (row: SyncRow) => void;
}

export function installSync(o: SyncInstall): void {
  const synced = o.vms.filter((vm) => o.scenario.vms[vm.vmIndex]!.clock.sync !== undefined);
  if (synced.length === 0) return;
  o.core.ptpMode(o.scenario.network.timeAware ? PTP_MODE.bridge : PTP_MODE.plain);
  const gm = synced.find((vm) => o.scenario.vms[vm.vmIndex]!.clock.sync!.role === 'grandmaster');
  for (const vm of synced) {
    const config = o.scenario.vms[vm.vmIndex]!.clock.sync!;
    const net = o.netPorts.get(vm.vmIndex);
    if (net === undefined || vm.net === null) throw new Error(`assert: vm ${vm.vmName} syncs without a net device (schema checks it)`);
    o.core.ptpPort(net.port);
    const device = vm.net;
    const stack = new PtpStack(
      {
        vmIndex: vm.vmIndex,
        mac: macBytes(device.mac),
        clock: vm.clock,
        trueNs: () => vm.trueNs(),
        timer: (delayNs, tag, arg) => vm.ptpTimer(delayNs, tag, arg),
        send: (frame) => device.sendFrames([frame]),
        stamp: (dir, type, seq) => o.core.ptpStamp(net.dev, dir, type, seq),
        emit: o.emit,
      },
      config,
      gm === undefined || gm === vm ? null : gm.clock,
    );
    vm.setPtp(stack);
  }
}
