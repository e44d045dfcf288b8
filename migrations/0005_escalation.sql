-- Escalation read model. The ServiceObject (one Durable Object per service) owns incidents and
-- their timers; these columns and tables are what the API and status page read.
ALTER TABLE incidents ADD COLUMN acknowledged_at INTEGER;
ALTER TABLE incidents ADD COLUMN acknowledged_by TEXT;
ALTER TABLE incidents ADD COLUMN flags TEXT NOT NULL DEFAULT '[]';
ALTER TABLE incidents ADD COLUMN held TEXT;                -- why pages are held now: silence, maintenance, inhibited, flapping

ALTER TABLE incident_members ADD COLUMN kind TEXT;
ALTER TABLE incident_members ADD COLUMN suppressed_by TEXT; -- root cause while inhibited by a down dependency

-- Silences: no pages for matching services/checks until they expire.
CREATE TABLE silences (
  id          TEXT PRIMARY KEY,
  service_id  TEXT,               -- NULL: any service
  check_glob  TEXT,               -- NULL: any check; `*` matches any run of characters
  comment     TEXT NOT NULL,
  created_by  TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  ends_at     INTEGER NOT NULL
);
CREATE INDEX silences_active ON silences (ends_at);
