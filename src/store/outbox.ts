/** `outbox`: notifications written with the change that caused them, handed to the queue after. */
import type { NotifyMessage } from "../notify/message";

export function enqueueInOutbox(db: D1Database, m: NotifyMessage, now: number): D1PreparedStatement {
  return db.prepare("INSERT OR IGNORE INTO outbox (key, message, created_at) VALUES (?, ?, ?)").bind(m.key, JSON.stringify(m), now);
}

/** Hands unsent messages (oldest first) to the queue and marks them sent. */
export async function flushOutbox(db: D1Database, queue: Queue<NotifyMessage>, now: number, limit = 100): Promise<number> {
  const { results } = await db
    .prepare("SELECT key, message FROM outbox WHERE sent_at IS NULL ORDER BY created_at LIMIT ?")
    .bind(limit)
    .all<{ key: string; message: string }>();
  if (results.length === 0) return 0;
  await queue.sendBatch(results.map((r) => ({ body: JSON.parse(r.message) as NotifyMessage, contentType: "json" as const })));
  await db.batch(results.map((r) => db.prepare("UPDATE outbox SET sent_at = ? WHERE key = ?").bind(now, r.key)));
  return results.length;
}
