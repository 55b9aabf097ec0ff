// The sweep's scheduling and verdicts (issue 9 §6), with runners in this thread so no build is
// needed (cli.test.ts runs the same through worker threads). The planted failure: a check on
// the number of events, which depends on the seed; the expected failing seeds come from direct
// runs of each seed with a counting sink, not from the sweep.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Platform } from '../../src/platform/platform.js';
import { CountingSink } from '../../src/platform/sink.js';
import { loadScenario } from '../../src/scenario/load.js';
import { openCheckedTrace } from '../../src/trace/open.js';
import type { SeedOutcome, SweepJob } from '../../src/sweep/job.js';
import { tablesDigest } from '../../src/sweep/digest.js';
import { inlineRunners, type RunnerFactory } from '../../src/sweep/runners.js';
import { runSweep, type SweepPlan } from '../../src/sweep/sweep.js';
import { tempDir } from '../trace/helpers.js';

const DURATION_NS = 200_000_000;
const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];
const scenario = loadScenario('cockpit', { durationNs: DURATION_NS });
const eventsBySeed = new Map<number, number>();
let thresholdEvents = 0;
let expectedFailing: number[] = [];

beforeAll(async () => {
  for (const seed of SEEDS) {
    const sink = new CountingSink();
    (await Platform.create(loadScenario('cockpit', { seed, durationNs: DURATION_NS }), sink)).run();
    eventsBySeed.set(seed, sink.eventRows);
  }
  // the median: about half the seeds fail, and which ones only the direct runs tell
  const sorted = [...eventsBySeed.values()].sort((a, b) => a - b);
  thresholdEvents = sorted[SEEDS.length / 2]!;
  expectedFailing = SEEDS.filter((s) => eventsBySeed.get(s)! > thresholdEvents);
}, 60_000);

function plan(extra: Partial<SweepPlan> = {}): SweepPlan {
  return {
    scenario, scenarioSource: 'cockpit', seeds: SEEDS, shard: { index: 0, count: 1 }, recheckEvery: null,
    checkSql: `SELECT count(*) AS n FROM events HAVING count(*) > ${thresholdEvents}`,
    ...extra,
  };
}

/** Inline runners that note which runner ran which job. */
function watched(log: { seed: number; attempt: number; runner: number }[]): RunnerFactory {
  return (id) => {
    const inner = inlineRunners(id);
    return { id, close: inner.close, run: async (job: SweepJob): Promise<SeedOutcome> => {
      log.push({ seed: job.seed, attempt: job.attempt, runner: id });
      return inner.run(job);
    } };
  };
}

describe('runSweep', () => {
  it('finds exactly the seeds whose check returns rows, one record per seed in list order', async () => {
    expect(expectedFailing.length).toBeGreaterThan(0);
    expect(expectedFailing.length).toBeLessThan(SEEDS.length);
    const result = await runSweep(plan(), { jobs: 2, runners: inlineRunners });
    expect(result.records.map((r) => r.seed)).toEqual(SEEDS);
    expect(result.records.filter((r) => r.status === 'fail').map((r) => r.seed)).toEqual(expectedFailing);
    for (const r of result.records) {
      expect(r.first.events, `seed ${r.seed}`).toBe(eventsBySeed.get(r.seed));
      expect(r.first.checkRows).toBe(r.status === 'fail' ? 1 : 0);
      expect(r.first.digest).toMatch(/^[0-9a-f]{64}$/);
    }
  }, 120_000);

  it('--recheck k: seeds at positions 0, k, 2k… run twice, the second time on another runner', async () => {
    const log: { seed: number; attempt: number; runner: number }[] = [];
    const seeds = [11, 12, 13, 14, 15];
    const result = await runSweep(plan({ seeds, recheckEvery: 2 }), { jobs: 2, runners: watched(log) });
    expect(result.records.filter((r) => r.second !== undefined).map((r) => r.seed)).toEqual([11, 13, 15]);
    for (const seed of [11, 13, 15]) {
      const runs = log.filter((l) => l.seed === seed);
      expect(runs.map((l) => l.attempt)).toEqual([1, 2]);
      expect(runs[0]!.runner).not.toBe(runs[1]!.runner);
    }
    expect(result.records.every((r) => r.status === 'pass' || r.status === 'fail')).toBe(true);
    expect(result.records.every((r) => r.second === undefined || r.second.digest === r.first.digest)).toBe(true);
  }, 120_000);

  it('planted nondeterminism (a re-run 1 µs longer) makes a rechecked seed "nondeterministic"', async () => {
    const result = await runSweep(plan({ seeds: [1, 2, 3], recheckEvery: 3, hooks: { nondeterministicRecheck: true } }),
      { jobs: 2, runners: inlineRunners });
    expect(result.records.map((r) => r.status)).toEqual(['nondeterministic', expectedFailing.includes(2) ? 'fail' : 'pass',
      expectedFailing.includes(3) ? 'fail' : 'pass']);
    expect(result.records[0]!.second!.digest).not.toBe(result.records[0]!.first.digest);
  }, 120_000);

  it('a seed whose run throws is an error, not a pass; the other seeds still run', async () => {
    const result = await runSweep(plan({ seeds: [1, 2], hooks: { throwOnSeed: 2 } }), { jobs: 1, runners: inlineRunners });
    expect(result.records[1]).toMatchObject({ seed: 2, status: 'error' });
    expect(result.records[1]!.first).toMatchObject({ errorKind: 'internal', error: expect.stringMatching(/planted failure of seed 2/) });
    expect(result.records[0]!.status).not.toBe('error');
  }, 60_000);

  it('a shard runs only its share', async () => {
    const result = await runSweep(plan({ seeds: [1, 2, 3, 4, 5], shard: { index: 1, count: 2 } }), { jobs: 2, runners: inlineRunners });
    expect(result.records.map((r) => r.seed)).toEqual([2, 4]);
  }, 60_000);

  it('--keep records each failing seed again, on another runner, and the two runs must agree', async () => {
    const keepDir = tempDir('tv-sweep-keep-');
    const log: { seed: number; attempt: number; runner: number }[] = [];
    const result = await runSweep(plan({ keepDir }), { jobs: 2, runners: watched(log) });
    for (const r of result.records) {
      const dir = join(keepDir, `seed-${r.seed}`);
      expect(existsSync(dir), `seed ${r.seed}`).toBe(r.status === 'fail');
      if (r.status !== 'fail') continue;
      expect(r.keptDir).toBe(dir);
      // the kept trace holds the rows the check saw
      expect(tablesDigest(openCheckedTrace(dir, 'verify'))).toBe(r.first.digest);
      const runs = log.filter((l) => l.seed === r.seed);
      expect(runs[0]!.runner).not.toBe(runs[1]!.runner);
    }
  }, 120_000);
});
