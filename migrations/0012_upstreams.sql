-- What the providers' status pages (config `upstreams`, Statuspage JSON) said when last read:
-- one row per upstream, written by the cron's poller when a read is due (src/upstreams/poll.ts)
-- and read by the service objects of the services that depend on it.
CREATE TABLE upstream_status (
  upstream_id  TEXT PRIMARY KEY,
  state        TEXT NOT NULL,          -- operational | incident | unknown
  indicator    TEXT,                   -- status.indicator (none | minor | major | critical | maintenance); null when unknown
  title        TEXT,                   -- the incident's title while state = incident
  detail       TEXT,                   -- why the state is unknown (a timeout, a bad document)
  page_name    TEXT,                   -- page.name of the document, when it has one
  since        INTEGER NOT NULL,       -- ms epoch the state (and title) began
  checked_at   INTEGER NOT NULL        -- ms epoch of the last read
) WITHOUT ROWID;
