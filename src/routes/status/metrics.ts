/**
 * `GET /metrics`: Prometheus text exposition (format 0.0.4), behind its own bearer token
 * (`VIGIL_METRICS_TOKEN`; unset refuses every scrape). Everything comes from the D1 read model:
 *
 * - `vigil_check_up`, `vigil_check_status`, `vigil_check_status_since_timestamp_seconds`,
 *   `vigil_check_stale`: current state of each check (probe monitors, jobs, agents, agent checks).
 * - `vigil_probe_latency_seconds` (histogram, seconds as Prometheus prefers): probe latency over
 *   the last 24 complete hours, real counts: the hourly rollup counts every probe result into fixed
 *   buckets (`LATENCY_BOUNDS_MS`: le 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 s, +Inf) and keeps the
 *   exact sum, and this sums the hours. Buckets are cumulative, `+Inf` equals `_count`, `_sum`
 *   is the sum of the same observations. The window slides (hours leave it), so query it with
 *   `histogram_quantile(...)` directly, not over `rate()`. `vigil_probe_latency_p95_seconds` is
 *   the exact p95 of the last complete hour.
 * - `vigil_probe_runs_planned_total`, `vigil_probe_runs_executed_total`,
 *   `vigil_probe_runs_missed_total`, `vigil_probe_runs_unknown_total`,
 *   `vigil_probe_runs_retried_total`: per monitor over the same 24 complete hours, whether Vigil
 *   kept its own schedule (planned from the monitors' offsets, missed = planned − executed per
 *   hour), how many runs measured nothing and how many needed a retry. A sliding window too.
 * - `vigil_incidents_open` by service; `vigil_agent_last_seen_timestamp_seconds`,
 *   `vigil_agent_silent` by agent; `vigil_notification_attempts_total` by channel and outcome,
 *   `vigil_notification_failures_total` (failed + dead-lettered) by channel.
 * - `vigil_otlp_exports_total`, `vigil_otlp_spans_total` by outcome (ok, failed): span exports
 *   to the `telemetry.otlp` collector since the database was created; present once configured.
 */
import { LATENCY_BOUNDS_MS } from "../../engine/rollup";
import {
  loadCurrent,
  withOverdue,
  loadHourP95,
  loadLatencyHistograms,
  loadMetricCounts,
  loadRunTotals,
  type AgentSeenRow,
  type CheckStateRow,
  type DeliveryCountRow,
  type LatencyHistogramRow,
  type RunTotalsRow,
} from "../../store/status-read";
import { loadOtlpExports, type OtlpExportRow } from "../../store/otlp-exports";
import { bearerAuth } from "../auth";
import { answer, declarer, on, refusal, routes } from "../openapi";
import { listComponents } from "./model";

export const metricsRoute = declarer(
  "metrics",
  "metrics",
)({
  method: "get",
  path: "/metrics",
  summary: "Prometheus metrics",
  middleware: [bearerAuth({ name: "VIGIL_METRICS_TOKEN" })],
  responses: {
    200: answer("Prometheus text format 0.0.4", "text/plain; version=0.0.4"),
    401: refusal("Missing or invalid VIGIL_METRICS_TOKEN"),
  },
});

const HOUR = 3_600_000;

const label = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
const labels = (l: Record<string, string>) =>
  `{${Object.entries(l)
    .map(([k, v]) => `${k}="${label(v)}"`)
    .join(",")}}`;
const num = (v: number) => (Number.isInteger(v) ? String(v) : String(Math.round(v * 1e6) / 1e6));

export interface MetricsInput {
  version: string;
  now: number;
  checks: { id: string; service: string; kind: string }[];
  states: Map<string, CheckStateRow>;
  /** Latency histograms of the last 24 hours, per check. */
  latency: LatencyHistogramRow[];
  /** p95 latency (ms) of the last complete hour, per check. */
  lastHourP95: Map<string, number>;
  /** Planned, executed, missed, unknown and retried runs of the last 24 hours, per check. */
  runs: RunTotalsRow[];
  services: string[];
  openIncidents: Map<string, number>;
  agents: { id: string; service: string; row: AgentSeenRow | undefined }[];
  deliveries: DeliveryCountRow[];
  /** Span exports by outcome; absent when telemetry is not configured and nothing was ever exported. */
  otlp?: OtlpExportRow[];
}

