import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isatty } from 'node:tty';
import { UsageError } from './errors.js';
import { applyOverrides, DEFAULT_SCENARIO, loadScenario, parseScenario, ScenarioError, type ScenarioOverrides } from '../scenario/load.js';
import { parseFaultSpec } from '../faults/cli-spec.js';
import type { Scenario } from '../scenario/schema.js';
import { recordScenario } from '../platform/record.js';
import { formatDuration, parseDuration } from '../scenario/duration.js';
import { SNAPSHOT_EVERY_NS_DEFAULT } from '../snapshot/platform-snapshot.js';
import { EPOCH_NS_DEFAULT } from '../replay/digest-epochs.js';
import type { RunSummary } from '../platform/platform.js';
import type { Manifest } from '../trace/manifest.js';
import { collect, parseDurationOption, parseSeedOption } from './options.js';
import { DltLiveServer } from '../formats/dlt/live.js';
import { parseInputSpecs } from '../inputs/spec.js';
import { openInputSources } from '../inputs/sources.js';
import { realtimePace } from '../inputs/pacing.js';
import { coreLimitsFor } from '../platform/platform.js';
import { startProgress } from './progress.js';

interface RecordFlags {
  output: string;
  quiet?: boolean;
  seed?: string;
  duration?: string;
  force?: boolean;
  dltPort?: string;
  dltHost?: string;
  dltWait?: string;
  json?: boolean;
  index?: boolean;
  // --- inputs (issue 9)
  canInput?: string[];
  netInput?: string[];
  realtime?: string | boolean;
  fault?: string[];
  snapshotEvery?: string; // --- snapshots (issue 10 §3)
  frames?: boolean; // --- frames table (issue 12 §1): false with --no-frames
}

const STDIN = '-';

export function registerRecord(program: Command): void {
  program
    .command('record')
    .description('run a scenario (built-in name or JSON file) and record it as a trace directory')
    .argument('[scenario]', 'built-in scenario name or path to a scenario JSON file (- reads it from stdin)', DEFAULT_SCENARIO)
    .option('-o, --output <dir>', 'trace directory to write', 'traces/run')
    .option('--seed <n>', 'override the scenario seed (0..2^32-1)')
    .option('--duration <d>', 'override the run length in virtual time (e.g. 30s, 500ms)')
    .option('-f, --force', 'replace an existing trace in the output directory')
    .option('--dlt-port <port>', 'serve the guests\' DLT messages live on this TCP port, as dlt-daemon does')
    .option('--dlt-host <addr>', 'address for --dlt-port (default: loopback, ::1 and 127.0.0.1)')
    .option('--dlt-wait <n>', 'with --dlt-port: start the run once n clients are connected')
    .option('--json', 'print the summary as one JSON object')
    .option('--index', 'build the query store at the end (as `tracevisor index` does)')
    .option('--can-input <bus>=<source>', 'CAN frames onto a scenario bus: a candump -l file, or tcp:[host:]port for candump lines (repeatable)', collect, [])
    .option('--net-input <mac>=udp:<port>,to=<mac>', 'each UDP datagram becomes an Ethernet frame from outside host <mac> to a VM (repeatable)', collect, [])
    .option('--realtime [factor]', 'run virtual time against the wall clock (1 = real time, 2 = twice as fast)')
    .option('--fault <type[:key=value,...]>', 'inject a seeded fault, as an entry of the scenario\'s faults[] (repeatable; e.g. link_loss:ppm=200000, vcpu_stall:vm=cluster,at=2s,for=50ms)', collect, [])
    .option('-q, --quiet', 'no progress bar (it shows only when stdout and stderr are terminals)')
    .option('--snapshot-every <d>', 'virtual time between two snapshots of the platform for fast seeking (a multiple of 100ms; 0 for none)', '3s')
    .option('--no-frames', 'leave the frames table empty (no frame bytes recorded: for long runs; the manifest says frames: off)')
    .action(async (scenarioArg: string, flags: RecordFlags) => {
      const report = await recordRun(scenarioArg, flags);
      process.stdout.write(flags.json === true ? `${JSON.stringify(report.json)}\n` : report.text);
      // With --json stdout holds the one JSON object, so the store's report goes to stderr.
      if (flags.index === true) (flags.json === true ? process.stderr : process.stdout).write(await indexAfter(flags.output));
    });
}

export async function runRecord(scenarioArg: string, flags: RecordFlags): Promise<string> {
  return (await recordRun(scenarioArg, flags)).text;
}

interface RecordReport {
  text: string;
  /** what --json prints */
  json: Record<string, unknown>;
}

