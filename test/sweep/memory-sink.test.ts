// A sweep keeps a run's tables in memory instead of on disk: they must be the rows `record`
// writes for the same seed (same digest although the batches are cut elsewhere), and the check
// must see exactly the tables, types and helpers a `tracevisor query` session sees.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordScenario } from '../../src/platform/record.js';
import { Platform } from '../../src/platform/platform.js';
import { QuerySession } from '../../src/query/session.js';
import { openCheckedTrace } from '../../src/trace/open.js';
import { loadScenario } from '../../src/scenario/load.js';
import { TABLE_NAMES } from '../../src/trace/schema.js';
import { CheckSession, EMPTY } from '../../src/sweep/check-session.js';
import { tablesDigest } from '../../src/sweep/digest.js';
import { MemorySink } from '../../src/sweep/memory-sink.js';
import { tempDir } from '../trace/helpers.js';

const DURATION_NS = 300_000_000;
let dir: string;
let recorded: MemorySink;

beforeAll(async () => {
  dir = join(tempDir('tv-sweep-mem-'), 'seed-5');
  recorded = new MemorySink();
  await recordScenario(loadScenario('cockpit', { seed: 5, durationNs: DURATION_NS }), dir, { tee: recorded });
  recorded.finish();
}, 60_000);

async function memoryRun(seed: number): Promise<MemorySink> {
  const sink = new MemorySink();
  (await Platform.create(loadScenario('cockpit', { seed, durationNs: DURATION_NS }), sink)).run();
  sink.finish();
  return sink;
}

describe('MemorySink', () => {
  it('holds the rows record writes: same counts as the manifest, same digest as the files', async () => {
    const memory = await memoryRun(5);
    const trace = openCheckedTrace(dir, 'verify');
    for (const table of TABLE_NAMES) expect(memory.rows(table), table).toBe(trace.trace.manifest.tables[table]!.rows);
    expect(memory.rows('dlt')).toBeGreaterThan(0);
    expect(memory.digest()).toBe(tablesDigest(trace));
    expect(recorded.digest()).toBe(memory.digest());
  });

  it('the digest tells seeds apart', async () => {
    expect((await memoryRun(6)).digest()).not.toBe(recorded.digest());
  });
});

describe('CheckSession', () => {
  const CATALOG = `SELECT 'table' AS what, table_name AS name, column_name || ' ' || data_type AS detail
      FROM information_schema.columns WHERE table_catalog IN (current_database(), 'temp')
    UNION ALL SELECT 'type', type_name, logical_type FROM duckdb_types() WHERE NOT internal AND database_name = current_database()
    UNION ALL SELECT 'macro', function_name, function_type FROM duckdb_functions() WHERE NOT internal AND function_type LIKE '%macro%'
    ORDER BY ALL`;

  it('sees the tables, types and SQL helpers a query session on the recorded trace sees', async () => {
    const query = await QuerySession.open(dir);
    const check = await CheckSession.open(recorded, loadScenario('cockpit', { seed: 5, durationNs: DURATION_NS }));
    try {
      // store_meta is the store file's own bookkeeping (store.ts), not something a query reads;
      // a store session's events is a TEMP view over the store's Parquet file (catalog 'temp')
      const expected = (await query.run(CATALOG)).rows.filter((r) => r[1] !== 'store_meta');
      const got = (await check.connection.runAndReadAll(CATALOG)).getRowsJS();
      expect(expected.filter((r) => r[0] === 'macro').length).toBeGreaterThan(5);
      expect(got).toEqual(expected);
      // and the same answers, e.g. per kind and the vq_latency summary
      for (const sql of ['SELECT kind, count(*) FROM events GROUP BY ALL ORDER BY ALL', 'SELECT * FROM vq_latency ORDER BY ALL',
        'SELECT level_num(level), count(*) FROM dlt GROUP BY ALL ORDER BY ALL', 'SELECT * FROM vms JOIN devices USING (vm) ORDER BY ALL']) {
        expect((await check.connection.runAndReadAll(sql)).getRowsJS(), sql).toEqual((await query.run(sql)).rows);
      }
    } finally {
      query.close();
      check.close();
    }
  });

  it('counts the rows of the last statement', async () => {
    const check = await CheckSession.open(recorded, loadScenario('cockpit', { seed: 5, durationNs: DURATION_NS }));
    try {
      const vms = loadScenario('cockpit').vms.length;
      expect(await check.countRows('SELECT * FROM vms')).toBe(vms);
      expect(await check.countRows("SELECT * FROM events WHERE kind = 'none'")).toBe(0);
      expect(await check.countRows('CREATE TEMP VIEW v AS SELECT * FROM vms; SELECT * FROM v LIMIT 1')).toBe(1);
      // more rows than one DuckDB chunk (2048)
      expect(await check.countRows('SELECT * FROM events')).toBe(recorded.rows('events'));
      expect(recorded.rows('events')).toBeGreaterThan(2048);
    } finally {
      check.close();
    }
  });

  it.each([
    ['SELEC 1', /SQL error: Parser Error/],
    ["SELECT * FROM dlt WHERE level = 'warning'", /'warning' is not a dlt_level value/],
    ['SELECT * FROM nowhere', /SQL error: Catalog Error/],
    ["SELECT * FROM read_csv('/etc/passwd')", /SQL error: .*disabled/],
    ['CALL enable_logging()', /enable_logging is not available/],
    ['-- only a comment', /no SQL statement/],
  ])('refuses %s on an empty session, in one line', async (sql, why) => {
    const check = await CheckSession.open(EMPTY, loadScenario('cockpit'));
    try {
      const error = await check.validate(sql).then(() => null, (e: unknown) => e as Error);
      expect(error?.name).toBe('QueryError');
      expect(error?.message).toMatch(why);
      expect(error?.message).not.toContain('\n');
    } finally {
      check.close();
    }
  });
});
