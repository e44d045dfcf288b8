-- The status page's 90-day history. Summing ~1 M hourly rows (500 checks × 90 days) per page
-- view is far too slow, so each day's sums are materialised once, by the status reader, after
-- the day is over and settled (2 h after its end: rollups of its last hour have landed).
-- `day_start` is the ms epoch of a local midnight in the page's time zone; a time zone change
-- just starts new rows.
CREATE TABLE rollups_daily (
  check_id   TEXT NOT NULL,
  day_start  INTEGER NOT NULL,
  count      INTEGER NOT NULL,
  failures   INTEGER NOT NULL,
  degraded   INTEGER NOT NULL,
  PRIMARY KEY (check_id, day_start)
) WITHOUT ROWID;

-- Days already materialised (a day without any rollups is done too).
CREATE TABLE rollups_daily_done (
  day_start  INTEGER PRIMARY KEY,
  done_at    INTEGER NOT NULL
);

-- Covering index for the reads by hour (today, the last 24 h, a day being materialised):
-- answered from the index alone, in hour order, without touching the table.
CREATE INDEX rollups_by_hour_covering ON rollups_hourly (hour, check_id, count, failures, degraded, latency_avg, latency_p95);
