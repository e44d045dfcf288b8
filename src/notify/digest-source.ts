/**
 * Gathering and scheduling the daily digest.
 *
 * - `digestWindow(now, timezone)`: yesterday, local midnight to local midnight (23 or 25 hours
 *   on DST days).
 * - `gatherDigest(db, config, window, now, sources)`: the facts per service from D1 — hourly
 *   rollups (uptime, latency; an hour belongs to the day its start falls in), incidents
 *   overlapping the day, the agents table, the certificate each `tls` monitor read last
 *   (`tls_certificates`, written by the probe batches; days left counted from `now`) and the
 *   agents' daily disk series (`agent_disk_daily`, written by the AgentObjects: yesterday against
 *   7 days before, or the earliest day since). `sources` replaces either of the last two.
 * - `queueDailyDigest(env, config, now)`: called on every cron tick; once the configured local
 *   time has passed, writes the digest for yesterday to the outbox, once per local date (the
 *   outbox key `digest:<date>:<channel>` makes a second tick a no-op).
 */
import type { VigilConfig } from "../config";
import type { Env } from "../env";
import { diskDaysBetween } from "../store/agent-disk";
import { certificatesOf } from "../store/certificates";
import { enqueueInOutbox } from "../store/outbox";
import { formatLocalTime, localDate, localMidnight } from "../../lib/time-zone";
import {
  buildDigest,
  digestEvent,
  type AgentFact,
  type CertificateFact,
  type CheckRollup,
  type DigestInput,
  type DiskFact,
} from "./digest";
import { digestKey, type NotifyMessage } from "./message";

export interface DigestWindow {
  /** Local date reported on, `2026-11-21`. */
  date: string;
  from: number;
  to: number;
}

/** Yesterday in `timeZone`, relative to `now`. */
export function digestWindow(now: number, timeZone: string): DigestWindow {
  const to = localMidnight(localDate(now, timeZone), timeZone);
  const date = localDate(to - 1, timeZone);
  return { date, from: localMidnight(date, timeZone), to };
}

/** Replacements for the certificate and disk facts (tests; D1 by default). */
export interface DigestSources {
  certificates?: (config: VigilConfig, now: number) => Promise<CertificateFact[]>;
  disk?: (config: VigilConfig, window: DigestWindow) => Promise<DiskFact[]>;
}

const DAY = 86_400_000;

/** `YYYY-MM-DD` plus `n` calendar days. */
export const addDays = (date: string, n: number) => new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);

/** The certificate each enabled `tls` monitor read last; days left counted as the TLS probe does. */
export async function storedCertificates(db: D1Database, config: VigilConfig, now: number): Promise<CertificateFact[]> {
  const ids = config.monitors.filter((m) => m.type === "tls" && m.enabled).map((m) => m.id);
  return (await certificatesOf(db, ids)).map((r) => ({
    check: r.check_id,
    host: r.host,
    notAfter: r.not_after,
    daysLeft: Math.floor((r.not_after - now) / DAY),
  }));
}

/**
 * Each configured agent mount's use on the window's day, against 7 days before (or the earliest
 * day since with data). A mount without a row for the day itself (the agent was not seen) is left out.
 */
export async function storedDisk(db: D1Database, config: VigilConfig, window: DigestWindow): Promise<DiskFact[]> {
  const rows = await diskDaysBetween(
    db,
    config.agents.map((a) => a.id),
    addDays(window.date, -7),
    window.date,
  );
  const byMount = new Map<string, typeof rows>();
  for (const r of rows) {
    const k = JSON.stringify([r.agent_id, r.mount]);
    byMount.set(k, [...(byMount.get(k) ?? []), r]);
  }
  const out: DiskFact[] = [];
  for (const days of byMount.values()) {
    const today = days.find((r) => r.day === window.date);
    if (!today) continue;
    const base = days.find((r) => r.day < window.date); // ordered by day: 7 days before, else the earliest since
    out.push({
      agent: today.agent_id,
      mount: today.mount,
      maxPct: today.max_used_pct,
      lastPct: today.last_used_pct,
      base: base ? { day: base.day, lastPct: base.last_used_pct } : null,
    });
  }
  return out;
}

/** Which service a check id belongs to: a monitor, `agent:<agent>:<check>`, or `ping:<job>`. */
function serviceOfCheck(config: VigilConfig): (checkId: string) => string | undefined {
  const byMonitor = new Map(config.monitors.map((m) => [m.id, m.service]));
  const byAgent = new Map(config.agents.map((a) => [a.id, a.service]));
  const byJob = new Map(config.jobs.map((j) => [j.id, j.service]));
  return (id) => {
    if (byMonitor.has(id)) return byMonitor.get(id);
    const [kind, owner] = id.split(":");
    if (kind === "agent" && owner) return byAgent.get(owner);
    if (kind === "ping" && owner) return byJob.get(owner);
    return undefined;
  };
}

