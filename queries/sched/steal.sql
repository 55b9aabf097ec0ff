-- How much time did each vCPU spend runnable but not running (steal time)? Per VM and vCPU,
-- from `sched_run` events (val = ns the vCPU waited runnable before this run). The traced
-- duration is the span of the whole `events` table (last ts_ns − first ts_ns); the share is
-- NULL when that span is zero.
--
-- @column vm: VM index
-- @column vm_name: VM name from the scenario (NULL for traces without one)
-- @column vcpu: vCPU index within the VM
-- @column steal_ns: total time waited runnable (ns)
-- @column waits: runs that had to wait (sched_run with val > 0) (count)
-- @column wait_ns_max: longest single wait (ns)
-- @column traced_ns: traced duration the share refers to (ns)
-- @column steal_share: steal_ns / traced_ns (fraction, 0..1 per vCPU)
WITH span AS (
  SELECT max(ts_ns) - min(ts_ns) AS traced_ns FROM events
)
SELECT
  vm,
  (SELECT name FROM vms WHERE vms.vm = events.vm) AS vm_name,
  vcpu,
  sum(val)::BIGINT AS steal_ns,
  count(*) FILTER (WHERE val > 0) AS waits,
  max(val) AS wait_ns_max,
  any_value(span.traced_ns) AS traced_ns,
  CASE WHEN any_value(span.traced_ns) > 0
    THEN sum(val)::DOUBLE / any_value(span.traced_ns)
  END AS steal_share
FROM events, span
WHERE kind = 'sched_run'
GROUP BY vm, vcpu
ORDER BY vm, vcpu
