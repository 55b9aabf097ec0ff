-- The servo's trajectory: the `sync` table's servo updates (exchange 'sync') binned per second
-- of true time (bin = floor(ts_ns / 1e9)), per VM and protocol: the measured offset the servo
-- saw, the true error (this clock − the grandmaster's), the frequency adjustment it set and its
-- state at the end of the bin. A step shows as a bin whose offset is large and whose last state
-- is `step` or `locked`; for every update, query `sync` directly.
--
-- @column vm: VM index of the synchronised clock
-- @column protocol: synchronisation protocol (gptp, cantsyn, paravirt)
-- @column second_start_ns: start of the one-second bin of true time (ns)
-- @column updates: servo updates in the bin (count)
-- @column offset_ns_avg: mean measured offset t2 − t1 − correction − path delay (ns, fractional)
-- @column offset_abs_ns_max: largest |measured offset| (ns)
-- @column error_ns_avg: mean true error, this clock − the grandmaster's (ns, fractional)
-- @column error_abs_ns_max: largest |true error| (ns)
-- @column freq_adj_ppb_last: frequency adjustment after the bin's last update (ppb)
-- @column state_last: servo state after the bin's last update (unlocked, step, locked)
-- @column ecu: the external ECU's name when vm is −1 (a CanTSyn slave); NULL for a VM
SELECT
  vm,
  protocol,
  (ts_ns // 1000000000) * 1000000000 AS second_start_ns,
  count(*) AS updates,
  avg(offset_ns) AS offset_ns_avg,
  max(abs(offset_ns)) AS offset_abs_ns_max,
  avg(error_ns) AS error_ns_avg,
  max(abs(error_ns)) AS error_abs_ns_max,
  arg_max(freq_adj_ppb, ts_ns) AS freq_adj_ppb_last,
  arg_max(state, ts_ns) AS state_last,
  ecu
FROM sync
WHERE exchange = 'sync'
GROUP BY vm, ecu, protocol, second_start_ns
ORDER BY vm, ecu, protocol, second_start_ns
