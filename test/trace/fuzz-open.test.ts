// Randomised damage (seeded: a failure names its case, which reproduces it): random byte flips
// and cuts in each table file of a tiny trace. Whatever the bytes, openCheckedTrace either
// throws a one-line TraceError or yields batches whose rows equal its report, and loading what
// the reader yields into DuckDB (query/load.ts, used read-only here) never takes the process
// down — before validation, one such byte in dlt.arrow was a SIGSEGV.
import { readFileSync, writeFileSync } from 'node:fs';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueryError } from '../../src/query/errors.js';
import { createTraceTables, loadTable } from '../../src/query/load.js';
import { openCheckedTrace, Trace, TraceError, TABLE_NAMES, type ReadMode, type TableName } from '../../src/trace/index.js';
import { rng } from '../bytes.js';
import { copyTrace, smallTrace, tablePath } from './damage-helpers.js';

const SEED = 20261201;
// TV_FUZZ_CASES=5000 for a deeper local run; 100 per table keeps the suite's share to seconds.
const CASES_PER_TABLE = Number(process.env.TV_FUZZ_CASES ?? 100);
const ROWS: Record<TableName, number> = { events: 23, dlt: 12, clock: 6, inputs: 1 };

let instance: DuckDBInstance;
let connection: DuckDBConnection;
beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
  await createTraceTables(connection);
});
afterAll(() => {
  connection.closeSync();
  instance.closeSync();
});

interface Mutation {
  flips: Array<[number, number]>; // [byte, xor mask ≠ 0]
  cut: number | null;
}

function mutation(random: () => number, size: number): Mutation {
  const flips: Array<[number, number]> = [];
  const count = Math.floor(random() * 4);
  for (let i = 0; i < count; i++) flips.push([Math.floor(random() * size), 1 + Math.floor(random() * 255)]);
  const cut = flips.length === 0 || random() < 0.3 ? Math.floor(random() * size) : null;
  return { flips, cut };
}

function apply(original: Buffer, m: Mutation): Buffer {
  const bytes = Buffer.from(original);
  for (const [at, mask] of m.flips) bytes[at]! ^= mask;
  return m.cut === null ? bytes : bytes.subarray(0, m.cut);
}

/** A mode's answer: the error's one line, or the rows per table (checked against the report). */
function openIn(dir: string, mode: ReadMode, label: string): Record<TableName, number> | string {
  try {
    const checked = openCheckedTrace(dir, mode);
    const rows = {} as Record<TableName, number>;
    for (const table of TABLE_NAMES) {
      let n = 0;
      for (const batch of checked.batches(table)) n += batch.numRows;
      expect(n, `${label} ${mode} ${table}`).toBe(checked.tables[table].rowsUsable);
      rows[table] = n;
    }
    return rows;
  } catch (error) {
    expect(error, `${label} ${mode}: ${String(error)}`).toBeInstanceOf(TraceError);
    const message = (error as Error).message;
    expect(message, label).not.toContain('\n');
    return message;
  }
}

/** Loads the table as a query session would; a refusal must be a user error, not a crash. */
async function loadIntoDuckDb(dir: string, table: TableName, label: string): Promise<number | null> {
  await connection.run(`DELETE FROM ${table}`);
  try {
    await loadTable(connection, Trace.open(dir), table);
  } catch (error) {
    const user = error instanceof TraceError || error instanceof QueryError;
    expect(user, `${label} load: ${String(error)}`).toBe(true);
    return null;
  }
  // Read every value back (text included) so DuckDB touches each string it was given.
  const reader = await connection.runAndReadAll(`SELECT * FROM ${table}`);
  return reader.getRowObjectsJson().length;
}

describe('random damage never crashes, never miscounts', () => {
  const intact = smallTrace();
  const dir = copyTrace(intact);

  for (const [t, table] of TABLE_NAMES.entries()) {
    it(`${CASES_PER_TABLE} damaged copies of ${table}.arrow (seed ${SEED + t})`, async () => {
      const original = readFileSync(tablePath(intact, table));
      const random = rng(SEED + t);
      const seen = { trustRefused: 0, partialSalvage: 0, loaded: 0 };
      for (let c = 0; c < CASES_PER_TABLE; c++) {
        const m = mutation(random, original.length);
        const label = `seed ${SEED + t} case ${c} (${JSON.stringify(m)})`;
        const damaged = apply(original, m);
        writeFileSync(tablePath(dir, table), damaged);
        // The bytes differ from what the manifest hashed, so verify always refuses.
        expect(typeof openIn(dir, 'verify', label), label).toBe('string');
        if (typeof openIn(dir, 'trust', label) === 'string') seen.trustRefused += 1;
        const salvaged = openIn(dir, 'salvage', label);
        const kept = (salvaged as Record<TableName, number>)[table];
        if (kept !== undefined && kept > 0 && kept < ROWS[table]) seen.partialSalvage += 1;
        expect(typeof salvaged, `${label}: salvage never throws for damage`).toBe('object');
        const loaded = await loadIntoDuckDb(dir, table, label);
        if (loaded !== null) {
          expect(loaded, label).toBe(kept);
          seen.loaded += 1;
        }
      }
      // The cases reach every outcome (a fuzz that only ever hits one branch checks little).
      expect(seen.trustRefused, JSON.stringify(seen)).toBeGreaterThan(CASES_PER_TABLE / 4);
      expect(seen.loaded, JSON.stringify(seen)).toBeGreaterThan(0);
      if (ROWS[table] > 1) expect(seen.partialSalvage, JSON.stringify(seen)).toBeGreaterThan(0);
      writeFileSync(tablePath(dir, table), original);
    }, 120_000);
  }
});
