// Summaries computed once when a trace is loaded, for named queries whose exact answer needs
// every row held in memory (issue #7.2). Measured on a 100 M-event synthetic trace:
// virtio/latency's exact quantiles over ~4.3 M completions peaked at 533 MB RSS per query
// (over the 500 MB target) and 2.2–4.3 s; from this table it reads a few dozen rows.

import type { DuckDBConnection } from '@duckdb/node-api';

/**
 * vq_latency: per (vm, dev, queue), the completions of `vq_used` events (val = latency ns) and
 * their exact discrete quantiles — the same aggregates queries/virtio/latency.sql reports.
 */
export const VQ_LATENCY_SQL = `CREATE TABLE vq_latency AS
SELECT vm, dev, queue,
  count(*) AS completions,
  quantile_disc(val, 0.5) AS latency_ns_p50,
  quantile_disc(val, 0.9) AS latency_ns_p90,
  quantile_disc(val, 0.99) AS latency_ns_p99,
  max(val) AS latency_ns_max
FROM events
WHERE kind = 'vq_used'
GROUP BY vm, dev, queue`;

export async function createSummaries(connection: DuckDBConnection): Promise<void> {
  await connection.run(VQ_LATENCY_SQL);
}
