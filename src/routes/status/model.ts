/**
 * What the status page, `/status.json`, badges and the feed show, as one plain value built by a
 * pure function: (config, current snapshot, history, now, audience) → StatusModel. No I/O here,
 * so every rule (overall banner, uptime, what a timeline says publicly, what the public may
 * see: `./status-audience.ts`) is tested without a database.
 */
import type { MaintenanceSpec, VigilConfig } from "../../config";
import { nextCronRun } from "../../engine/cron";
import type { IncidentRow } from "../../store/incidents";
import { availability, periodLevel, tallyOfDays } from "../../engine/availability";
import type { History, HourPoint } from "../../store/status-history";
import type { CheckStatus, CurrentSnapshot, IncidentEventRow, IncidentMemberRow } from "../../store/status-read";
import { UNLISTED_CHECK, publicAgentCheck, publicIncidentTitle, showsDetails, type Audience } from "./audience";

const DAY = 86_400_000;

export type ComponentKind = "monitor" | "job" | "agent" | "agent-check";

/** Severity order: a service shows the worst of its components. */
const RANK: Record<CheckStatus, number> = { up: 0, unknown: 1, degraded: 2, down: 3 };

export type DayLevel = "none" | "unknown" | "up" | "degraded" | "partial" | "down";

/** One character per day level in `ComponentView.levels`. */
export const LEVEL_CODE: Record<DayLevel, string> = { none: "n", unknown: "k", up: "u", degraded: "g", partial: "p", down: "d" };
export const LEVEL_OF: Record<string, DayLevel> = { n: "none", k: "unknown", u: "up", g: "degraded", p: "partial", d: "down" };

/** One day of a check, for labels and `/status.json?days=true`. */
export interface DayCell {
  /** ms epoch of the local midnight */
  start: number;
  count: number;
  failures: number;
  degraded: number;
  /** Share of observations that were not down, 0–1; null without observations. */
  uptime: number | null;
  level: DayLevel;
  /** Runs planned that day (probe monitors; absent where runs are not planned). */
  planned?: number;
  /** Runs that executed but measured nothing. */
  unknown?: number;
  /** Share of the planned runs that measured, 0–1 (probe monitors). */
  measured?: number | null;
}

export interface Uptime {
  /** 0–100, null without observations */
  "24h": number | null;
  "7d": number | null;
  "30d": number | null;
  "90d": number | null;
}

export interface ComponentView {
  id: string;
  name: string;
  kind: ComponentKind;
  status: CheckStatus;
  since: number | null;
  reason: string | null;
  /** The agent stopped reporting; the status shown is the last one known. */
  stale: boolean;
  /** Per day (oldest first): `[count, failures, degraded]`, flattened. Typed arrays, not
   * 90 objects per check: at 500 checks the page builds 45 000 days per request. */
  tallies: Int32Array;
  /** Per day, one `LEVEL_CODE` character: "uuuudu…". */
  levels: string;
  uptime: Uptime;
  /** Per day `[planned, unknown, retried]` runs (probe monitors; null where runs are not planned). */
  cadence: Int32Array | null;
  /**
   * Share of the planned runs that measured something, 0–100, per period: uptime is over
   * these only ("99.9 %, measured 87 % of the period"). Null where runs are not planned.
   */
  measured: Uptime;
  /** Shares of the measured runs over the whole history, 0–100: up, degraded, down (degraded is its own share). */
  shares: { up: number; degraded: number; down: number } | null;
  /** Runs of the last 24 hours: planned, executed, missed, unknown, retried (probe monitors). */
  runs24h: { planned: number; executed: number; missed: number; unknown: number; retried: number } | null;
  /** Hourly latency of the last 24 hours (probe monitors only). */
  latency: HourPoint[];
  latencyAvgMs: number | null;
  latencyP95Ms: number | null;
}

export interface MaintenanceView {
  id: string;
  title: string;
  services: string[];
  start: number;
  end: number;
  active: boolean;
}

