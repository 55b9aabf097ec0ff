// Runs a sweep's seeds over a pool of runners (worker threads): each idle runner takes the next
// job; a seed chosen for --recheck, or a failing seed to keep (--keep), is run a second time on
// another runner than its first run (when there are several), and the two digests must match.

import { join } from 'node:path';
import type { SeedOutcome, SweepJob, TestHooks } from './job.js';
import type { ManifestInput } from '../trace/manifest.js';
import type { Runner, RunnerFactory } from './runners.js';
import { shardSeeds, type Shard } from './seeds.js';

export interface SweepPlan {
  scenario: unknown;
  scenarioSource: string;
  checkSql: string;
  /** The whole --seeds list: positions decide shards and rechecks, so shards agree on both. */
  seeds: readonly number[];
  shard: Shard;
  /** Re-run the seeds at positions 0, k, 2k, … of the whole list (null: none). */
  recheckEvery: number | null;
  /** Record failing seeds (or, with keepAll, every seed) into `<keepDir>/seed-<n>`. */
  keepDir?: string;
  keepAll?: boolean;
  /** candump files played onto buses in every run (record --can-input <bus>=<file>). */
  inputs?: ManifestInput[];
  hooks?: TestHooks;
}

export type SeedStatus = 'pass' | 'fail' | 'error' | 'nondeterministic';

export interface SeedRecord {
  seed: number;
  status: SeedStatus;
  /** The seed's run (its figures fill the summary row). */
  first: SeedOutcome;
  /** The second run, when there was one (recheck or keep). */
  second?: SeedOutcome;
  /** The trace directory kept for this seed. */
  keptDir?: string;
}

export interface SweepProgress {
  done: number;
  total: number;
  failing: number;
  errors: number;
  elapsedMs: number;
}

export interface SweepOptions {
  jobs: number;
  runners: RunnerFactory;
  onProgress?: (progress: SweepProgress) => void;
}

export interface SweepResult {
  /** One per seed of this shard, in list order. */
  records: SeedRecord[];
  jobs: number;
  elapsedMs: number;
}

/** How long a runner with nothing it may take waits before looking again. */
const IDLE_TURN_MS = 5;

interface Task {
  job: SweepJob;
  /** The runner that made the first run: a re-run goes elsewhere when it can. */
  avoid: number | null;
}

export async function runSweep(plan: SweepPlan, options: SweepOptions): Promise<SweepResult> {
  const started = performance.now();
  const positions = new Map(plan.seeds.map((seed, position) => [seed, position]));
  const mine = shardSeeds(plan.seeds, plan.shard);
  const jobs = sweepJobs(plan, options.jobs);
  const records = new Map<number, SeedRecord>();
  const tasks = mine.map((seed): Task => ({ job: jobFor(plan, seed, 1, plan.keepAll === true), avoid: null }));
  const queue: Queue = { tasks, running: 0 };
  const runners = Array.from({ length: jobs }, (_, id) => options.runners(id));
  let failing = 0;
  let errors = 0;
  let done = 0;

  const finished = (record: SeedRecord): void => {
    record.status = settle(record);
    done += 1;
    if (record.status === 'fail') failing += 1;
    if (record.status === 'error' || record.status === 'nondeterministic') errors += 1;
    options.onProgress?.({ done, total: mine.length, failing, errors, elapsedMs: performance.now() - started });
  };
  const onOutcome = (outcome: SeedOutcome, runner: Runner): void => {
    if (outcome.attempt === 2) {
      const record = records.get(outcome.seed)!;
      record.second = outcome;
      if (outcome.recordedDir !== undefined) record.keptDir = outcome.recordedDir;
      finished(record);
      return;
    }
    const record: SeedRecord = { seed: outcome.seed, status: outcome.status, first: outcome };
    if (outcome.recordedDir !== undefined) record.keptDir = outcome.recordedDir;
    records.set(outcome.seed, record);
    const recheck = plan.recheckEvery !== null && positions.get(outcome.seed)! % plan.recheckEvery === 0;
    const keep = plan.keepDir !== undefined && plan.keepAll !== true && outcome.status === 'fail';
    if (outcome.status !== 'error' && (recheck || keep)) {
      // First in line, so a seed's two runs stay close and its record completes soon.
      queue.tasks.unshift({ job: jobFor(plan, outcome.seed, 2, keep), avoid: runners.length > 1 ? runner.id : null });
    } else {
      finished(record);
    }
  };

  try {
    await Promise.all(runners.map((runner) => drain(runner, queue, onOutcome)));
  } finally {
    await Promise.all(runners.map((runner) => runner.close()));
  }
  return { records: mine.map((seed) => records.get(seed)!), jobs, elapsedMs: performance.now() - started };
}

/**
 * Workers a sweep uses for `--jobs` requested: no more than runs to make, but two whenever
 * re-runs may come, so that a seed's second run can go to another worker than its first.
 */
export function sweepJobs(plan: Pick<SweepPlan, 'seeds' | 'shard' | 'recheckEvery' | 'keepDir'>, requested: number): number {
  const seeds = shardSeeds(plan.seeds, plan.shard).length;
  const rerunsPossible = plan.recheckEvery !== null || plan.keepDir !== undefined;
  return Math.max(1, Math.min(requested, Math.max(seeds, rerunsPossible ? 2 : 1)));
}

interface Queue {
  tasks: Task[];
  /** Runs started and not yet answered: each may still queue a re-run. */
  running: number;
}

/**
 * One runner's loop: take the first task it may run, run it, repeat. A re-run that must avoid
 * this runner is left for another one; while such tasks wait, or runs elsewhere may still queue
 * re-runs, this runner idles a turn; it stops when nothing is queued or running.
 */
async function drain(runner: Runner, queue: Queue, onOutcome: (o: SeedOutcome, r: Runner) => void): Promise<void> {
  for (;;) {
    const index = queue.tasks.findIndex((task) => task.avoid !== runner.id);
    if (index < 0) {
      if (queue.tasks.length === 0 && queue.running === 0) return;
      await new Promise((resolve) => setTimeout(resolve, IDLE_TURN_MS));
      continue;
    }
    const [task] = queue.tasks.splice(index, 1);
    queue.running += 1;
    try {
      onOutcome(await runner.run(task!.job), runner);
    } finally {
      queue.running -= 1;
    }
  }
}

function jobFor(plan: SweepPlan, seed: number, attempt: 1 | 2, record: boolean): SweepJob {
  return {
    scenario: plan.scenario,
    scenarioSource: plan.scenarioSource,
    seed,
    checkSql: plan.checkSql,
    attempt,
    ...(record && plan.keepDir !== undefined ? { recordDir: join(plan.keepDir, `seed-${seed}`) } : {}),
    ...(plan.inputs !== undefined ? { inputs: plan.inputs } : {}),
    ...(plan.hooks !== undefined ? { hooks: plan.hooks } : {}),
  };
}

/** A seed's verdict: any error wins, then a digest mismatch between its runs, then the check. */
function settle(record: SeedRecord): SeedStatus {
  const { first, second } = record;
  if (first.status === 'error') return 'error';
  if (second === undefined) return first.status;
  if (second.status === 'error') return 'error';
  if (second.digest !== first.digest || second.checkRows !== first.checkRows) return 'nondeterministic';
  return first.status;
}
