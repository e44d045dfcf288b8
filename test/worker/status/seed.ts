/**
 * One seeded world for the status tests (workerd route tests, the browser test, the benchmark):
 * a config and the SQL that fills the read model relative to `now`. Plain SQL, so the Node-side
 * tests can feed the same rows to `wrangler d1 execute`.
 *
 * - "Public API" is down (api-health: HTTP 503) with an open incident and a resolved one.
 * - "Website" is in a maintenance window; "Database" has a job, an agent and a degraded check.
 */
import type { VigilConfigInput } from "../../../src/config";
import { LATENCY_BOUNDS_MS, rollup } from "../../../src/engine/rollup";
import { startOfDay } from "../../../lib/time-zone";

/** The status page's time zone: its days, and so its bars, start at local midnight. */
const PAGE_TIME_ZONE = "Asia/Seoul";

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const STATUS_TOKEN = "status-page-token-0123456789";
export const METRICS_TOKEN = "metrics-token-0123456789abcdef";

export function statusConfig(now: number, options: { private?: boolean; url?: string } = {}): VigilConfigInput {
  return {
    timezone: PAGE_TIME_ZONE,
    services: [
      { id: "api", name: "Public API", policy: "ops", description: "REST API at api.example.com" },
      { id: "web", name: "Website", policy: "ops" },
      { id: "db", name: "Database", policy: "ops" },
    ],
    monitors: [
      { id: "api-health", type: "http", service: "api", url: `${options.url ?? "http://127.0.0.1:9"}/health` },
      { id: "web-home", type: "http", service: "web", url: `${options.url ?? "http://127.0.0.1:9"}/` },
    ],
    jobs: [{ id: "nightly-backup", service: "db", key: { env: "BACKUP_PING_KEY" }, period: "1d" }],
    agents: [{ id: "app-01", service: "db", secret: { env: "APP01_SECRET" } }],
    channels: [{ id: "ops-hook", type: "webhook", url: "http://127.0.0.1:9/hook", secret: { env: "HOOK_SECRET" } }],
    policies: [{ id: "ops", levels: [{ channels: ["ops-hook"] }] }],
    maintenance: [
      {
        id: "web-deploy",
        services: ["web"],
        title: "Website migration to the new CDN",
        start: new Date(now - HOUR).toISOString(),
        end: new Date(now + HOUR).toISOString(),
      },
      {
        id: "db-upgrade",
        services: ["db"],
        title: "PostgreSQL 17 upgrade",
        start: new Date(now + 2 * DAY).toISOString(),
        end: new Date(now + 2 * DAY + 2 * HOUR).toISOString(),
      },
    ],
    statusPage: { title: "Example Status", ...(options.private && { token: { env: "STATUS_PAGE_TOKEN" } }) },
  } as VigilConfigInput;
}

/** Secrets the config names. */
export const statusSecrets = {
  BACKUP_PING_KEY: "backup-key-0123456789abcdef",
  APP01_SECRET: "app01-secret-0123456789abcdef-0123",
  HOOK_SECRET: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  STATUS_PAGE_TOKEN: STATUS_TOKEN,
  VIGIL_METRICS_TOKEN: METRICS_TOKEN,
};

const q = (s: string | null) => (s === null ? "NULL" : `'${s.replace(/'/g, "''")}'`);

const ROLLUP_COLUMNS = `check_id, hour, count, failures, degraded, latency_min, latency_avg, latency_p95, latency_max, latency_sum, ${LATENCY_BOUNDS_MS.map((b) => `latency_le_${b}`).join(", ")}`;

/**
 * Rollups for `checks` over `days` days: one row per hour of 60 observations, rolled up from
 * synthetic latencies (a spread around a base that varies by hour, one slow outlier) with the
 * same `rollup()` the cron uses, histogram columns included; `bad(hourStart)` marks failing hours.
 */
export function rollupSql(checks: string[], now: number, days: number, bad: (check: string, hour: number) => number = () => 0): string[] {
  const out: string[] = [];
  const end = Math.floor(now / HOUR) * HOUR;
  for (const check of checks) {
    let values: string[] = [];
    for (let h = end - days * DAY; h <= end; h += HOUR) {
      const failures = bad(check, h);
      const base = 80 + ((h / HOUR) % 24) * 3 + (check.length % 5) * 10;
      const latencies = Array.from({ length: 60 }, (_, k) => (k === 59 ? base * 3 : base - 30 + ((k * 7) % 60)));
      const r = rollup(latencies.map((l, k) => [check, k, k < failures ? 2 : 0, l] as const))[0]!;
      // Now and then a degraded hour, at fixed ages (10.6 days, 31.8 days, …): never on a day
      // the tests seed failures into (five days ago, today), whatever the clock says.
      const degraded = failures > 0 ? 0 : ((end - h) / HOUR) % 509 === 254 ? 5 : 0;
      values.push(
        `(${[q(check), h, 60, failures, degraded, r.latencyMin, r.latencyAvg, r.latencyP95, r.latencyMax, r.latencySum, ...r.latencyLe].join(",")})`,
      );
      if (values.length === 500) {
        out.push(`INSERT OR REPLACE INTO rollups_hourly (${ROLLUP_COLUMNS}) VALUES ${values.join(",")};`);
        values = [];
      }
    }
    if (values.length) out.push(`INSERT OR REPLACE INTO rollups_hourly (${ROLLUP_COLUMNS}) VALUES ${values.join(",")};`);
  }
  return out;
}

