-- How well does each VM's clock synchronisation work? From the `sync` table's servo updates
-- (exchange 'sync'), per VM and protocol: when the servo first locked, how often it stepped the
-- clock, and the error against ground truth after that (error_ns: this clock − the
-- grandmaster's, which only a simulation knows). Updates before the first lock are the servo
-- finding the clock; they count in `updates` and `steps` but not in the error figures.
--
-- @column vm: VM index of the synchronised clock (−1: an external ECU, named in `ecu`)
-- @column protocol: synchronisation protocol (gptp, cantsyn, paravirt)
-- @column updates: servo updates (Sync + Follow_Up pairs) (count)
-- @column steps: updates that stepped the clock (count)
-- @column lock_ns: true time of the first locked update (ns; NULL: never locked)
-- @column unlocks_after_lock: updates after lock_ns that were not locked (resets, steps) (count)
-- @column error_rms_ns: root mean square of error_ns from lock_ns on (ns, fractional)
-- @column error_abs_max_ns: largest |error_ns| from lock_ns on (ns)
-- @column path_delay_ns_last: mean path delay at the last update (ns)
-- @column freq_adj_ppb_last: the servo's frequency adjustment at the last update (ppb)
-- @column ecu: the external ECU's name when the clock is an ECU's (a CanTSyn slave); NULL for a VM
WITH updates AS (
  SELECT * FROM sync WHERE exchange = 'sync'
), locks AS (
  SELECT vm, ecu, protocol, min(ts_ns) FILTER (WHERE state = 'locked') AS lock_ns
  FROM updates GROUP BY vm, ecu, protocol
)
SELECT
  u.vm,
  u.protocol,
  count(*) AS updates,
  count(*) FILTER (WHERE u.state = 'step') AS steps,
  any_value(l.lock_ns) AS lock_ns,
  count(*) FILTER (WHERE u.ts_ns > l.lock_ns AND u.state <> 'locked') AS unlocks_after_lock,
  sqrt(avg(u.error_ns::DOUBLE * u.error_ns) FILTER (WHERE u.ts_ns >= l.lock_ns)) AS error_rms_ns,
  max(abs(u.error_ns)) FILTER (WHERE u.ts_ns >= l.lock_ns) AS error_abs_max_ns,
  arg_max(u.path_delay_ns, u.ts_ns) AS path_delay_ns_last,
  arg_max(u.freq_adj_ppb, u.ts_ns) AS freq_adj_ppb_last,
  u.ecu
FROM updates u JOIN locks l ON l.vm = u.vm AND l.ecu IS NOT DISTINCT FROM u.ecu AND l.protocol = u.protocol
GROUP BY u.vm, u.ecu, u.protocol
ORDER BY u.vm, u.ecu, u.protocol