export interface ServiceView {
  id: string;
  name: string;
  description: string | null;
  status: CheckStatus | "maintenance";
  components: ComponentView[];
  uptime90d: number | null;
}

export interface TimelineEntry {
  at: number;
  type: string;
  text: string;
}

export interface IncidentView {
  id: string;
  serviceId: string;
  serviceName: string;
  title: string;
  status: "open" | "resolved";
  openedAt: number;
  resolvedAt: number | null;
  affected: { id: string; name: string; status: string; reason: string | null }[];
  timeline: TimelineEntry[];
}

export type Indicator = "none" | "maintenance" | "degraded" | "partial" | "major" | "unknown";

export interface StatusModel {
  title: string;
  timeZone: string;
  generatedAt: number;
  overall: { indicator: Indicator; text: string };
  services: ServiceView[];
  openIncidents: IncidentView[];
  pastIncidents: IncidentView[];
  maintenance: MaintenanceView[];
  dayStarts: number[];
  /** `History.version`: rendered rows may be reused while it and the row's own fields stay the same. */
  historyVersion: number;
}

/** How far ahead announced maintenance is shown. */
export const MAINTENANCE_LOOKAHEAD_MS = 7 * DAY;

/** The running or next occurrence of a window, if it runs now or starts within the lookahead. */
export function maintenanceOccurrence(m: MaintenanceSpec, now: number, fallbackTimeZone: string): { start: number; end: number } | null {
  if (m.start !== undefined && m.end !== undefined) {
    const start = Date.parse(m.start);
    const end = Date.parse(m.end);
    return end > now && start - now <= MAINTENANCE_LOOKAHEAD_MS ? { start, end } : null;
  }
  if (m.cron === undefined || m.duration === undefined) return null;
  const tz = m.timezone ?? fallbackTimeZone;
  // The first start after (now - duration) is the running occurrence if it began already.
  const first = nextCronRun(m.cron, tz, now - m.duration);
  if (typeof first !== "number") return null;
  if (first <= now) return { start: first, end: first + m.duration };
  return first - now <= MAINTENANCE_LOOKAHEAD_MS ? { start: first, end: first + m.duration } : null;
}

const empties = new Map<number, Int32Array>();
/** A shared all-zero tally array (never written). */
const EMPTY = (n: number) => {
  let a = empties.get(n);
  if (!a) empties.set(n, (a = new Int32Array(n * 3)));
  return a;
};

/** Day `i` of a component (or of a service's summed tallies) as an object. */
export function dayCell(
  c: Pick<ComponentView, "tallies" | "levels"> & { cadence?: Int32Array | null },
  dayStarts: number[],
  i: number,
): DayCell {
  const count = c.tallies[i * 3]!;
  const failures = c.tallies[i * 3 + 1]!;
  const degraded = c.tallies[i * 3 + 2]!;
  const cell: DayCell = {
    start: dayStarts[i]!,
    count,
    failures,
    degraded,
    uptime: count === 0 ? null : (count - failures) / count,
    level: LEVEL_OF[c.levels[i]!]!,
  };
  if (!c.cadence) return cell;
  const t = tallyOfDays(c.tallies, c.cadence, i, i + 1);
  return { ...cell, planned: t.planned!, unknown: t.unknown!, measured: availability(t).measuredShare };
}

interface Derived {
  levels: string;
  uptime: Omit<Uptime, "24h">;
  count: number;
  failures: number;
  measured: Omit<Uptime, "24h">;
  shares: ComponentView["shares"];
}

/**
 * What a check's day tallies say, computed once per tally array (they are shared while the
 * history is unchanged), or once per cadence array for probe monitors: then a day that planned
 * runs and measured under half of them is `unknown` in the bars (`periodLevel`).
 */
