-- How fast does each ECU log over time, and when does it report trouble? Per ECU and time bin,
-- the DLT messages and how many of them were fatal, error or warn. Bins: nice_bin_ns over the
-- dlt table's span, at most 1000 (the report's DLT chart); bins without a message are not
-- listed. For imported logs ts_ns is the logger's receive time.
--
-- @column ecu: ECU id
-- @column bin_start_ns: start of the time bin (ns)
-- @column bin_ns: width of the bins (ns)
-- @column messages: messages in the bin (count)
-- @column fatals: fatal messages (count)
-- @column errors: error messages (count)
-- @column warnings: warn messages (count)
WITH width AS (
  SELECT nice_bin_ns(max(ts_ns) - min(ts_ns), 1000) AS ns FROM dlt
)
SELECT
  ecu,
  time_bucket_ns(ts_ns, width.ns) AS bin_start_ns,
  any_value(width.ns) AS bin_ns,
  count(*) AS messages,
  count(*) FILTER (WHERE level = 'fatal') AS fatals,
  count(*) FILTER (WHERE level = 'error') AS errors,
  count(*) FILTER (WHERE level = 'warn') AS warnings
FROM dlt, width
GROUP BY ecu, bin_start_ns
ORDER BY ecu, bin_start_ns
