import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from './errors.js';
import { DEFAULT_SCENARIO, loadScenario } from '../scenario/load.js';
import { recordScenario } from '../platform/record.js';
import { formatDuration } from '../scenario/duration.js';
import type { RunSummary } from '../platform/platform.js';
import type { Manifest } from '../trace/manifest.js';
import { parseDurationOption, parseSeedOption } from './options.js';
import { DltLiveServer } from '../formats/dlt/live.js';

interface RecordFlags {
  output: string;
  seed?: string;
  duration?: string;
  force?: boolean;
  dltPort?: string;
  dltHost?: string;
  dltWait?: string;
  index?: boolean;
}

export function registerRecord(program: Command): void {
  program
    .command('record')
    .description('run a scenario (built-in name or JSON file) and record it as a trace directory')
    .argument('[scenario]', 'built-in scenario name or path to a scenario JSON file', DEFAULT_SCENARIO)
    .option('-o, --output <dir>', 'trace directory to write', 'traces/run')
    .option('--seed <n>', 'override the scenario seed (0..2^32-1)')
    .option('--duration <d>', 'override the run length in virtual time (e.g. 30s, 500ms)')
    .option('-f, --force', 'replace an existing trace in the output directory')
    .option('--dlt-port <port>', 'serve the guests\' DLT messages live on this TCP port, as dlt-daemon does')
    .option('--dlt-host <addr>', 'address for --dlt-port (default: loopback, ::1 and 127.0.0.1)')
    .option('--dlt-wait <n>', 'with --dlt-port: start the run once n clients are connected')
    .option('--index', 'build the query store at the end (as `tracevisor index` does)')
    .action(async (scenarioArg: string, flags: RecordFlags) => {
      const summary = await runRecord(scenarioArg, flags);
      process.stdout.write(summary);
      if (flags.index === true) process.stdout.write(await indexAfter(flags.output));
    });
}

export async function runRecord(scenarioArg: string, flags: RecordFlags): Promise<string> {
  if (flags.force !== true && existsSync(join(flags.output, 'manifest.json'))) {
    throw new UsageError(`${flags.output} already holds a trace; use --force to replace it, or -o another directory`);
  }
  const scenario = loadScenario(scenarioArg);
  if (flags.seed !== undefined) scenario.seed = parseSeedOption(flags.seed);
  if (flags.duration !== undefined) scenario.durationNs = parseDurationOption(flags.duration);
  const live = await startLive(flags);
  try {
    const started = performance.now();
    const { manifest, summary } = await recordScenario(scenario, flags.output, {
      overwrite: flags.force === true,
      ...(live !== null ? { tee: live, yieldEveryNs: LIVE_YIELD_NS } : {}),
    });
    const wallMs = performance.now() - started;
    const text = describeRun(flags.output, manifest, summary, wallMs);
    if (live === null) return text;
    const s = await live.close();
    return text + `  live DLT: ${s.connections} client${s.connections === 1 ? '' : 's'}, ${s.sent} messages sent, ${s.dropped} dropped (slow clients)\n`;
  } finally {
    await live?.close();
  }
}

/** `--index`: loaded only then, so a plain record does not load DuckDB. */
async function indexAfter(dir: string): Promise<string> {
  const { runIndex } = await import('./index-store.js');
  return runIndex(dir, true);
}

/** Virtual time between event-loop turns while serving live: sockets flush at least this often. */
const LIVE_YIELD_NS = 1_000_000;

async function startLive(flags: RecordFlags): Promise<DltLiveServer | null> {
  if (flags.dltPort === undefined) {
    if (flags.dltHost !== undefined || flags.dltWait !== undefined) {
      throw new UsageError('--dlt-host and --dlt-wait need --dlt-port');
    }
    return null;
  }
  if (!/^\d+$/.test(flags.dltPort) || Number(flags.dltPort) > 65535) {
    throw new UsageError(`--dlt-port: expected a TCP port from 0 to 65535, got "${flags.dltPort}"`);
  }
  const wait = flags.dltWait === undefined ? 0 : Number(flags.dltWait);
  if (!Number.isInteger(wait) || wait < 0 || wait > 64) {
    throw new UsageError(`--dlt-wait: expected a number of clients from 0 to 64, got "${flags.dltWait}"`);
  }
  let live: DltLiveServer;
  try {
    live = await DltLiveServer.start({ port: Number(flags.dltPort), host: flags.dltHost });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new UsageError(`--dlt-port ${flags.dltPort}: cannot listen on ${flags.dltHost ?? 'loopback'} (${code})`);
  }
  process.stderr.write(`tracevisor: serving DLT on ${live.addresses.join(', ')} (e.g. dlt-receive -a ::1 -p ${live.port})\n`);
  if (wait > 0) {
    process.stderr.write(`tracevisor: waiting for ${wait} DLT client${wait === 1 ? '' : 's'} before the run starts\n`);
    await live.waitForClients(wait);
  }
  return live;
}

export function describeRun(dir: string, manifest: Manifest, summary: RunSummary, wallMs: number): string {
  const scenario = manifest.scenario as { name: string };
  const lines = [
    `recorded ${scenario.name} (seed ${manifest.seed}) for ${formatDuration(summary.durationNs)} of virtual time in ${(wallMs / 1000).toFixed(2)} s -> ${dir}`,
  ];
  for (const [table, entry] of Object.entries(manifest.tables)) {
    lines.push(`  ${table.padEnd(7)} ${String(entry.rows).padStart(9)} rows  sha256 ${entry.sha256.slice(0, 16)}`);
  }
  for (const vm of summary.vms) {
    lines.push(
      `  vm ${vm.name.padEnd(13)} cpu ${formatDuration(vm.runNs).padStart(12)}  steal ${formatDuration(vm.stealNs).padStart(12)}  deadline misses ${vm.deadlineMisses}  logs dropped ${vm.logsDropped}`,
    );
  }
  lines.push(`  ${summary.dltMessages} DLT messages, ${summary.ecuFrames} CAN frames from external ECUs`);
  return lines.join('\n') + '\n';
}
