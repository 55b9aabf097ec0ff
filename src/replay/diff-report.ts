// What `tracevisor diff` prints: the first divergent row (the printer replay uses), which other
// tables differ, then per table, event kind and VM the figures of both traces and b − a.

import { EVENT_KINDS } from '../core/codes.js';
import { formatDuration } from '../scenario/duration.js';
import { TABLE_NAMES } from '../trace/tables.js';
import { formatDivergence, valueText } from './divergence.js';
import type { TraceDiff } from './diff.js';
import type { TraceSummary, VmTally } from './diff-summary.js';

export const DIFF_LABELS = ['a', 'b'] as const;

export function diffReport(diff: TraceDiff): string {
  const lines = [`a = ${diff.a.dir}`, `b = ${diff.b.dir}`];
  if (diff.first === null) {
    lines.push(`traces identical: ${TABLE_NAMES.map((t) => `${t} ${diff.a.summary.rows[t]} rows`).join(', ')}`);
    return lines.join('\n') + '\n';
  }
  lines.push('traces differ', ...formatDivergence(diff.first, DIFF_LABELS));
  for (const table of TABLE_NAMES) {
    const d = diff.tables[table];
    if (d === diff.first) continue;
    const at = d === null ? 'identical' : `first differs at row ${d.row} (ts_ns ${valueText((d.left ?? d.right)?.ts_ns)})`;
    lines.push(`  ${table}: ${at}`);
  }
  lines.push(stateLine(diff));
  // --- diff skipping (issue 10 §3)
  if (diff.skipped === true) lines.push(`  skipped unread: ${diff.batchesSkipped} batches that the digests show identical (--no-skip reads both traces whole)`);
  lines.push('', ...summaryTable(diff));
  return lines.join('\n') + '\n';
}

function stateLine(diff: TraceDiff): string {
  if (diff.epochsCompared === 0) return '  state digests: not compared (a trace has none, or their epochs differ)';
  const s = diff.state;
  if (s === null) return `  state digests: the ${diff.epochsCompared} epochs both have match`;
  return `  state: first differs at epoch ${s.epoch} (at ${formatDuration(s.atNs)}), ${s.component}`;
}

type Figure = [label: string, a: number | bigint, b: number | bigint, format?: (v: bigint) => string];

function summaryTable(diff: TraceDiff): string[] {
  const a = diff.a.summary;
  const b = diff.b.summary;
  const figures: Figure[] = TABLE_NAMES.map((t): Figure => [`rows ${t}`, a.rows[t], b.rows[t]]);
  EVENT_KINDS.forEach((kind, code) => {
    if ((a.kinds[code] ?? 0) !== 0 || (b.kinds[code] ?? 0) !== 0) figures.push([`events ${kind}`, a.kinds[code] ?? 0, b.kinds[code] ?? 0]);
  });
  const vmCount = Math.max(a.vms.length, b.vms.length, diff.a.vmNames.length, diff.b.vmNames.length);
  for (let vm = 0; vm < vmCount; vm++) {
    const name = diff.a.vmNames[vm] ?? diff.b.vmNames[vm] ?? `vm${vm}`;
    const va = vmOf(a, vm);
    const vb = vmOf(b, vm);
    figures.push(
      [`vm ${name} deadline misses`, va.deadlineMisses, vb.deadlineMisses],
      [`vm ${name} faults`, va.faults, vb.faults],
      [`vm ${name} steal`, va.stealNs, vb.stealNs, durationText],
      [`vm ${name} DLT errors`, va.dltErrors, vb.dltErrors],
    );
  }
  const rows = figures.map(([label, x, y, format]) => {
    const show = format ?? ((v: bigint) => v.toString());
    const delta = BigInt(y) - BigInt(x);
    const deltaText = delta === 0n ? '0' : `${delta > 0n ? '+' : '-'}${show(delta < 0n ? -delta : delta)}`;
    return [label, show(BigInt(x)), show(BigInt(y)), deltaText];
  });
  const header = ['', 'a', 'b', 'b - a'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)];
}

function vmOf(summary: TraceSummary, vm: number): VmTally {
  return summary.vms[vm] ?? { deadlineMisses: 0, faults: 0, stealNs: 0n, dltErrors: 0 };
}

function durationText(ns: bigint): string {
  return formatDuration(Number(ns));
}

/** Two texts next to each other, line by line, under their labels (diff --named). */
export function sideBySide(left: string, right: string, labels: readonly [string, string]): string {
  const l = left.replace(/\n$/, '').split('\n');
  const r = right.replace(/\n$/, '').split('\n');
  const width = Math.max(labels[0].length, ...l.map((s) => s.length));
  const out = [`${labels[0].padEnd(width)}  │ ${labels[1]}`];
  for (let i = 0; i < Math.max(l.length, r.length); i++) out.push(`${(l[i] ?? '').padEnd(width)}  │ ${r[i] ?? ''}`);
  return out.join('\n') + '\n';
}
