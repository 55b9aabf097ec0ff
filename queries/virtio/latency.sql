-- How long do virtqueue requests take from the driver making a chain available to the device
-- returning it? Per VM, device and queue, from `vq_used` events (val = that latency).
-- Percentiles are discrete (quantile_disc, the SQL standard's percentile_disc): the smallest
-- latency whose cumulative share of completions is >= the fraction, so each value is a latency
-- that actually occurred and is exact.
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
  any_value(v.name) AS vm_name,
  e.dev,
  any_value(d.type) AS device,
  e.queue,
  CASE
    WHEN any_value(d.type) IN ('net', 'console') THEN (CASE e.queue WHEN 0 THEN 'rx' WHEN 1 THEN 'tx' END)
    WHEN any_value(d.type) = 'can' THEN (CASE e.queue WHEN 0 THEN 'tx' WHEN 1 THEN 'rx' END)
  END AS queue_name,
  count(*) AS completions,
  quantile_disc(e.val, 0.5) AS latency_ns_p50,
  quantile_disc(e.val, 0.9) AS latency_ns_p90,
  quantile_disc(e.val, 0.99) AS latency_ns_p99,
  max(e.val) AS latency_ns_max
FROM events e
LEFT JOIN vms v ON v.vm = e.vm
LEFT JOIN devices d ON d.dev = e.dev
WHERE e.kind = 'vq_used'
GROUP BY e.vm, e.dev, e.queue
ORDER BY e.vm, e.dev, e.queue
