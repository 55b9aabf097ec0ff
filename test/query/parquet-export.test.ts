// `export parquet` and Parquet datasets (issue 12 §5), through the compiled CLI: every table as a
// zstd Parquet file sorted by time, read back by an independent reader (hyparquet) and by DuckDB;
// traces filed into a Hive-partitioned dataset and queried with `query --dataset`, whose counts
// and aggregates must equal each trace's own; bad input is one line and exit 2.

import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireCli, tv } from '../executable.js';
import { tempDir } from '../trace/helpers.js';

let root: string;
let traceA: string;
let traceB: string;

function record(dir: string, seed: string): void {
  const r = tv('record', '-o', dir, '--duration', '300ms', '--seed', seed, '--snapshot-every', '0');
  expect(r.code, r.stderr).toBe(0);
}

/** One query's rows as JSON objects (the CLI's --format json prints one array per statement). */
function rows(args: string[]): Record<string, unknown>[] {
  const r = tv('query', ...args, '--format', 'json');
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>[];
}

beforeAll(() => {
  requireCli();
  root = tempDir('tv-parquet-');
  traceA = join(root, 'a');
  traceB = join(root, 'b');
  record(traceA, '3');
  record(traceB, '4');
});

describe('export parquet -o', () => {
  it('writes every table as zstd Parquet in time order, which an independent reader reads whole', async () => {
    const out = join(root, 'pq');
    const r = tv('export', 'parquet', traceA, '-o', out);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual([
      'clock.parquet', 'devices.parquet', 'dlt.parquet', 'events.parquet', 'frames.parquet', 'inputs.parquet', 'sync.parquet', 'vms.parquet',
    ]);
    const counted = rows([traceA, 'SELECT count(*)::INTEGER AS n FROM events'])[0]!.n;
    expect(r.stdout).toContain(`events ${counted}`);

    const file = await asyncBufferFromFile(join(out, 'events.parquet'));
    const meta = await parquetMetadataAsync(file);
    expect(Number(meta.num_rows)).toBe(counted);
    const codecs = new Set(meta.row_groups.flatMap((g) => g.columns.map((c) => c.meta_data?.codec)));
    expect([...codecs]).toEqual(['ZSTD']);
    const read = (await parquetReadObjects({ file, compressors, columns: ['ts_ns', 'seq', 'kind'] })) as { ts_ns: bigint; seq: bigint; kind: string }[];
    expect(read.length).toBe(counted);
    for (let i = 1; i < read.length; i++) {
      const a = read[i - 1]!;
      const b = read[i]!;
      expect(a.ts_ns < b.ts_ns || (a.ts_ns === b.ts_ns && a.seq < b.seq), `row ${i} out of time order`).toBe(true);
    }
    // the kinds as text, the same multiset as the trace's
    const byKind = new Map<string, number>();
    for (const row of read) byKind.set(row.kind, (byKind.get(row.kind) ?? 0) + 1);
    const fromTrace = rows([traceA, 'SELECT kind::VARCHAR AS kind, count(*)::INTEGER AS n FROM events GROUP BY ALL']);
    expect(new Map(fromTrace.map((row) => [row.kind as string, row.n as number]))).toEqual(byKind);
  });

  it('exports a 60 s run\'s frames (185 MB of payloads) within the session\'s memory limit, in time order', async () => {
    // Regression: DuckDB's default row group (122,880 rows) of whole Ethernet frames, and a sort
    // of them, went past the 256 MB limit: "Out of Memory Error" from the bench's 60 s export.
    const long = join(root, 'long');
    expect(tv('record', '-o', long, '--duration', '60s', '--snapshot-every', '0').code).toBe(0);
    const out = join(root, 'long-pq');
    const r = tv('export', 'parquet', long, '-o', out);
    expect(r.code, r.stderr).toBe(0);
    const frames = rows([long, 'SELECT count(*)::INTEGER AS n, sum(len)::BIGINT AS bytes FROM frames'])[0]!;
    expect(Number(frames.bytes)).toBeGreaterThan(150e6);
    const file = await asyncBufferFromFile(join(out, 'frames.parquet'));
    const meta = await parquetMetadataAsync(file);
    expect(Number(meta.num_rows)).toBe(frames.n);
    // row groups of ~16 k rows (DuckDB rounds to its vectors): a few tens of MB each, not 120 MB
    expect(meta.row_groups.length).toBeGreaterThan(5);
    for (const g of meta.row_groups) expect(Number(g.total_byte_size)).toBeLessThan(40e6);
    const read = (await parquetReadObjects({ file, compressors, columns: ['ts_ns', 'seq'] })) as { ts_ns: bigint; seq: bigint }[];
    for (let i = 1; i < read.length; i++) {
      const a = read[i - 1]!;
      const b = read[i]!;
      expect(a.ts_ns < b.ts_ns || (a.ts_ns === b.ts_ns && a.seq < b.seq), `frames row ${i}`).toBe(true);
    }
  }, 180_000);

  it('writes the same bytes for the same trace (a dataset can be rebuilt and compared)', () => {
    const one = join(root, 'det1');
    const two = join(root, 'det2');
    expect(tv('export', 'parquet', traceA, '-o', one).code).toBe(0);
    expect(tv('export', 'parquet', traceA, '-o', two).code).toBe(0);
    for (const name of readdirSync(one)) expect(readFileSync(join(two, name)).equals(readFileSync(join(one, name))), name).toBe(true);
  });

  it('refuses to replace files without --force, and replaces them with it', () => {
    const out = join(root, 'again');
    expect(tv('export', 'parquet', traceA, '-o', out).code).toBe(0);
    const again = tv('export', 'parquet', traceA, '-o', out);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^tracevisor: .*events\.parquet exists; use --force/);
    expect(tv('export', 'parquet', traceA, '-o', out, '--force').code).toBe(0);
  });

  it('needs -o or --dataset', () => {
    const r = tv('export', 'parquet', traceA);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('tracevisor: export parquet: give -o <dir>, --dataset <root>, or both\n');
  });

  it('refuses a damaged trace before writing anything (verified reads, as query does)', () => {
    const damaged = join(root, 'damaged');
    record(damaged, '5');
    const events = join(damaged, 'events.arrow');
    const bytes = readFileSync(events);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(events, bytes);
    const out = join(root, 'from-damaged');
    const r = tv('export', 'parquet', damaged, '-o', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tracevisor: .*events/);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(existsSync(join(out, 'events.parquet'))).toBe(false);
  });
});

