// `tracevisor sweep` as a user runs it (issue 9 §6): worker threads, the printed verdict and
// reproduce command (run back through a shell), summaries, shards, exit statuses, one-line
// errors. The planted failure is a check on the event count, which depends on the seed: the
// failing seeds expected are worked out from direct runs of each seed, not from the sweep.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { Platform } from '../../src/platform/platform.js';
import { CountingSink } from '../../src/platform/sink.js';
import { builtinScenarioText, loadScenario } from '../../src/scenario/load.js';
import { tablesDigest } from '../../src/sweep/digest.js';
import { openCheckedTrace } from '../../src/trace/open.js';
import { CLI, requireCli, type Run } from '../executable.js';
import { tempDir } from '../trace/helpers.js';

const SEEDS = [1, 2, 3, 4, 5, 6];
const DURATION = '200ms';
let check = '';
let expectedFailing: number[] = [];

beforeAll(async () => {
  requireCli();
  const events = new Map<number, number>();
  for (const seed of SEEDS) {
    const sink = new CountingSink();
    (await Platform.create(loadScenario('cockpit', { seed, durationNs: 200_000_000 }), sink)).run();
    events.set(seed, sink.eventRows);
  }
  const threshold = [...events.values()].sort((a, b) => a - b)[SEEDS.length / 2]!;
  expectedFailing = SEEDS.filter((s) => events.get(s)! > threshold);
  check = `SELECT count(*) AS n FROM events HAVING count(*) > ${threshold}`;
}, 60_000);

