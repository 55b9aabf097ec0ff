-- How far is each CanTSyn Time Slave from its master, and why? From the `sync` table's CanTSyn
-- updates (protocol 'cantsyn', one per SYNC + FUP pair), per slave (VM or external ECU). AUTOSAR CanTSyn does not
-- compensate the SYNC's own time on the bus (SWS TimeSyncOverCAN, its two-step SYNC / FUP scheme): the master stamps t1 at
-- the frame's first bit, the slave t2 at its end, so after a correction the slave is behind by
-- about one frame time (111 bits of an 8-byte standard frame: 222 µs at 500 kbit/s), plus the
-- drift of a sync period when the slave corrects only its offset. Updates before the first
-- correction (state 'step') only count in `updates`.
--
-- @column vm: VM index of the Time Slave (−1: an external ECU, named in `ecu`)
-- @column updates: SYNC + FUP pairs the slave took (count)
-- @column first_correction_ns: true time of the first update that corrected the clock (ns; NULL: correction 'none')
-- @column error_ns_avg: mean error (this clock − the master's) after the first correction (ns, fractional)
-- @column error_ns_min: most negative error after the first correction (ns)
-- @column error_ns_max: most positive error after the first correction (ns)
-- @column offset_abs_ns_avg: mean |measured offset| t2 − t1 after the first correction (ns, fractional)
-- @column fup_delay_ns_avg: mean time from the SYNC's reception to the FUP's, t3 − t2 in this clock (ns, fractional)
-- @column rate_error_ppb_last: the rate error measured at the last update (ppb; 0 unless correction 'rate')
-- @column freq_adj_ppb_last: the rate correction in force after the last update (ppb)
-- @column ecu: the external ECU's name when the slave is an ECU; NULL for a VM
WITH updates AS (
  SELECT * FROM sync WHERE protocol = 'cantsyn' AND exchange = 'sync'
), firsts AS (
  SELECT vm, ecu, min(ts_ns) FILTER (WHERE state = 'step') AS first_ns FROM updates GROUP BY vm, ecu
)
SELECT
  u.vm,
  count(*) AS updates,
  any_value(f.first_ns) AS first_correction_ns,
  avg(u.error_ns) FILTER (WHERE u.ts_ns > f.first_ns) AS error_ns_avg,
  min(u.error_ns) FILTER (WHERE u.ts_ns > f.first_ns) AS error_ns_min,
  max(u.error_ns) FILTER (WHERE u.ts_ns > f.first_ns) AS error_ns_max,
  avg(abs(u.offset_ns)) FILTER (WHERE u.ts_ns > f.first_ns) AS offset_abs_ns_avg,
  avg(u.t3_ns - u.t2_ns) AS fup_delay_ns_avg,
  arg_max(u.rate_ratio_ppb, u.ts_ns) AS rate_error_ppb_last,
  arg_max(u.freq_adj_ppb, u.ts_ns) AS freq_adj_ppb_last,
  u.ecu
FROM updates u JOIN firsts f ON f.vm = u.vm AND f.ecu IS NOT DISTINCT FROM u.ecu
GROUP BY u.vm, u.ecu
ORDER BY u.vm, u.ecu
