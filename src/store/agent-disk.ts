/** `agent_disk_daily`: per agent mount and local day, the highest and latest disk use (written by the AgentObject). */
import type { DiskDay } from "../engine/disk-days";

export interface DiskDayRow {
  agent_id: string;
  mount: string;
  day: string;
  max_used_pct: number;
  last_used_pct: number;
}

/** Upsert of one day; the maximum never goes down (two writers of one day agree on the peak). */
export function upsertDiskDay(
  db: D1Database,
  agentId: string,
  d: Pick<DiskDay, "mount" | "day" | "maxPct" | "lastPct">,
  now: number,
): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO agent_disk_daily (agent_id, mount, day, max_used_pct, last_used_pct, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
       ON CONFLICT (agent_id, mount, day) DO UPDATE SET max_used_pct = MAX(agent_disk_daily.max_used_pct, excluded.max_used_pct),
         last_used_pct = excluded.last_used_pct, updated_at = excluded.updated_at`,
    )
    .bind(agentId, d.mount, d.day, d.maxPct, d.lastPct, now);
}

/** Rows of the given agents with `from <= day <= to` (local dates), by agent, mount and day. */
export async function diskDaysBetween(db: D1Database, agentIds: readonly string[], from: string, to: string): Promise<DiskDayRow[]> {
  if (agentIds.length === 0) return [];
  const { results } = await db
    .prepare(
      `SELECT agent_id, mount, day, max_used_pct, last_used_pct FROM agent_disk_daily
       WHERE agent_id IN (SELECT value FROM json_each(?1)) AND day >= ?2 AND day <= ?3 ORDER BY agent_id, mount, day`,
    )
    .bind(JSON.stringify(agentIds), from, to)
    .all<DiskDayRow>();
  return results;
}
