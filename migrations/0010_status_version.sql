-- A counter that moves whenever what the public status page shows changes: check states
-- (status, reason, since, staleness — not the counters every probe rewrites), incidents, their
-- members and timelines. The page and /status.json are cached under this version
-- (src/routes/status-cache.ts), so a change is visible on the next request while an unchanged
-- page is served from the cache. Triggers, so that no writer can forget to move it. `epoch` is
-- random per database: a database made anew (a fresh local state) never meets pages cached
-- for another one under the same version number.
CREATE TABLE status_version (
  id       INTEGER PRIMARY KEY CHECK (id = 1),
  version  INTEGER NOT NULL,
  epoch    TEXT NOT NULL
);
INSERT INTO status_version (id, version, epoch) VALUES (1, 0, lower(hex(randomblob(8))));

CREATE TRIGGER status_version_check_state_insert AFTER INSERT ON check_state
BEGIN UPDATE status_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER status_version_check_state_update AFTER UPDATE ON check_state
WHEN OLD.status IS NOT NEW.status OR OLD.reason IS NOT NEW.reason OR OLD.since IS NOT NEW.since OR OLD.stale_since IS NOT NEW.stale_since
BEGIN UPDATE status_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER status_version_check_state_delete AFTER DELETE ON check_state
BEGIN UPDATE status_version SET version = version + 1 WHERE id = 1; END;

CREATE TRIGGER status_version_incidents_insert AFTER INSERT ON incidents
BEGIN UPDATE status_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER status_version_incidents_update AFTER UPDATE ON incidents
BEGIN UPDATE status_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER status_version_incidents_delete AFTER DELETE ON incidents
BEGIN UPDATE status_version SET version = version + 1 WHERE id = 1; END;

CREATE TRIGGER status_version_members_insert AFTER INSERT ON incident_members
BEGIN UPDATE status_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER status_version_members_update AFTER UPDATE ON incident_members
BEGIN UPDATE status_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER status_version_members_delete AFTER DELETE ON incident_members
BEGIN UPDATE status_version SET version = version + 1 WHERE id = 1; END;

CREATE TRIGGER status_version_events_insert AFTER INSERT ON incident_events
BEGIN UPDATE status_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER status_version_events_delete AFTER DELETE ON incident_events
BEGIN UPDATE status_version SET version = version + 1 WHERE id = 1; END;
