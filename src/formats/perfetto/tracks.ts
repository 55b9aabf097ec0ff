// The timeline's tracks, made on first use (a trace without CAN gets no CAN track) and numbered
// 1, 2, 3, … in that order, so the same trace always gives the same uuids (determinism). Names
// come from the scenario in the manifest (src/scenario/topology.ts numbers VMs and devices the
// way the platform did); a trace without one (an imported DLT log) gets generic names.
//
// Process ids: the hypervisor is pid 1 (CPUs, links, CAN buses, the switch, inputs), VM n is
// pid 10 + n, an ECU known only from DLT rows (vm −1) is pid 1000 + its order of appearance.
// A vCPU's tid is pid * 100 + vcpu + 1 (unique in the trace: a VM has at most 64 vCPUs).

import type { DeviceEntry, VmEntry } from '../../scenario/topology.js';
import type { TimelineSink, Track, TrackRole } from './sink.js';

export const HYPERVISOR_PID = 1;
const VM_PID_BASE = 10;
const ECU_PID_BASE = 1000;

export interface Topology {
  vms: readonly VmEntry[];
  devices: readonly DeviceEntry[];
  canBuses: readonly string[];
}

export class Tracks {
  private readonly byKey = new Map<string, Track>();
  private readonly ecuPids = new Map<string, number>();
  private uuidNext = 1;
  /** Per-event lookups without building a key (the export's hot path). */
  private readonly cpus: Track[] = [];

  constructor(
    private readonly sink: TimelineSink,
    readonly topology: Topology,
  ) {}

  get count(): number {
    return this.byKey.size;
  }

  vmName(vm: number): string {
    return this.topology.vms[vm]?.name ?? `vm${vm}`;
  }

  /** The VM's process track; vm −1 is the hypervisor's. */
  process(vm: number): Track {
    if (vm < 0) return this.make('hv', 'hypervisor', null, { kind: 'process', pid: HYPERVISOR_PID });
    const pid = VM_PID_BASE + vm;
    return this.make(`vm${vm}`, this.vmName(vm), null, { kind: 'process', pid });
  }

  /** An ECU's process track for DLT rows without a VM (imported logs). */
  ecuProcess(ecu: string): Track {
    let pid = this.ecuPids.get(ecu);
    if (pid === undefined) {
      pid = ECU_PID_BASE + this.ecuPids.size;
      this.ecuPids.set(ecu, pid);
    }
    return this.make(`ecu:${ecu}`, `ECU ${ecu}`, null, { kind: 'process', pid });
  }

  /** The DLT track of an ECU known only from DLT rows (vm −1). */
  ecuDlt(ecu: string): Track {
    return this.child(this.ecuProcess(ecu), `dlt:${ecu}`, 'DLT', false);
  }

  vcpu(vm: number, vcpu: number): Track {
    const parent = this.process(vm);
    const pid = pidOf(parent);
    return this.make(`vcpu:${vm}:${vcpu}`, `vcpu${vcpu}`, parent, { kind: 'thread', pid, tid: pid * 100 + vcpu + 1 });
  }

  cpu(pcpu: number): Track {
    return (this.cpus[pcpu] ??= this.child(this.process(-1), `cpu${pcpu}`, `cpu ${pcpu}`, false));
  }

  /** A named slice/instant track under a VM's (or the hypervisor's, vm −1) process. */
  vmChild(vm: number, key: string, name: string): Track {
    return this.child(this.process(vm), key, name, false);
  }

  /** The grouping track of a virtqueue (its lanes are its children). */
  virtqueue(vm: number, dev: number, queue: number): Track {
    return this.child(this.process(vm), `vq:${dev}:${queue}`, this.queueName(dev, queue), false);
  }

  /** Lane `lane` of a virtqueue: one request at a time, so overlapping requests nest nowhere. */
  virtqueueLane(vm: number, dev: number, queue: number, lane: number): Track {
    const group = this.virtqueue(vm, dev, queue);
    return this.child(group, `lane:${dev}:${queue}:${lane}`, `${group.name} #${lane}`, true);
  }

  counter(vm: number, key: string, name: string, unit: 'ns' | 'count' | 'ratio'): Track {
    const parent = this.process(vm);
    return this.make(`counter:${vm}:${key}`, name, parent, { kind: 'counter', pid: pidOf(parent), unit });
  }

  canBus(bus: number): Track {
    const name = this.topology.canBuses[bus] ?? `bus${bus}`;
    return this.child(this.process(-1), `can:${bus}`, `CAN ${name}`, false);
  }

  /** A device-switch link, named after the net device at its device end (the rows' `dev`). */
  link(link: number, dev: number): Track {
    return this.child(this.process(-1), `link:${link}`, this.linkName(link, dev), false);
  }

  linkCounter(link: number, dev: number): Track {
    const name = `${this.linkName(link, dev)} utilisation`;
    return this.make(`counter:link:${link}`, name, this.process(-1), { kind: 'counter', pid: HYPERVISOR_PID, unit: 'ratio' });
  }

  private linkName(link: number, dev: number): string {
    const net = this.topology.devices[dev];
    return net === undefined ? `link ${link}` : `link ${link} (${this.vmName(net.vm)} ${net.address ?? ''})`;
  }

  /** "net dev1 rx": device type, index and the queue's role (queries/virtio/latency.sql). */
  queueName(dev: number, queue: number): string {
    const type = this.topology.devices[dev]?.type;
    if (type === undefined) return `dev${dev} q${queue}`;
    return `${type} dev${dev} ${queueRole(type, queue)}`;
  }

  private child(parent: Track, key: string, name: string, async: boolean): Track {
    return this.make(key, name, parent, { kind: 'child', pid: pidOf(parent), async });
  }

  private make(key: string, name: string, parent: Track | null, role: TrackRole): Track {
    let track = this.byKey.get(key);
    if (track !== undefined) return track;
    track = { uuid: this.uuidNext++, name, parentUuid: parent?.uuid ?? null, role };
    this.byKey.set(key, track);
    this.sink.track(track);
    return track;
  }
}

function pidOf(track: Track): number {
  return track.role.pid;
}

/** VIRTIO numbering: net and console 0 rx, 1 tx; CAN 0 tx, 1 rx (queries/virtio/latency.sql). */
export function queueRole(type: string, queue: number): string {
  if (type === 'can') return queue === 0 ? 'tx' : queue === 1 ? 'rx' : `q${queue}`;
  return queue === 0 ? 'rx' : queue === 1 ? 'tx' : `q${queue}`;
}
