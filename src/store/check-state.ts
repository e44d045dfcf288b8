/** `check_state`: the evaluated state per check (monitor, agent check, heartbeat), written only when it changes. */
import type { MonitorState } from "../engine/evaluate";

interface Row {
  check_id: string;
  status: MonitorState["status"];
  since: number;
  consecutive_failures: number;
  consecutive_successes: number;
  reason: string | null;
}

const toState = (r: Row): MonitorState => ({
  status: r.status,
  since: r.since,
  consecutiveFailures: r.consecutive_failures,
  consecutiveSuccesses: r.consecutive_successes,
  reason: r.reason,
});

export async function loadStates(db: D1Database, ids?: readonly string[]): Promise<Map<string, MonitorState>> {
  const stmt = ids
    ? db.prepare(`SELECT * FROM check_state WHERE check_id IN (SELECT value FROM json_each(?))`).bind(JSON.stringify(ids))
    : db.prepare("SELECT * FROM check_state");
  const { results } = await stmt.all<Row>();
  return new Map(results.map((r) => [r.check_id, toState(r)]));
}

export function saveState(db: D1Database, checkId: string, s: MonitorState, now: number): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO check_state (check_id, status, since, consecutive_failures, consecutive_successes, reason, updated_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
       ON CONFLICT (check_id) DO UPDATE SET status = ?2, since = ?3, consecutive_failures = ?4,
         consecutive_successes = ?5, reason = ?6, updated_at = ?7`,
    )
    .bind(checkId, s.status, s.since, s.consecutiveFailures, s.consecutiveSuccesses, s.reason, now);
}

/**
 * Each monitor's last run start (`last_run`), for the checks in `runs`: one statement for a
 * whole batch, written with its raw results. A row not there yet (its first observation failed
 * to record) is left for the next batch; a time never moves back.
 */
export function saveLastRuns(db: D1Database, runs: ReadonlyMap<string, number>): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE check_state SET last_run = r.at
       FROM (SELECT value ->> 0 AS id, value ->> 1 AS at FROM json_each(?1)) AS r
       WHERE check_state.check_id = r.id AND (check_state.last_run IS NULL OR check_state.last_run < r.at)`,
    )
    .bind(JSON.stringify([...runs]));
}

/** `last_run` of the checks that have one, by check id. */
export async function loadLastRuns(db: D1Database, ids?: readonly string[]): Promise<Map<string, number>> {
  const stmt = ids
    ? db
        .prepare("SELECT check_id, last_run FROM check_state WHERE last_run IS NOT NULL AND check_id IN (SELECT value FROM json_each(?))")
        .bind(JSON.stringify(ids))
    : db.prepare("SELECT check_id, last_run FROM check_state WHERE last_run IS NOT NULL");
  const { results } = await stmt.all<{ check_id: string; last_run: number }>();
  return new Map(results.map((r) => [r.check_id, r.last_run]));
}