/** The exposition text. Pure: tested line by line. */
export function renderMetrics(m: MetricsInput): string {
  const out: string[] = [];
  const family = (name: string, type: string, help: string) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);

  family("vigil_build_info", "gauge", "Vigil version.");
  out.push(`vigil_build_info${labels({ version: m.version })} 1`);

  family("vigil_check_up", "gauge", "1 when the check is up or degraded, 0 when down; absent while unknown.");
  for (const c of m.checks) {
    const s = m.states.get(c.id)?.status;
    if (s && s !== "unknown")
      out.push(`vigil_check_up${labels({ check: c.id, service: c.service, kind: c.kind })} ${s === "down" ? 0 : 1}`);
  }
  family("vigil_check_status", "gauge", "Current status of each check: 1 on the series of its status.");
  for (const c of m.checks) {
    const s = m.states.get(c.id)?.status ?? "unknown";
    for (const st of ["up", "degraded", "down", "unknown"])
      out.push(`vigil_check_status${labels({ check: c.id, service: c.service, kind: c.kind, status: st })} ${st === s ? 1 : 0}`);
  }
  family("vigil_check_status_since_timestamp_seconds", "gauge", "When the check entered its current status (Unix seconds).");
  for (const c of m.checks) {
    const s = m.states.get(c.id);
    if (s)
      out.push(
        `vigil_check_status_since_timestamp_seconds${labels({ check: c.id, service: c.service, kind: c.kind })} ${num(s.since / 1000)}`,
      );
  }
  family("vigil_check_stale", "gauge", "1 when the check's agent went silent (its status is unknown until it reports again).");
  for (const c of m.checks) {
    if (c.kind === "agent-check")
      out.push(`vigil_check_stale${labels({ check: c.id, service: c.service })} ${m.states.get(c.id)?.stale_since != null ? 1 : 0}`);
  }

  // Latency: one histogram per probe monitor over the last 24 h, p95 of the last complete hour.
  const byCheck = new Map(m.latency.map((r) => [r.check_id, r]));
  const monitors = m.checks.filter((c) => c.kind === "monitor");
  family(
    "vigil_probe_latency_seconds",
    "histogram",
    "Probe latency in seconds over the last 24 hours, counted into fixed buckets by the hourly rollups (a sliding window: use histogram_quantile without rate()).",
  );
  for (const c of monitors) {
    const h = byCheck.get(c.id);
    LATENCY_BOUNDS_MS.forEach((le, i) =>
      out.push(`vigil_probe_latency_seconds_bucket${labels({ check: c.id, service: c.service, le: String(le / 1000) })} ${h?.le[i] ?? 0}`),
    );
    out.push(`vigil_probe_latency_seconds_bucket${labels({ check: c.id, service: c.service, le: "+Inf" })} ${h?.count ?? 0}`);
    out.push(`vigil_probe_latency_seconds_sum${labels({ check: c.id, service: c.service })} ${num((h?.sum ?? 0) / 1000)}`);
    out.push(`vigil_probe_latency_seconds_count${labels({ check: c.id, service: c.service })} ${h?.count ?? 0}`);
  }
  const runs = new Map(m.runs.map((r) => [r.check_id, r]));
  const runFamilies = [
    [
      "planned",
      "Probe runs the schedule planned over the last 24 complete hours (from each monitor's offsets, whether or not the cron fired).",
    ],
    ["executed", "Probe runs that executed over the last 24 complete hours."],
    [
      "missed",
      "Planned probe runs that did not execute over the last 24 complete hours (a sliding window: use it directly, not with rate()).",
    ],
    ["unknown", "Probe runs that executed but could not measure (the probe itself failed) over the last 24 complete hours."],
    ["retried", "Probe runs that took more than one attempt (retries after network failures) over the last 24 complete hours."],
  ] as const;
  for (const [what, help] of runFamilies) {
    family(`vigil_probe_runs_${what}_total`, "counter", help);
    for (const c of monitors)
      out.push(`vigil_probe_runs_${what}_total${labels({ check: c.id, service: c.service })} ${runs.get(c.id)?.[what] ?? 0}`);
  }
  family("vigil_probe_latency_p95_seconds", "gauge", "95th percentile probe latency of the last complete hour.");
  for (const c of monitors) {
    const p95 = m.lastHourP95.get(c.id);
    if (p95 !== undefined) out.push(`vigil_probe_latency_p95_seconds${labels({ check: c.id, service: c.service })} ${num(p95 / 1000)}`);
  }

  family("vigil_incidents_open", "gauge", "Open incidents per service.");
  for (const s of m.services) out.push(`vigil_incidents_open${labels({ service: s })} ${m.openIncidents.get(s) ?? 0}`);

  family(
    "vigil_agent_last_seen_timestamp_seconds",
    "gauge",
    "When the agent's last report arrived (Unix seconds; refreshed at most once a minute while healthy).",
  );
  for (const a of m.agents) {
    if (a.row?.last_seen != null)
      out.push(`vigil_agent_last_seen_timestamp_seconds${labels({ agent: a.id, service: a.service })} ${num(a.row.last_seen / 1000)}`);
  }
  family("vigil_agent_silent", "gauge", "1 while the agent's dead-man deadline has passed without a report.");
  for (const a of m.agents)
    out.push(`vigil_agent_silent${labels({ agent: a.id, service: a.service })} ${a.row?.silent_since != null ? 1 : 0}`);

  family(
    "vigil_notification_attempts_total",
    "counter",
    "Notification delivery attempts by channel and outcome (delivered, retry, failed, dead).",
  );
  for (const d of m.deliveries)
    out.push(`vigil_notification_attempts_total${labels({ channel: d.channel_id, outcome: d.outcome })} ${d.n}`);
  family("vigil_notification_failures_total", "counter", "Notification attempts that failed or were dead-lettered, by channel.");
  const failures = new Map<string, number>();
  for (const d of m.deliveries) {
    if (!failures.has(d.channel_id)) failures.set(d.channel_id, 0);
    if (d.outcome === "failed" || d.outcome === "dead") failures.set(d.channel_id, failures.get(d.channel_id)! + d.n);
  }
  for (const [channel, n] of [...failures].sort(([a], [b]) => a.localeCompare(b)))
    out.push(`vigil_notification_failures_total${labels({ channel })} ${n}`);

  if (m.otlp) {
    const by = new Map(m.otlp.map((r) => [r.outcome, r]));
    family("vigil_otlp_exports_total", "counter", "OTLP span export requests to the telemetry.otlp collector, by outcome (ok, failed).");
    for (const outcome of ["ok", "failed"] as const)
      out.push(`vigil_otlp_exports_total${labels({ outcome })} ${by.get(outcome)?.exports ?? 0}`);
    family("vigil_otlp_spans_total", "counter", "Spans in those requests by outcome; failed ones are lost (exports are not retried).");
    for (const outcome of ["ok", "failed"] as const)
      out.push(`vigil_otlp_spans_total${labels({ outcome })} ${by.get(outcome)?.spans ?? 0}`);
  }

  return `${out.join("\n")}\n`;
}

