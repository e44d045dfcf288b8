/** `agents` read model and the `stale_since` flag of agent checks in `check_state`. */

export interface AgentRow {
  agent_id: string;
  hostname: string | null;
  version: string | null;
  interval_s: number | null;
  last_seq: number | null;
  last_seen: number | null;
  deadline: number | null;
  silent_since: number | null;
  updated_at: number;
}

export type AgentRecord = Omit<AgentRow, "updated_at">;

export function upsertAgent(db: D1Database, a: AgentRecord, now: number): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO agents (agent_id, hostname, version, interval_s, last_seq, last_seen, deadline, silent_since, updated_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
       ON CONFLICT (agent_id) DO UPDATE SET hostname = ?2, version = ?3, interval_s = ?4, last_seq = ?5,
         last_seen = ?6, deadline = ?7, silent_since = ?8, updated_at = ?9`,
    )
    .bind(a.agent_id, a.hostname, a.version, a.interval_s, a.last_seq, a.last_seen, a.deadline, a.silent_since, now);
}

export async function listAgents(db: D1Database): Promise<Map<string, AgentRow>> {
  const { results } = await db.prepare("SELECT * FROM agents").all<AgentRow>();
  return new Map(results.map((r) => [r.agent_id, r]));
}

/** Marks the given checks stale (since `at`), or current again (`at` = null). */
export function setStale(db: D1Database, checkIds: readonly string[], at: number | null): D1PreparedStatement {
  return db
    .prepare("UPDATE check_state SET stale_since = ?1 WHERE check_id IN (SELECT value FROM json_each(?2))")
    .bind(at, JSON.stringify(checkIds));
}
