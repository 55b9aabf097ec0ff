-- How does each ECU lifecycle's clock map onto the log collector's? Per ECU lifecycle, the
-- lower-envelope fit of its messages' collector times (ts_ns: the storage header of an imported
-- log, the console back-end's true time in a recorded run) against their own timestamps:
-- ts_ns = boot_ns + local_ts_ns · (1 + rate_ppb / 1e9) + delay with every delay ≥ 0, the line
-- touching the lower convex hull at the mean local time, so delay spikes do not move it
-- (src/query/clock-fit.ts). The delays left over are the fit's uncertainty. Computed once with
-- the query store (table dlt_clock_fit); messages without a timestamp are left out. boot_ns
-- extrapolates the line back to local time 0: libdlt stamps with the host's uptime, so a
-- lifecycle seen for seconds, hours after its ECU booted, gets a boot_ns that a small rate error
-- moves by much; times within the lifecycle (dlt/timeline) are what the fit is good for. A clock
-- step within a lifecycle bends the line the fit assumes.
--
-- @column ecu: ECU id
-- @column lifecycle: lifecycle number within the ECU
-- @column messages: messages with a timestamp in the lifecycle (count)
-- @column boot_ns: collector time at the ECU's local time 0, i.e. its boot on the collector's clock (ns)
-- @column rate_ppb: how much faster the collector's clock runs than the ECU's (ppb; the ECU's drift is about −rate_ppb)
-- @column delay_ns_median: median height of a message above the fitted line: typical transport delay (ns)
-- @column delay_ns_p95: 95th percentile of that height: the timeline's uncertainty (ns)
-- @column delay_ns_max: largest height (ns)
-- (the fit's figures are doubles: shown to 0.001 ppb and whole ns, the precision they carry)
SELECT ecu, lifecycle, messages, boot_ns, round(rate_ppb, 3) AS rate_ppb,
  round(delay_ns_median)::BIGINT AS delay_ns_median, round(delay_ns_p95)::BIGINT AS delay_ns_p95,
  round(delay_ns_max)::BIGINT AS delay_ns_max
FROM dlt_clock_fit
ORDER BY ecu, lifecycle
