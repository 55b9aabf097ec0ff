-- Which application ids, and which application/context pairs, are used by more than one
-- sender? A sender is an ECU id, and in recorded runs also a VM: when several ECUs become VMs
-- on one SoC their logs meet in one place, and ids that were unique per ECU collide. Rows with
-- scope 'app' are application ids (ctid NULL), rows with scope 'context' are pairs.
--
-- @column scope: 'app' (apid alone) or 'context' (apid and ctid)
-- @column apid: application id
-- @column ctid: context id (NULL for scope 'app')
-- @column senders: distinct (ecu, vm) pairs that used the id (count)
-- @column ecus: the ECU ids that used it, sorted, comma-separated
-- @column vms: the VM indices that used it, sorted, comma-separated (NULL for imported logs)
-- @column messages: messages with the id (count)
SELECT
  CASE WHEN grouping(ctid) = 1 THEN 'app' ELSE 'context' END AS scope,
  apid,
  ctid,
  count(DISTINCT (ecu, vm)) AS senders,
  array_to_string(list_sort(list(DISTINCT ecu)), ',') AS ecus,
  nullif(array_to_string(list_sort(list(DISTINCT vm) FILTER (WHERE vm >= 0)), ','), '') AS vms,
  count(*) AS messages
FROM dlt
WHERE apid IS NOT NULL
GROUP BY GROUPING SETS ((apid), (apid, ctid))
HAVING count(DISTINCT (ecu, vm)) > 1
ORDER BY apid, scope, ctid
