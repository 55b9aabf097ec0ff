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

interface RecordFlags {
  output: string;
  seed?: string;
  duration?: string;
  force?: boolean;
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
    .action(async (scenarioArg: string, flags: RecordFlags) => {
      const summary = await runRecord(scenarioArg, flags);
      process.stdout.write(summary);
    });
}

export async function runRecord(scenarioArg: string, flags: RecordFlags): Promise<string> {
  if (flags.force !== true && existsSync(join(flags.output, 'manifest.json'))) {
    throw new UsageError(`${flags.output} already holds a trace; use --force to replace it, or -o another directory`);
  }
  const scenario = loadScenario(scenarioArg);
  if (flags.seed !== undefined) scenario.seed = parseSeedOption(flags.seed);
  if (flags.duration !== undefined) scenario.durationNs = parseDurationOption(flags.duration);
  const started = performance.now();
  const { manifest, summary } = await recordScenario(scenario, flags.output, { overwrite: flags.force === true });
  const wallMs = performance.now() - started;
  return describeRun(flags.output, manifest, summary, wallMs);
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
