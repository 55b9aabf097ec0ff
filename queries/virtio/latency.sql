-- How long do virtqueue requests take from the driver making a chain available to the device
-- returning it? Per VM, device and queue, from `vq_used` events (val = that latency).
-- Percentiles are discrete (quantile_disc, the SQL standard's percentile_disc): the smallest
-- latency whose cumulative share of completions is >= the fraction, so each value is a latency
-- that actually occurred and is exact.
--
-- @column vm: VM index
-- @column dev: device index
-- @column queue: queue index within the device
-- @column completions: chains returned by the device (count)
-- @column latency_ns_p50: median latency (ns)
-- @column latency_ns_p90: 90th percentile latency (ns)
-- @column latency_ns_p99: 99th percentile latency (ns)
-- @column latency_ns_max: largest latency (ns)
SELECT
  vm,
  dev,
  queue,
  count(*) AS completions,
  quantile_disc(val, 0.5) AS latency_ns_p50,
  quantile_disc(val, 0.9) AS latency_ns_p90,
  quantile_disc(val, 0.99) AS latency_ns_p99,
  max(val) AS latency_ns_max
FROM events
WHERE kind = 'vq_used'
GROUP BY vm, dev, queue
ORDER BY vm, dev, queue