function sweep(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Run {
  const r = spawnSync(process.execPath, [CLI, 'sweep', ...args], {
    encoding: 'utf8', timeout: 180_000, cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A summary CSV as rows keyed by column, wall_ms left out (the one column that may differ). */
function summaryRows(path: string): Record<string, string>[] {
  const [header, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
  const names = header!.split(',');
  return lines.map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(names.map((n, i) => [n, cells[i]!]).filter(([n]) => n !== 'wall_ms'));
  });
}

describe('tracevisor sweep', () => {
  it('finds the planted failing seeds, exits 4, and its reproduce command gives a trace where the check returns rows', () => {
    const cwd = tempDir('tv-sweep-cli-');
    const r = sweep(['cockpit', '--seeds', '1-6', '--duration', DURATION, '--check', check, '--jobs', '2', '-o', 'sum'], { cwd });
    expect(r.stderr).toMatch(/^sweep: 6\/6 seeds, \d+ failing, [\d.]+ seeds\/s$/m);
    expect(r.code).toBe(4);
    const listed = /failing seeds \(the check returned rows\): (.*)$/m.exec(r.stdout)![1]!;
    expect(listed.split(', ').map((s) => Number(s.split(' ')[0]))).toEqual(expectedFailing);
    const first = expectedFailing[0]!;
    const reproduce = new RegExp(`^reproduce seed ${first}: (tracevisor record cockpit --seed ${first} --duration 200ms -o traces/seed-${first})$`, 'm').exec(r.stdout);
    expect(reproduce, r.stdout).not.toBeNull();
    const seeRows = /^then see the rows: (tracevisor query .*)$/m.exec(r.stdout)![1]!;
    const shell = (line: string): Run => {
      const s = spawnSync('sh', ['-c', line.replace(/^tracevisor /, `"${process.execPath}" "${CLI}" `)], { cwd, encoding: 'utf8' });
      return { code: s.status ?? -1, stdout: s.stdout, stderr: s.stderr };
    };
    expect(shell(reproduce![1]!).code).toBe(0);
    const rows = shell(seeRows.replace(/^(tracevisor query \S+)/, '$1 --format csv'));
    expect(rows.code, rows.stderr).toBe(0);
    expect(rows.stdout.trim().split('\n')).toHaveLength(2); // header + the one row
    const summary = summaryRows(join(cwd, 'sum.csv'));
    expect(summary.map((s) => Number(s.seed))).toEqual(SEEDS);
    expect(summary.filter((s) => s.status === 'fail').map((s) => Number(s.seed))).toEqual(expectedFailing);
    // the reproduced trace holds exactly the rows the sweep checked
    const digest = tablesDigest(openCheckedTrace(join(cwd, 'traces', `seed-${first}`), 'verify'));
    expect(summary.find((s) => Number(s.seed) === first)!.digest).toBe(digest);
  }, 180_000);

  it('a scenario file: the worker runs the file\'s scenario, and the reproduce command names the file', () => {
    const cwd = tempDir('tv-sweep-file-');
    const scenario = JSON.parse(builtinScenarioText('cockpit')) as { name: string; durationNs: number };
    writeFileSync(join(cwd, 'my cockpit.json'), JSON.stringify({ ...scenario, name: 'mine', durationNs: 100_000_000 }));
    const r = sweep(['my cockpit.json', '--seeds', '4', '--check', 'SELECT * FROM vms', '--summary', 's.csv', '-q'], { cwd });
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/^swept my cockpit\.json: 1 seed of 100ms virtual time/);
    const line = /^reproduce seed 4: (.*)$/m.exec(r.stdout)![1]!;
    expect(line).toBe('tracevisor record "my cockpit.json" --seed 4 --duration 100ms -o traces/seed-4');
    const record = spawnSync('sh', ['-c', line.replace(/^tracevisor /, `"${process.execPath}" "${CLI}" `)], { cwd, encoding: 'utf8' });
    expect(record.status, record.stderr).toBe(0);
    const dir = join(cwd, 'traces', 'seed-4');
    expect(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).scenario.name).toBe('mine');
    expect(summaryRows(join(cwd, 's.csv'))[0]!.digest).toBe(tablesDigest(openCheckedTrace(dir, 'verify')));
    expect(Number(summaryRows(join(cwd, 's.csv'))[0]!.check_rows)).toBe(loadScenario('cockpit').vms.length);
  }, 120_000);

  it('--jobs 1 and --jobs 2 give the same summary (but wall time); CSV and Parquet hold the same rows', async () => {
    const cwd = tempDir('tv-sweep-jobs-');
    const one = sweep(['cockpit', '--seeds', '1-6', '--duration', DURATION, '--check', check, '--jobs', '1', '-o', 'one', '-q'], { cwd });
    const two = sweep(['cockpit', '--seeds', '1-6', '--duration', DURATION, '--check', check, '--jobs', '2', '--summary', 'two.csv', '-q'], { cwd });
    expect([one.code, two.code]).toEqual([4, 4]);
    expect(one.stderr + two.stderr).toBe(''); // --quiet: no progress line
    expect(one.stdout).toMatch(/with 1 worker /);
    expect(two.stdout).toMatch(/with 2 workers /);
    expect(summaryRows(join(cwd, 'two.csv'))).toEqual(summaryRows(join(cwd, 'one.csv')));
    const db = await DuckDBInstance.create(':memory:');
    try {
      const c = await db.connect();
      const sql = (file: string) => `SELECT * EXCLUDE (wall_ms) FROM read_${file.endsWith('.csv') ? 'csv' : 'parquet'}('${join(cwd, file)}') ORDER BY seed`;
      const parquet = (await c.runAndReadAll(sql('one.parquet'))).getRowsJS();
      expect(parquet).toEqual((await c.runAndReadAll(sql('one.csv'))).getRowsJS());
      expect(parquet).toHaveLength(6);
    } finally {
      db.closeSync();
    }
  }, 180_000);

  it('shards 0/3, 1/3 and 2/3 cover the range exactly once, and their rows are the whole sweep\'s', () => {
    const cwd = tempDir('tv-sweep-shards-');
    const whole = sweep(['cockpit', '--seeds', '1-6', '--duration', DURATION, '--check', check, '--summary', 'all.csv', '-q'], { cwd });
    expect(whole.code).toBe(4);
    const shards = [0, 1, 2].map((i) => {
      const r = sweep(['cockpit', '--seeds', '1-6', '--duration', DURATION, '--check', check, '--shard', `${i}/3`, '--summary', `s${i}.csv`, '-q'], { cwd });
      expect(r.stdout).toContain(`(shard ${i}/3)`);
      return summaryRows(join(cwd, `s${i}.csv`));
    });
    expect(shards.map((rows) => rows.map((r) => Number(r.seed)))).toEqual([[1, 4], [2, 5], [3, 6]]);
    const joined = shards.flat().sort((a, b) => Number(a.seed) - Number(b.seed));
    expect(joined).toEqual(summaryRows(join(cwd, 'all.csv')));
  }, 240_000);

  it('no failing seed: exit 0 (a named query as the check)', () => {
    const r = sweep(['cockpit', '--seeds', '3,9', '--duration', '100ms', '--check', 'sched/deadline_misses', '-q']);
    expect(r.stdout).toMatch(/2 seeds of 100ms virtual time .*check: sched\/deadline_misses\n  2 pass, 0 fail, 0 errors\n$/);
    expect(r.code).toBe(0);
  }, 60_000);

  it('--recheck with planted nondeterminism: loud internal error, exit 1', () => {
    const cwd = tempDir('tv-sweep-nd-');
    const r = sweep(['cockpit', '--seeds', '1-4', '--duration', '100ms', '--check', check, '--recheck', '2', '--summary', 's.csv', '-q'],
      { cwd, env: { TRACEVISOR_TEST_SWEEP_NONDETERMINISM: '1' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^tracevisor: internal error: tracevisor is nondeterministic: seed 1 ran twice \(--recheck\) and two runs differ: digest [0-9a-f]{16} vs [0-9a-f]{16}/m);
    expect(r.stderr).toMatch(/seed 3 ran twice/);
    expect(summaryRows(join(cwd, 's.csv')).map((s) => [s.seed, s.status, s.rechecked])).toEqual([
      ['1', 'nondeterministic', 'true'], ['2', expect.stringMatching(/pass|fail/), 'false'],
      ['3', 'nondeterministic', 'true'], ['4', expect.stringMatching(/pass|fail/), 'false'],
    ]);
    // the same sweep without the planted defect: the re-runs agree
    const clean = sweep(['cockpit', '--seeds', '1-4', '--duration', '100ms', '--check', 'sched/deadline_misses', '--recheck', '2', '-q']);
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stdout).toContain('2 run twice (identical)');
  }, 120_000);

  it('a seed whose run throws is reported as an error, not a pass: exit 1', () => {
    const r = sweep(['cockpit', '--seeds', '1-3', '--duration', '100ms', '--check', 'sched/deadline_misses', '-q'],
      { env: { TRACEVISOR_TEST_SWEEP_THROW_SEED: '2' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('tracevisor: seed 2: internal error: planted failure of seed 2 (test hook)\n');
    expect(r.stdout).toContain('2 pass, 0 fail, 1 error');
  }, 60_000);

  it('a worker thread that dies takes only its seed with it: an error, a new thread for the rest, exit 1', () => {
    const r = sweep(['cockpit', '--seeds', '1-4', '--duration', '100ms', '--check', 'sched/deadline_misses', '--jobs', '1', '--summary', 's.csv', '-q'],
      { cwd: tempDir('tv-sweep-crash-'), env: { TRACEVISOR_TEST_SWEEP_CRASH_SEED: '2' } });
    expect(r.stderr).toBe('tracevisor: seed 2: internal error: worker thread died: exit code 70\n');
    expect(r.stdout).toContain('3 pass, 0 fail, 1 error');
    expect(r.code).toBe(1);
  }, 60_000);

  it.each([
    [['--seeds', 'x'], /^tracevisor: --seeds "x": "x" is not a seed or a range a-b/],
    [['--seeds', '9-1'], /^tracevisor: --seeds "9-1": range 9-1 ends before it starts/],
    [['--shard', '3/3'], /^tracevisor: --shard "3\/3": expected i\/N/],
    [['--shard', 'x'], /^tracevisor: --shard "x": expected i\/N/],
    [['--jobs', '0'], /^tracevisor: --jobs: expected a whole number from 1 to 256, got "0"/],
    [['--jobs', 'two'], /^tracevisor: --jobs: expected a whole number/],
    [['--recheck', '0'], /^tracevisor: --recheck: expected a whole number/],
    [['--check', 'sched/nothing'], /^tracevisor: --check: unknown named query "sched\/nothing"; known: .*sched\/deadline_misses/],
    [['--check', 'SELEC * FROM events'], /^tracevisor: --check: SQL error: Parser Error/],
    [['--check', 'SELECT * FROM nowhere'], /^tracevisor: --check: SQL error: Catalog Error/],
    [['--check', "SELECT * FROM events WHERE kind = 'deadline'"], /^tracevisor: --check: .*'deadline' is not an? event_kind value/],
    [['--summary', 'out.txt'], /^tracevisor: --summary out.txt: name a .csv or .parquet file/],
    [['--keep-all'], /^tracevisor: --keep-all needs --keep <dir>/],
    [['--duration', '0s'], /^tracevisor: --duration: must be > 0/],
  ])('%j is one line, exit 2, before any seed runs', (bad, why) => {
    const args = ['cockpit', '--seeds', '1-2', '--check', 'sched/deadline_misses', '--duration', '100ms'];
    for (let i = 0; i < bad.length; i += 2) {
      const at = args.indexOf(bad[i]!);
      if (at >= 0 && bad[i + 1] !== undefined && !bad[i + 1]!.startsWith('--')) args.splice(at, 2);
    }
    const r = sweep([...args, ...bad]);
    expect(r.stderr).toMatch(why);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  }, 60_000);

  it('an unknown scenario and missing --seeds are one-line errors too', () => {
    const unknown = sweep(['nope', '--seeds', '1', '--check', 'sched/deadline_misses']);
    expect([unknown.code, unknown.stderr.trim().split('\n').length]).toEqual([2, 1]);
    expect(unknown.stderr).toMatch(/^tracevisor: .*nope/);
    const missing = sweep(['cockpit', '--check', 'sched/deadline_misses']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^tracevisor: required option '--seeds <list>' not specified/);
  });
});
