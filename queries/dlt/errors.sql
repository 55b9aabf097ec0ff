-- Which fatal and error messages were logged, in the order they happened?
-- Rows of `dlt` with level fatal or error, ordered by true time; messages logged at the same
-- true time keep the order in which they were recorded.
--
-- @column ts_ns: true (virtual) time of the message (ns)
-- @column local_ts_ns: the logging guest's own clock at that moment (ns)
-- @column ecu: ECU id
-- @column apid: application id
-- @column ctid: context id
-- @column level: fatal or error
-- @column payload: message text
SELECT ts_ns, local_ts_ns, ecu, apid, ctid, level, payload
FROM dlt
WHERE level IN ('fatal', 'error')
ORDER BY ts_ns, rowid
