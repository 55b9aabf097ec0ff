// Summaries computed once when a trace is loaded, for named queries whose exact answer needs
// every row held in memory (issue #7.2). Measured on a 100 M-event synthetic trace:
// virtio/latency's exact quantiles over ~4.3 M completions peaked at 533 MB RSS per query
// (over the 500 MB target) and 2.2–4.3 s; from this table it reads a few dozen rows.

import type { DuckDBConnection } from '@duckdb/node-api';
import { createClockFit } from './clock-fit.js';

/**
 * The definition of vq_latency: per (vm, dev, queue), the completions of `vq_used` events
 * (val = latency ns) and their exact discrete quantiles — the aggregates
 * queries/virtio/latency.sql reports. The bench's reference computes this statement per query.
 */
export const VQ_LATENCY_QUANTILE_SQL = `SELECT vm, dev, queue,
  count(*) AS completions,
  quantile_disc(val, 0.5) AS latency_ns_p50,
  quantile_disc(val, 0.9) AS latency_ns_p90,
  quantile_disc(val, 0.99) AS latency_ns_p99,
  max(val) AS latency_ns_max
FROM events
WHERE kind = 'vq_used'
GROUP BY vm, dev, queue`;

/**
 * The same table from a histogram of latencies: quantile_disc keeps every value of a group in
 * an aggregate state outside DuckDB's memory_limit (≈100 B a value: +140 MB RSS for 1.3 M
 * completions of a 30 M-event trace, +450 MB extrapolated at 100 M), while a GROUP BY and a
 * window over distinct (group, val) stay inside the limit (+70 MB there, same time).
 * quantile_disc(val, q) is the value of rank max(1, ceil(n·q)) in val order (SQL's
 * percentile_disc: the first value whose cumulative count reaches n·q); summaries.test.ts
 * checks the two agree on every group size up to 300 and on ties.
 */
export const VQ_LATENCY_SQL = `CREATE TABLE vq_latency AS
WITH histogram AS (
  SELECT vm, dev, queue, val, count(*) AS n_val
  FROM events
  WHERE kind = 'vq_used'
  GROUP BY vm, dev, queue, val),
ranked AS (
  SELECT vm, dev, queue, val,
    sum(n_val) OVER (PARTITION BY vm, dev, queue ORDER BY val ROWS UNBOUNDED PRECEDING) AS upto,
    sum(n_val) OVER (PARTITION BY vm, dev, queue) AS n
  FROM histogram)
SELECT vm, dev, queue,
  any_value(n)::BIGINT AS completions,
  min(val) FILTER (WHERE upto >= greatest(1, ceil(n * 0.5))) AS latency_ns_p50,
  min(val) FILTER (WHERE upto >= greatest(1, ceil(n * 0.9))) AS latency_ns_p90,
  min(val) FILTER (WHERE upto >= greatest(1, ceil(n * 0.99))) AS latency_ns_p99,
  max(val) AS latency_ns_max
FROM ranked
GROUP BY vm, dev, queue`;

export async function createSummaries(connection: DuckDBConnection): Promise<void> {
  await connection.run(VQ_LATENCY_SQL);
  await createSummariesAfterEvents(connection);
}

/** The summaries that do not read events (a store's build makes vq_latency as soon as events
 *  are written, beside the rest of its pass: store.ts). */
export async function createSummariesAfterEvents(connection: DuckDBConnection): Promise<void> {
  await createClockFit(connection); // dlt_clock_fit: each ECU lifecycle's clock (issue 11 §4)
}
