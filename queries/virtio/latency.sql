-- How long do virtqueue requests take from the driver making a chain available to the device
-- returning it? Per VM, device and queue, from `vq_used` events (val = that latency).
-- Percentiles are discrete (quantile_disc, the SQL standard's percentile_disc): the smallest
-- latency whose cumulative share of completions is >= the fraction, so each value is a latency
-- that actually occurred and is exact.
--
-- The quantiles come from `vq_latency`, computed once with the query store (src/query/
-- summaries.ts: the same aggregates over events WHERE kind = 'vq_used'), because holding every
-- latency of a 100 M-event trace per query went past 500 MB.
--
-- For queues the driver fills (transmit, console output, CAN tx) the latency is request to
-- completion; for receive queues it is how long a posted buffer waited for data to arrive.
--
-- @column vm: VM index
-- @column vm_name: VM name from the scenario (NULL for traces without one)
-- @column dev: device index
-- @column device: device type (console, net, can)
-- @column queue: queue index within the device (VIRTIO numbering)
-- @column queue_name: the queue's role: tx (driver to device) or rx (device to driver)
-- @column completions: chains returned by the device (count)
-- @column latency_ns_p50: median latency (ns)
-- @column latency_ns_p90: 90th percentile latency (ns)
-- @column latency_ns_p99: 99th percentile latency (ns)
-- @column latency_ns_max: largest latency (ns)
SELECT
  e.vm,
  v.name AS vm_name,
  e.dev,
  d.type AS device,
  e.queue,
  CASE
    WHEN d.type IN ('net', 'console') THEN (CASE e.queue WHEN 0 THEN 'rx' WHEN 1 THEN 'tx' END)
    WHEN d.type = 'can' THEN (CASE e.queue WHEN 0 THEN 'tx' WHEN 1 THEN 'rx' END)
  END AS queue_name,
  e.completions,
  e.latency_ns_p50,
  e.latency_ns_p90,
  e.latency_ns_p99,
  e.latency_ns_max
FROM vq_latency e
LEFT JOIN vms v ON v.vm = e.vm
LEFT JOIN devices d ON d.dev = e.dev
ORDER BY e.vm, e.dev, e.queue
