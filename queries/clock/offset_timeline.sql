-- Each VM's clock offset over time, at the report's resolution: the `clock` samples (offset =
-- local − true) binned with nice_bin_ns over the clock table's span, at most 1000 bins, so a
-- 10 s trace keeps every 100 ms sample and a 600 s trace gets 1 s bins. Per VM and bin: the
-- samples, the smallest, largest and last offset, and the drift at the last sample. (For fixed
-- one-second bins, clock/offset.)
--
-- @column vm: VM index
-- @column vm_name: VM name from the scenario (NULL for traces without one)
-- @column bin_start_ns: start of the time bin (ns)
-- @column bin_ns: width of the bins (ns)
-- @column samples: clock samples in the bin (count)
-- @column offset_ns_min: smallest offset in the bin (ns)
-- @column offset_ns_max: largest offset in the bin (ns)
-- @column offset_ns_last: offset at the bin's last sample (ns)
-- @column drift_ppb_last: drift rate at the bin's last sample (ppb)
WITH width AS (
  SELECT nice_bin_ns(max(ts_ns) - min(ts_ns), 1000) AS ns FROM clock
)
SELECT
  vm,
  (SELECT name FROM vms WHERE vms.vm = clock.vm) AS vm_name,
  time_bucket_ns(ts_ns, width.ns) AS bin_start_ns,
  any_value(width.ns) AS bin_ns,
  count(*) AS samples,
  min(offset_ns) AS offset_ns_min,
  max(offset_ns) AS offset_ns_max,
  arg_max(offset_ns, ts_ns) AS offset_ns_last,
  arg_max(drift_ppb, ts_ns) AS drift_ppb_last
FROM clock, width
GROUP BY vm, bin_start_ns
ORDER BY vm, bin_start_ns
