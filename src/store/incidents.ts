/** `incidents`, `incident_members`, `incident_events`: the incident read model. */
import type { Incident } from "../engine/escalation";

export interface IncidentRow {
  id: string;
  service_id: string;
  status: "open" | "resolved";
  title: string;
  level: number;
  opened_at: number;
  resolved_at: number | null;
  acknowledged_at?: number | null;
  acknowledged_by?: string | null;
  flags?: string;
  held?: string | null;
}

interface MemberRow {
  incident_id: string;
  check_id: string;
  status: string;
  reason: string | null;
  since: number;
  kind: string | null;
  suppressed_by: string | null;
}

const toMember = (r: MemberRow) => ({
  check: r.check_id,
  kind: r.kind,
  status: r.status,
  reason: r.reason,
  since: new Date(r.since).toISOString(),
  ...(r.suppressed_by && { suppressedBy: r.suppressed_by }),
});

/** The incident row as the ServiceObject's state has it. */
export function upsertIncident(db: D1Database, serviceId: string, i: Incident): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO incidents (id, service_id, status, title, level, opened_at, resolved_at, acknowledged_at, acknowledged_by, flags, held)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
       ON CONFLICT (id) DO UPDATE SET status = ?3, title = ?4, level = ?5, opened_at = ?6, resolved_at = ?7,
         acknowledged_at = ?8, acknowledged_by = ?9, flags = ?10, held = ?11`,
    )
    .bind(
      i.id,
      serviceId,
      i.status,
      i.title,
      i.level,
      i.openedAt,
      i.resolvedAt,
      i.ack?.at ?? null,
      i.ack?.by ?? null,
      JSON.stringify(i.flags),
      i.held,
    );
}

/** One statement per member; `suppressedBy` maps inhibited members to their root cause. */
/**
 * Upserts for an incident's members. With `written` (what this caller last wrote, by
 * incident and check), members whose row would not change are skipped, and `written` is
 * updated: a burst of 50 agents joining one incident writes 50 rows, not 50 × 51 / 2. The
 * caller must clear `written` when the batch fails.
 */
export function upsertMembers(
  db: D1Database,
  i: Incident,
  suppressedBy: Readonly<Record<string, string>>,
  written?: Map<string, string>,
): D1PreparedStatement[] {
  const out: D1PreparedStatement[] = [];
  for (const [checkId, m] of Object.entries(i.members)) {
    const values = [
      i.id,
      checkId,
      m.status,
      m.reason,
      m.since,
      m.kind,
      m.status === "down" ? (suppressedBy[checkId] ?? null) : null,
    ] as const;
    if (written) {
      const key = `${i.id}\u0000${checkId}`;
      const row = JSON.stringify(values);
      if (written.get(key) === row) continue;
      if (written.size >= 50_000) written.clear();
      written.set(key, row);
    }
    out.push(
      db
        .prepare(
          `INSERT INTO incident_members (incident_id, check_id, status, reason, since, kind, suppressed_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
           ON CONFLICT (incident_id, check_id) DO UPDATE SET status = ?3, reason = ?4, since = ?5, kind = ?6, suppressed_by = ?7`,
        )
        .bind(...values),
    );
  }
  return out;
}

export function addEvent(
  db: D1Database,
  incidentId: string,
  at: number,
  type: string,
  detail: Record<string, unknown> = {},
): D1PreparedStatement {
  return db
    .prepare("INSERT INTO incident_events (incident_id, at, type, detail) VALUES (?, ?, ?, ?)")
    .bind(incidentId, at, type, JSON.stringify(detail));
}

export async function getIncident(db: D1Database, id: string) {
  const row = await db.prepare("SELECT * FROM incidents WHERE id = ?").bind(id).first<IncidentRow>();
  if (!row) return null;
  const [members, events] = await db.batch<Record<string, unknown>>([
    db.prepare("SELECT * FROM incident_members WHERE incident_id = ? ORDER BY since").bind(id),
    db.prepare("SELECT at, type, detail FROM incident_events WHERE incident_id = ? ORDER BY id").bind(id),
  ]);
  return {
    ...incidentJson(row),
    members: (members!.results as unknown as MemberRow[]).map(toMember),
    timeline: (events!.results as { at: number; type: string; detail: string }[]).map((e) => ({
      at: new Date(e.at).toISOString(),
      type: e.type,
      ...JSON.parse(e.detail),
    })),
  };
}

export async function listIncidents(db: D1Database, status: "open" | "resolved" | undefined, limit: number) {
  const stmt = status
    ? db.prepare("SELECT * FROM incidents WHERE status = ? ORDER BY opened_at DESC LIMIT ?").bind(status, limit)
    : db.prepare("SELECT * FROM incidents ORDER BY opened_at DESC LIMIT ?").bind(limit);
  const { results } = await stmt.all<IncidentRow>();
  return results.map(incidentJson);
}

export function incidentJson(row: IncidentRow) {
  return {
    id: row.id,
    service: row.service_id,
    status: row.status,
    title: row.title,
    level: row.level,
    openedAt: new Date(row.opened_at).toISOString(),
    resolvedAt: row.resolved_at === null ? null : new Date(row.resolved_at).toISOString(),
    acknowledged: row.acknowledged_at ? { at: new Date(row.acknowledged_at).toISOString(), by: row.acknowledged_by ?? null } : null,
    flags: JSON.parse(row.flags ?? "[]") as string[],
    held: row.held ?? null,
  };
}
