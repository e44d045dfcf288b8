-- Hourly rollups per check (probe monitors, agent checks): what uptime bars, response-time
-- charts, badges and the daily digest read. One row per check per hour, written once the hour
-- is over (raw results live 48 h outside D1). Kept 400 days; the cron prunes older rows.
CREATE TABLE rollups_hourly (
  check_id     TEXT NOT NULL,
  hour         INTEGER NOT NULL,   -- ms epoch of the hour's start (UTC)
  count        INTEGER NOT NULL,   -- observations in the hour
  failures     INTEGER NOT NULL,   -- observations that were down
  degraded     INTEGER NOT NULL,   -- observations that were degraded
  latency_min  INTEGER,            -- ms; NULL when no observation carried a latency
  latency_avg  REAL,
  latency_p95  INTEGER,
  latency_max  INTEGER,
  PRIMARY KEY (check_id, hour)
);
CREATE INDEX rollups_by_hour ON rollups_hourly (hour);
