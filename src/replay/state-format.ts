// `replay --state` output: readable tables (default) or one JSON object (--format json). The
// data comes from collectState (state.ts); this file only lays it out.

import { formatDuration } from '../scenario/duration.js';
import type { PlatformState } from './state.js';

type Cell = string | number;

/** Columns padded to their widest cell; numbers right-aligned. */
export function textTable(header: string[], rows: Cell[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells: Cell[]): string =>
    cells
      .map((c, i) => (typeof c === 'number' ? String(c).padStart(widths[i]!) : String(c).padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].map((l) => `  ${l}`).join('\n') + '\n';
}

/** --format json: one object (the state, plus where it stopped and any dumps). */
export function formatJson(value: object): string {
  return JSON.stringify(value, null, 2) + '\n';
}

export function formatStateText(state: PlatformState): string {
  return [
    `state at ${state.timeNs} ns (${formatDuration(state.timeNs)}), next event seq ${state.seqNext}\n`,
    vmSection(state),
    vcpuSection(state),
    programSection(state),
    queueSection(state),
    tlbSection(state),
    linkSection(state),
    canSection(state),
    pendingSection(state),
  ].join('\n');
}

function vmSection(s: PlatformState): string {
  const rows = s.vms.map((vm) => {
    const b = vm.busBudget;
    const budget = b === null ? '-' : `${b.tokensBytes} of ${b.bytesPerPeriod} B / ${formatDuration(b.periodNs)}`;
    return [vm.vm, vm.name, vm.guestClockNs, vm.deadlineMisses, vm.logsDropped, budget];
  });
  return 'VMs\n' + textTable(['vm', 'name', 'guest clock ns', 'deadline misses', 'logs dropped', 'bus tokens'], rows);
}

function vcpuSection(s: PlatformState): string {
  const rows = s.vms.flatMap((vm) =>
    vm.vcpus.map((v) => [
      vm.name, v.vcpu, v.state, v.pcpu < 0 ? '-' : v.pcpu, v.runNs, v.sliceRunNs, v.sliceEndNs < 0 ? '-' : v.sliceEndNs,
      v.stealNs, v.waitingNs, v.jobsQueued,
    ]),
  );
  const header = ['vm', 'vcpu', 'state', 'pcpu', 'run ns', '+slice ns', 'slice ends ns', 'steal ns', '+waiting ns', 'jobs'];
  return 'vCPUs (run/steal credited; +slice/+waiting: in progress, not yet credited)\n' + textTable(header, rows);
}

/** Longest program line in the text dump; --format json has every field whole. */
const PROGRAM_TEXT_MAX = 200;

function programSection(s: PlatformState): string {
  const rows = s.vms.filter((vm) => vm.program !== null).map((vm) => {
    const text = JSON.stringify(vm.program);
    return [vm.name, text.length > PROGRAM_TEXT_MAX ? `${text.slice(0, PROGRAM_TEXT_MAX - 1)}…` : text];
  });
  if (rows.length === 0) return 'guest programs: none\n';
  return 'guest programs (run-time fields; --format json has them whole)\n' + textTable(['vm', 'state'], rows);
}

function queueSection(s: PlatformState): string {
  const rows = s.devices.flatMap((d) =>
    d.queues.map((q) => [
      d.dev, d.type, d.address ?? '-', q.index, q.size, q.availIdx, q.lastAvail, q.usedIdx, q.waiting, q.inFlight,
      q.freeDesc, `0x${q.descGpa.toString(16)}`, q.failed ? `failed: ${q.fault}` : 'ok',
    ]),
  );
  const header = ['dev', 'type', 'address', 'queue', 'size', 'avail idx', 'last avail', 'used idx', 'waiting', 'in flight', 'free desc', 'desc gpa', 'state'];
  return 'virtqueues (device side: last avail = avail idx the device has seen)\n' + textTable(header, rows);
}

function tlbSection(s: PlatformState): string {
  const rows: Cell[][] = [
    ...s.vms.map((vm) => [`stage-2 vm ${vm.name}`, vm.tlb.hits, vm.tlb.misses]),
    ...s.devices.map((d) => [`IOMMU dev ${d.dev} (${d.type})`, d.tlb.hits, d.tlb.misses]),
  ];
  return 'TLBs\n' + textTable(['context', 'hits', 'misses'], rows);
}

function linkSection(s: PlatformState): string {
  if (s.links.length === 0) return 'links: none\n';
  const rows = s.links.flatMap((l) =>
    (['toSwitch', 'fromSwitch'] as const).map((dir) => {
      const d = l[dir];
      return [l.link, l.dev, l.port, dir === 'toSwitch' ? 'to switch' : 'from switch', d.onWire ? 'yes' : 'no', d.framesQueued, d.bytesQueued, d.busyUntilNs < 0 ? '-' : d.busyUntilNs];
    }),
  );
  return 'link FIFOs\n' + textTable(['link', 'dev', 'port', 'direction', 'on wire', 'queued', 'bytes', 'busy until ns'], rows);
}

function canSection(s: PlatformState): string {
  if (s.canNodes.length === 0) return 'CAN: none\n';
  const buses = s.canBuses.map((b) => [b.bus, b.bitsPerSecond, b.busy ? `node ${b.sender} id 0x${b.canId.toString(16)}` : 'idle']);
  const nodes = s.canNodes.map((n) => [
    n.node, n.bus, n.dev < 0 ? 'ecu' : n.dev, n.rxFrames, n.txFrames,
    n.mailboxes.map((m) => `0x${m.canId.toString(16)}/${m.dlc}@${m.readyAtNs}`).join(' ') || '-',
  ]);
  return (
    'CAN buses\n' + textTable(['bus', 'bit/s', 'on the bus'], buses) +
    'CAN nodes (mailboxes: id/dlc@ready ns, arbitration order)\n' +
    textTable(['node', 'bus', 'dev', 'rx', 'tx', 'mailboxes'], nodes)
  );
}

function pendingSection(s: PlatformState): string {
  const p = s.pending;
  const rows = p.next.map((e) => [e.timeNs, e.source, e.what]);
  return `pending events (${p.engineEvents} engine, ${p.coreEvents} core; the next ones)\n` + textTable(['time ns', 'source', 'what'], rows);
}
