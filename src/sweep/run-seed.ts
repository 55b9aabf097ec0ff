// One seed of a sweep, start to end: build the scenario with the seed, run the platform into
// memory (or record it too, for --keep), load the tables into a check session, count the check's
// rows, digest the tables. Runs in a worker thread (worker.ts) or, in tests, in the caller's.

import { firstLine } from '../trace/errors.js';
import { coreLimitsFor, Platform } from '../platform/platform.js';
import { drive } from '../platform/run-loop.js';
import { installInputHandlers } from '../inputs/handlers.js';
import { openInputSources } from '../inputs/sources.js';
import type { ManifestInput } from '../trace/manifest.js';
import { recordScenario } from '../platform/record.js';
import { parseScenario } from '../scenario/load.js';
import type { Scenario } from '../scenario/schema.js';
import { CheckSession } from './check-session.js';
import type { SeedOutcome, SweepJob } from './job.js';
import { MemorySink } from './memory-sink.js';

/** The planted nondeterminism of TestHooks: a re-run this much longer than the first run. */
const PLANTED_EXTRA_NS = 1000;

export async function runSeed(job: SweepJob): Promise<SeedOutcome> {
  const started = performance.now();
  const memory = new MemorySink();
  const base = { seed: job.seed, attempt: job.attempt };
  let checkRows = 0;
  let phase: 'run' | 'check' = 'run';
  try {
    const scenario = seededScenario(job);
    if (job.hooks?.throwOnSeed === job.seed) throw new Error(`planted failure of seed ${job.seed} (test hook)`);
    await runInto(scenario, memory, job.recordDir, job.inputs ?? []);
    memory.finish();
    phase = 'check';
    const session = await CheckSession.open(memory, scenario);
    try {
      checkRows = await session.countRows(job.checkSql);
    } finally {
      session.close();
    }
  } catch (error) {
    const kind = phase === 'check' && (error as Error).name === 'QueryError' ? 'check' : 'internal';
    return {
      ...base, status: 'error', events: 0, dltRows: 0, clockRows: 0, inputRows: 0,
      wallMs: performance.now() - started, checkRows: 0, digest: '', error: firstLine(error), errorKind: kind,
    };
  }
  return {
    ...base,
    status: checkRows > 0 ? 'fail' : 'pass',
    events: memory.rows('events'),
    dltRows: memory.rows('dlt'),
    clockRows: memory.rows('clock'),
    inputRows: memory.rows('inputs'),
    wallMs: performance.now() - started,
    checkRows,
    digest: memory.digest(),
    ...(job.recordDir !== undefined ? { recordedDir: job.recordDir } : {}),
  };
}

/** The job's scenario with its seed, through the same validation as a scenario file. */
function seededScenario(job: SweepJob): Scenario {
  const resolved = job.scenario as Scenario;
  const planted = job.hooks?.nondeterministicRecheck === true && job.attempt === 2;
  const durationNs = resolved.durationNs + (planted ? PLANTED_EXTRA_NS : 0);
  return parseScenario({ ...resolved, seed: job.seed, durationNs }, job.scenarioSource);
}

async function runInto(scenario: Scenario, memory: MemorySink, recordDir: string | undefined, specs: readonly ManifestInput[]): Promise<void> {
  // File inputs only (the CLI refuses live ones): the worker reads each candump file itself.
  const opened = await openInputSources(specs, { frameBytesMax: coreLimitsFor(scenario).frameBytesMax, warn: () => {} });
  try {
    if (recordDir !== undefined) {
      // The recorder and the memory sink see the same rows: the kept trace is the checked run.
      await recordScenario(scenario, recordDir, { tee: memory, inputs: opened.inputs, feed: opened.feed });
      return;
    }
    const platform = await Platform.create(scenario, memory);
    installInputHandlers(platform, opened.inputs);
    platform.boot();
    await drive(platform, scenario.durationNs, { feed: opened.feed });
    platform.finish();
  } finally {
    await opened.close();
  }
}
