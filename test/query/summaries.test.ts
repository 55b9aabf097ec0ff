// The store's summary tables (src/query/summaries.ts) must hold exactly what their defining
// aggregate computes: vq_latency is built from a histogram (bounded memory) but must equal
// quantile_disc over the events, whatever a group's size and however many latencies tie.

import { describe, expect, it } from 'vitest';
import { createTraceTables } from '../../src/query/load.js';
import { VQ_LATENCY_QUANTILE_SQL, createSummaries } from '../../src/query/summaries.js';
import { memoryConnection } from './duckdb.js';

/** Events of one (vm, dev, queue) group per size 1…maxSize; val repeats with period `distinct`. */
function groupsSql(maxSize: number, kind: string, distinct: (size: string) => string): string {
  return `INSERT INTO events
SELECT row_number() OVER () AS ts_ns, row_number() OVER () AS seq,
  (size % 7)::SMALLINT AS vm, 0::SMALLINT AS vcpu, '${kind}' AS kind,
  (size // 7)::SMALLINT AS dev, (size % 2)::SMALLINT AS queue, 0 AS id, 0 AS len,
  ((i * 7919) % ${distinct('size')}) AS val
FROM range(1, ${maxSize + 1}) s(size), LATERAL (SELECT range AS i FROM range(size))`;
}

async function bothWays(fill: string[]): Promise<{ stored: unknown[][]; defined: unknown[][] }> {
  const connection = await memoryConnection();
  await createTraceTables(connection);
  for (const sql of fill) await connection.run(sql);
  await createSummaries(connection);
  const stored = (await connection.runAndReadAll('SELECT * FROM vq_latency ORDER BY ALL')).getRows();
  const defined = (await connection.runAndReadAll(`${VQ_LATENCY_QUANTILE_SQL} ORDER BY ALL`)).getRows();
  const types = await connection.runAndReadAll(
    `SELECT (SELECT list(data_type ORDER BY column_index) FROM duckdb_columns() WHERE table_name = 'vq_latency')
       = (SELECT list(column_type) FROM (DESCRIBE ${VQ_LATENCY_QUANTILE_SQL}))`,
  );
  expect(types.getRows()[0]![0]).toBe(true);
  return { stored, defined };
}

describe('vq_latency from a histogram', () => {
  it('equals quantile_disc for every group size from 1 to 300, all latencies distinct', async () => {
    const { stored, defined } = await bothWays([groupsSql(300, 'vq_used', (size) => `(${size} * 7919 + 1)`)]);
    expect(stored.length).toBe(300);
    expect(stored).toEqual(defined);
  });

  it('equals quantile_disc when latencies tie (a few distinct values per group)', async () => {
    const { stored, defined } = await bothWays([groupsSql(300, 'vq_used', (size) => `(${size} // 9 + 1)`)]);
    expect(stored).toEqual(defined);
  });

  it('counts only vq_used events, and is empty without them', async () => {
    const onlyOthers = await bothWays([groupsSql(20, 'vq_avail', () => '5')]);
    expect(onlyOthers.stored).toEqual([]);
    expect(onlyOthers.defined).toEqual([]);
    const mixed = await bothWays([groupsSql(40, 'vq_avail', () => '5'), groupsSql(40, 'vq_used', () => '11')]);
    expect(mixed.stored).toEqual(mixed.defined);
  });
});
