/** `incidents`, `incident_members`, `incident_events`: the incident read model. */
import type { IncidentMember, OpenIncident } from "../engine/incident";

export interface IncidentRow {
  id: string;
  service_id: string;
  status: "open" | "resolved";
  title: string;
  level: number;
  opened_at: number;
  resolved_at: number | null;
}

interface MemberRow {
  incident_id: string;
  check_id: string;
  status: string;
  reason: string | null;
  since: number;
}

const toMember = (r: MemberRow): IncidentMember => ({ checkId: r.check_id, status: r.status, reason: r.reason, since: r.since });

export async function openIncidentFor(db: D1Database, serviceId: string): Promise<OpenIncident | null> {
  const row = await db.prepare("SELECT * FROM incidents WHERE service_id = ? AND status = 'open'").bind(serviceId).first<IncidentRow>();
  if (!row) return null;
  const { results } = await db.prepare("SELECT * FROM incident_members WHERE incident_id = ?").bind(row.id).all<MemberRow>();
  return { id: row.id, serviceId: row.service_id, level: row.level, openedAt: row.opened_at, members: results.map(toMember) };
}

export function insertIncident(db: D1Database, i: { id: string; serviceId: string; title: string; openedAt: number }): D1PreparedStatement {
  return db
    .prepare("INSERT INTO incidents (id, service_id, status, title, level, opened_at) VALUES (?, ?, 'open', ?, 1, ?)")
    .bind(i.id, i.serviceId, i.title, i.openedAt);
}

export function upsertMember(db: D1Database, incidentId: string, m: IncidentMember): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO incident_members (incident_id, check_id, status, reason, since) VALUES (?1, ?2, ?3, ?4, ?5)
       ON CONFLICT (incident_id, check_id) DO UPDATE SET status = ?3, reason = ?4, since = ?5`,
    )
    .bind(incidentId, m.checkId, m.status, m.reason, m.since);
}

export function resolveIncident(db: D1Database, incidentId: string, at: number): D1PreparedStatement {
  return db.prepare("UPDATE incidents SET status = 'resolved', resolved_at = ? WHERE id = ? AND status = 'open'").bind(at, incidentId);
}

export function addEvent(db: D1Database, incidentId: string, at: number, type: string, detail: Record<string, unknown> = {}): D1PreparedStatement {
  return db.prepare("INSERT INTO incident_events (incident_id, at, type, detail) VALUES (?, ?, ?, ?)").bind(incidentId, at, type, JSON.stringify(detail));
}

export async function getIncident(db: D1Database, id: string) {
  const row = await db.prepare("SELECT * FROM incidents WHERE id = ?").bind(id).first<IncidentRow>();
  if (!row) return null;
  const [members, events] = await db.batch<Record<string, unknown>>([
    db.prepare("SELECT check_id, status, reason, since FROM incident_members WHERE incident_id = ? ORDER BY since").bind(id),
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
  };
}
