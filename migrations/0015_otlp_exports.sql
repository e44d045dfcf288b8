-- OTLP span exports (issue #23 point 5), counted for /metrics: one row per outcome
-- ('ok', 'failed'), how many export requests and how many spans they carried. A failed export
-- is not retried (best effort), so `spans` of 'failed' are spans lost.
CREATE TABLE otlp_exports (
  outcome TEXT PRIMARY KEY,
  exports INTEGER NOT NULL DEFAULT 0,
  spans INTEGER NOT NULL DEFAULT 0
);