export function metricsRoutes() {
  const app = routes();
  on(app, metricsRoute, async (c) => {
    const config = c.get("config");
    const now = Date.now();
    const hour = Math.floor(now / HOUR) * HOUR;
    const [current, counts, latency, lastHourP95, runs, otlp] = await Promise.all([
      loadCurrent(c.env.DB, { historySince: now, recentIncidents: 0 }),
      loadMetricCounts(c.env.DB),
      loadLatencyHistograms(c.env.DB, hour - 24 * HOUR, hour),
      loadHourP95(c.env.DB, hour - HOUR),
      loadRunTotals(c.env.DB, hour - 24 * HOUR, hour),
      loadOtlpExports(c.env.DB),
    ]);
    const checks = listComponents(config, current.states.keys()).map((r) => ({ id: r.id, service: r.serviceId, kind: r.kind }));
    const body = renderMetrics({
      version: c.env.VIGIL_VERSION ?? "dev",
      now,
      checks,
      states: withOverdue(current.states, config.monitors, now),
      latency,
      lastHourP95,
      runs,
      services: config.services.map((s) => s.id),
      openIncidents: new Map(counts.openIncidents.map((r) => [r.service_id, r.n])),
      agents: config.agents.map((a) => ({ id: a.id, service: a.service, row: current.agents.get(a.id) })),
      deliveries: counts.deliveries,
      ...((config.telemetry?.otlp || otlp.length > 0) && { otlp }),
    });
    return c.body(body, 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8", "cache-control": "no-store" });
  });
  return app;
}
