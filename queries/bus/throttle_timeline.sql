-- When was each VM held back by the memory bus? Per VM and time bin, the `bus_throttle` events
-- (its bandwidth budget exhausted: len = bytes of the throttled access, val = delay imposed).
-- Bins as in sched/occupancy (nice_bin_ns over the events' span, at most 1000); bins without a
-- throttle are not listed.
--
-- @column vm: VM index
-- @column vm_name: VM name from the scenario (NULL for traces without one)
-- @column bin_start_ns: start of the time bin (ns)
-- @column bin_ns: width of the bins (ns)
-- @column throttles: times the budget was exhausted in the bin (count)
-- @column throttled_bytes: bytes of the throttled accesses (bytes)
-- @column delay_ns: total delay imposed (ns)
WITH width AS (
  SELECT nice_bin_ns(max(ts_ns) - min(ts_ns), 1000) AS ns FROM events
)
SELECT
  vm,
  (SELECT name FROM vms WHERE vms.vm = events.vm) AS vm_name,
  time_bucket_ns(ts_ns, width.ns) AS bin_start_ns,
  any_value(width.ns) AS bin_ns,
  count(*) AS throttles,
  sum(len)::BIGINT AS throttled_bytes,
  sum(val)::BIGINT AS delay_ns
FROM events, width
WHERE kind = 'bus_throttle'
GROUP BY vm, bin_start_ns
ORDER BY vm, bin_start_ns