const derivedCache = new WeakMap<Int32Array, Derived>();
const derivedWithCadence = new WeakMap<Int32Array, Derived>();
function derive(tallies: Int32Array, n: number, cadence?: Int32Array | null): Derived {
  let d = cadence ? derivedWithCadence.get(cadence) : derivedCache.get(tallies);
  if (!d) {
    let levels = "";
    let count = 0;
    let failures = 0;
    for (let i = 0; i < n; i++) {
      levels +=
        LEVEL_CODE[
          cadence
            ? periodLevel(tallyOfDays(tallies, cadence, i, i + 1))
            : dayLevel(tallies[i * 3]!, tallies[i * 3 + 1]!, tallies[i * 3 + 2]!)
        ];
      count += tallies[i * 3]!;
      failures += tallies[i * 3 + 1]!;
    }
    const measured = (from: number) => (cadence ? percentOrNull(availability(tallyOfDays(tallies, cadence, from, n)).measuredShare) : null);
    const all = availability(tallyOfDays(tallies, cadence ?? undefined, 0, n)).shares;
    d = {
      count,
      failures,
      levels,
      uptime: {
        "7d": sumUptime(tallies, Math.max(0, n - 7), n),
        "30d": sumUptime(tallies, Math.max(0, n - 30), n),
        "90d": sumUptime(tallies, 0, n),
      },
      measured: { "7d": measured(Math.max(0, n - 7)), "30d": measured(Math.max(0, n - 30)), "90d": measured(0) },
      shares: all && { up: 100 * all.up, degraded: 100 * all.degraded, down: 100 * all.down },
    };
    cadence ? derivedWithCadence.set(cadence, d) : derivedCache.set(tallies, d);
  }
  return d;
}

const percentOrNull = (share: number | null) => (share === null ? null : 100 * share);

/** Runs of the last 24 hours' points, and the share of them that measured. */
function hoursRuns(points: HourPoint[]): { runs: NonNullable<ComponentView["runs24h"]>; measured: number | null } {
  let planned = 0;
  let count = 0;
  let unknown = 0;
  let retried = 0;
  let missed = 0;
  for (const p of points) {
    planned += p.planned;
    count += p.count;
    unknown += p.unknown;
    retried += p.retried;
    missed += Math.max(0, p.planned - p.count - p.unknown);
  }
  const a = availability({ planned, count, failures: 0, degraded: 0, unknown });
  return { runs: { planned, executed: count + unknown, missed, unknown, retried }, measured: percentOrNull(a.measuredShare) };
}

/**
 * A service's days: its checks' tallies summed (observations, failures, degraded per day) with
 * their levels and 90-day uptime, as one bar for the whole service.
 */
export function serviceDays(s: ServiceView, n: number): { tallies: Int32Array; levels: string; uptime90d: number | null } {
  const tallies = new Int32Array(n * 3);
  for (const c of s.components) for (let i = 0; i < n * 3; i++) tallies[i] = tallies[i]! + (c.tallies[i] ?? 0);
  // Summed planned runs too, when some check plans them (the others count as fully measured).
  let cadence: Int32Array | null = null;
  for (const c of s.components) {
    if (!c.cadence) continue;
    cadence ??= new Int32Array(n * 3);
    for (let i = 0; i < n * 3; i++) cadence[i] = cadence[i]! + (c.cadence[i] ?? 0);
  }
  if (cadence)
    for (const c of s.components) if (!c.cadence) for (let i = 0; i < n; i++) cadence[i * 3] = cadence[i * 3]! + (c.tallies[i * 3] ?? 0);
  const d = derive(tallies, n, cadence);
  return { tallies, levels: d.levels, uptime90d: d.uptime["90d"] };
}

function dayLevel(count: number, failures: number, degraded: number): DayLevel {
  if (count === 0) return "none";
  if (failures === 0) return degraded > 0 ? "degraded" : "up";
  return failures / count <= 0.05 ? "partial" : "down";
}

function sumUptime(arr: Int32Array | undefined, from: number, to: number): number | null {
  if (!arr) return null;
  let count = 0;
  let failures = 0;
  for (let i = from; i < to; i++) {
    count += arr[i * 3]!;
    failures += arr[i * 3 + 1]!;
  }
  return count === 0 ? null : (100 * (count - failures)) / count;
}

