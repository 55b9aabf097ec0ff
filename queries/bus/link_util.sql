-- How busy is each Ethernet link? Per link and time bin, the frames that started on it
-- (`link_tx`: id = link, len = bytes, val = serialisation time at the link's bit rate) in both
-- directions together, and the share of the bin spent transmitting (serialisation time / bin
-- width). A link is full duplex, so the share reaches 2 when both directions are saturated; a
-- frame counts in the bin it starts in, so a share can also overshoot slightly at a bin edge.
-- Bins as in sched/occupancy (at most 1000); bins without a frame are not listed.
--
-- @column link: link index
-- @column vm: the VM at the link's device end (−1 for a link without one)
-- @column bin_start_ns: start of the time bin (ns)
-- @column bin_ns: width of the bins (ns)
-- @column frames: frames that started in the bin (count)
-- @column bytes: their bytes (bytes)
-- @column busy_ns: their serialisation time (ns)
-- @column utilisation: busy_ns / bin_ns (fraction of one direction's capacity; 0..2)
WITH width AS (
  SELECT nice_bin_ns(max(ts_ns) - min(ts_ns), 1000) AS ns FROM events
)
SELECT
  id AS link,
  vm,
  time_bucket_ns(ts_ns, width.ns) AS bin_start_ns,
  any_value(width.ns) AS bin_ns,
  count(*) AS frames,
  sum(len)::BIGINT AS bytes,
  sum(val)::BIGINT AS busy_ns,
  sum(val) / any_value(width.ns) AS utilisation
FROM events, width
WHERE kind = 'link_tx'
GROUP BY link, vm, bin_start_ns
ORDER BY link, vm, bin_start_ns
