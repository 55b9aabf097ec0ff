-- How often did each VM exhaust its memory-bus bandwidth budget, and what did it cost?
-- Per VM, from `bus_throttle` events (len = bytes of the throttled access, val = delay ns).
-- VMs that were never throttled do not appear.
--
-- @column vm: VM index
-- @column vm_name: VM name from the scenario (NULL for traces without one)
-- @column throttles: times the budget was exhausted (count)
-- @column throttled_bytes: bytes of the throttled accesses (bytes)
-- @column delay_ns_total: total delay imposed (ns)
-- @column delay_ns_max: largest single delay (ns)
SELECT
  vm,
  (SELECT name FROM vms WHERE vms.vm = events.vm) AS vm_name,
  count(*) AS throttles,
  sum(len)::BIGINT AS throttled_bytes,
  sum(val)::BIGINT AS delay_ns_total,
  max(val) AS delay_ns_max
FROM events
WHERE kind = 'bus_throttle'
GROUP BY vm
ORDER BY vm
