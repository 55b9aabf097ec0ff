-- Every DLT message of every ECU on one time base, the log collector's, ordered by that common
-- time (ties by ECU and message counter), so messages from ECUs whose clocks disagree
-- interleave as they happened rather than as they arrived. A message's DLT timestamp is its
-- sender's uptime (CLOCK_MONOTONIC: slewed by a servo's frequency adjustment, never stepped),
-- mapped one of two ways (column `via`):
--
-- * `sync` — a recorded VM that synchronises its clock (rows in `sync`): through its
--   synchronised clock estimate. Each Sync it took gives a pair (its uptime when t2 was read,
--   the master's time then = t2 − offset_ns, what the servo measured); between two pairs the
--   uptime is interpolated linearly onto the master's time, before the first pair extrapolated
--   with the first two pairs' rate, after the last with the last two's. This sees through
--   every step (the servo's, an NTP step the servo has yet to correct): neither moves the
--   uptime nor the master's time. The master's time then goes onto the collector's base
--   through the master VM's own lifecycle fit (below: its uptime is its time while its clock
--   is not stepped; a stepped grandmaster moves its whole domain); a paravirtual clock's
--   master is the hypervisor's, which is the collector's base (true time) already.
--   The error is the measurement's (error_ns − offset_ns of the pairs: hardware stamps a few
--   ns, CanTSyn the SYNC's 111 bits on the bus), the master fit's, and the interpolation's
--   (a change of rate within one sync interval: |Δfreq_adj_ppb| · interval).
-- * `fit` — any other lifecycle (imported logs, a VM without sync, the grandmaster itself):
--   through its lifecycle's clock fit (dlt/clock_fit) onto the collector's clock. A clock
--   step of an unsynchronised VM does not move its uptime either, so the line holds.
--
-- A recorded run knows the truth: the `clock` samples (uptime_ns against ts_ns) map the
-- message's uptime back to the true time it was stamped (true_ts_ns: from the VM's last sample
-- at or before that uptime, with the rate then in force), and error_ns is the common time's
-- distance from it. The message was logged within the 0.1 ms DLT tick after that (the stamp
-- is floored). Imported logs have no truth; uncertainty_ns (the fit's 95th-percentile delay)
-- bounds the error there. Messages without a timestamp are left out.
--
-- @column common_ts_ns: the message's time on the common base (ns): via sync the master's time mapped through the master's fit, via fit boot_ns + local_ts_ns · (1 + rate_ppb/1e9)
-- @column ecu: ECU id
-- @column lifecycle: lifecycle number within the ECU
-- @column msg_counter: the sender's message counter
-- @column local_ts_ns: the sender's own timestamp, its uptime (ns)
-- @column ts_ns: when the collector received it (ns; true time in recorded runs)
-- @column true_ts_ns: recorded runs: the true time the message was stamped, from the VM's clock samples (ns; NULL for imported logs)
-- @column error_ns: common_ts_ns − true_ts_ns (ns; NULL for imported logs)
-- @column uncertainty_ns: the fit's 95th-percentile delay: the lifecycle's, via sync the master's (0 for the hypervisor's clock) (ns)
-- @column via: sync (the VM's synchronised clock estimate) or fit (its lifecycle's clock fit)
-- @column apid: application id
-- @column ctid: context id
-- @column level: log level
-- @column payload: message text
WITH timed AS (
  SELECT d.*, d.rowid AS row_number FROM dlt d WHERE d.htyp IS NULL OR (d.htyp & 16) <> 0
),
fitted AS (
  SELECT t.row_number,
    f.boot_ns + round(t.local_ts_ns * (1 + f.rate_ppb / 1e9))::BIGINT AS fit_ts_ns,
    f.delay_ns_p95
  FROM timed t
  JOIN dlt_clock_fit f ON f.ecu = t.ecu AND f.lifecycle = t.lifecycle
),
pair AS (
  -- one per Sync a VM took: (uptime, the master's time) at the moment t2 was read
  SELECT vm, master_vm, uptime_ns AS u, t2_ns - offset_ns AS m,
    lead(uptime_ns) OVER w AS u_next, lead(t2_ns - offset_ns) OVER w AS m_next,
    row_number() OVER w AS k
  FROM sync
  WHERE exchange = 'sync' AND vm >= 0 AND uptime_ns IS NOT NULL AND offset_ns IS NOT NULL
  WINDOW w AS (PARTITION BY vm ORDER BY uptime_ns, ts_ns)
),
segment AS (
  -- the master's time per uptime ns over [u, u_next); the last pair keeps the rate before it
  SELECT vm, master_vm, u, m, k,
    coalesce((m_next - m) / nullif(u_next - u, 0),
             lag((m_next - m) / nullif(u_next - u, 0)) OVER (PARTITION BY vm ORDER BY k), 1.0) AS rate
  FROM pair
),
master_fit AS (
  -- a master VM's own clock onto the collector's: the fit of its (largest) lifecycle
  SELECT v.vm, arg_max(f.boot_ns, f.messages) AS boot_ns, arg_max(f.rate_ppb, f.messages) AS rate_ppb,
    arg_max(f.delay_ns_p95, f.messages) AS delay_ns_p95
  FROM (SELECT DISTINCT vm, ecu, lifecycle FROM dlt WHERE vm >= 0) v
  JOIN dlt_clock_fit f ON f.ecu = v.ecu AND f.lifecycle = v.lifecycle
  GROUP BY v.vm
),
synced AS (
  -- a message before the VM's first pair is extrapolated back from that pair
  SELECT t.row_number, g.master_vm,
    coalesce(p.m, g.m) + (t.local_ts_ns - coalesce(p.u, g.u)) * coalesce(p.rate, g.rate) AS master_ts
  FROM timed t
  JOIN (SELECT * FROM segment WHERE k = 1) g ON g.vm = t.vm
  ASOF LEFT JOIN segment p ON p.vm = t.vm AND p.u <= t.local_ts_ns
  WHERE t.vm >= 0
),
on_common AS (
  SELECT s.row_number,
    CASE WHEN s.master_vm < 0 THEN round(s.master_ts)::BIGINT
         ELSE (mf.boot_ns + round(s.master_ts * (1 + mf.rate_ppb / 1e9)))::BIGINT END AS sync_ts_ns,
    CASE WHEN s.master_vm < 0 THEN 0.0 ELSE mf.delay_ns_p95 END AS delay_ns_p95
  FROM synced s
  LEFT JOIN master_fit mf ON mf.vm = s.master_vm
  WHERE s.master_vm < 0 OR mf.vm IS NOT NULL
),
first_sample AS (
  SELECT vm, arg_min(ts_ns, ts_ns) AS ts_ns, arg_min(uptime_ns, ts_ns) AS uptime_ns, arg_min(drift_ppb, ts_ns) AS drift_ppb
  FROM clock GROUP BY vm
),
truth AS (
  -- uptime = sample.uptime_ns + (true − sample.ts_ns) · (1 + drift/1e9), solved for true; a
  -- message stamped before the VM's first sample is mapped back from that sample
  SELECT t.row_number,
    coalesce(c.ts_ns, f.ts_ns) + round((t.local_ts_ns - coalesce(c.uptime_ns, f.uptime_ns)) / (1 + coalesce(c.drift_ppb, f.drift_ppb) / 1e9))::BIGINT AS true_ts_ns
  FROM timed t
  ASOF LEFT JOIN clock c ON c.vm = t.vm AND c.uptime_ns <= t.local_ts_ns
  JOIN first_sample f ON f.vm = t.vm
  WHERE t.vm >= 0
),
placed AS (
  SELECT t.*,
    coalesce(o.sync_ts_ns, fi.fit_ts_ns) AS common_ts_ns,
    -- the fits' percentiles are interpolated doubles; ns is the unit the timeline states
    round(CASE WHEN o.row_number IS NULL THEN fi.delay_ns_p95 ELSE o.delay_ns_p95 END)::BIGINT AS uncertainty_ns,
    CASE WHEN o.row_number IS NULL THEN 'fit' ELSE 'sync' END AS via
  FROM timed t
  LEFT JOIN on_common o USING (row_number)
  LEFT JOIN fitted fi USING (row_number)
  WHERE o.row_number IS NOT NULL OR fi.row_number IS NOT NULL
)
SELECT
  p.common_ts_ns,
  p.ecu,
  p.lifecycle,
  p.msg_counter,
  p.local_ts_ns,
  p.ts_ns,
  tr.true_ts_ns,
  p.common_ts_ns - tr.true_ts_ns AS error_ns,
  p.uncertainty_ns,
  p.via,
  p.apid,
  p.ctid,
  p.level,
  p.payload
FROM placed p
LEFT JOIN truth tr USING (row_number)
ORDER BY p.common_ts_ns, p.ecu, p.msg_counter, p.row_number
