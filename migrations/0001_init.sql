-- Vigil read model. Durable Objects and the evaluator own live decisions; these tables are what
-- the API, status page and notifier read. Rows are written on change, never once per probe.

-- Current evaluated state per check — probe monitors, agent checks, heartbeats (written only when it changes).
CREATE TABLE check_state (
  check_id              TEXT PRIMARY KEY,          -- monitor id, or agent check id (agent:<agent>:<check>)
  status                TEXT NOT NULL CHECK (status IN ('unknown', 'up', 'degraded', 'down')),
  since                 INTEGER NOT NULL,          -- ms epoch of the last status change
  consecutive_failures  INTEGER NOT NULL DEFAULT 0, -- saturates at the failure threshold
  consecutive_successes INTEGER NOT NULL DEFAULT 0, -- saturates at the recovery threshold
  reason                TEXT,                       -- why it is not up, in words
  updated_at            INTEGER NOT NULL
);

CREATE TABLE incidents (
  id           TEXT PRIMARY KEY,
  service_id   TEXT NOT NULL,
  status       TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
  title        TEXT NOT NULL,
  level        INTEGER NOT NULL DEFAULT 1,
  opened_at    INTEGER NOT NULL,
  resolved_at  INTEGER
);
CREATE INDEX incidents_by_status ON incidents (status, opened_at DESC);
-- At most one open incident per service.
CREATE UNIQUE INDEX incidents_one_open_per_service ON incidents (service_id) WHERE status = 'open';

CREATE TABLE incident_members (
  incident_id  TEXT NOT NULL REFERENCES incidents (id),
  check_id     TEXT NOT NULL,
  status       TEXT NOT NULL,
  reason       TEXT,
  since        INTEGER NOT NULL,
  PRIMARY KEY (incident_id, check_id)
);

-- Timeline: opened, member added, notification queued/sent, resolved, …
CREATE TABLE incident_events (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  incident_id  TEXT NOT NULL REFERENCES incidents (id),
  at           INTEGER NOT NULL,
  type         TEXT NOT NULL,
  detail       TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX incident_events_by_incident ON incident_events (incident_id, id);

-- Delivery log: one row per attempt; `idempotency_key` identifies (incident, level, channel, event).
CREATE TABLE deliveries (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  idempotency_key  TEXT NOT NULL,
  incident_id      TEXT,
  channel_id       TEXT NOT NULL,
  event_type       TEXT NOT NULL,
  attempt          INTEGER NOT NULL,
  outcome          TEXT NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed', 'dead')),
  http_status      INTEGER,
  latency_ms       INTEGER,
  error            TEXT,
  at               INTEGER NOT NULL
);
CREATE INDEX deliveries_by_key ON deliveries (idempotency_key, outcome);
CREATE INDEX deliveries_by_incident ON deliveries (incident_id, id);

-- Outbox: notifications are written in the same batch as the state change that caused them,
-- then handed to the queue; the cron hands over any that a crash left behind.
CREATE TABLE outbox (
  key         TEXT PRIMARY KEY,
  message     TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  sent_at     INTEGER
);
CREATE INDEX outbox_unsent ON outbox (sent_at, created_at);
