/**
 * The daily digest (the runbooks' daily checklist), per service: yesterday's uptime, incidents,
 * slowest checks, certificates expiring soon, agents seen, disk trend (each agent mount's use
 * yesterday against 7 days before: percentage points per day and days until full).
 * `buildDigest` is pure (facts in, report out); `digestText` lays a report out as headed lines
 * that every channel template reuses. Gathering the facts from D1 lives in `digest-source.ts`.
 */
import type { WebhookEvent } from "./message";
import { formatLocalTime, formatSpan } from "./content";

export interface DigestIncident {
  id: string;
  title: string;
  level: number;
  openedAt: number;
  resolvedAt: number | null;
}

export interface CheckRollup {
  check: string;
  count: number;
  failures: number;
  /** Observation-weighted mean latency, ms (null without latencies). */
  avgMs: number | null;
  /** Worst hourly p95 of the day, ms. */
  p95Ms: number | null;
}

export interface CertificateFact {
  check: string;
  host: string;
  notAfter: number;
  daysLeft: number;
}

export interface AgentFact {
  id: string;
  hostname: string | null;
  version: string | null;
  lastSeen: number | null;
  silentSince: number | null;
}

/**
 * One agent mount's disk use (percent, from the agent's host check) on the day reported on, and
 * the day it is compared with: 7 days before, else the earliest day since that has data.
 */
export interface DiskFact {
  agent: string;
  mount: string;
  /** Highest and latest use on the day reported on. */
  maxPct: number;
  lastPct: number;
  /** Latest use on the day compared with; null when there is no earlier day yet. */
  base: { day: string; lastPct: number } | null;
}

export interface DiskTrend extends DiskFact {
  /** Days from `base.day` to the day reported on; null without a base. */
  days: number | null;
  /** Change of the latest use per day, percentage points, 1 decimal; null without a base. */
  ppPerDay: number | null;
  /** Whole days until the mount is full at that rate, while it grows (null otherwise, or beyond a year). */
  daysToFull: number | null;
  /** The day's highest use against `diskWarnPct` / `diskCriticalPct`. */
  level: "ok" | "warn" | "critical";
}

export interface ServiceFacts {
  id: string;
  name: string;
  rollups: CheckRollup[];
  incidents: DigestIncident[];
  certificates: CertificateFact[];
  agents: AgentFact[];
  disk: DiskFact[];
}

export interface DigestInput {
  /** The local date reported on (`2026-11-21`) and its bounds (ms). */
  date: string;
  from: number;
  to: number;
  timezone: string;
  services: ServiceFacts[];
  /** Certificates expiring within this many days are listed. */
  certificateDays: number;
  /** Slowest checks listed per service. */
  slowest: number;
  /** Disk use at or above these (percent) is marked warn / critical. */
  diskWarnPct: number;
  diskCriticalPct: number;
}

export interface ServiceDigest {
  id: string;
  name: string;
  /** Percent of observations not down, 3 decimals; null without observations. */
  uptime: number | null;
  observations: number;
  incidents: (DigestIncident & { durationMs: number })[];
  slowest: { check: string; avgMs: number; p95Ms: number | null }[];
  certificates: CertificateFact[];
  agents: (AgentFact & { seen: boolean })[];
  disk: DiskTrend[];
}