describe('export parquet --dataset and query --dataset', () => {
  let dataset: string;
  beforeAll(() => {
    dataset = join(root, 'dataset');
    for (const trace of [traceA, traceB]) {
      const r = tv('export', 'parquet', trace, '--dataset', dataset);
      expect(r.code, r.stderr).toBe(0);
    }
  });

  it('files each table under <table>/scenario=<name>/seed=<n>/', () => {
    for (const seed of ['3', '4']) expect(existsSync(join(dataset, 'events', 'scenario=cockpit', `seed=${seed}`, 'data.parquet'))).toBe(true);
  });

  it('answers with the partition columns; counts and aggregates equal each trace\'s own', () => {
    const sql = 'SELECT count(*)::INTEGER AS n, sum(len)::BIGINT AS bytes, max(ts_ns) AS last_ns FROM events';
    const perSeed = rows(['--dataset', dataset, `${sql.replace('FROM events', ', seed FROM events')} GROUP BY seed ORDER BY seed`]);
    expect(perSeed.map((r) => r.seed)).toEqual([3, 4]);
    for (const [i, trace] of [traceA, traceB].entries()) {
      const own = rows([trace, sql])[0]!;
      expect({ n: perSeed[i]!.n, bytes: perSeed[i]!.bytes, last_ns: perSeed[i]!.last_ns }).toEqual(own);
    }
    const dlt = rows(['--dataset', dataset, "SELECT count(*)::INTEGER AS n FROM dlt WHERE level <= 'warn'::dlt_level"])[0]!.n;
    const own = [traceA, traceB].map((t) => rows([t, "SELECT count(*)::INTEGER AS n FROM dlt WHERE level <= 'warn'::dlt_level"])[0]!.n as number);
    expect(dlt).toBe(own[0]! + own[1]!);
  });

  it('gives ENUM columns their types back (kind compares in kind order, not as text)', () => {
    const typed = rows(['--dataset', dataset, "SELECT DISTINCT typeof(kind) LIKE 'ENUM%' AS is_enum, typeof(scenario) AS s FROM events"]);
    expect(typed).toEqual([{ is_enum: true, s: 'VARCHAR' }]);
  });

  it('refuses the same scenario and seed twice without --force', () => {
    const again = tv('export', 'parquet', traceA, '--dataset', dataset);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(`tracevisor: ${dataset} already holds scenario "cockpit" seed 3; use --force to replace it\n`);
    expect(tv('export', 'parquet', traceA, '--dataset', dataset, '--force').code).toBe(0);
    expect(rows(['--dataset', dataset, 'SELECT count(DISTINCT seed)::INTEGER AS n FROM events'])[0]!.n).toBe(2);
  });

  it('reads nothing outside the dataset and writes nothing', () => {
    const outside = tv('query', '--dataset', dataset, "SELECT * FROM read_csv('/etc/passwd')");
    expect(outside.code).toBe(2);
    expect(outside.stderr).toMatch(/file system operations are disabled/);
    const copy = tv('query', '--dataset', dataset, `COPY events TO '${join(dataset, 'x.csv')}'`);
    expect(copy.code).toBe(2);
    expect(copy.stderr).toMatch(/COPY is refused/);
    expect(existsSync(join(dataset, 'x.csv'))).toBe(false);
  });

  it('says what is wrong with a missing or empty dataset', () => {
    const missing = tv('query', '--dataset', join(root, 'nope'), 'SELECT 1');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^tracevisor: .*nope: no such dataset directory/);
    const empty = tv('query', '--dataset', traceA, 'SELECT 1');
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/not a tracevisor dataset/);
    const both = tv('query', traceA, 'SELECT 1', '--dataset', traceA);
    expect(both.code).toBe(2);
  });
});
