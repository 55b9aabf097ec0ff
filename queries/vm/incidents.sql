-- What went wrong, in order, and what was the VM saying just before? One row per incident in
-- `events` — a fault the core refused, a deadline miss, a seeded fault, a frame the switch
-- dropped, a frame lost for want of a receive buffer — with a readable description and the
-- last DLT message the same VM logged at or before it (its context; NULL when it had logged
-- nothing yet or the row has no VM). Ordered by time, ties in recording order.
--
-- @column ts_ns: virtual time of the incident (ns)
-- @column vm: VM index (−1 when not a VM's)
-- @column vm_name: VM name from the scenario (NULL for traces without one)
-- @column kind: fault, deadline_miss, fault_injected, switch_drop or rx_drop
-- @column what: the incident in words (fault name, lateness, fault type, drop reason)
-- @column dev: device index (−1 when not applicable)
-- @column last_log_ts_ns: time of the VM's last DLT message at or before the incident (ns)
-- @column last_log: that message: apid, ctid, level and payload
WITH incidents AS (
  SELECT ts_ns, seq, vm, kind, dev, id, len, val
  FROM events
  WHERE kind IN ('fault', 'deadline_miss', 'fault_injected', 'switch_drop', 'rx_drop')
),
logs AS (
  SELECT vm, ts_ns, concat_ws(' ', apid, ctid, level, payload) AS text FROM dlt WHERE vm >= 0
)
SELECT
  i.ts_ns,
  i.vm,
  (SELECT name FROM vms WHERE vms.vm = i.vm) AS vm_name,
  i.kind,
  CASE i.kind
    WHEN 'fault' THEN coalesce(fault_name(i.id), 'fault ' || i.id)
    WHEN 'deadline_miss' THEN 'task ' || i.id || ' late by ' || format_ns(i.val)
    WHEN 'fault_injected' THEN coalesce(fault_type_name(i.id), 'fault type ' || i.id)
    WHEN 'switch_drop' THEN 'dropped (' || coalesce(drop_reason(i.id), 'reason ' || i.id) || '), ' || i.len || ' bytes'
    WHEN 'rx_drop' THEN 'no receive buffer, ' || i.len || ' bytes'
  END AS what,
  i.dev,
  l.ts_ns AS last_log_ts_ns,
  l.text AS last_log
FROM incidents i
ASOF LEFT JOIN logs l ON l.vm = i.vm AND l.ts_ns <= i.ts_ns
ORDER BY i.ts_ns, i.seq
