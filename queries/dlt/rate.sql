-- How fast does each application and context log? Messages and payload bytes per (ecu, apid,
-- ctid) in 1-second windows of ts_ns (the collector's receive time), so bursts and chatty
-- contexts stand out. Windows without messages are not listed. Messages without an extended
-- header have apid and ctid NULL and form their own rows.
--
-- @column ecu: ECU id
-- @column apid: application id (NULL when the message had none)
-- @column ctid: context id (NULL when the message had none)
-- @column window_start_ns: start of the 1 s window, ts_ns rounded down to the second (ns)
-- @column messages: messages in the window, i.e. the rate in messages per second (count)
-- @column payload_bytes: payload bytes in the window (bytes)
SELECT
  ecu,
  apid,
  ctid,
  ts_ns - ((ts_ns % 1000000000) + 1000000000) % 1000000000 AS window_start_ns,
  count(*) AS messages,
  sum(octet_length(payload_raw)) AS payload_bytes
FROM dlt
GROUP BY ALL
ORDER BY ecu, apid NULLS FIRST, ctid NULLS FIRST, window_start_ns
