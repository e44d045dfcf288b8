/**
 * Read queries for the public status page, `/status.json`, badges, the incident feed and
 * `/metrics`. Everything current (check states, incidents, agents) is read live in one D1
 * batch; the 90-day history comes from `status-history.ts`, which caches the days that are over.
 */
import type { IncidentRow } from "./incidents";

export type CheckStatus = "unknown" | "up" | "degraded" | "down";

export interface CheckStateRow {
  check_id: string;
  status: CheckStatus;
  since: number;
  reason: string | null;
  updated_at: number;
  stale_since: number | null;
}

export interface IncidentEventRow {
  incident_id: string;
  at: number;
  type: string;
  detail: string;
}

export interface IncidentMemberRow {
  incident_id: string;
  check_id: string;
  status: string;
  reason: string | null;
  since: number;
}

export interface AgentSeenRow {
  agent_id: string;
  hostname: string | null;
  last_seen: number | null;
  silent_since: number | null;
}

export interface CurrentSnapshot {
  states: Map<string, CheckStateRow>;
  /** Open incidents first, then resolved ones newest first (at most `recentIncidents`). */
  incidents: IncidentRow[];
  members: Map<string, IncidentMemberRow[]>;
  events: Map<string, IncidentEventRow[]>;
  agents: Map<string, AgentSeenRow>;
}

export interface CurrentOptions {
  /** Resolved incidents opened after this (ms epoch) are listed as history. */
  historySince: number;
  /** At most this many resolved incidents. Default 20. */
  recentIncidents?: number;
}

function groupBy<T extends { incident_id: string }>(rows: T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const list = out.get(r.incident_id);
    if (list) list.push(r);
    else out.set(r.incident_id, [r]);
  }
  return out;
}

/**
 * Current state, open incidents and recent history, in one round trip. Incident members and
 * events are fetched for exactly the incidents listed (the same subquery in each statement).
 */
export async function loadCurrent(db: D1Database, options: CurrentOptions): Promise<CurrentSnapshot> {
  const recent = options.recentIncidents ?? 20;
  const listed = `SELECT id FROM (
      SELECT id FROM incidents WHERE status = 'open'
      UNION ALL
      SELECT id FROM (SELECT id FROM incidents WHERE status = 'resolved' AND opened_at >= ?1 ORDER BY opened_at DESC LIMIT ?2)
    )`;
  const [states, incidents, members, events, agents] = await db.batch<Record<string, unknown>>([
    db.prepare("SELECT check_id, status, since, reason, updated_at, stale_since FROM check_state"),
    db.prepare(`SELECT * FROM incidents WHERE id IN (${listed}) ORDER BY status = 'open' DESC, opened_at DESC`).bind(options.historySince, recent),
    db.prepare(`SELECT * FROM incident_members WHERE incident_id IN (${listed}) ORDER BY since`).bind(options.historySince, recent),
    db.prepare(`SELECT incident_id, at, type, detail FROM incident_events WHERE incident_id IN (${listed}) ORDER BY id`).bind(options.historySince, recent),
    db.prepare("SELECT agent_id, hostname, last_seen, silent_since FROM agents"),
  ]);
  return {
    states: new Map((states!.results as unknown as CheckStateRow[]).map((r) => [r.check_id, r])),
    incidents: incidents!.results as unknown as IncidentRow[],
    members: groupBy(members!.results as unknown as IncidentMemberRow[]),
    events: groupBy(events!.results as unknown as IncidentEventRow[]),
    agents: new Map((agents!.results as unknown as AgentSeenRow[]).map((r) => [r.agent_id, r])),
  };
}

/** The newest incidents (open or not) with their events, for the Atom feed. */
export async function loadFeedIncidents(db: D1Database, limit: number) {
  const listed = "SELECT id FROM incidents ORDER BY opened_at DESC LIMIT ?1";
  const [incidents, events] = await db.batch<Record<string, unknown>>([
    db.prepare(`SELECT * FROM incidents WHERE id IN (${listed}) ORDER BY opened_at DESC`).bind(limit),
    db.prepare(`SELECT incident_id, at, type, detail FROM incident_events WHERE incident_id IN (${listed}) ORDER BY id`).bind(limit),
  ]);
  return {
    incidents: incidents!.results as unknown as IncidentRow[],
    events: groupBy(events!.results as unknown as IncidentEventRow[]),
  };
}

export interface DeliveryCountRow {
  channel_id: string;
  outcome: "delivered" | "retry" | "failed" | "dead";
  n: number;
}

export interface OpenIncidentCountRow {
  service_id: string;
  n: number;
}

/** Counters for `/metrics`: delivery attempts by channel and outcome, open incidents by service. */
export async function loadMetricCounts(db: D1Database) {
  const [deliveries, open] = await db.batch<Record<string, unknown>>([
    db.prepare("SELECT channel_id, outcome, COUNT(*) AS n FROM deliveries GROUP BY channel_id, outcome ORDER BY channel_id, outcome"),
    db.prepare("SELECT service_id, COUNT(*) AS n FROM incidents WHERE status = 'open' GROUP BY service_id ORDER BY service_id"),
  ]);
  return {
    deliveries: deliveries!.results as unknown as DeliveryCountRow[],
    openIncidents: open!.results as unknown as OpenIncidentCountRow[],
  };
}

export interface LatencyRow {
  check_id: string;
  hour: number;
  count: number;
  latency_min: number | null;
  latency_avg: number | null;
  latency_p95: number | null;
  latency_max: number | null;
}

/** Hourly latency rows since `since` (ms epoch), for the `/metrics` histograms. */
export async function loadLatencyRows(db: D1Database, since: number): Promise<LatencyRow[]> {
  const { results } = await db
    .prepare("SELECT check_id, hour, count, latency_min, latency_avg, latency_p95, latency_max FROM rollups_hourly WHERE hour >= ? AND latency_avg IS NOT NULL")
    .bind(since)
    .all<LatencyRow>();
  return results;
}
