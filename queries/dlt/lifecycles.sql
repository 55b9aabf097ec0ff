-- One row per ECU lifecycle (boot): what it logged, for how long by the ECU's own clock and by
-- the collector's, and how many errors and warnings. Lifecycles are numbered per ECU from 1;
-- imported logs number the restarts the import detected (docs/dlt.md, "Lifecycles"), recorded
-- runs have one lifecycle per VM. Order rows by local_ts_ns within a lifecycle to read an ECU's
-- log in its own time order. Timestamps count only messages that carry one (WTMS).
--
-- @column ecu: ECU id
-- @column lifecycle: lifecycle number within the ECU (1, 2, …)
-- @column messages: messages in the lifecycle (count)
-- @column apps: distinct application ids that logged in it (count)
-- @column first_ts_ns: receive time of its first message (ns)
-- @column last_ts_ns: receive time of its last message (ns)
-- @column local_ts_ns_min: smallest ECU timestamp, time since the ECU started (ns)
-- @column local_ts_ns_max: largest ECU timestamp (ns)
-- @column errors: fatal and error messages (count)
-- @column warnings: warn messages (count)
SELECT
  ecu,
  lifecycle,
  count(*) AS messages,
  count(DISTINCT apid) AS apps,
  min(ts_ns) AS first_ts_ns,
  max(ts_ns) AS last_ts_ns,
  min(local_ts_ns) FILTER (WHERE htyp IS NULL OR (htyp & 16) <> 0) AS local_ts_ns_min,
  max(local_ts_ns) FILTER (WHERE htyp IS NULL OR (htyp & 16) <> 0) AS local_ts_ns_max,
  count(*) FILTER (WHERE level IN ('fatal', 'error')) AS errors,
  count(*) FILTER (WHERE level = 'warn') AS warnings
FROM dlt
GROUP BY ecu, lifecycle
ORDER BY ecu, lifecycle
