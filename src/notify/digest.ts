/**
 * The daily digest (the runbooks' daily checklist), per service: yesterday's uptime, incidents,
 * slowest checks, certificates expiring soon, agents seen, disk trend.
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

/** Disk usage (percent) of one agent's host check at the start and the end of the day. */
export interface DiskFact {
  agent: string;
  check: string;
  firstPct: number;
  lastPct: number;
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
  disk: (DiskFact & { trend: "rising" | "falling" | "flat" })[];
}

export interface DigestReport {
  date: string;
  timezone: string;
  from: string;
  to: string;
  services: ServiceDigest[];
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

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
        disk: s.disk.map((d) => ({ ...d, trend: d.lastPct - d.firstPct >= 1 ? "rising" : d.firstPct - d.lastPct >= 1 ? "falling" : "flat" }) as const),
      };
    }),
  };
}

export function digestEvent(report: DigestReport, now: number): WebhookEvent {
  return { type: "digest.daily", timestamp: new Date(now).toISOString(), data: { digest: report } };
}

export function digestFromEvent(event: WebhookEvent): DigestReport {
  const d = event.data.digest as DigestReport | undefined;
  if (event.type !== "digest.daily" || !d || !Array.isArray(d.services)) throw new Error(`event data.digest: expected a digest report in a digest.daily event, got "${event.type}"`);
  return d;
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
        for (const i of s.incidents) lines.push(`  • [L${i.level}] ${i.title} — ${formatLocalTime(i.openedAt, tz)}, ${i.resolvedAt === null ? "still open" : `${formatSpan(i.durationMs)}`}`);
      }
      if (s.slowest.length > 0) lines.push(`Slowest: ${s.slowest.map((c) => `${c.check} ${c.avgMs} ms${c.p95Ms !== null ? ` (p95 ${c.p95Ms} ms)` : ""}`).join(", ")}`);
      if (s.certificates.length > 0) lines.push(`Certificates expiring: ${s.certificates.map((c) => `${c.host} in ${c.daysLeft} d`).join(", ")}`);
      if (s.agents.length > 0) lines.push(`Agents: ${s.agents.map((a) => `${a.id} ${a.seen ? "seen" : "NOT seen"}${a.version ? ` (v${a.version})` : ""}`).join(", ")}`);
      if (s.disk.length > 0) lines.push(`Disk: ${s.disk.map((d) => `${d.agent} ${d.firstPct}% → ${d.lastPct}% (${d.trend})`).join(", ")}`);
      return { heading: s.name, lines };
    }),
  };
}
