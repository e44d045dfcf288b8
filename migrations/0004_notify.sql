-- Notification delivery: exactly-once claims, in-order delivery per (incident, channel), and the
-- dead-letter / failure views of the delivery log.

-- A delivery in flight holds a short lease on its idempotency key, so two copies of one queue
-- message (at-least-once delivery) cannot both send. Released when the attempt is logged.
CREATE TABLE delivery_claims (
  idempotency_key  TEXT PRIMARY KEY,
  until            INTEGER NOT NULL   -- ms epoch the lease ends (a crashed consumer's lease expires)
);

-- "Which earlier notifications of this incident on this channel are still on their way?"
CREATE INDEX outbox_by_incident_channel ON outbox (json_extract(message, '$.incidentId'), json_extract(message, '$.channelId'), created_at);

-- `GET /v1/deliveries?status=dead|failed|…`, newest first.
CREATE INDEX deliveries_by_outcome ON deliveries (outcome, id);