function hoursUptime(points: HourPoint[]): number | null {
  let count = 0;
  let failures = 0;
  for (const p of points) {
    count += p.count;
    failures += p.failures;
  }
  return count === 0 ? null : (100 * (count - failures)) / count;
}

interface ComponentRef {
  id: string;
  name: string;
  kind: ComponentKind;
  serviceId: string;
  /** The id and name the public sees when the service does not publish details. */
  publicId: string;
  publicName: string;
}

/** Every check the page shows, by service, in config order; agent checks found in the state table. */
export function listComponents(config: VigilConfig, stateIds: Iterable<string>): ComponentRef[] {
  const out: ComponentRef[] = [];
  for (const m of config.monitors) {
    if (!m.enabled) continue;
    const name = "name" in m && typeof m.name === "string" ? m.name : m.id;
    out.push({ id: m.id, name, kind: "monitor", serviceId: m.service, publicId: m.id, publicName: name });
  }
  for (const j of config.jobs)
    if (j.enabled)
      out.push({ id: `ping:${j.id}`, name: j.id, kind: "job", serviceId: j.service, publicId: `ping:${j.id}`, publicName: j.id });
  const agentChecks = new Map<string, string[]>();
  for (const id of stateIds) {
    if (!id.startsWith("agent:")) continue;
    const rest = id.slice(6);
    const colon = rest.indexOf(":");
    if (colon < 0) continue;
    const agentId = rest.slice(0, colon);
    const check = rest.slice(colon + 1);
    if (check === "heartbeat") continue;
    const list = agentChecks.get(agentId);
    if (list) list.push(check);
    else agentChecks.set(agentId, [check]);
  }
  for (const a of config.agents) {
    if (!a.enabled) continue;
    const heartbeat = { id: `agent:${a.id}:heartbeat`, name: `${a.id} (agent)` };
    out.push({ ...heartbeat, kind: "agent", serviceId: a.service, publicId: heartbeat.id, publicName: heartbeat.name });
    const checks = (agentChecks.get(a.id) ?? []).sort();
    for (const check of checks) {
      const pub = publicAgentCheck(a.id, check, checks);
      out.push({
        id: `agent:${a.id}:${check}`,
        name: `${check} on ${a.id}`,
        kind: "agent-check",
        serviceId: a.service,
        publicId: pub.id,
        publicName: pub.name,
      });
    }
  }
  return out;
}

/**
 * A timeline event in public words; internal events (notifications, escalations) are left out,
 * and so is the probe's reason unless `withReason` (the audience sees the service's details).
 */
export function publicEvent(e: IncidentEventRow, nameOf: (checkId: string) => string, withReason = true): TimelineEntry | null {
  let detail: Record<string, unknown> = {};
  try {
    detail = JSON.parse(e.detail) as Record<string, unknown>;
  } catch {
    // A malformed detail still shows its event type's sentence.
  }
  const check = typeof detail.check === "string" ? nameOf(detail.check) : "a check";
  const reason = withReason && typeof detail.reason === "string" && detail.reason !== "" ? `: ${detail.reason}` : "";
  const message = typeof detail.message === "string" ? detail.message : null;
  switch (e.type) {
    case "incident.opened":
      return { at: e.at, type: e.type, text: `Investigating — ${check} is failing${reason}` };
    case "incident.reopened":
      return { at: e.at, type: e.type, text: `Reopened — ${check} is failing again${reason}` };
    case "member.added":
      return { at: e.at, type: e.type, text: `${check} is also affected${reason}` };
    case "member.recovered":
      return { at: e.at, type: e.type, text: `${check} recovered` };
    case "incident.acknowledged":
      return { at: e.at, type: e.type, text: message ? `Identified — ${message}` : "Identified — the team is working on it" };
    case "incident.update":
      return message ? { at: e.at, type: e.type, text: message } : null;
    case "incident.resolved":
      return { at: e.at, type: e.type, text: "Resolved — all affected checks are up again" };
    // Which providers a service depends on is a detail, like a probe's reason.
    case "upstream.incident":
      if (!withReason || typeof detail.detail !== "string") return null;
      return { at: e.at, type: e.type, text: `Provider incident — ${detail.detail.replace(/^upstream incident: /, "")}` };
    case "upstream.cleared":
      return withReason ? { at: e.at, type: e.type, text: "The provider's incident is over" } : null;
    default:
      return null;
  }
}

