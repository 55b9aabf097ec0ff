// What `tracevisor diff` counts in each trace, streaming its batches (one in memory at a time,
// straight from the typed columns): rows per table, events per kind, and per VM the deadline
// misses, faults, steal time (the VM's last clock sample) and DLT errors (fatal + error).

import type { RecordBatch } from 'apache-arrow';
import { EVENT_KINDS, KIND } from '../core/codes.js';
import type { CheckedTrace } from '../trace/open.js';
import { TABLE_NAMES, type TableName } from '../trace/tables.js';

export interface VmTally {
  deadlineMisses: number;
  faults: number;
  stealNs: bigint;
  dltErrors: number;
}

export interface TraceSummary {
  rows: Record<TableName, number>;
  /** By event kind code. */
  kinds: number[];
  /** By VM index. */
  vms: VmTally[];
}

const LEVEL_FATAL = 0;
const LEVEL_ERROR = 1;

function values<T>(batch: RecordBatch, column: string): T {
  const child = batch.getChild(column);
  if (child === null || child.data.length !== 1) throw new Error(`assert: column ${column} is not one chunk`);
  return child.data[0]!.values as T;
}

function vmTally(vms: VmTally[], vm: number): VmTally | null {
  if (vm < 0) return null;
  while (vms.length <= vm) vms.push({ deadlineMisses: 0, faults: 0, stealNs: 0n, dltErrors: 0 });
  return vms[vm]!;
}

export function emptySummary(): TraceSummary {
  return {
    rows: Object.fromEntries(TABLE_NAMES.map((t) => [t, 0])) as Record<TableName, number>,
    kinds: EVENT_KINDS.map(() => 0),
    vms: [],
  };
}

export function summarizeTrace(trace: CheckedTrace): TraceSummary {
  const summary = emptySummary();
  for (const table of TABLE_NAMES) {
    for (const batch of trace.batches(table)) tallyBatch(summary, table, batch);
  }
  return summary;
}

/** The tables whose rows the summary looks at (the others only count). */
export const SUMMARY_TABLES: readonly TableName[] = ['events', 'clock', 'dlt'];

/** Adds one batch of a table to a summary (batches of a table in order: steal is the last sample's). */
export function tallyBatch(summary: TraceSummary, table: TableName, batch: RecordBatch): void {
  summary.rows[table] += batch.numRows;
  if (table === 'events') countEvents(summary, batch);
  if (table === 'clock') lastSteal(summary, batch);
  if (table === 'dlt') countDltErrors(summary, batch);
}

function countEvents(summary: TraceSummary, batch: RecordBatch): void {
  const kinds = values<Uint8Array>(batch, 'kind');
  const vms = values<Int16Array>(batch, 'vm');
  for (let i = 0; i < batch.numRows; i++) {
    const kind = kinds[i]!;
    summary.kinds[kind] = (summary.kinds[kind] ?? 0) + 1;
    if (kind !== KIND.deadline_miss && kind !== KIND.fault) continue;
    const tally = vmTally(summary.vms, vms[i]!);
    if (tally === null) continue;
    if (kind === KIND.deadline_miss) tally.deadlineMisses++;
    else tally.faults++;
  }
}

function lastSteal(summary: TraceSummary, batch: RecordBatch): void {
  const vms = values<Int16Array>(batch, 'vm');
  const steal = values<BigInt64Array>(batch, 'steal_ns');
  for (let i = 0; i < batch.numRows; i++) {
    const tally = vmTally(summary.vms, vms[i]!);
    if (tally !== null) tally.stealNs = steal[i]!;
  }
}

function countDltErrors(summary: TraceSummary, batch: RecordBatch): void {
  const vms = values<Int16Array>(batch, 'vm');
  const level = batch.getChild('level')!;
  for (let i = 0; i < batch.numRows; i++) {
    if (!level.isValid(i)) continue;
    const code = (level.data[0]!.values as Int8Array)[i]!;
    if (code !== LEVEL_FATAL && code !== LEVEL_ERROR) continue;
    const tally = vmTally(summary.vms, vms[i]!);
    if (tally !== null) tally.dltErrors++;
  }
}
