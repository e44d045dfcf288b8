/** `outbox`: notifications written with the change that caused them, handed to the queue after. */
import type { NotifyMessage } from "../notify/message";

export function enqueueInOutbox(db: D1Database, m: NotifyMessage, now: number): D1PreparedStatement {
  return db.prepare("INSERT OR IGNORE INTO outbox (key, message, created_at) VALUES (?, ?, ?)").bind(m.key, JSON.stringify(m), now);
}

/**
 * Hands the messages just written to the outbox to the queue at once and marks them sent, so a
 * page or a status-page update leaves in the same moment as the change that caused it instead
 * of waiting for the next sweep. Never throws: when the queue cannot be reached the rows stay
 * unsent and `flushOutbox` (the cron tick's sweep) sends them — late, but not lost. Returns
 * how many were handed over.
 */
export async function handOver(
  db: D1Database,
  queue: Queue<NotifyMessage>,
  messages: readonly NotifyMessage[],
  now: number,
): Promise<number> {
  if (messages.length === 0) return 0;
  try {
    await queue.sendBatch(messages.map((m) => ({ body: m, contentType: "json" as const })));
  } catch (err) {
    console.error(
      JSON.stringify({
        msg: "outbox hand-over failed; the sweep sends these",
        keys: messages.map((m) => m.key),
        error: (err as Error).message,
      }),
    );
    return 0;
  }
  try {
    await db
      .prepare("UPDATE outbox SET sent_at = ? WHERE sent_at IS NULL AND key IN (SELECT value FROM json_each(?))")
      .bind(now, JSON.stringify(messages.map((m) => m.key)))
      .run();
  } catch (err) {
    // Sent but not marked: the sweep sends them again and the consumer's idempotency key drops the copy.
    console.error(JSON.stringify({ msg: "outbox hand-over not marked sent", error: (err as Error).message }));
  }
  return messages.length;
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
