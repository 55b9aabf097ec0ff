// What a finished sweep prints (stdout: the verdict, the failing seeds, how to reproduce the
// first; stderr: errors and nondeterminism, loudly) and the exit status it ends with.

import { formatDurationShort } from '../scenario/duration.js';
import { nondeterminismText } from './summary.js';
import type { SeedRecord, SweepResult } from './sweep.js';

/** Exit status when the sweep ran and some seed's check returned rows (README, --help). */
export const EXIT_SEED_FAILED = 4;
const EXIT_INTERNAL = 1;
const EXIT_BAD_INPUT = 2;
const LISTED_MAX = 50;

export interface ReportContext {
  scenarioArg: string;
  durationNs: number;
  /** How the check was given: a named query's name, or null for SQL. */
  checkName: string | null;
  checkSql: string;
  shardText: string | null;
  /** record options every run had, as given (--fault …, --can-input …), for the reproduce line */
  extraArgs?: readonly string[];
}

export interface SweepReport {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export function sweepReport(result: SweepResult, context: ReportContext): SweepReport {
  const by = (status: string): SeedRecord[] => result.records.filter((r) => r.status === status);
  const failing = by('fail');
  const errors = by('error');
  const drifting = by('nondeterministic');
  const out = [headline(result, context), counts(result, failing, errors, drifting)];
  if (failing.length > 0) out.push(...failingLines(failing, context));
  const err: string[] = [];
  for (const r of errors) err.push(`tracevisor: seed ${r.seed}: ${errorKindText(r)}: ${r.first.error ?? r.second?.error}`);
  for (const r of drifting) {
    err.push(`tracevisor: internal error: tracevisor is nondeterministic: seed ${r.seed} ran twice (--recheck) and ${nondeterminismText(r)}; please report it`);
  }
  return { stdout: out.join('\n') + '\n', stderr: err.map((l) => `${l}\n`).join(''), exitCode: exitCode(errors, drifting, failing) };
}

function errorKindText(record: SeedRecord): string {
  const run = record.first.status === 'error' ? record.first : record.second!;
  return run.errorKind === 'check' ? 'the check failed on this run' : 'internal error';
}

function exitCode(errors: SeedRecord[], drifting: SeedRecord[], failing: SeedRecord[]): number {
  const internal = errors.some((r) => (r.first.status === 'error' ? r.first : r.second!).errorKind !== 'check');
  if (drifting.length > 0 || internal) return EXIT_INTERNAL;
  if (errors.length > 0) return EXIT_BAD_INPUT;
  return failing.length > 0 ? EXIT_SEED_FAILED : 0;
}

function headline(result: SweepResult, c: ReportContext): string {
  const seconds = result.elapsedMs / 1000;
  const rate = seconds > 0 ? result.records.length / seconds : 0;
  const shard = c.shardText !== null ? ` (shard ${c.shardText})` : '';
  const check = c.checkName ?? 'SQL';
  const n = result.records.length;
  return `swept ${c.scenarioArg}: ${n} seed${n === 1 ? '' : 's'}${shard} of ${formatDurationShort(c.durationNs)} ` +
    `virtual time in ${seconds.toFixed(2)} s with ${result.jobs} worker${result.jobs === 1 ? '' : 's'} ` +
    `(${rate.toFixed(1)} seeds/s); check: ${check}`;
}

function counts(result: SweepResult, failing: SeedRecord[], errors: SeedRecord[], drifting: SeedRecord[]): string {
  const rechecked = result.records.filter((r) => r.second !== undefined).length;
  const passed = result.records.length - failing.length - errors.length - drifting.length;
  const recheck = rechecked > 0 ? `, ${rechecked} run twice (${drifting.length === 0 ? 'identical' : `${drifting.length} differ`})` : '';
  return `  ${passed} pass, ${failing.length} fail, ${errors.length} error${errors.length === 1 ? '' : 's'}${recheck}`;
}

function failingLines(failing: SeedRecord[], c: ReportContext): string[] {
  const listed = failing.slice(0, LISTED_MAX).map((r) => `${r.seed} (${r.first.checkRows} row${r.first.checkRows === 1 ? '' : 's'})`);
  const more = failing.length > LISTED_MAX ? ` … and ${failing.length - LISTED_MAX} more (see the summary)` : '';
  const first = failing[0]!;
  const dir = first.keptDir ?? `traces/seed-${first.seed}`;
  const lines = [`failing seeds (the check returned rows): ${listed.join(', ')}${more}`];
  if (first.keptDir === undefined) lines.push(`reproduce seed ${first.seed}: ${reproduceCommand(c, first.seed, dir)}`);
  else lines.push(`seed ${first.seed} is kept in ${first.keptDir} (recorded by ${reproduceCommand(c, first.seed, dir)})`);
  const check = c.checkName !== null ? `--named ${shellWord(c.checkName)}` : `-- ${shellWord(c.checkSql)}`;
  lines.push(`then see the rows: tracevisor query ${shellWord(dir)} ${check}`);
  return lines;
}

/** The `record` command line that reproduces a seed's run exactly (its trace, byte for byte). */
export function reproduceCommand(c: Pick<ReportContext, 'scenarioArg' | 'durationNs' | 'extraArgs'>, seed: number, dir: string): string {
  const extra = (c.extraArgs ?? []).map((a) => ` ${shellWord(a)}`).join('');
  return `tracevisor record ${shellWord(c.scenarioArg)} --seed ${seed} --duration ${formatDurationShort(c.durationNs)}${extra} -o ${shellWord(dir)}`;
}

/**
 * A word a POSIX shell reads back as is: bare when safe; in double quotes when the text has
 * nothing a shell expands there ($, `, \, ! and ") — SQL with 'literals' stays readable; else
 * single-quoted.
 */
export function shellWord(text: string): string {
  if (/^[A-Za-z0-9_./:=@%+,-]+$/.test(text)) return text;
  if (!/[$`\\!"]/.test(text)) return `"${text}"`;
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
