-- Who ran where, and when? For each physical CPU and VM, how much of each time bin the VM's
-- vCPUs ran on that CPU. A run is the interval a `sched_preempt` or `sched_block` row closes
-- (val = ns it ran, id = the physical CPU), split at bin edges; a vCPU still running when the
-- trace ends is not counted. Bins: nice_bin_ns over the events' span, at most 1000 bins, so a
-- 600 s trace gives 1 s bins and a 10 s trace 10 ms bins (the report's timeline).
--
-- @column pcpu: physical CPU index
-- @column vm: VM index
-- @column vm_name: VM name from the scenario (NULL for traces without one)
-- @column bin_start_ns: start of the time bin (ns)
-- @column bin_ns: width of the bins (ns)
-- @column ran_ns: time the VM's vCPUs ran on this CPU within the bin (ns)
-- @column share: ran_ns / bin_ns (fraction of the CPU, 0..1)
WITH width AS (
  SELECT nice_bin_ns(max(ts_ns) - min(ts_ns), 1000) AS ns FROM events
),
runs AS (
  SELECT id AS pcpu, vm, ts_ns - val AS start_ns, ts_ns AS end_ns, width.ns AS w
  FROM events, width
  WHERE kind IN ('sched_preempt', 'sched_block') AND val > 0
),
pieces AS (
  SELECT pcpu, vm, start_ns, end_ns, w, unnest(range(start_ns // w, (end_ns - 1) // w + 1)) AS bin
  FROM runs
)
SELECT
  pcpu,
  vm,
  (SELECT name FROM vms WHERE vms.vm = pieces.vm) AS vm_name,
  bin * w AS bin_start_ns,
  any_value(w) AS bin_ns,
  sum(least(end_ns, (bin + 1) * w) - greatest(start_ns, bin * w))::BIGINT AS ran_ns,
  sum(least(end_ns, (bin + 1) * w) - greatest(start_ns, bin * w)) / any_value(w) AS share
FROM pieces
GROUP BY pcpu, vm, bin, w
ORDER BY pcpu, vm, bin_start_ns