export async function gatherDigest(
  db: D1Database,
  config: VigilConfig,
  window: DigestWindow,
  now: number,
  sources: DigestSources = {},
): Promise<DigestInput> {
  const digest = config.digest!;
  const [rollups, incidents, agents] = await db.batch<Record<string, unknown>>([
    db
      .prepare(
        `SELECT check_id, SUM(count) AS count, SUM(failures) AS failures,
                SUM(CASE WHEN latency_avg IS NULL THEN 0 ELSE latency_avg * count END) / NULLIF(SUM(CASE WHEN latency_avg IS NULL THEN 0 ELSE count END), 0) AS avg_ms,
                MAX(latency_p95) AS p95_ms
         FROM rollups_hourly WHERE hour >= ? AND hour < ? GROUP BY check_id ORDER BY check_id`,
      )
      .bind(window.from, window.to),
    db
      .prepare(
        "SELECT id, service_id, title, level, opened_at, resolved_at FROM incidents WHERE opened_at < ? AND (resolved_at IS NULL OR resolved_at >= ?) ORDER BY opened_at",
      )
      .bind(window.to, window.from),
    db.prepare("SELECT agent_id, hostname, version, last_seen, silent_since FROM agents"),
  ]);
  const serviceOf = serviceOfCheck(config);
  const certificates = await (sources.certificates ?? ((c, t) => storedCertificates(db, c, t)))(config, now);
  const disk = await (sources.disk ?? ((c, w) => storedDisk(db, c, w)))(config, window);
  const agentRows = new Map(
    (
      agents!.results as {
        agent_id: string;
        hostname: string | null;
        version: string | null;
        last_seen: number | null;
        silent_since: number | null;
      }[]
    ).map((a) => [a.agent_id, a]),
  );
  const services = digest.services ? digest.services.map((id) => config.services.find((s) => s.id === id)!) : config.services;
  return {
    ...window,
    timezone: config.timezone,
    certificateDays: digest.certificateDays,
    slowest: digest.slowest,
    diskWarnPct: digest.diskWarnPct,
    diskCriticalPct: digest.diskCriticalPct,
    services: services.map((s) => ({
      id: s.id,
      name: s.name,
      rollups: (rollups!.results as { check_id: string; count: number; failures: number; avg_ms: number | null; p95_ms: number | null }[])
        .filter((r) => serviceOf(r.check_id) === s.id)
        .map((r): CheckRollup => ({ check: r.check_id, count: r.count, failures: r.failures, avgMs: r.avg_ms, p95Ms: r.p95_ms })),
      incidents: (
        incidents!.results as {
          id: string;
          service_id: string;
          title: string;
          level: number;
          opened_at: number;
          resolved_at: number | null;
        }[]
      )
        .filter((i) => i.service_id === s.id)
        .map((i) => ({ id: i.id, title: i.title, level: i.level, openedAt: i.opened_at, resolvedAt: i.resolved_at })),
      certificates: certificates.filter((c) => serviceOf(c.check) === s.id),
      agents: config.agents
        .filter((a) => a.service === s.id)
        .map((a): AgentFact => {
          const row = agentRows.get(a.id);
          return {
            id: a.id,
            hostname: row?.hostname ?? null,
            version: row?.version ?? null,
            lastSeen: row?.last_seen ?? null,
            silentSince: row?.silent_since ?? null,
          };
        }),
      disk: disk.filter((d) => config.agents.find((a) => a.id === d.agent)?.service === s.id),
    })),
  };
}

/**
 * The cron hook: queues yesterday's digest once the configured local time has passed today.
 * Returns true when it queued one. Never throws: a digest problem must not stop probing.
 */
export async function queueDailyDigest(env: Env, config: VigilConfig, now: number, sources: DigestSources = {}): Promise<boolean> {
  const digest = config.digest;
  if (!digest) return false;
  try {
    const localTime = formatLocalTime(now, config.timezone).slice(11, 16);
    if (localTime < digest.at) return false;
    const window = digestWindow(now, config.timezone);
    const key = digestKey(window.date, digest.channel);
    if (await env.DB.prepare("SELECT 1 AS x FROM outbox WHERE key = ?").bind(key).first()) return false;
    const input = await gatherDigest(env.DB, config, window, now, sources);
    const message: NotifyMessage = {
      key,
      channelId: digest.channel,
      incidentId: null,
      level: 0,
      event: digestEvent(buildDigest(input), now),
    };
    await enqueueInOutbox(env.DB, message, now).run();
    return true;
  } catch (err) {
    console.error(JSON.stringify({ msg: "daily digest not queued", error: (err as Error).message }));
    return false;
  }
}
