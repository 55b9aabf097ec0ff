// The SQL helpers, each checked on values worked out by hand.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { DROP_REASONS, installMacros } from '../../src/query/index.js';
import { packageRoot } from '../../src/util/package-root.js';
import { tempDir } from '../trace/helpers.js';
import { memoryConnection } from './duckdb.js';

let db: DuckDBConnection;
beforeAll(async () => {
  db = await memoryConnection();
  await db.run("CREATE TYPE dlt_level AS ENUM ('fatal', 'error', 'warn', 'info', 'debug', 'verbose')");
  await installMacros(db);
});

/** The values of one SQL expression per row of a VALUES list, as DuckDB's text. */
async function values(expression: string, inputs: string[]): Promise<(string | null)[]> {
  const sql = `SELECT (${expression})::VARCHAR FROM (VALUES ${inputs.map((v) => `(${v})`).join(', ')}) t(x)`;
  return (await db.runAndReadAll(sql)).getRows().map((r) => r[0] as string | null);
}

describe('time helpers', () => {
  it('ns_to_s and ns_to_ms divide exactly: 1.5 s, −0.25 s, 2.5 ms', async () => {
    expect(await values('ns_to_s(x)', ['1500000000', '-250000000', 'NULL'])).toEqual(['1.5', '-0.25', null]);
    expect(await values('ns_to_ms(x)', ['2500000', '1'])).toEqual(['2.5', '1e-06']);
    const type = await db.runAndReadAll('SELECT typeof(ns_to_s(1::BIGINT))');
    expect(type.getRows()[0]![0]).toBe('DOUBLE');
  });

  it('ns_to_ts: 1 700 000 000 s after the epoch is 2023-11-14 22:13:20 UTC (19675 days + 80000 s), ns kept', async () => {
    expect(await values('ns_to_ts(x)', ['1700000000123456789', '0'])).toEqual([
      '2023-11-14 22:13:20.123456789',
      '1970-01-01 00:00:00',
    ]);
  });

  it('time_bucket_ns floors to the bucket start, negative times included', async () => {
    const buckets = await values('time_bucket_ns(x, 1000)', ['2500', '999', '1000', '0', '-1', '-1000', '-1001']);
    expect(buckets).toEqual(['2000', '0', '1000', '0', '-1000', '-1000', '-2000']);
    expect(await values('time_bucket_ns(x, 1000000000)', ['2500000000'])).toEqual(['2000000000']);
  });

  it('nice_bin_ns rounds span/bins up to 1, 2 or 5 × 10^k: 600 s in 1000 bins is 1 s, 10 s is 10 ms', async () => {
    const widths = await values('nice_bin_ns(x, 1000)', [
      '600000000000', // 6e8 → 1e9
      '10000000000', // 1e7 exactly
      '2000000000', // 2e6 exactly
      '1000001', // 1000.001 → 2000
      '3000000', // 3000 → 5000
      '999', // below 1 per bin → 1
      '0', // empty span → 1
    ]);
    expect(widths).toEqual(['1000000000', '10000000', '2000000', '2000', '5000', '1', '1']);
    expect(await values('nice_bin_ns(x, 10)', ['7000'])).toEqual(['1000']); // 700 → 1000
  });

  it('format_ns picks the unit: below 1000 in ns, then µs, ms, s with three decimals', async () => {
    const texts = await values('format_ns(x)', ['17', '999', '1000', '2500', '-2500', '1234567', '1500000000', 'NULL']);
    expect(texts).toEqual(['17 ns', '999 ns', '1.000 µs', '2.500 µs', '-2.500 µs', '1.235 ms', '1.500 s', null]);
  });
});

describe('names for codes', () => {
  it('fault_name follows FAULT_CODES in src/core/codes.ts; unknown codes are NULL', async () => {
    expect(await values('fault_name(x)', ['0', '2', '3', '14', '15', '-1'])).toEqual([
      'none', 'desc_chain_loop', 'addr_unmapped', 'chain_too_long', null, null,
    ]);
  });

  it('fault_type_name follows FAULT_TYPES in src/core/codes.ts; unknown codes are NULL', async () => {
    expect(await values('fault_type_name(x)', ['1', '6', '9', '10', '-1'])).toEqual(['link_loss', 'clock_step', 'bus_cut', null, null]);
  });

  it('drop_reason follows the DROP_* constants of assembly/bus/switch.ts', async () => {
    expect(await values('drop_reason(x)', ['1', '2', '3', '4', '5'])).toEqual(['unknown_mac', 'no_slot', 'queue_full', 'fcs_error', null]);
    const source = readFileSync(join(packageRoot(), 'assembly', 'bus', 'switch.ts'), 'utf8');
    const core = Array.from(source.matchAll(/export const DROP_([A-Z_]+): i32 = (\d+);/g), (m) => [Number(m[2]), m[1]!.toLowerCase()]);
    expect(core.length).toBeGreaterThan(0);
    for (const [code, name] of core) expect(DROP_REASONS[code as number]).toBe(name);
    expect(DROP_REASONS.length).toBe(core.length + 1); // + 'none' at 0
  });

  it('level_num is DLT\'s numbering: fatal 1 … verbose 6, on the ENUM and on text', async () => {
    const levels = ["'fatal'::dlt_level", "'error'::dlt_level", "'warn'::dlt_level", "'info'::dlt_level", "'debug'::dlt_level", "'verbose'::dlt_level", 'NULL'];
    expect(await values('level_num(x)', levels)).toEqual(['1', '2', '3', '4', '5', '6', null]);
    expect(await values('level_num(x)', ["'warn'"])).toEqual(['3']);
  });
});

describe('installation', () => {
  it('TEMP macros install on a read-only database (the query store opens read-only)', async () => {
    const path = join(tempDir('tv-macros-'), 'store.duckdb');
    const writer = await DuckDBInstance.create(path);
    (await writer.connect()).closeSync();
    writer.closeSync();
    const reader = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
    const connection = await reader.connect();
    try {
      await installMacros(connection);
      expect((await connection.runAndReadAll('SELECT fault_name(1)')).getRows()).toEqual([['desc_index_out_of_range']]);
    } finally {
      connection.closeSync();
      reader.closeSync();
    }
  });
});
