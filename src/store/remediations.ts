/** `remediations`: what agents did to repair their checks, once per attempt. */

export interface RemediationRecord {
  checkId: string;
  agentId: string;
  action: string;
  attempt: number;
  outcome: "succeeded" | "failed" | "skipped" | "dry-run";
  /** ms epoch */
  at: number;
  detail: string | null;
  seq: number;
}

/** Inserts an attempt unless the same (check, action, attempt, at) is already stored. */
export function insertRemediation(db: D1Database, r: RemediationRecord, receivedAt: number): D1PreparedStatement {
  return db
    .prepare(
      `INSERT OR IGNORE INTO remediations (check_id, agent_id, action, attempt, outcome, at, detail, seq, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .bind(r.checkId, r.agentId, r.action, r.attempt, r.outcome, r.at, r.detail, r.seq, receivedAt);
}

/** The most recent attempts for a check, newest first. */
export async function recentRemediations(db: D1Database, checkId: string, limit = 20): Promise<RemediationRecord[]> {
  const { results } = await db
    .prepare("SELECT * FROM remediations WHERE check_id = ? ORDER BY at DESC, id DESC LIMIT ?")
    .bind(checkId, limit)
    .all<{
      check_id: string;
      agent_id: string;
      action: string;
      attempt: number;
      outcome: RemediationRecord["outcome"];
      at: number;
      detail: string | null;
      seq: number;
    }>();
  return results.map((r) => ({
    checkId: r.check_id,
    agentId: r.agent_id,
    action: r.action,
    attempt: r.attempt,
    outcome: r.outcome,
    at: r.at,
    detail: r.detail,
    seq: r.seq,
  }));
}

/**
 * Failed recoveries of a check since its last successful one (skipped and dry-run attempts
 * neither count nor reset): the runbook's "escalate after 3 failed automatic recoveries".
 * `since` (ms epoch) limits the window, e.g. to the current incident.
 */
export async function failedRecoveriesInARow(db: D1Database, checkId: string, since = 0): Promise<number> {
  const row = await db
    .prepare(
      `SELECT COUNT(*) AS n FROM remediations
       WHERE check_id = ?1 AND outcome = 'failed' AND at >= ?2
         AND at > COALESCE((SELECT MAX(at) FROM remediations WHERE check_id = ?1 AND outcome = 'succeeded'), -1)`,
    )
    .bind(checkId, since)
    .first<{ n: number }>();
  return row?.n ?? 0;
}
