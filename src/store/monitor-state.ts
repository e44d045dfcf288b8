/** `monitor_state`: the evaluated state per monitor, written only when it changes. */
import type { MonitorState } from "../engine/evaluate";

interface Row {
  monitor_id: string;
  status: MonitorState["status"];
  since: number;
  consecutive_failures: number;
  consecutive_successes: number;
  reason: string | null;
}

export async function loadStates(db: D1Database): Promise<Map<string, MonitorState>> {
  const { results } = await db.prepare("SELECT * FROM monitor_state").all<Row>();
  return new Map(
    results.map((r) => [
      r.monitor_id,
      { status: r.status, since: r.since, consecutiveFailures: r.consecutive_failures, consecutiveSuccesses: r.consecutive_successes, reason: r.reason },
    ]),
  );
}

export function saveState(db: D1Database, monitorId: string, s: MonitorState, now: number): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO monitor_state (monitor_id, status, since, consecutive_failures, consecutive_successes, reason, updated_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
       ON CONFLICT (monitor_id) DO UPDATE SET status = ?2, since = ?3, consecutive_failures = ?4,
         consecutive_successes = ?5, reason = ?6, updated_at = ?7`,
    )
    .bind(monitorId, s.status, s.since, s.consecutiveFailures, s.consecutiveSuccesses, s.reason, now);
}
