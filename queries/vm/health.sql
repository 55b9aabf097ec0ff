-- How did each VM do? One row per VM of the scenario: its deadline misses, refused faults,
-- frames it lost for want of a receive buffer, its steal share (time its vCPUs waited
-- runnable / (traced span × vCPUs it used)), and its DLT fatal and error messages — the
-- verdicts at the top of the report. VMs that never ran have zeros. Traces without a scenario
-- (imported logs) have no rows.
--
-- @column vm: VM index
-- @column vm_name: VM name from the scenario
-- @column ecu: the VM's DLT ECU id
-- @column vcpus: vCPUs declared in the scenario
-- @column deadline_misses: deadline_miss events (count)
-- @column faults: fault events: guest requests the core refused (count)
-- @column rx_drops: frames dropped for want of a receive buffer (count)
-- @column steal_ns: time the VM's vCPUs waited runnable (ns)
-- @column steal_share: steal_ns / (traced span × vCPUs that ran) (fraction; NULL for a zero span or a VM that never ran)
-- @column dlt_messages: DLT messages the VM logged (count)
-- @column dlt_errors: of them fatal or error (count)
WITH span AS (
  SELECT max(ts_ns) - min(ts_ns) AS traced_ns FROM events
),
per_vm AS (
  SELECT
    vm,
    count(*) FILTER (WHERE kind = 'deadline_miss') AS deadline_misses,
    count(*) FILTER (WHERE kind = 'fault') AS faults,
    count(*) FILTER (WHERE kind = 'rx_drop') AS rx_drops,
    coalesce(sum(val) FILTER (WHERE kind = 'sched_run'), 0)::BIGINT AS steal_ns,
    count(DISTINCT vcpu) FILTER (WHERE kind = 'sched_run') AS vcpus_ran
  FROM events
  WHERE vm >= 0
  GROUP BY vm
),
logs AS (
  SELECT vm, count(*) AS dlt_messages, count(*) FILTER (WHERE level IN ('fatal', 'error')) AS dlt_errors
  FROM dlt
  WHERE vm >= 0
  GROUP BY vm
)
SELECT
  v.vm,
  v.name AS vm_name,
  v.ecu,
  v.vcpus,
  coalesce(p.deadline_misses, 0) AS deadline_misses,
  coalesce(p.faults, 0) AS faults,
  coalesce(p.rx_drops, 0) AS rx_drops,
  coalesce(p.steal_ns, 0) AS steal_ns,
  CASE WHEN span.traced_ns > 0 AND p.vcpus_ran > 0 THEN p.steal_ns / (span.traced_ns * p.vcpus_ran) END AS steal_share,
  coalesce(l.dlt_messages, 0) AS dlt_messages,
  coalesce(l.dlt_errors, 0) AS dlt_errors
FROM vms v
CROSS JOIN span
LEFT JOIN per_vm p ON p.vm = v.vm
LEFT JOIN logs l ON l.vm = v.vm
ORDER BY v.vm
