// Wires clock sync into a platform being built (issue 11 §1): the switch's PTP mode and ports,
// and a gPTP stack per VM whose clock has `clock.sync`. Nothing happens without one: the
// core's PTP paths stay off and the platform runs exactly as before.

import { PTP_MODE, type CoreApi } from '../core/api.js';
import type { Scenario } from '../scenario/schema.js';
import type { VmRuntime } from '../platform/vm.js';
import type { SyncRow } from '../trace/recorder.js';
import { macBytes } from '../guests/frames.js';
import { PtpStack } from './ptp-stack.js';
import { CanTsynStack } from './cantsyn-stack.js';
import { ParavirtStack } from './paravirt-stack.js';
import { CAN_EFF_FLAG } from '../core/codes.js';
import type { ExternalEcu } from '../platform/ecu.js';
import { EcuTimeSlave } from './ecu-slave.js';

export interface SyncInstall {
  scenario: Scenario;
  core: CoreApi;
  vms: readonly VmRuntime[];
  /** each VM's net device (the one vm.net drives) and its switch port */
  netPorts: ReadonlyMap<number, { dev: number; port: number }>;
  emit: (row: SyncRow) => void;
  /** --- CanTSyn (issue 11 §2): the core's bus index of each scenario CAN bus, by name */
  canBuses: ReadonlyMap<string, number>;
}

export function installSync(o: SyncInstall): void {
  installCanTsyn(o);
  installParavirt(o);
  const synced = o.vms.filter((vm) => o.scenario.vms[vm.vmIndex]!.clock.sync?.protocol === 'gptp');
  if (synced.length === 0) return;
  o.core.ptpMode(o.scenario.network.timeAware ? PTP_MODE.bridge : PTP_MODE.plain);
  const gptpOf = (vm: VmRuntime) => {
    const c = o.scenario.vms[vm.vmIndex]!.clock.sync;
    if (c?.protocol !== 'gptp') throw new Error('assert: a gPTP VM without gPTP config');
    return c;
  };
  const gm = synced.find((vm) => gptpOf(vm).role === 'grandmaster');
  for (const vm of synced) {
    const config = gptpOf(vm);
    const net = o.netPorts.get(vm.vmIndex);
    if (net === undefined || vm.net === null) throw new Error(`assert: vm ${vm.vmName} syncs without a net device (schema checks it)`);
    o.core.ptpPort(net.port);
    const device = vm.net;
    const stack = new PtpStack(
      {
        vmIndex: vm.vmIndex,
        masterVm: (gm ?? vm).vmIndex,
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

// --- CanTSyn (issue 11 §2): a stack per VM with protocol cantsyn, on its CAN device on the bus;
// the bus's CanTSyn id is stamped by the core (assembly/bus/can.ts canTsynId).
function installCanTsyn(o: SyncInstall): void {
  const entries = o.vms.flatMap((vm) => {
    const c = o.scenario.vms[vm.vmIndex]!.clock.sync;
    return c?.protocol === 'cantsyn' ? [{ vm, c }] : [];
  });
  for (const { vm, c } of entries) {
    const canId = c.extended ? (c.canId | CAN_EFF_FLAG) >>> 0 : c.canId;
    const bus = o.canBuses.get(c.bus);
    const can = vm.cans.find((d) => d.bus === c.bus);
    if (bus === undefined || can === undefined) {
      throw new Error(`assert: vm ${vm.vmName} runs CanTSyn without a can device on ${c.bus} (schema checks it)`);
    }
    o.core.canTsynId(bus, canId);
    const master = entries.find((x) => x.c.role === 'master' && x.c.bus === c.bus && x.c.timeDomain === c.timeDomain);
    const stack = new CanTsynStack(
      {
        vmIndex: vm.vmIndex,
        masterVm: (master?.vm ?? vm).vmIndex,
        clock: vm.clock,
        trueNs: () => vm.trueNs(),
        timer: (delayNs, tag, arg) => vm.syncTimer(delayNs, tag, arg),
        send: (data) => can.send([{ canId, data }]) === 1,
        stamp: (dir, type, seq) => o.core.ptpStamp(can.dev, dir, type, seq),
        emit: o.emit,
      },
      c,
      master === undefined || master.vm === vm ? null : master.vm.clock,
    );
    vm.setClockSync(stack, { can, canId, onFrame: (data) => stack.onFrame(data) });
  }
}

// --- paravirtual host clock (issue 11 §2)
/**
 * The jitter is drawn from the platform's PRNG stream 0 (platform.ts: 0 platform, 1..16 VMs,
 * 17..63 ECUs), which nothing else draws from: turning a paravirtual clock on leaves every guest
 * program's and ECU's draws as they were.
 */
const STREAM_PLATFORM = 0;

function installParavirt(o: SyncInstall): void {
  for (const vm of o.vms) {
    const c = o.scenario.vms[vm.vmIndex]!.clock.sync;
    if (c?.protocol !== 'paravirt') continue;
    const stack = new ParavirtStack(
      {
        vmIndex: vm.vmIndex,
        clock: vm.clock,
        trueNs: () => vm.trueNs(),
        timer: (delayNs, tag, arg) => vm.syncTimer(delayNs, tag, arg),
        cpu: (costNs, tag, arg) => vm.syncCpu(costNs, tag, arg),
        random: (below) => (below <= 1 ? 0 : o.core.prngBelow(STREAM_PLATFORM, below)),
        emit: o.emit,
      },
      c,
    );
    vm.setClockSync(stack);
  }
}

// --- CanTSyn ECU slaves (issue 11): each ECU with `cantsyn` gets a clock and a slave stack, fed
// by the core's receive path for external nodes; its master is the VM master of its bus and domain.
export interface EcuSlaveInstall {
  scenario: Scenario;
  core: CoreApi;
  vms: readonly VmRuntime[];
  ecus: readonly ExternalEcu[];
  trueNs: () => number;
  emit: (row: SyncRow) => void;
}

export function installEcuSlaves(o: EcuSlaveInstall): void {
  o.scenario.ecus.forEach((config, i) => {
    const c = config.cantsyn;
    if (c === undefined) return;
    const master = o.vms.find((vm) => {
      const m = o.scenario.vms[vm.vmIndex]!.clock.sync;
      return m?.protocol === 'cantsyn' && m.role === 'master' && m.bus === config.bus && m.timeDomain === c.timeDomain;
    });
    const mc = master === undefined ? undefined : o.scenario.vms[master.vmIndex]!.clock.sync;
    if (master === undefined || mc?.protocol !== 'cantsyn') throw new Error(`assert: ecu ${config.name}: no CanTSyn master (schema checks it)`);
    const ecu = o.ecus[i]!;
    const slave = new EcuTimeSlave({
      ecu: { ...config, cantsyn: c }, node: ecu.canNode, core: o.core, trueNs: o.trueNs,
      master: { vm: master.vmIndex, clock: master.clock, config: mc }, emit: o.emit,
    });
    ecu.setTimeSlave(slave);
  });
}
