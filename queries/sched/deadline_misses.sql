-- Which guest tasks missed their deadline, and by how much? One row per `deadline_miss` event
-- (a guest task, e.g. the cluster's frame, finished after its deadline; val = lateness), in time
-- order. No row means no deadline was missed: `tracevisor sweep … --check sched/deadline_misses`
-- fails exactly the seeds that missed one.
--
-- @column ts_ns: virtual time of the miss (ns)
-- @column vm: VM index
-- @column vm_name: VM name from the scenario (NULL for traces without one)
-- @column task: the guest's task id (events.id)
-- @column lateness_ns: how late the task finished (ns)
SELECT
  ts_ns,
  vm,
  (SELECT name FROM vms WHERE vms.vm = events.vm) AS vm_name,
  id AS task,
  val AS lateness_ns
FROM events
WHERE kind = 'deadline_miss'
ORDER BY ts_ns, seq
