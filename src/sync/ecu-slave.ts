// An external ECU as a CanTSyn Time Slave (issue 11 §2: "slaves (other VMs on the bus; external
// ECUs that the scenario marks)"): its own clock (boot offset and drift, a GuestClock as a VM
// has), and the very CanTsynStack a VM slave runs, with the same validation (CRC, sequence
// counter, FUP timeout). An ECU has no virtqueue: the core keeps its bus's time-sync frames for
// it with their end-of-frame time (canTsynListen / canTsynTake, assembly/bus/can.ts), which is
// the slave's t2, as a VM's controller stamps it (no bus-latency compensation). The ECU handles
// them in its CanTSyn main function, every millisecond (CanTSynMainFunctionPeriod): the slave
// counts from t2, so the poll delays only the moment it corrects its clock (t3).

import { z } from 'zod';
import type { CoreApi } from '../core/api.js';
import { GuestClock } from '../platform/clock.js';
import { checkState } from '../engine/state-check.js';
import type { CanTsynSyncConfig, EcuCantsynConfig, EcuConfig } from '../scenario/schema.js';
import type { SyncRow } from '../trace/recorder.js';
import { CanTsynStack } from './cantsyn-stack.js';

/** How often the ECU handles the frames the core kept for it (a CanTSyn_MainFunction period). */
export const ECU_MAIN_FUNCTION_NS = 1_000_000;

const slaveStateSchema = z.strictObject({ clock: z.unknown(), stack: z.unknown() });
export type EcuSlaveState = z.infer<typeof slaveStateSchema>;

export interface EcuSlaveOptions {
  ecu: EcuConfig & { cantsyn: EcuCantsynConfig };
  node: number;
  core: CoreApi;
  trueNs(): number;
  /** The master VM: its index (the sync table's master_vm), clock (the error's truth) and config. */
  master: { vm: number; clock: GuestClock; config: CanTsynSyncConfig };
  emit(row: SyncRow): void;
}

export class EcuTimeSlave {
  readonly clock: GuestClock;
  readonly stack: CanTsynStack;
  /** The end of frame (true ns) of the frame being handled: the stack's rx timestamp. */
  private rxNs = -1;

  constructor(private readonly o: EcuSlaveOptions) {
    const c = o.ecu.cantsyn;
    this.clock = new GuestClock({ offsetNs: c.clock.offsetNs, driftPpb: c.clock.driftPpb, steps: [] });
    const config: CanTsynSyncConfig = {
      ...c, protocol: 'cantsyn', role: 'slave', bus: o.ecu.bus, syncPeriodNs: o.master.config.syncPeriodNs,
    };
    this.stack = new CanTsynStack(
      {
        vmIndex: -1,
        masterVm: o.master.vm,
        clock: this.clock,
        trueNs: () => o.trueNs(),
        timer: () => { throw new Error('assert: a CanTSyn slave sets no timer'); },
        send: () => { throw new Error('assert: a CanTSyn slave sends nothing'); },
        stamp: (dir) => (dir === 1 ? this.rxNs : -1),
        emit: (row) => o.emit({ ...row, ecu: o.ecu.name }),
      },
      config,
      o.master.clock,
    );
    o.core.canTsynListen(o.node);
  }

  /** The main function: every frame the core kept for this ECU, oldest first. */
  mainFunction(): void {
    for (let f = this.o.core.canTsynTake(this.o.node); f !== null; f = this.o.core.canTsynTake(this.o.node)) {
      this.rxNs = f.rxNs;
      this.stack.onFrame(f.data);
    }
    this.rxNs = -1;
  }

  saveState(): EcuSlaveState {
    return { clock: this.clock.saveState(), stack: structuredClone(this.stack.state) };
  }

  loadState(value: unknown, path: string): void {
    const state = checkState(slaveStateSchema, value, path);
    const stack = checkState(this.stack.stateSchema, state.stack, `${path}.stack`);
    this.clock.loadState(state.clock, `${path}.clock`); // assigns only when good
    this.stack.state = stack;
  }
}
