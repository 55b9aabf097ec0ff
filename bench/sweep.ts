// Seed sweeps (issue 9 §6), side by side in one run: seeds/s with 1 and with 2 worker threads on
// the cockpit at 2 s virtual (alternating rounds, medians), and what one seed's check costs on
// the in-memory path a sweep takes (tables kept in memory, loaded into an in-memory DuckDB)
// against recording to a temporary directory and opening a QuerySession on it, with the bare
// run (counting sink, no check) as the floor.

import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Platform } from '../src/platform/platform.js';
import { recordScenario } from '../src/platform/record.js';
import { CountingSink } from '../src/platform/sink.js';
import { loadNamedQuery } from '../src/query/named.js';
import { QuerySession } from '../src/query/session.js';
import { loadScenario } from '../src/scenario/load.js';
import type { Scenario } from '../src/scenario/schema.js';
import { CheckSession } from '../src/sweep/check-session.js';
import { MemorySink } from '../src/sweep/memory-sink.js';
import { threadRunners } from '../src/sweep/runners.js';
import { runSweep } from '../src/sweep/sweep.js';
import { median } from './stats.js';

export interface SweepBench {
  virtualSeconds: number;
  seedsPerRound: number;
  rounds: number;
  cores: number;
  /** median seeds/s of a whole sweep (worker start-up included) */
  oneWorkerSeedsPerSec: number;
  twoWorkersSeedsPerSec: number;
  /** median ms per seed, in this thread */
  bareRunMs: number;
  inMemoryCheckMs: number;
  recordAndSessionMs: number;
}

const CHECK = 'sched/deadline_misses';

async function sweepRate(scenario: Scenario, seeds: number[], jobs: number): Promise<number> {
  const plan = {
    scenario, scenarioSource: 'cockpit', checkSql: loadNamedQuery(CHECK).sql, seeds,
    shard: { index: 0, count: 1 }, recheckEvery: null,
  };
  const result = await runSweep(plan, { jobs, runners: threadRunners });
  if (result.records.some((r) => r.status === 'error')) throw new Error(`bench sweep: ${result.records.find((r) => r.status === 'error')!.first.error}`);
  return (seeds.length * 1000) / result.elapsedMs;
}

async function bareRun(scenario: Scenario): Promise<number> {
  const t0 = performance.now();
  (await Platform.create(scenario, new CountingSink())).run();
  return performance.now() - t0;
}

async function inMemoryCheck(scenario: Scenario, sql: string): Promise<number> {
  const t0 = performance.now();
  const memory = new MemorySink();
  (await Platform.create(scenario, memory)).run();
  memory.finish();
  const session = await CheckSession.open(memory, scenario);
  await session.countRows(sql);
  session.close();
  memory.digest();
  return performance.now() - t0;
}

async function recordAndSession(scenario: Scenario, sql: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'tv-bench-sweep-'));
  try {
    const t0 = performance.now();
    await recordScenario(scenario, join(dir, 't'));
    const session = await QuerySession.open(join(dir, 't'));
    await session.run(sql);
    session.close();
    return performance.now() - t0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchSweep(opts: { seeds?: number; rounds?: number } = {}): Promise<SweepBench> {
  const seedsPerRound = opts.seeds ?? 6;
  const rounds = opts.rounds ?? 3;
  const scenario = loadScenario('cockpit', { durationNs: 2_000_000_000 });
  const sql = loadNamedQuery(CHECK).sql;
  const one: number[] = [];
  const two: number[] = [];
  const bare: number[] = [];
  const memory: number[] = [];
  const recorded: number[] = [];
  await inMemoryCheck(scenario, sql); // warm up JIT, WASM tiers, DuckDB
  for (let r = 0; r < rounds; r++) {
    const seeds = Array.from({ length: seedsPerRound }, (_, i) => 1 + r * seedsPerRound + i);
    one.push(await sweepRate(scenario, seeds, 1));
    two.push(await sweepRate(scenario, seeds, 2));
    const seeded = { ...scenario, seed: 100 + r };
    bare.push(await bareRun(seeded));
    memory.push(await inMemoryCheck(seeded, sql));
    recorded.push(await recordAndSession(seeded, sql));
  }
  return {
    virtualSeconds: scenario.durationNs / 1e9, seedsPerRound, rounds, cores: availableParallelism(),
    oneWorkerSeedsPerSec: median(one), twoWorkersSeedsPerSec: median(two),
    bareRunMs: median(bare), inMemoryCheckMs: median(memory), recordAndSessionMs: median(recorded),
  };
}

export function formatSweepBench(b: SweepBench): string {
  return [
    `seed sweep (cockpit, ${b.virtualSeconds} s virtual, check ${CHECK}; ${b.rounds} rounds of ${b.seedsPerRound} seeds, medians; ${b.cores} cores)`,
    `  1 worker                  ${b.oneWorkerSeedsPerSec.toFixed(2)} seeds/s`,
    `  2 workers                 ${b.twoWorkersSeedsPerSec.toFixed(2)} seeds/s`,
    `  ratio 2/1 workers         ${(b.twoWorkersSeedsPerSec / b.oneWorkerSeedsPerSec).toFixed(2)}×`,
    `  one seed, bare run        ${b.bareRunMs.toFixed(0)} ms (counting sink, no check)`,
    `  one seed, in memory       ${b.inMemoryCheckMs.toFixed(0)} ms (sweep's path: memory tables, in-memory DuckDB, check, digest)`,
    `  one seed, record+session  ${b.recordAndSessionMs.toFixed(0)} ms (record to a temp dir, QuerySession.open, check)`,
    `  ratio record+session/mem  ${(b.recordAndSessionMs / b.inMemoryCheckMs).toFixed(2)}×`,
  ].join('\n');
}
