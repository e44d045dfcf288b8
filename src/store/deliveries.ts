/** `deliveries`: one row per delivery attempt; the idempotency key answers "already sent?". */

export interface DeliveryAttempt {
  key: string;
  incidentId: string | null;
  channelId: string;
  eventType: string;
  attempt: number;
  outcome: "delivered" | "retry" | "failed" | "dead";
  httpStatus?: number;
  latencyMs?: number;
  error?: string;
  at: number;
}

export async function wasDelivered(db: D1Database, key: string): Promise<boolean> {
  const row = await db
    .prepare("SELECT 1 AS x FROM deliveries WHERE idempotency_key = ? AND outcome = 'delivered' LIMIT 1")
    .bind(key)
    .first();
  return row !== null;
}

export function recordAttempt(db: D1Database, a: DeliveryAttempt): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO deliveries (idempotency_key, incident_id, channel_id, event_type, attempt, outcome, http_status, latency_ms, error, at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .bind(
      a.key,
      a.incidentId,
      a.channelId,
      a.eventType,
      a.attempt,
      a.outcome,
      a.httpStatus ?? null,
      a.latencyMs ?? null,
      a.error ?? null,
      a.at,
    );
}

export async function listDeliveries(db: D1Database, incidentId: string) {
  const { results } = await db.prepare("SELECT * FROM deliveries WHERE incident_id = ? ORDER BY id").bind(incidentId).all();
  return results;
}

/** Outcomes after which a key is never sent again. */
export const FINAL_OUTCOMES = ["delivered", "failed", "dead"] as const;

/** Whether the key reached a final outcome (delivered, failed or dead). */
export async function isFinal(db: D1Database, key: string): Promise<boolean> {
  const row = await db
    .prepare("SELECT 1 AS x FROM deliveries WHERE idempotency_key = ? AND outcome IN ('delivered', 'failed', 'dead') LIMIT 1")
    .bind(key)
    .first();
  return row !== null;
}

/**
 * Takes the delivery lease of a key until `until`; false when another consumer holds an
 * unexpired lease. A lease left by a crashed consumer expires by itself.
 */
export async function claimDelivery(db: D1Database, key: string, now: number, until: number): Promise<boolean> {
  const res = await db
    .prepare(
      `INSERT INTO delivery_claims (idempotency_key, until) VALUES (?1, ?2)
       ON CONFLICT (idempotency_key) DO UPDATE SET until = ?2 WHERE delivery_claims.until <= ?3`,
    )
    .bind(key, until, now)
    .run();
  return res.meta.changes === 1;
}

export function releaseDelivery(db: D1Database, key: string): D1PreparedStatement {
  return db.prepare("DELETE FROM delivery_claims WHERE idempotency_key = ?").bind(key);
}

/**
 * Outbox messages of the same incident and channel that come before `key` — queued earlier, or
 * in the same batch with an earlier `rank` — and have not reached a final outcome.
 */
export async function pendingPredecessors(
  db: D1Database,
  m: { key: string; incidentId: string; channelId: string },
  rank: (eventType: string, level: number) => number,
): Promise<string[]> {
  const { results } = await db
    .prepare(
      `SELECT o.key, o.created_at, json_extract(o.message, '$.event.type') AS type, json_extract(o.message, '$.level') AS level,
              me.created_at AS my_created, json_extract(me.message, '$.event.type') AS my_type, json_extract(me.message, '$.level') AS my_level
       FROM outbox o JOIN outbox me ON me.key = ?3
       WHERE json_extract(o.message, '$.incidentId') = ?1 AND json_extract(o.message, '$.channelId') = ?2
         AND o.created_at <= me.created_at AND o.key <> ?3
         AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.idempotency_key = o.key AND d.outcome IN ('delivered', 'failed', 'dead'))`,
    )
    .bind(m.incidentId, m.channelId, m.key)
    .all<{ key: string; created_at: number; type: string; level: number; my_created: number; my_type: string; my_level: number }>();
  return results.filter((r) => r.created_at < r.my_created || rank(r.type, r.level) < rank(r.my_type, r.my_level)).map((r) => r.key);
}

export interface DeliveryQuery {
  outcome?: DeliveryAttempt["outcome"];
  channelId?: string;
  incidentId?: string;
  limit: number;
  /** Only rows with an id below this (paging, newest first). */
  before?: number;
}

/** Attempts, newest first, filtered. */
export async function queryDeliveries(db: D1Database, q: DeliveryQuery) {
  const where: string[] = [];
  const args: unknown[] = [];
  if (q.outcome) where.push("outcome = ?"), args.push(q.outcome);
  if (q.channelId) where.push("channel_id = ?"), args.push(q.channelId);
  if (q.incidentId) where.push("incident_id = ?"), args.push(q.incidentId);
  if (q.before !== undefined) where.push("id < ?"), args.push(q.before);
  const sql = `SELECT * FROM deliveries ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`;
  const { results } = await db
    .prepare(sql)
    .bind(...args, q.limit)
    .all<DeliveryRow>();
  return results;
}

export interface DeliveryRow {
  id: number;
  idempotency_key: string;
  incident_id: string | null;
  channel_id: string;
  event_type: string;
  attempt: number;
  outcome: DeliveryAttempt["outcome"];
  http_status: number | null;
  latency_ms: number | null;
  error: string | null;
  at: number;
}

/** The stored queue message of a key (for redriving a dead letter). */
export async function outboxMessage(db: D1Database, key: string): Promise<string | null> {
  const row = await db.prepare("SELECT message FROM outbox WHERE key = ?").bind(key).first<{ message: string }>();
  return row?.message ?? null;
}
