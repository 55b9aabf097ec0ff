// `info`'s clock-sync lines (issue 11 §5): per VM of a scenario with clock.sync (and per external
// ECU that is a CanTSyn slave, `ecus[].cantsyn`: its rows have vm -1 and its name), its role and,
// for a client, when its servo first locked and its error against the grandmaster from then on
// (the `sync` table's ground truth, as queries/clock/sync.sql computes it, without DuckDB: info
// stays a fast command). A sync table that cannot be read gives the roles alone.

import { Trace } from '../trace/reader.js';

interface VmSync {
  /** the VM's name, or the external ECU's */
  name: string;
  /** gptp, cantsyn, paravirt (issue 11 §2) */
  protocol: string;
  role: string;
}

/** Roles whose clock follows another's (a paravirtual clock follows the host: it has no role field). */
const FOLLOWER_ROLES = new Set(['client', 'slave', 'paravirt']);

export interface ClientSync {
  lockNs: number | null;
  errorRmsNs: number;
  errorAbsMaxNs: number;
}

function syncedVms(scenario: unknown): VmSync[] {
  const vms = (scenario as { vms?: unknown } | null)?.vms;
  if (!Array.isArray(vms)) return [];
  const out: VmSync[] = [];
  for (const vm of vms as { name?: unknown; clock?: { sync?: { role?: unknown; protocol?: unknown } } }[]) {
    const protocol = typeof vm.clock?.sync?.protocol === 'string' ? vm.clock.sync.protocol : 'gptp';
    const role = protocol === 'paravirt' ? 'paravirt' : vm.clock?.sync?.role;
    if (typeof vm.name === 'string' && typeof role === 'string') out.push({ name: vm.name, protocol, role });
  }
  const ecus = (scenario as { ecus?: unknown }).ecus;
  for (const ecu of Array.isArray(ecus) ? ecus as { name?: unknown; cantsyn?: unknown }[] : []) {
    if (typeof ecu.name === 'string' && ecu.cantsyn !== undefined) out.push({ name: ecu.name, protocol: 'cantsyn', role: 'slave' });
  }
  return out;
}

/**
 * Lock time and error after lock per clock, from the sync table's servo updates: keyed by the
 * VM's name (`vmNames[vm]`), an external ECU's rows (vm -1) by their `ecu` name.
 */
export function clientSync(dir: string, vmNames: readonly string[]): Map<string, ClientSync> {
  const perVm = new Map<string, { lockNs: number | null; sumSq: number; n: number; max: number }>();
  for (const batch of Trace.open(dir).batches('sync')) {
    const vm = batch.getChild('vm')!;
    const ecu = batch.getChild('ecu');
    const exchange = batch.getChild('exchange')!;
    const state = batch.getChild('state')!;
    const ts = batch.getChild('ts_ns')!;
    const error = batch.getChild('error_ns')!;
    for (let i = 0; i < batch.numRows; i++) {
      if (exchange.get(i) !== 'sync') continue;
      const index = Number(vm.get(i));
      const v = index >= 0 ? vmNames[index] ?? `vm ${index}` : String(ecu?.get(i) ?? '');
      const s = perVm.get(v) ?? { lockNs: null, sumSq: 0, n: 0, max: 0 };
      perVm.set(v, s);
      if (s.lockNs === null && state.get(i) === 'locked') s.lockNs = Number(ts.get(i));
      if (s.lockNs === null) continue;
      const e = Number(error.get(i));
      s.sumSq += e * e;
      s.n++;
      s.max = Math.max(s.max, Math.abs(e));
    }
  }
  const out = new Map<string, ClientSync>();
  for (const [vm, s] of perVm) out.set(vm, { lockNs: s.lockNs, errorRmsNs: s.n > 0 ? Math.sqrt(s.sumSq / s.n) : 0, errorAbsMaxNs: s.max });
  return out;
}

/** The `clock sync` lines of info's text; none for a scenario without clock.sync. */
export function syncLines(dir: string, scenario: unknown): string[] {
  const vms = syncedVms(scenario);
  if (vms.length === 0) return [];
  const names = ((scenario as { vms?: { name: string }[] }).vms ?? []).map((vm) => vm.name);
  let clients: Map<string, ClientSync> | null;
  try {
    clients = clientSync(dir, names);
  } catch {
    clients = null; // a damaged sync table: info's table lines say so
  }
  const lines = vms.map((vm) => {
    const head = vm.protocol === 'paravirt' ? 'paravirt host clock' : `${vm.protocol} ${vm.role}`;
    return `  ${vm.name.padEnd(13)} ${head}${FOLLOWER_ROLES.has(vm.role) ? clientText(clients, vm.name) : ''}`;
  });
  return ['clock sync', ...lines];
}

function clientText(clients: Map<string, ClientSync> | null, name: string): string {
  if (clients === null) return ' (sync table unreadable)';
  const c = clients.get(name);
  if (c === undefined || c.lockNs === null) return ', never locked';
  return `, locked at ${(c.lockNs / 1e9).toFixed(3)} s, error after lock RMS ${c.errorRmsNs.toFixed(0)} ns, max ${c.errorAbsMaxNs} ns`;
}