/** How an audience sees the checks: ids and names, with or without details. */
interface Naming {
  id(checkId: string): string;
  name(checkId: string): string;
}

function incidentView(
  row: IncidentRow,
  members: IncidentMemberRow[],
  events: IncidentEventRow[],
  serviceName: string,
  naming: Naming,
  details: boolean,
): IncidentView {
  const timeline = events.map((e) => publicEvent(e, naming.name, details)).filter((e): e is TimelineEntry => e !== null);
  const title = details
    ? row.title
    : publicIncidentTitle(
        row.title,
        serviceName,
        members.map((m) => ({ id: m.check_id, name: naming.name(m.check_id) })),
      );
  return {
    id: row.id,
    serviceId: row.service_id,
    serviceName,
    title,
    status: row.status,
    openedAt: row.opened_at,
    resolvedAt: row.resolved_at,
    affected: members.map((m) => ({
      id: naming.id(m.check_id),
      name: naming.name(m.check_id),
      status: m.status,
      reason: details ? m.reason : null,
    })),
    timeline: timeline.reverse(),
  };
}

const OVERALL_TEXT: Record<Indicator, string> = {
  none: "All systems operational",
  maintenance: "Scheduled maintenance in progress",
  degraded: "Degraded performance",
  partial: "Partial outage",
  major: "Major outage",
  unknown: "Waiting for the first checks",
};

/** The banner while some shown services have data and others have none yet. */
const SOME_UNKNOWN_TEXT = "Waiting for data from some checks";

/**
 * Builds the page's model for `audience` (default the public: `./status-audience.ts` says what
 * it sees). `now` is passed in; nothing here reads a clock.
 */
