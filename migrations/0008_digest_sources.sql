-- What the daily digest reads besides rollups and incidents.

-- Disk use per agent mount and local day (the config's time zone), from the `disk:<mount>:usedPct`
-- metrics of the agent's host check. The AgentObject keeps the running day in its own storage and
-- writes here at most every 15 minutes per agent (and at once when a day turns over), never once
-- per report. Kept 400 days like the rollups; the cron prunes older days.
CREATE TABLE agent_disk_daily (
  agent_id       TEXT NOT NULL,
  mount          TEXT NOT NULL,
  day            TEXT NOT NULL,        -- local date, YYYY-MM-DD
  max_used_pct   REAL NOT NULL,        -- highest use seen that day, percent
  last_used_pct  REAL NOT NULL,        -- latest use seen that day, percent
  updated_at     INTEGER NOT NULL,     -- ms epoch of the write
  PRIMARY KEY (agent_id, mount, day)
) WITHOUT ROWID;
CREATE INDEX agent_disk_daily_by_day ON agent_disk_daily (day);

-- The leaf certificate each tls monitor read last (written with the probe batch's raw results,
-- only when it changed or at most hourly). Rows not refreshed for 30 days are pruned.
CREATE TABLE tls_certificates (
  check_id    TEXT PRIMARY KEY,        -- the tls monitor's id
  host        TEXT NOT NULL,           -- servername, else host
  not_after   INTEGER NOT NULL,        -- ms epoch the leaf expires
  subject     TEXT NOT NULL,
  issuer      TEXT NOT NULL,
  checked_at  INTEGER NOT NULL         -- ms epoch of the reading
);
