-- Were messages lost? Senders number their messages per context (libdlt: per ECU, application,
-- context and process) with the 8-bit message counter, so within one lifecycle consecutive
-- messages of a context, in trace order, step by 1 modulo 256 (255 → 0). A step of d > 1 means
-- d − 1 messages are missing. Control messages are left out (dlt-daemon sends them all with
-- counter 0), and so is a counter that repeats (a sender that does not count). Only contexts
-- with at least one gap are listed.
--
-- @column ecu: ECU id
-- @column vm: VM index (−1 for imported logs)
-- @column apid: application id
-- @column ctid: context id
-- @column session_id: session id (libdlt: the process id; NULL when absent)
-- @column lifecycle: lifecycle number within the ECU
-- @column messages: messages of the context in the lifecycle (count)
-- @column gaps: steps larger than 1 (count)
-- @column lost: messages missing in those gaps (count)
-- @column first_gap_ts_ns: receive time of the first message after a gap (ns)
WITH steps AS (
  SELECT
    ecu, vm, apid, ctid, session_id, lifecycle, ts_ns,
    (msg_counter - lag(msg_counter) OVER (
      PARTITION BY ecu, vm, apid, ctid, session_id, lifecycle ORDER BY rowid
    ) + 255) % 256 AS missing
  FROM dlt
  WHERE apid IS NOT NULL AND type IS DISTINCT FROM 'control'
)
SELECT
  ecu,
  vm,
  apid,
  ctid,
  session_id,
  lifecycle,
  count(*) AS messages,
  count(*) FILTER (WHERE missing BETWEEN 1 AND 254) AS gaps,
  coalesce(sum(missing) FILTER (WHERE missing BETWEEN 1 AND 254), 0) AS lost,
  min(ts_ns) FILTER (WHERE missing BETWEEN 1 AND 254) AS first_gap_ts_ns
FROM steps
GROUP BY ecu, vm, apid, ctid, session_id, lifecycle
HAVING count(*) FILTER (WHERE missing BETWEEN 1 AND 254) > 0
ORDER BY ecu, vm, apid, ctid, session_id NULLS FIRST, lifecycle