export interface DigestReport {
  date: string;
  timezone: string;
  from: string;
  to: string;
  services: ServiceDigest[];
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
const round1 = (x: number) => Math.round(x * 10) / 10;
const DAY = 86_400_000;

/** Yesterday against the day compared with: percentage points per day and days to full. */
export function diskTrend(d: DiskFact, date: string, thresholds: { warnPct: number; criticalPct: number }): DiskTrend {
  const level = d.maxPct >= thresholds.criticalPct ? "critical" : d.maxPct >= thresholds.warnPct ? "warn" : "ok";
  const days = d.base ? Math.round((Date.parse(`${date}T00:00:00Z`) - Date.parse(`${d.base.day}T00:00:00Z`)) / DAY) : null;
  if (!d.base || !days || days <= 0) return { ...d, days: null, ppPerDay: null, daysToFull: null, level };
  const rate = (d.lastPct - d.base.lastPct) / days;
  const ppPerDay = round1(rate) || 0; // no "-0"
  const toFull = ppPerDay > 0 ? Math.floor(Math.max(0, 100 - d.lastPct) / rate) : null;
  return { ...d, days, ppPerDay, daysToFull: toFull !== null && toFull <= 365 ? toFull : null, level };
}

export function buildDigest(input: DigestInput): DigestReport {
  return {
    date: input.date,
    timezone: input.timezone,
    from: new Date(input.from).toISOString(),
    to: new Date(input.to).toISOString(),
    services: input.services.map((s) => {
      const count = s.rollups.reduce((a, r) => a + r.count, 0);
      const failures = s.rollups.reduce((a, r) => a + r.failures, 0);
      return {
        id: s.id,
        name: s.name,
        uptime: count === 0 ? null : round3(((count - failures) / count) * 100),
        observations: count,
        incidents: [...s.incidents]
          .sort((a, b) => a.openedAt - b.openedAt)
          .map((i) => ({ ...i, durationMs: Math.min(i.resolvedAt ?? input.to, input.to) - Math.max(i.openedAt, input.from) })),
        slowest: s.rollups
          .filter((r): r is CheckRollup & { avgMs: number } => r.avgMs !== null)
          .sort((a, b) => b.avgMs - a.avgMs || a.check.localeCompare(b.check))
          .slice(0, input.slowest)
          .map((r) => ({ check: r.check, avgMs: Math.round(r.avgMs), p95Ms: r.p95Ms })),
        certificates: s.certificates.filter((c) => c.daysLeft <= input.certificateDays).sort((a, b) => a.daysLeft - b.daysLeft),
        agents: [...s.agents]
          .sort((a, b) => a.id.localeCompare(b.id))
          .map((a) => ({ ...a, seen: a.lastSeen !== null && a.lastSeen >= input.from && a.silentSince === null })),
        disk: [...s.disk]
          .sort((a, b) => a.agent.localeCompare(b.agent) || a.mount.localeCompare(b.mount))
          .map((d) => diskTrend(d, input.date, { warnPct: input.diskWarnPct, criticalPct: input.diskCriticalPct })),
      };
    }),
  };
}

export function digestEvent(report: DigestReport, now: number): WebhookEvent {
  return { type: "digest.daily", timestamp: new Date(now).toISOString(), data: { digest: report } };
}

export function digestFromEvent(event: WebhookEvent): DigestReport {
  const d = event.data.digest as DigestReport | undefined;
  if (event.type !== "digest.daily" || !d || !Array.isArray(d.services))
    throw new Error(`event data.digest: expected a digest report in a digest.daily event, got "${event.type}"`);
  return d;
}

const pct = (x: number) => `${round1(x)}%`;

/** `app-01 /: 84.5% (peak 86%) WARN, +1.2 pp/day over 7 d (from 76.1%), full in ~12 d` */
export function diskLine(d: DiskTrend): string {
  let line = `${d.agent} ${d.mount}: ${pct(d.lastPct)}`;
  if (d.maxPct > d.lastPct) line += ` (peak ${pct(d.maxPct)})`;
  if (d.level !== "ok") line += ` ${d.level.toUpperCase()}`;
  if (d.ppPerDay === null || d.days === null || !d.base) return `${line}, no earlier day to compare`;
  line += d.ppPerDay === 0 ? `, flat over ${d.days} d` : `, ${d.ppPerDay > 0 ? "+" : ""}${d.ppPerDay.toFixed(1)} pp/day over ${d.days} d`;
  line += ` (from ${pct(d.base.lastPct)})`;
  if (d.daysToFull !== null) line += d.daysToFull === 0 ? ", full within a day" : `, full in ~${d.daysToFull} d`;
  return line;
}

export interface DigestSection {
  heading: string;
  lines: string[];
}

/** The digest as a title and one section of plain lines per service. */
export function digestText(report: DigestReport): { title: string; sections: DigestSection[] } {
  const tz = report.timezone;
  return {
    title: `Vigil daily digest — ${report.date}`,
    sections: report.services.map((s) => {
      const lines: string[] = [];
      lines.push(`Uptime: ${s.uptime === null ? "no data" : `${s.uptime.toFixed(3)}%`} (${s.observations} checks run)`);
      if (s.incidents.length === 0) lines.push("Incidents: none");
      else {
        lines.push(`Incidents: ${s.incidents.length}`);
        for (const i of s.incidents)
          lines.push(
            `  • [L${i.level}] ${i.title} — ${formatLocalTime(i.openedAt, tz)}, ${i.resolvedAt === null ? "still open" : `${formatSpan(i.durationMs)}`}`,
          );
      }
      if (s.slowest.length > 0)
        lines.push(
          `Slowest: ${s.slowest.map((c) => `${c.check} ${c.avgMs} ms${c.p95Ms !== null ? ` (p95 ${c.p95Ms} ms)` : ""}`).join(", ")}`,
        );
      if (s.certificates.length > 0)
        lines.push(`Certificates expiring: ${s.certificates.map((c) => `${c.host} in ${c.daysLeft} d`).join(", ")}`);
      if (s.agents.length > 0)
        lines.push(
          `Agents: ${s.agents.map((a) => `${a.id} ${a.seen ? "seen" : "NOT seen"}${a.version ? ` (v${a.version})` : ""}`).join(", ")}`,
        );
      if (s.disk.length > 0) {
        lines.push("Disk (yesterday vs 7 days before):");
        for (const d of s.disk) lines.push(`  • ${diskLine(d)}`);
      }
      return { heading: s.name, lines };
    }),
  };
}
