-- Agents, their remediation log, and staleness of agent checks. The AgentObject / HeartbeatObject
-- Durable Objects own live state (last seq, deadlines, history); these rows are the read model,
-- written when something changes, never once per report.

-- An agent check whose agent went silent is "stale": its last evaluated status is kept (a database
-- that was down is not assumed to have recovered) but it is no longer current. NULL = current.
ALTER TABLE check_state ADD COLUMN stale_since INTEGER;

CREATE TABLE agents (
  agent_id        TEXT PRIMARY KEY,
  hostname        TEXT,
  version         TEXT,
  interval_s      INTEGER,                 -- the interval the agent promised in its last report
  last_seq        INTEGER,
  last_seen       INTEGER,                 -- ms epoch; refreshed at most once a minute while healthy
  deadline        INTEGER,                 -- ms epoch: last_seen + grace (the dead-man alarm)
  silent_since    INTEGER,                 -- ms epoch the dead-man fired; NULL while reporting
  updated_at      INTEGER NOT NULL
);

-- Every remediation attempt an agent reported, once (agents resend through their spool).
-- The escalation policy counts consecutive failed recoveries per check from here.
CREATE TABLE remediations (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  check_id    TEXT NOT NULL,              -- agent:<agent>:<check>
  agent_id    TEXT NOT NULL,
  action      TEXT NOT NULL,
  attempt     INTEGER NOT NULL,
  outcome     TEXT NOT NULL CHECK (outcome IN ('succeeded', 'failed', 'skipped', 'dry-run')),
  at          INTEGER NOT NULL,           -- ms epoch the agent acted
  detail      TEXT,
  seq         INTEGER NOT NULL,           -- report that carried it
  received_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX remediations_once ON remediations (check_id, action, attempt, at);
CREATE INDEX remediations_by_check ON remediations (check_id, at DESC);
