/**
 * Read queries for the public status page, `/status.json`, badges, the incident feed and
 * `/metrics`. Everything current (check states, incidents, agents) is read live in one D1
 * batch; the 90-day history comes from `status-history.ts`, which caches the days that are over.
 */
import { shownState } from "../engine/overdue";
import { LATENCY_BOUNDS_MS } from "../engine/rollup";
import type { Schedulable } from "../engine/schedule";
import type { IncidentRow } from "./incidents";

export type CheckStatus = "unknown" | "up" | "degraded" | "down";

export interface CheckStateRow {
  check_id: string;
  status: CheckStatus;
  since: number;
  reason: string | null;
  updated_at: number;
  stale_since: number | null;
  /** When the monitor's last run started (probe monitors; null or absent until known). */
  last_run?: number | null;
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

type StateTuple = [string, CheckStatus, number, string | null, number, number | null, number | null];

function parseStates(json: string | null | undefined): Map<string, CheckStateRow> {
  const out = new Map<string, CheckStateRow>();
  for (const [check_id, status, since, reason, updated_at, stale_since, last_run] of JSON.parse(json ?? "[]") as StateTuple[]) {
    out.set(check_id, { check_id, status, since, reason, updated_at, stale_since, last_run: last_run ?? null });
  }
  return out;
}

/**
 * Current state, open incidents and recent history, in one round trip. Incident members and
 * events are fetched for exactly the incidents listed (the same subquery in each statement).
 * Check states come as one JSON array (one row, one value) rather than a row per check: at
 * 500 checks, D1 hands over 3,000 cells otherwise, which cost more than the query.
 */
export async function loadCurrent(db: D1Database, options: CurrentOptions): Promise<CurrentSnapshot> {
  const recent = options.recentIncidents ?? 20;
  const listed = `SELECT id FROM (
      SELECT id FROM incidents WHERE status = 'open'
      UNION ALL
      SELECT id FROM (SELECT id FROM incidents WHERE status = 'resolved' AND opened_at >= ?1 ORDER BY opened_at DESC LIMIT ?2)
    )`;
  const [states, incidents, members, events, agents] = await db.batch<Record<string, unknown>>([
    db.prepare(
      "SELECT json_group_array(json_array(check_id, status, since, reason, updated_at, stale_since, last_run)) AS j FROM check_state",
    ),
    db
      .prepare(`SELECT * FROM incidents WHERE id IN (${listed}) ORDER BY status = 'open' DESC, opened_at DESC`)
      .bind(options.historySince, recent),
    db.prepare(`SELECT * FROM incident_members WHERE incident_id IN (${listed}) ORDER BY since`).bind(options.historySince, recent),
    db
      .prepare(`SELECT incident_id, at, type, detail FROM incident_events WHERE incident_id IN (${listed}) ORDER BY id`)
      .bind(options.historySince, recent),
    db.prepare("SELECT agent_id, hostname, last_seen, silent_since FROM agents"),
  ]);
  return {
    states: parseStates((states!.results[0] as { j: string | null } | undefined)?.j),
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

/** One check's latency histogram over a window: sums of the hourly rollups' histogram columns. */
export interface LatencyHistogramRow {
  check_id: string;
  /** Observations (the +Inf bucket). */
  count: number;
  /** Sum of their latencies, ms. */
  sum: number;
  /** Cumulative counts at or below each of `LATENCY_BOUNDS_MS`, in that order. */
  le: number[];
}

/**
 * Latency histograms per check from the hourly rollups of the hours starting in [`from`, `to`)
 * (ms epoch), summed in SQL (one row per check). Hours rolled up before the histogram columns
 * existed (NULL) are left out, so count, sum and buckets always describe the same observations.
 */
export async function loadLatencyHistograms(db: D1Database, from: number, to: number): Promise<LatencyHistogramRow[]> {
  const { results } = await db
    .prepare(
      `SELECT check_id, SUM(count) AS count, SUM(latency_sum) AS sum, ${LATENCY_BOUNDS_MS.map((b, i) => `SUM(latency_le_${b}) AS b${i}`).join(", ")}
       FROM rollups_hourly WHERE hour >= ? AND hour < ? AND latency_sum IS NOT NULL GROUP BY check_id`,
    )
    .bind(from, to)
    .all<{ check_id: string; count: number; sum: number } & { [bucket: `b${number}`]: number }>();
  return results.map((r) => ({ check_id: r.check_id, count: r.count, sum: r.sum, le: LATENCY_BOUNDS_MS.map((_, i) => r[`b${i}`] ?? 0) }));
}

/**
 * One check's mean time to the response headers (http probes) over the hourly rollups of the
 * hours from `since` on, weighted by each hour's observations, ms; null when none has one.
 * One primary-key range read, for the check page.
 */
export async function loadFirstByteAvg(db: D1Database, checkId: string, since: number): Promise<number | null> {
  const row = await db
    .prepare(
      "SELECT SUM(first_byte_avg * count) AS weighted, SUM(count) AS n FROM rollups_hourly WHERE check_id = ? AND hour >= ? AND first_byte_avg IS NOT NULL",
    )
    .bind(checkId, since)
    .first<{ weighted: number | null; n: number | null }>();
  return row?.n ? Math.round(row.weighted! / row.n) : null;
}

/** The p95 latency (ms) of each check's rollup for `hour`. */
export async function loadHourP95(db: D1Database, hour: number): Promise<Map<string, number>> {
  const { results } = await db
    .prepare("SELECT check_id, latency_p95 FROM rollups_hourly WHERE hour = ? AND latency_p95 IS NOT NULL")
    .bind(hour)
    .all<{ check_id: string; latency_p95: number }>();
  return new Map(results.map((r) => [r.check_id, r.latency_p95]));
}

export interface RunTotalsRow {
  check_id: string;
  /** Runs planned (hours rolled up before planned runs were kept: the executed ones). */
  planned: number;
  /** Runs executed (measured or unknown). */
  executed: number;
  /** Planned runs that did not execute, summed per hour (an hour never gives back another's). */
  missed: number;
  /** Executed runs that could not measure. */
  unknown: number;
  /** Runs that took more than one attempt. */
  retried: number;
}

/**
 * Per check, the runs planned, executed, missed, unknown and retried over the hourly rollups in
 * `[from, to)`: behind `/metrics` (`vigil_probe_runs_planned_total`, `…_missed_total`) and the
 * check page. One range read on the hour index.
 */
export async function loadRunTotals(db: D1Database, from: number, to: number, checkId?: string): Promise<RunTotalsRow[]> {
  const { results } = await db
    .prepare(
      `SELECT check_id, SUM(COALESCE(planned, count + unknown)) AS planned, SUM(count + unknown) AS executed,
         SUM(MAX(0, COALESCE(planned, count + unknown) - count - unknown)) AS missed,
         SUM(unknown) AS unknown, SUM(retried) AS retried
       FROM rollups_hourly WHERE hour >= ?1 AND hour < ?2 AND (?3 IS NULL OR check_id = ?3) GROUP BY check_id ORDER BY check_id`,
    )
    .bind(from, to, checkId ?? null)
    .all<RunTotalsRow>();
  return results;
}

/**
 * The snapshot's states as the reads show them: an overdue probe monitor (its planned runs
 * stopped executing, src/engine/overdue.ts) is unknown, with the gap as its reason.
 */
export function withOverdue(
  states: ReadonlyMap<string, CheckStateRow>,
  monitors: readonly (Schedulable & { enabled: boolean })[],
  now: number,
): Map<string, CheckStateRow> {
  const out = new Map(states);
  for (const m of monitors) {
    const row = m.enabled ? states.get(m.id) : undefined;
    if (row) out.set(m.id, shownState(m, row, row.last_run ?? null, now));
  }
  return out;
}
