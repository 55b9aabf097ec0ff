-- The shape of virtqueue latency: per VM, device and queue, how many completions fell in each
-- power-of-two latency bucket [2^k, 2^(k+1)) ns, and the cumulative share up to the bucket's
-- upper edge (a CDF on a log scale: the report's latency chart). From `vq_used` events (val =
-- latency, as in virtio/latency); a latency of 0 counts in the first bucket [1, 2).
--
-- @column vm: VM index
-- @column vm_name: VM name from the scenario (NULL for traces without one)
-- @column dev: device index
-- @column device: device type (console, net, can)
-- @column queue: queue index within the device (VIRTIO numbering)
-- @column bucket_low_ns: lower edge of the bucket, 2^k (ns)
-- @column completions: completions with latency in the bucket (count)
-- @column cumulative_share: completions with latency below the bucket's upper edge / all of the queue's (fraction)
WITH buckets AS (
  SELECT vm, dev, queue, floor(log2(greatest(val, 1)))::INTEGER AS k, count(*) AS completions
  FROM events
  WHERE kind = 'vq_used'
  GROUP BY vm, dev, queue, k
)
SELECT
  b.vm,
  v.name AS vm_name,
  b.dev,
  d.type AS device,
  b.queue,
  1::BIGINT << b.k AS bucket_low_ns,
  b.completions,
  sum(b.completions) OVER (PARTITION BY b.vm, b.dev, b.queue ORDER BY b.k)
    / sum(b.completions) OVER (PARTITION BY b.vm, b.dev, b.queue) AS cumulative_share
FROM buckets b
LEFT JOIN vms v ON v.vm = b.vm
LEFT JOIN devices d ON d.dev = b.dev
ORDER BY b.vm, b.dev, b.queue, b.k
