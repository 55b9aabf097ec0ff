-- Every DLT message of every ECU on one time base: the sender's own timestamp mapped through
-- its lifecycle's clock fit (dlt/clock_fit) onto the collector's clock, so messages from ECUs
-- whose clocks disagree interleave as they happened rather than as they arrived. Ordered by
-- that common time; ties by ECU and message counter. A recorded run knows the truth: its
-- `clock` samples map the VM's local timestamp back to the true time it was logged
-- (true_ts_ns, from the VM's last sample at or before that local time, with the drift then in
-- force), and error_ns is the common time's distance from it. Imported logs have no truth;
-- uncertainty_ns (the fit's 95th-percentile delay) bounds the error there. A clock step within
-- a lifecycle bends the line the fit assumes: expect errors of the step's size around it.
-- Messages without a timestamp are left out.
--
-- @column common_ts_ns: the message's time on the common base: boot_ns + local_ts_ns · (1 + rate_ppb/1e9) (ns)
-- @column ecu: ECU id
-- @column lifecycle: lifecycle number within the ECU
-- @column msg_counter: the sender's message counter
-- @column local_ts_ns: the sender's own timestamp (ns since its start)
-- @column ts_ns: when the collector received it (ns; true time in recorded runs)
-- @column true_ts_ns: recorded runs: the true time the message was logged, from the VM's clock samples (ns; NULL for imported logs)
-- @column error_ns: common_ts_ns − true_ts_ns (ns; NULL for imported logs)
-- @column uncertainty_ns: the lifecycle fit's 95th-percentile delay (ns)
-- @column apid: application id
-- @column ctid: context id
-- @column level: log level
-- @column payload: message text
WITH stamped AS (
  SELECT d.*, d.rowid AS row_number,
    f.boot_ns + round(d.local_ts_ns * (1 + f.rate_ppb / 1e9))::BIGINT AS common_ts_ns,
    f.delay_ns_p95 AS uncertainty_ns
  FROM dlt d
  JOIN dlt_clock_fit f ON f.ecu = d.ecu AND f.lifecycle = d.lifecycle
  WHERE d.htyp IS NULL OR (d.htyp & 16) <> 0
),
first_sample AS (
  SELECT vm, arg_min(ts_ns, ts_ns) AS ts_ns, arg_min(local_ns, ts_ns) AS local_ns, arg_min(drift_ppb, ts_ns) AS drift_ppb
  FROM clock GROUP BY vm
),
truth AS (
  -- local = sample.local_ns + (true − sample.ts_ns) · (1 + drift/1e9), solved for true; a
  -- message logged before the VM's first sample is mapped back from that sample
  SELECT s.row_number,
    coalesce(c.ts_ns, f.ts_ns) + round((s.local_ts_ns - coalesce(c.local_ns, f.local_ns)) / (1 + coalesce(c.drift_ppb, f.drift_ppb) / 1e9))::BIGINT AS true_ts_ns
  FROM stamped s
  ASOF LEFT JOIN clock c ON c.vm = s.vm AND c.local_ns <= s.local_ts_ns
  JOIN first_sample f ON f.vm = s.vm
  WHERE s.vm >= 0
)
SELECT
  s.common_ts_ns,
  s.ecu,
  s.lifecycle,
  s.msg_counter,
  s.local_ts_ns,
  s.ts_ns,
  t.true_ts_ns,
  s.common_ts_ns - t.true_ts_ns AS error_ns,
  s.uncertainty_ns,
  s.apid,
  s.ctid,
  s.level,
  s.payload
FROM stamped s
LEFT JOIN truth t USING (row_number)
ORDER BY s.common_ts_ns, s.ecu, s.msg_counter, s.row_number
