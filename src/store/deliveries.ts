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
  const row = await db.prepare("SELECT 1 AS x FROM deliveries WHERE idempotency_key = ? AND outcome = 'delivered' LIMIT 1").bind(key).first();
  return row !== null;
}

export function recordAttempt(db: D1Database, a: DeliveryAttempt): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO deliveries (idempotency_key, incident_id, channel_id, event_type, attempt, outcome, http_status, latency_ms, error, at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .bind(a.key, a.incidentId, a.channelId, a.eventType, a.attempt, a.outcome, a.httpStatus ?? null, a.latencyMs ?? null, a.error ?? null, a.at);
}

export async function listDeliveries(db: D1Database, incidentId: string) {
  const { results } = await db.prepare("SELECT * FROM deliveries WHERE incident_id = ? ORDER BY id").bind(incidentId).all();
  return results;
}
