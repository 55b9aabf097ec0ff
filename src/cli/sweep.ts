// `tracevisor sweep <scenario> --seeds <a-b> --check <named-query|sql>` (issue 9 §6): runs many
// seeds in worker threads, each with its tables in memory, and reports the seeds whose check
// returns rows, with the `record` command that reproduces one. Exit status: 0 no seed failed,
// 4 some seed failed its check, 2 bad usage (before any seed runs) or a check that failed on a
// run's data, 1 internal error (a run threw, or --recheck found tracevisor nondeterministic).

import { availableParallelism } from 'node:os';
import { isatty } from 'node:tty';
import type { Command } from 'commander';
import { UsageError } from './errors.js';
import { collect, parseDurationOption } from './options.js';
import { loadScenario, type ScenarioOverrides } from '../scenario/load.js';
import type { Scenario } from '../scenario/schema.js';
import { parseFaultSpec } from '../faults/cli-spec.js';
import { parseInputSpecs } from '../inputs/spec.js';
import { readCandumpFile } from '../inputs/candump-file.js';
import type { ManifestInput } from '../trace/manifest.js';
import { isQueryPath, resolveNamedQuery } from '../query/named.js';
import { CheckSession, EMPTY } from '../sweep/check-session.js';
import type { TestHooks } from '../sweep/job.js';
import { ProgressLine, type ProgressMode } from '../sweep/progress.js';
import { EXIT_SEED_FAILED, sweepReport } from '../sweep/report.js';
import { prestartedThreadRunners, type RunnerFactory } from '../sweep/runners.js';
import { parseSeeds, parseShard, shardSeeds, type Shard } from '../sweep/seeds.js';
import { summaryTarget, writeSummaries, type SummaryTarget } from '../sweep/summary.js';
import { runSweep, sweepJobs, type SweepPlan } from '../sweep/sweep.js';

interface SweepFlags {
  seeds: string;
  check: string;
  duration?: string;
  jobs?: string;
  shard?: string;
  recheck?: string;
  keep?: string;
  keepAll?: boolean;
  summary: string[];
  output?: string;
  quiet?: boolean;
  fault?: string[];
  canInput?: string[];
}

const JOBS_MAX = 256;
const NAMED = /^[a-z0-9_]+(\/[a-z0-9_]+)*$/;

export function registerSweep(program: Command): void {
  program
    .command('sweep')
    .description('run a scenario over many seeds in parallel and report the seeds whose check query returns rows')
    .argument('<scenario>', 'built-in scenario name or path to a scenario JSON file')
    .requiredOption('--seeds <list>', 'seeds to run: a range a-b (inclusive), a seed, or a comma list of both')
    .requiredOption('--check <query>', 'a named query (see `tracevisor queries`, or a .sql path) or SQL; a seed fails when it returns rows')
    .option('--duration <d>', 'override the run length in virtual time (e.g. 2s, 500ms)')
    .option('--fault <type[:key=value,...]>', 'inject a seeded fault in every seed\'s run, as record --fault does (repeatable)', collect, [])
    .option('--can-input <bus>=<file>', 'play a candump -l file onto a scenario bus in every seed\'s run, as record --can-input does (files only; repeatable)', collect, [])
    .option('--jobs <n>', `worker threads (default: one per core, ${availableParallelism()} here)`)
    .option('--shard <i/N>', 'run only share i of N: the k-th seed of the list belongs to shard k mod N')
    .option('--recheck <k>', 'run every k-th seed twice, in different workers, and require identical digests')
    .option('--keep <dir>', 'record each failing seed\'s trace into <dir>/seed-<n> (replayable, queryable)')
    .option('--keep-all', 'with --keep: record every seed, not only the failing ones')
    .option('--summary <file>', 'write one row per seed to a .csv or .parquet file (repeatable)', collect, [])
    .option('-o, --output <prefix>', 'write the summary as both <prefix>.csv and <prefix>.parquet')
    .option('-q, --quiet', 'no progress line on stderr')
    .addHelpText('after', '\nExit status: 0 no seed failed, 4 some seed failed its check, 2 bad usage, 1 internal error\n' +
      '(a run threw, or --recheck found two runs of a seed differing).')
    .action(async (scenarioArg: string, flags: SweepFlags) => {
      process.exitCode = await sweepCommand(scenarioArg, flags);
    });
}

export async function sweepCommand(scenarioArg: string, flags: SweepFlags): Promise<number> {
  const setup = await prepare(scenarioArg, flags);
  const progress = new ProgressLine(process.stderr, progressMode(flags));
  const result = await runSweep(setup.plan, {
    jobs: setup.jobs,
    runners: setup.runners,
    onProgress: (p) => progress.update(p),
  });
  progress.end();
  await writeSummaries(result.records, setup.targets);
  const report = sweepReport(result, {
    scenarioArg,
    durationNs: setup.scenario.durationNs,
    extraArgs: [...(flags.fault ?? []).flatMap((f) => ['--fault', f]), ...(flags.canInput ?? []).flatMap((c) => ['--can-input', c])],
    checkName: setup.checkName,
    checkSql: setup.plan.checkSql,
    shardText: flags.shard ?? null,
  });
  process.stdout.write(report.stdout);
  process.stderr.write(report.stderr);
  return report.exitCode;
}