async function recordRun(scenarioArg: string, flags: RecordFlags): Promise<RecordReport> {
  if (flags.force !== true && existsSync(join(flags.output, 'manifest.json'))) {
    throw new UsageError(`${flags.output} already holds a trace; use --force to replace it, or -o another directory`);
  }
  const overrides: ScenarioOverrides = {
    ...(flags.seed !== undefined ? { seed: parseSeedOption(flags.seed) } : {}),
    ...(flags.duration !== undefined ? { durationNs: parseDurationOption(flags.duration) } : {}),
    ...((flags.fault ?? []).length > 0 ? { faults: flags.fault!.map(parseFaultSpec) } : {}),
  };
  const snapshotEveryNs = parseSnapshotEvery(flags.snapshotEvery);
  const scenario = scenarioArg === STDIN ? readStdinScenario(overrides) : loadScenario(scenarioArg, overrides);
  const specs = parseInputSpecs(flags.canInput ?? [], flags.netInput ?? [], scenario);
  const factor = parseRealtimeOption(flags.realtime);
  const inputs = await openInputSources(specs, {
    frameBytesMax: coreLimitsFor(scenario).frameBytesMax,
    warn: (message) => process.stderr.write(`tracevisor: ${message}\n`),
    onListen: (input) => process.stderr.write(`tracevisor: ${input.flag} ${input.source}: listening on ${input.host}:${input.port} (${input.kind})\n`),
  });
  let live: DltLiveServer | null = null;
  const progress = startProgress({ label: 'recording', total: scenario.durationNs, unit: 'virtual s', quiet: flags.quiet });
  try {
    live = await startLive(flags);
    const started = performance.now();
    const { manifest, summary } = await recordScenario(scenario, flags.output, {
      onProgress: (virtualNs) => progress.update(virtualNs),
      overwrite: flags.force === true,
      ...(live !== null ? { tee: live, yieldEveryNs: LIVE_YIELD_NS } : {}),
      inputs: inputs.inputs,
      feed: inputs.feed,
      snapshotEveryNs,
      frames: flags.frames !== false, // --- frames table (issue 12 §1)
      // Live sources deliver between slices; pacing waits at slice ends (src/inputs/pacing.ts).
      ...(inputs.live || factor !== null ? { sliceNs: LIVE_YIELD_NS } : {}),
      ...(factor !== null ? { pace: realtimePace(factor) } : {}),
    });
    progress.stop();
    await inputs.close();
    const wallMs = performance.now() - started;
    const text = describeRun(flags.output, manifest, summary, wallMs);
    const json = recordJson(flags.output, manifest, summary, wallMs);
    if (live === null) return { text, json };
    const s = await live.close();
    return {
      text: text + `  live DLT: ${s.connections} client${s.connections === 1 ? '' : 's'}, ${s.sent} messages sent, ${s.dropped} dropped (slow clients)\n`,
      json: { ...json, live: { clients: s.connections, sent: s.sent, dropped: s.dropped } },
    };
  } finally {
    progress.stop();
    await live?.close();
    await inputs.close();
  }
}

/** --snapshot-every: 0 (or off) for none, else a duration that is a whole number of epochs. */
function parseSnapshotEvery(text: string | undefined): number {
  if (text === undefined) return SNAPSHOT_EVERY_NS_DEFAULT;
  if (/^\s*(0|off)\s*$/.test(text)) return 0;
  const ns = parseDuration(text.trim());
  if (ns === null || ns <= 0 || ns % EPOCH_NS_DEFAULT !== 0) {
    throw new UsageError(`--snapshot-every: expected a multiple of 100ms such as 1s or 5s (0 for none), got "${text}"`);
  }
  return ns;
}

/** `--realtime` alone is 1 (real time); a factor is a positive number (2 = twice as fast). */
function parseRealtimeOption(value: string | boolean | undefined): number | null {
  if (value === undefined || value === false) return null;
  if (value === true) return 1;
  const factor = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(factor > 0) || factor > 1e6) {
    throw new UsageError(`--realtime: expected a speed factor above 0 (1 = real time, 0.5 = half speed), got "${value}"`);
  }
  return factor;
}

/** `record -`: the scenario's JSON from stdin (a pipe or a file; a terminal would only wait). */
function readStdinScenario(overrides: ScenarioOverrides): Scenario {
  if (isatty(0)) throw new UsageError('-: stdin is a terminal; pipe a scenario into it (e.g. tracevisor scenarios --show cockpit | tracevisor record - …)');
  let text: string;
  try {
    text = readFileSync(0, 'utf8');
  } catch (error) {
    throw new UsageError(`-: cannot read stdin (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ScenarioError('stdin', [`not valid JSON: ${(error as Error).message}`]);
  }
  // The overrides go into the JSON before validation, as loadScenario does for files.
  const { value, cliFaults } = applyOverrides(json, overrides);
  return parseScenario(value, 'stdin', cliFaults);
}

function recordJson(dir: string, manifest: Manifest, summary: RunSummary, wallMs: number): Record<string, unknown> {
  const scenario = manifest.scenario as { name: string };
  return {
    output: dir,
    scenario: scenario.name,
    seed: manifest.seed,
    durationNs: summary.durationNs,
    wallSeconds: wallMs / 1000,
    tables: manifest.tables,
    inputs: manifest.inputs ?? [],
    vms: summary.vms,
    dltMessages: summary.dltMessages,
    ecuFrames: summary.ecuFrames,
    deadlineMisses: summary.deadlineMisses,
    logsDropped: summary.logsDropped,
  };
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
  process.stderr.write(`tracevisor: serving DLT on ${live.addresses.join(', ')} (e.g. dlt-receive -a ${live.connectHost} -p ${live.port})\n`);
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
    const off = table === 'frames' && manifest.frames === 'off' ? '  (off: --no-frames)' : ''; // issue 12 §1
    lines.push(`  ${table.padEnd(7)} ${String(entry.rows).padStart(9)} rows  sha256 ${entry.sha256.slice(0, 16)}${off}`);
  }
  for (const vm of summary.vms) {
    lines.push(
      `  vm ${vm.name.padEnd(13)} cpu ${formatDuration(vm.runNs).padStart(12)}  steal ${formatDuration(vm.stealNs).padStart(12)}  deadline misses ${vm.deadlineMisses}  logs dropped ${vm.logsDropped}`,
    );
  }
  lines.push(`  ${summary.dltMessages} DLT messages, ${summary.ecuFrames} CAN frames from external ECUs`);
  const snapshots = manifest.snapshots ?? [];
  if (snapshots.length > 0) {
    const bytes = snapshots.reduce((n, s) => n + s.bytes + s.pagesBytes, 0);
    lines.push(`  ${snapshots.length} snapshot${snapshots.length === 1 ? '' : 's'} for seeking, ${(bytes / 1024).toFixed(0)} KiB`);
  }
  return lines.join('\n') + '\n';
}
