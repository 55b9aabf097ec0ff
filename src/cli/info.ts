import type { Command } from 'commander';
import { readManifest, type Manifest } from '../trace/manifest.js';
import { checkTrace, type TraceCheck } from '../trace/open.js';
import { TraceError } from '../trace/errors.js';
import { formatDuration } from '../scenario/duration.js';
import { syncLines } from './info-sync.js';

interface InfoFlags {
  json?: boolean;
  verify?: boolean;
}

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description(
      "show a trace's manifest: scenario, seed, versions, tables, rows, hashes; for an unfinished " +
        'recording, the rows readable in its files',
    )
    .argument('<trace-dir>', 'trace directory')
    .option('--json', 'print the manifest as JSON (plus "readable" / "verification" members)')
    .option('--verify', 'check every table file against the manifest (rows, hash, every batch); exit 2 when damaged')
    .action((dir: string, flags: InfoFlags) => {
      const { text, damaged } = inspectTrace(dir, { json: flags.json === true, verify: flags.verify === true });
      process.stdout.write(text);
      if (damaged !== null) throw damaged;
    });
}

export interface TraceDescription {
  text: string;
  /** With --verify on a damaged trace: the one-line error to exit 2 with (after the text). */
  damaged: TraceError | null;
}

/** What `info` prints (demo uses it too). */
export function describeTrace(dir: string, json: boolean): string {
  return inspectTrace(dir, { json, verify: false }).text;
}

/**
 * The manifest, and what the files hold where the manifest cannot say: an incomplete manifest
 * (a killed recorder) keeps the counts of the recording's start, so the files are scanned and
 * their readable rows shown; --verify runs the verify-mode check of open.ts.
 */
export function inspectTrace(dir: string, options: { json: boolean; verify: boolean }): TraceDescription {
  const manifest = readManifest(dir);
  const check = manifest.complete && !options.verify ? null : checkTrace(dir, options.verify);
  const damaged = options.verify && check !== null && check.problems.length > 0 ? damagedError(dir, check) : null;
  if (options.json) return { text: JSON.stringify(jsonView(manifest, check, options.verify), null, 2) + '\n', damaged };
  const lines = headerLines(dir, manifest);
  lines.push(...tableLines(manifest, check));
  lines.push(...syncLines(dir, manifest.scenario)); // --- clock sync (issue 11 §5)
  if (options.verify && check !== null) lines.push(...verificationLines(check));
  return { text: lines.join('\n') + '\n', damaged };
}

function damagedError(dir: string, check: TraceCheck): TraceError {
  const more = check.problems.length > 1 ? ` (and ${check.problems.length - 1} more)` : '';
  return new TraceError('trace_damaged', `${dir}: trace damaged: ${check.problems[0]}${more}`);
}

function headerLines(dir: string, manifest: Manifest): string[] {
  const scenario = manifest.scenario as { name?: string; durationNs?: number; vms?: { name: string; ecu: string }[] };
  const complete = manifest.complete
    ? 'yes'
    : 'NO (the recording did not finish; rows readable were counted by scanning the files)';
  const lines = [
    `trace      ${dir}`,
    `complete   ${complete}`,
    `scenario   ${scenario.name ?? '?'}${scenario.durationNs !== undefined ? `, ${formatDuration(scenario.durationNs)}` : ''}`,
    `seed       ${manifest.seed}`,
    `tool       ${manifest.tool.name} ${manifest.tool.version}, core ${manifest.coreVersion}`,
    `recorded   ${manifest.createdAt}`,
  ];
  if (Array.isArray(scenario.vms)) lines.push(`vms        ${scenario.vms.map((vm) => `${vm.name} (${vm.ecu})`).join(', ')}`);
  return lines;
}

function tableLines(manifest: Manifest, check: TraceCheck | null): string[] {
  const lines = ['tables'];
  for (const [name, t] of Object.entries(manifest.tables)) {
    const file = t.file.padEnd(13);
    if (manifest.complete) {
      lines.push(`  ${name.padEnd(8)} ${String(t.rows).padStart(10)} rows ${String(t.batches).padStart(5)} batches  ${file} sha256 ${t.sha256}`);
      continue;
    }
    const report = check!.tables[name as keyof TraceCheck['tables']];
    const batches = String(report.batchesUsable).padStart(5);
    const dropped = report.rowsDropped > 0 ? `, ${report.rowsDropped} rows after damage dropped` : '';
    lines.push(`  ${name.padEnd(8)} ${String(report.rowsUsable).padStart(10)} rows readable ${batches} batches  ${file}${dropped}`.trimEnd());
  }
  return lines;
}

function verificationLines(check: TraceCheck): string[] {
  const lines = ['verification'];
  if (!check.complete) lines.push('  the recording did not finish (manifest incomplete)');
  for (const [table, report] of Object.entries(check.tables)) {
    const what = report.problems.map((p) => p.slice(table.length + 2)).join('; ');
    lines.push(`  ${table.padEnd(8)} ${report.problems.length === 0 ? 'ok' : `DAMAGED: ${what}`}`);
  }
  return lines;
}

/** `info --json`: the manifest as written, plus what the files were found to hold. */
function jsonView(manifest: Manifest, check: TraceCheck | null, verify: boolean): Record<string, unknown> {
  const view: Record<string, unknown> = { ...manifest };
  if (check === null) return view;
  if (!manifest.complete) {
    const readable: Record<string, unknown> = {};
    for (const [table, r] of Object.entries(check.tables)) {
      readable[table] = { rows: r.rowsUsable, batches: r.batchesUsable, rowsDropped: r.rowsDropped };
    }
    view.readable = readable;
  }
  if (verify) {
    const tables: Record<string, unknown> = {};
    for (const [table, r] of Object.entries(check.tables)) {
      const walk = check.walks[table as keyof TraceCheck['walks']];
      tables[table] = { ok: r.problems.length === 0, rows: r.rowsUsable, sha256: walk.sha256, problems: r.problems };
    }
    view.verification = { ok: check.problems.length === 0, problems: check.problems, tables };
  }
  return view;
}