interface Setup {
  plan: SweepPlan;
  scenario: Scenario;
  jobs: number;
  checkName: string | null;
  targets: SummaryTarget[];
  runners: RunnerFactory;
}

/** Every option checked, and the check proven on an empty session, before any seed runs. */
async function prepare(scenarioArg: string, flags: SweepFlags): Promise<Setup> {
  if (scenarioArg === '-') throw new UsageError('sweep: give a scenario name or file (stdin is not read by sweep)');
  const seeds = parseSeeds(flags.seeds);
  const shard: Shard = flags.shard !== undefined ? parseShard(flags.shard) : { index: 0, count: 1 };
  const jobs = flags.jobs !== undefined ? parseCount('--jobs', flags.jobs, JOBS_MAX) : availableParallelism();
  const recheckEvery = flags.recheck !== undefined ? parseCount('--recheck', flags.recheck, Number.MAX_SAFE_INTEGER) : null;
  if (flags.keepAll === true && flags.keep === undefined) throw new UsageError('--keep-all needs --keep <dir>');
  const targets = summaryTargets(flags);
  // The workers start now and load their modules while this thread proves the check; idle
  // threads do not keep the process alive, so a usage error below still exits at once.
  const runners = prestartedThreadRunners(sweepJobs({ seeds, shard, recheckEvery, keepDir: flags.keep }, jobs));
  const overrides: ScenarioOverrides = {
    ...(flags.duration !== undefined ? { durationNs: parseDurationOption(flags.duration) } : {}),
    ...((flags.fault ?? []).length > 0 ? { faults: flags.fault!.map(parseFaultSpec) } : {}),
  };
  const scenario = loadScenario(scenarioArg, overrides);
  const inputs = fileInputs(flags.canInput ?? [], scenario);
  const check = resolveCheck(flags.check);
  const session = await CheckSession.open(EMPTY, scenario);
  try {
    await session.validate(check.sql);
  } catch (error) {
    if ((error as Error).name === 'QueryError') throw new UsageError(`--check: ${(error as Error).message}`);
    throw error;
  } finally {
    session.close();
  }
  const plan: SweepPlan = {
    scenario, scenarioSource: scenarioArg, checkSql: check.sql, seeds, shard, recheckEvery,
    ...(inputs.length > 0 ? { inputs } : {}),
    ...(flags.keep !== undefined ? { keepDir: flags.keep, keepAll: flags.keepAll === true } : {}),
    ...testHooks(),
  };
  if (shardSeeds(seeds, shard).length === 0 && !flags.quiet) {
    process.stderr.write(`tracevisor: warning: shard ${flags.shard} holds no seed of ${flags.seeds}\n`);
  }
  return { plan, scenario, jobs, checkName: check.name, targets, runners };
}

/** A named query (a name as `tracevisor queries` lists them, or a .sql path) or SQL text. */
function resolveCheck(text: string): { name: string | null; sql: string } {
  if (NAMED.test(text) || isQueryPath(text)) {
    try {
      const query = resolveNamedQuery(text);
      return { name: text, sql: query.sql };
    } catch (error) {
      throw new UsageError(`--check: ${(error as Error).message}`);
    }
  }
  return { name: null, sql: text };
}

function summaryTargets(flags: SweepFlags): SummaryTarget[] {
  const targets = flags.summary.map(summaryTarget);
  if (flags.output !== undefined) {
    targets.push({ path: `${flags.output}.csv`, format: 'csv' }, { path: `${flags.output}.parquet`, format: 'parquet' });
  }
  return targets;
}

function parseCount(option: string, text: string, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max) {
    throw new UsageError(`${option}: expected a whole number from 1 to ${max}, got "${text}"`);
  }
  return Number(text);
}

function progressMode(flags: SweepFlags): ProgressMode {
  if (flags.quiet === true) return 'quiet';
  return isatty(2) ? 'tty' : 'lines';
}

/** The test-only hooks of job.ts, from the environment (no option exposes them). */
function testHooks(): { hooks?: TestHooks } {
  const hooks: TestHooks = {};
  if (process.env.TRACEVISOR_TEST_SWEEP_NONDETERMINISM === '1') hooks.nondeterministicRecheck = true;
  const seed = process.env.TRACEVISOR_TEST_SWEEP_THROW_SEED;
  if (seed !== undefined && /^\d+$/.test(seed)) hooks.throwOnSeed = Number(seed);
  const crash = process.env.TRACEVISOR_TEST_SWEEP_CRASH_SEED;
  if (crash !== undefined && /^\d+$/.test(crash)) hooks.crashOnSeed = Number(crash);
  return Object.keys(hooks).length > 0 ? { hooks } : {};
}

export { EXIT_SEED_FAILED };

/**
 * `--can-input` for a sweep: candump files only (a live source would feed one run, not many);
 * each worker reads the file itself, and the summary's digest covers the rows it produced.
 */
function fileInputs(specs: readonly string[], scenario: Scenario): ManifestInput[] {
  const inputs = parseInputSpecs(specs, [], scenario);
  for (const input of inputs) {
    if (input.kind !== 'file') throw new UsageError(`--can-input ${input.source}: sweep plays candump files only (a live tcp: source cannot feed many runs)`);
    readCandumpFile(input.file!, input.bus!); // a bad file is refused before any seed runs
  }
  return inputs;
}
