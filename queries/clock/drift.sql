-- Configured against estimated drift, per synchronised VM: the drift its clock was given at
-- boot (the `clock` table's first sample of the VM, before any servo adjustment), what the servo
-- set on top of it at its last update (freq_adj_ppb in `sync`), and the sum: the rate the
-- clock runs at now. A locked servo has estimated the drift relative to the grandmaster, so
-- drift_ppb_synced is the grandmaster's own drift (give it from its VM's configured drift).
-- The last measured neighbour rate ratio (from the peer-delay exchanges) is the same estimate
-- from the network side, relative to the VM's peer (the time-aware bridge or the grandmaster).
--
-- @column vm: VM index of the synchronised clock
-- @column protocol: synchronisation protocol (gptp, cantsyn, paravirt)
-- @column drift_ppb_configured: the clock's drift at its first clock sample (ppb; NULL for an external ECU: the clock table samples VMs)
-- @column freq_adj_ppb_last: the servo's frequency adjustment at its last update (ppb)
-- @column drift_ppb_synced: drift_ppb_configured + freq_adj_ppb_last: the rate it runs at (ppb)
-- @column rate_ratio_ppb_last: neighbour rate ratio − 1 at the last peer-delay exchange (ppb)
-- @column ecu: the external ECU's name when vm is −1 (a CanTSyn slave); NULL for a VM
WITH configured AS (
  SELECT vm, arg_min(drift_ppb, ts_ns) AS drift_ppb_configured FROM clock GROUP BY vm
), servo AS (
  SELECT vm, ecu, protocol,
    arg_max(freq_adj_ppb, ts_ns) FILTER (WHERE exchange = 'sync') AS freq_adj_ppb_last,
    arg_max(rate_ratio_ppb, ts_ns) FILTER (WHERE exchange = 'pdelay') AS rate_ratio_ppb_last
  FROM sync GROUP BY vm, ecu, protocol
)
SELECT
  s.vm,
  s.protocol,
  c.drift_ppb_configured,
  s.freq_adj_ppb_last,
  c.drift_ppb_configured + s.freq_adj_ppb_last AS drift_ppb_synced,
  s.rate_ratio_ppb_last,
  s.ecu
FROM servo s LEFT JOIN configured c ON c.vm = s.vm AND s.ecu IS NULL
ORDER BY s.vm, s.ecu, s.protocol