/** The whole seeded read model, as SQL statements. */
export function statusSeedSql(now: number): string[] {
  const openAt = now - 30 * 60_000;
  const oldAt = now - 3 * DAY;
  // Both outages stay inside one day of the page's time zone, whatever the hour the tests run:
  // five days ago 06:00–09:00 local, and today from two hours ago but not before local midnight.
  const badDay = startOfDay(now - 5 * DAY, PAGE_TIME_ZONE) + 6 * HOUR;
  const todayFrom = Math.max(now - 2 * HOUR, startOfDay(now, PAGE_TIME_ZONE));
  return [
    `INSERT OR REPLACE INTO check_state (check_id, status, since, consecutive_failures, consecutive_successes, reason, updated_at, stale_since) VALUES
      ('api-health', 'down', ${openAt}, 2, 0, 'HTTP 503 Service Unavailable (expected 2xx)', ${now - 20_000}, NULL),
      ('web-home', 'up', ${now - 10 * DAY}, 0, 2, NULL, ${now - 60_000}, NULL),
      ('ping:nightly-backup', 'up', ${now - 2 * DAY}, 0, 1, NULL, ${now - 60_000}, NULL),
      ('agent:app-01:heartbeat', 'up', ${now - 9 * DAY}, 0, 2, NULL, ${now - 60_000}, NULL),
      ('agent:app-01:docker:postgres', 'degraded', ${now - HOUR}, 0, 0, 'container restarted 3 times in 10 min', ${now - 60_000}, NULL);`,
    `INSERT OR REPLACE INTO incidents (id, service_id, status, title, level, opened_at, resolved_at) VALUES
      ('inc_open', 'api', 'open', 'Public API is down', 2, ${openAt}, NULL),
      ('inc_old', 'api', 'resolved', 'Public API answered slowly', 1, ${oldAt}, ${oldAt + 42 * 60_000});`,
    `INSERT OR REPLACE INTO incident_members (incident_id, check_id, status, reason, since) VALUES
      ('inc_open', 'api-health', 'down', 'HTTP 503 Service Unavailable (expected 2xx)', ${openAt}),
      ('inc_old', 'api-health', 'up', NULL, ${oldAt});`,
    `DELETE FROM incident_events WHERE incident_id IN ('inc_open', 'inc_old');`,
    `INSERT INTO incident_events (incident_id, at, type, detail) VALUES
      ('inc_open', ${openAt}, 'incident.opened', '{"check":"api-health","reason":"HTTP 503 Service Unavailable (expected 2xx)"}'),
      ('inc_open', ${openAt + 1000}, 'notification.queued', '{"channel":"ops-hook","event":"incident.opened","level":1}'),
      ('inc_open', ${openAt + 10 * 60_000}, 'incident.acknowledged', '{"by":"alice","message":"Database connection pool exhausted; restarting the pool"}'),
      ('inc_old', ${oldAt}, 'incident.opened', '{"check":"api-health","reason":"latency 5.2 s over the 5 s limit"}'),
      ('inc_old', ${oldAt + 42 * 60_000}, 'incident.resolved', '{}');`,
    `DELETE FROM deliveries WHERE idempotency_key LIKE 'seed:%';`,
    `INSERT INTO deliveries (idempotency_key, incident_id, channel_id, event_type, attempt, outcome, http_status, latency_ms, error, at) VALUES
      ('seed:1', 'inc_open', 'ops-hook', 'incident.opened', 1, 'failed', 502, 120, 'HTTP 502', ${openAt + 2000}),
      ('seed:1', 'inc_open', 'ops-hook', 'incident.opened', 2, 'delivered', 200, 80, NULL, ${openAt + 9000}),
      ('seed:2', 'inc_old', 'ops-hook', 'incident.opened', 8, 'dead', 500, 90, 'HTTP 500', ${oldAt + 60_000});`,
    `INSERT OR REPLACE INTO agents (agent_id, hostname, version, interval_s, last_seq, last_seen, deadline, silent_since, updated_at) VALUES
      ('app-01', 'app-01.internal', '1.2.0', 30, 1234, ${now - 20_000}, ${now + 70_000}, NULL, ${now - 20_000});`,
    ...rollupSql(["api-health", "web-home"], now, 89, (check, h) => {
      if (check !== "api-health") return 0;
      if (h >= badDay && h < badDay + 3 * HOUR) return 30; // an outage five days ago
      if (h >= todayFrom) return 20; // today's outage
      return 0;
    }),
  ];
}
