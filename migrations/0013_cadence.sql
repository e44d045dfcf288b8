-- Cadence you can check, and unknown apart from up (issue #21). Per check and hour:
-- `planned`: runs the schedule planned (from the monitors' stable offsets, whether or not the
--   cron fired); NULL on hours rolled up before this column existed (read as fully measured).
-- `unknown`: runs that executed but could not measure (the probe itself failed: Vigil's fault);
--   they are not in `count` (runs that measured), nor in the latency columns or uptime.
-- `retried`: runs that needed more than one attempt (network-failure retries).
-- Missed runs are planned − count − unknown. Summed per day in rollups_daily the same way,
-- `planned` as COALESCE(planned, count + unknown) so old hours count as fully run.
ALTER TABLE rollups_hourly ADD COLUMN planned INTEGER;
ALTER TABLE rollups_hourly ADD COLUMN unknown INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollups_hourly ADD COLUMN retried INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollups_daily ADD COLUMN planned INTEGER;
ALTER TABLE rollups_daily ADD COLUMN unknown INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollups_daily ADD COLUMN retried INTEGER NOT NULL DEFAULT 0;

-- The covering index of the status reads, with the new columns (0007 made it without them).
DROP INDEX rollups_by_hour_covering;
CREATE INDEX rollups_by_hour_covering ON rollups_hourly (hour, check_id, count, failures, degraded, planned, unknown, retried, latency_avg, latency_p95);

-- When each monitor was first in the config, as the hourly rollup saw it: runs planned before
-- are not counted (a monitor added today has not missed yesterday's runs).
CREATE TABLE monitors_seen (
  check_id    TEXT PRIMARY KEY,
  first_seen  INTEGER NOT NULL
) WITHOUT ROWID;
