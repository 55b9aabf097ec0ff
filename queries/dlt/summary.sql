-- How much did each application and context log, at which level, and over what span of time?
-- One row per (ecu, apid, ctid, level) of the `dlt` table; messages without a level (non-log
-- types) form their own rows with level NULL. Ordered by ecu, apid, ctid, then level severity.
--
-- @column ecu: ECU id
-- @column apid: application id (NULL when the message had none)
-- @column ctid: context id (NULL when the message had none)
-- @column level: log level (fatal … verbose; NULL for non-log messages)
-- @column messages: number of messages (count)
-- @column first_ts_ns: true time of the first message (ns)
-- @column last_ts_ns: true time of the last message (ns)
SELECT
  ecu,
  apid,
  ctid,
  level,
  count(*) AS messages,
  min(ts_ns) AS first_ts_ns,
  max(ts_ns) AS last_ts_ns
FROM dlt
GROUP BY ecu, apid, ctid, level
ORDER BY ecu, apid NULLS FIRST, ctid NULLS FIRST, level NULLS LAST
