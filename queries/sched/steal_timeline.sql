-- When did each VM wait for a CPU? Steal time over time: per VM and time bin, the time its
-- vCPUs spent runnable but not running. A wait is the interval before a `sched_run` row (val =
-- ns the vCPU waited runnable), split at bin edges. With several vCPUs waiting at once a VM can
-- steal more than a bin's width, so the share can exceed 1 (vCPU-seconds per second). Bins as
-- in sched/occupancy (nice_bin_ns over the events' span, at most 1000).
--
-- @column vm: VM index
-- @column vm_name: VM name from the scenario (NULL for traces without one)
-- @column bin_start_ns: start of the time bin (ns)
-- @column bin_ns: width of the bins (ns)
-- @column steal_ns: time the VM's vCPUs waited runnable within the bin (ns)
-- @column share: steal_ns / bin_ns (vCPUs waiting, on average over the bin)
WITH width AS (
  SELECT nice_bin_ns(max(ts_ns) - min(ts_ns), 1000) AS ns FROM events
),
waits AS (
  SELECT vm, ts_ns - val AS start_ns, ts_ns AS end_ns, width.ns AS w
  FROM events, width
  WHERE kind = 'sched_run' AND val > 0
),
pieces AS (
  SELECT vm, start_ns, end_ns, w, unnest(range(start_ns // w, (end_ns - 1) // w + 1)) AS bin
  FROM waits
)
SELECT
  vm,
  (SELECT name FROM vms WHERE vms.vm = pieces.vm) AS vm_name,
  bin * w AS bin_start_ns,
  any_value(w) AS bin_ns,
  sum(least(end_ns, (bin + 1) * w) - greatest(start_ns, bin * w))::BIGINT AS steal_ns,
  sum(least(end_ns, (bin + 1) * w) - greatest(start_ns, bin * w)) / any_value(w) AS share
FROM pieces
GROUP BY vm, bin, w
ORDER BY vm, bin_start_ns
