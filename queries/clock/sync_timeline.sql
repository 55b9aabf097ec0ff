-- Each synchronised VM's clock error over time, at the report's resolution: the `sync` table's
-- servo updates (exchange 'sync') binned with nice_bin_ns over their span, at most 1000 bins,
-- per VM and protocol: the true error (this clock − the grandmaster's, which only a simulation
-- knows) at the bin's last update and its largest magnitude, and the servo state then. (For
-- fixed one-second bins with the measured offsets, clock/servo.)
--
-- @column vm: VM index of the synchronised clock
-- @column vm_name: VM name from the scenario (NULL for traces without one); an external ECU's name when vm is −1 (a CanTSyn slave)
-- @column protocol: synchronisation protocol (gptp, cantsyn, paravirt)
-- @column bin_start_ns: start of the time bin (ns)
-- @column bin_ns: width of the bins (ns)
-- @column updates: servo updates in the bin (count)
-- @column error_ns_last: true error at the bin's last update: this clock − the grandmaster's (ns)
-- @column error_abs_ns_max: largest |true error| in the bin (ns)
-- @column state_last: servo state after the bin's last update (unlocked, step, locked)
WITH updates AS (
  SELECT * FROM sync WHERE exchange = 'sync'
),
width AS (
  SELECT nice_bin_ns(max(ts_ns) - min(ts_ns), 1000) AS ns FROM updates
)
SELECT
  vm,
  coalesce(ecu, (SELECT name FROM vms WHERE vms.vm = updates.vm)) AS vm_name,
  protocol,
  time_bucket_ns(ts_ns, width.ns) AS bin_start_ns,
  any_value(width.ns) AS bin_ns,
  count(*) AS updates,
  arg_max(error_ns, ts_ns) AS error_ns_last,
  max(abs(error_ns)) AS error_abs_ns_max,
  arg_max(state, ts_ns) AS state_last
FROM updates, width
GROUP BY vm, vm_name, protocol, bin_start_ns
ORDER BY vm, vm_name, protocol, bin_start_ns