export function buildStatusModel(
  config: VigilConfig,
  current: CurrentSnapshot,
  history: History,
  now: number,
  audience: Audience = "public",
): StatusModel {
  const page = config.statusPage;
  const serviceIds = page.services ?? config.services.map((s) => s.id);
  const shown = new Set(serviceIds);
  const services = new Map(config.services.map((s) => [s.id, s]));
  const serviceName = (id: string) => services.get(id)?.name ?? id;
  const details = (serviceId: string) => showsDetails(audience, services.get(serviceId));
  const refs = listComponents(config, current.states.keys());
  const byId = new Map(refs.map((r) => [r.id, r]));
  const naming: Naming = {
    id: (id) => {
      const r = byId.get(id);
      if (r) return details(r.serviceId) ? id : r.publicId;
      return audience === "operator" ? id : "unlisted";
    },
    name: (id) => {
      const r = byId.get(id);
      if (r) return details(r.serviceId) ? r.name : r.publicName;
      return audience === "operator" ? id : UNLISTED_CHECK;
    },
  };
  const n = history.dayStarts.length;

  // 1. Maintenance running now or announced.
  const maintenance: MaintenanceView[] = [];
  for (const m of config.maintenance ?? []) {
    const occ = maintenanceOccurrence(m, now, config.timezone);
    if (!occ) continue;
    maintenance.push({ id: m.id, title: m.title, services: m.services, start: occ.start, end: occ.end, active: occ.start <= now });
  }
  maintenance.sort((a, b) => a.start - b.start);
  const inMaintenance = new Set(maintenance.filter((m) => m.active).flatMap((m) => m.services));

  // 2. Components with their history, grouped by service.
  const byService = new Map<string, ComponentView[]>();
  for (const ref of refs) {
    if (!shown.has(ref.serviceId)) continue;
    const state = current.states.get(ref.id);
    const arr = history.days.get(ref.id);
    const tallies = arr ?? EMPTY(n);
    // Probe monitors plan their runs: their days say how much was measured.
    const cadence = ref.kind === "monitor" ? (history.cadence?.get(ref.id) ?? null) : null;
    const derived = derive(tallies, n, cadence);
    const hourly = ref.kind === "monitor" && history.cadence ? hoursRuns(history.hours.get(ref.id) ?? []) : null;
    const latency = ref.kind === "monitor" ? (history.hours.get(ref.id) ?? []).filter((p) => p.latencyAvg !== null) : [];
    let weighted = 0;
    let weight = 0;
    let p95: number | null = null;
    for (const p of latency) {
      weighted += p.latencyAvg! * p.count;
      weight += p.count;
      if (p.latencyP95 !== null) p95 = Math.max(p95 ?? 0, p.latencyP95);
    }
    const open = details(ref.serviceId);
    const view: ComponentView = {
      id: open ? ref.id : ref.publicId,
      name: open ? ref.name : ref.publicName,
      kind: ref.kind,
      status: state?.status ?? "unknown",
      since: state?.since ?? null,
      reason: open ? (state?.reason ?? null) : null,
      stale: state?.stale_since != null,
      tallies,
      levels: derived.levels,
      uptime: { "24h": hoursUptime(history.hours.get(ref.id) ?? []), ...derived.uptime },
      cadence,
      measured: { "24h": hourly?.measured ?? null, ...derived.measured },
      shares: derived.shares,
      runs24h: hourly?.runs ?? null,
      latency,
      latencyAvgMs: weight === 0 ? null : Math.round(weighted / weight),
      latencyP95Ms: p95,
    };
    const list = byService.get(ref.serviceId);
    if (list) list.push(view);
    else byService.set(ref.serviceId, [view]);
  }

  const serviceViews: ServiceView[] = serviceIds.map((id) => {
    const spec = services.get(id);
    const components = byService.get(id) ?? [];
    let worst: CheckStatus = components.length === 0 ? "unknown" : "up";
    for (const c of components) if (RANK[c.status] > RANK[worst]) worst = c.status;
    let count = 0;
    let failures = 0;
    for (const c of components) {
      const d = derive(c.tallies, n);
      count += d.count;
      failures += d.failures;
    }
    return {
      id,
      name: spec?.name ?? id,
      description: spec?.description ?? null,
      status: inMaintenance.has(id) ? "maintenance" : worst,
      components,
      uptime90d: count === 0 ? null : (100 * (count - failures)) / count,
    };
  });

  // 3. Incidents: open ones, then history.
  const open: IncidentView[] = [];
  const past: IncidentView[] = [];
  for (const row of current.incidents) {
    if (!shown.has(row.service_id)) continue;
    const view = incidentView(
      row,
      current.members.get(row.id) ?? [],
      current.events.get(row.id) ?? [],
      serviceName(row.service_id),
      naming,
      details(row.service_id),
    );
    (row.status === "open" ? open : past).push(view);
  }

  // 4. The banner: the worst thing a visitor should know first. It never says "All systems
  // operational" while a shown service has no data yet.
  const statuses = serviceViews.map((s) => s.status);
  const live = statuses.filter((s) => s !== "maintenance");
  let indicator: Indicator;
  if (live.includes("down")) indicator = live.every((s) => s === "down") ? "major" : "partial";
  else if (live.includes("degraded") || open.length > 0) indicator = "degraded";
  else if (live.includes("unknown")) indicator = "unknown";
  else if (statuses.includes("maintenance")) indicator = "maintenance";
  else indicator = "none";
  const someUnknown = indicator === "unknown" && !live.every((s) => s === "unknown");

  return {
    title: page.title,
    timeZone: config.timezone,
    generatedAt: now,
    overall: { indicator, text: someUnknown ? SOME_UNKNOWN_TEXT : OVERALL_TEXT[indicator] },
    services: serviceViews,
    openIncidents: open,
    pastIncidents: past,
    maintenance,
    dayStarts: history.dayStarts,
    historyVersion: history.version,
  };
}
