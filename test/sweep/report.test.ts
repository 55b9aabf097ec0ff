// What a finished sweep prints and the status it exits with (issue 9 §6), on hand-made records.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { SeedOutcome } from '../../src/sweep/job.js';
import { EXIT_SEED_FAILED, reproduceCommand, shellWord, sweepReport } from '../../src/sweep/report.js';
import type { SeedRecord, SweepResult } from '../../src/sweep/sweep.js';

function outcome(seed: number, extra: Partial<SeedOutcome> = {}): SeedOutcome {
  return {
    seed, attempt: 1, status: 'pass', events: 10, dltRows: 1, clockRows: 1, inputRows: 0, wallMs: 5, checkRows: 0,
    digest: 'ab'.repeat(32), ...extra,
  };
}

function result(records: SeedRecord[]): SweepResult {
  return { records, jobs: 2, elapsedMs: 1000 };
}

const context = { scenarioArg: 'my scenario.json', durationNs: 1_500_000_000, checkName: null, checkSql: "SELECT 1 WHERE 'a' = 'a'", shardText: null };

describe('sweepReport', () => {
  it('no failing seed: exit 0; failing seeds: exit 4, listed with the command that reproduces the first', () => {
    expect(sweepReport(result([{ seed: 1, status: 'pass', first: outcome(1) }]), context).exitCode).toBe(0);
    const failing = sweepReport(result([
      { seed: 1, status: 'pass', first: outcome(1) },
      { seed: 7, status: 'fail', first: outcome(7, { status: 'fail', checkRows: 3 }) },
      { seed: 9, status: 'fail', first: outcome(9, { status: 'fail', checkRows: 1 }) },
    ]), context);
    expect(failing.exitCode).toBe(EXIT_SEED_FAILED);
    expect(failing.stdout).toContain('failing seeds (the check returned rows): 7 (3 rows), 9 (1 row)\n');
    expect(failing.stdout).toContain('reproduce seed 7: tracevisor record "my scenario.json" --seed 7 --duration 1500ms -o traces/seed-7\n');
    expect(failing.stdout).toContain(`then see the rows: tracevisor query traces/seed-7 -- "SELECT 1 WHERE 'a' = 'a'"\n`);
    expect(failing.stderr).toBe('');
  });

  it('an internal error or nondeterminism exits 1 (over failing seeds); a check error on a run exits 2', () => {
    const fail: SeedRecord = { seed: 2, status: 'fail', first: outcome(2, { status: 'fail', checkRows: 1 }) };
    const internal: SeedRecord = { seed: 3, status: 'error', first: outcome(3, { status: 'error', error: 'boom', errorKind: 'internal', digest: '' }) };
    const check: SeedRecord = { seed: 4, status: 'error', first: outcome(4, { status: 'error', error: 'SQL error: x', errorKind: 'check', digest: '' }) };
    const drift: SeedRecord = { seed: 5, status: 'nondeterministic', first: outcome(5), second: outcome(5, { attempt: 2, digest: 'cd'.repeat(32) }) };
    expect(sweepReport(result([fail, internal]), context).exitCode).toBe(1);
    expect(sweepReport(result([fail, check]), context).exitCode).toBe(2);
    const loud = sweepReport(result([fail, drift]), context);
    expect(loud.exitCode).toBe(1);
    expect(loud.stderr).toBe(`tracevisor: internal error: tracevisor is nondeterministic: seed 5 ran twice (--recheck) and two runs differ: digest ${'ab'.repeat(8)} vs ${'cd'.repeat(8)}, check rows 0 vs 0, events 10 vs 10; please report it\n`);
    expect(sweepReport(result([check]), context).stderr).toBe('tracevisor: seed 4: the check failed on this run: SQL error: x\n');
  });

  it('reproduceCommand spells the duration exactly', () => {
    expect(reproduceCommand({ scenarioArg: 'cockpit', durationNs: 2_000_000_001 }, 5, 'd')).toBe('tracevisor record cockpit --seed 5 --duration 2000000001ns -o d');
  });
});

describe('shellWord', () => {
  it.each(['cockpit', 'a b', "it's", 'SELECT * FROM events WHERE kind = \'fault\'', 'x"y', '$HOME', 'a\\b', '`id`', 'semi;colon', 'wow!', ''])(
    '%j reads back as itself through sh', (text) => {
      const r = spawnSync('sh', ['-c', `printf %s ${shellWord(text)}`], { encoding: 'utf8' });
      expect(r.stdout).toBe(text);
    });
});
