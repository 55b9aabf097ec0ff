-- How far is each VM's clock from true time, and how does that change? The `clock` samples
-- binned per second of true time (bin = floor(ts_ns / 1e9)); per VM and bin the number of
-- samples, the smallest, largest, mean and last offset (local − true), and the drift rate at
-- the last sample. Binning keeps long runs readable; for every sample, query `clock` directly.
--
-- @column vm: VM index
-- @column second_start_ns: start of the one-second bin of true time (ns)
-- @column samples: clock samples in the bin (count)
-- @column offset_ns_min: smallest offset local − true in the bin (ns)
-- @column offset_ns_max: largest offset in the bin (ns)
-- @column offset_ns_avg: mean offset in the bin (ns, fractional)
-- @column offset_ns_last: offset at the bin's last sample (ns)
-- @column drift_ppb_last: drift rate at the bin's last sample (ppb)
SELECT
  vm,
  (ts_ns // 1000000000) * 1000000000 AS second_start_ns,
  count(*) AS samples,
  min(offset_ns) AS offset_ns_min,
  max(offset_ns) AS offset_ns_max,
  avg(offset_ns) AS offset_ns_avg,
  arg_max(offset_ns, ts_ns) AS offset_ns_last,
  arg_max(drift_ppb, ts_ns) AS drift_ppb_last
FROM clock
GROUP BY vm, second_start_ns
ORDER BY vm, second_start_ns
