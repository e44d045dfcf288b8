-- Scheduling at scale: tick claims (no double runs when a cron fires twice), raw probe results
-- as one row per batch (kept 48 h), and which hours are rolled up.
CREATE TABLE ticks (
  minute      INTEGER PRIMARY KEY,   -- ms epoch of the tick's minute
  claimed_at  INTEGER NOT NULL,
  jobs        INTEGER NOT NULL DEFAULT 0,
  batches     INTEGER NOT NULL DEFAULT 0
);

-- One row per executed batch: [check, offset ms in the minute, status 0 up | 1 degraded | 2 down, latency ms][]
CREATE TABLE raw_results (
  minute  INTEGER NOT NULL,
  batch   INTEGER NOT NULL,
  data    TEXT NOT NULL,
  PRIMARY KEY (minute, batch)
);

CREATE TABLE rollup_runs (
  hour    INTEGER PRIMARY KEY,       -- ms epoch of the hour rolled up
  at      INTEGER NOT NULL,
  checks  INTEGER NOT NULL
);
