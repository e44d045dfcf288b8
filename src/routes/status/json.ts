/**
 * `GET /status.json`: the status page as data. Times are ISO 8601, percentages 0–100 with four
 * decimals (null without observations). Per-day history is opt-in (`?days=true`): at 500
 * checks it is most of the bytes.
 */
import { z } from "zod";
import { answer, declarer, on, routes } from "../openapi";
import { statusAccessJson, statusRefusals } from "./access";
import { loadStatusModel } from "./data";
import { dayCell, type ComponentView, type IncidentView, type StatusModel } from "./model";
import { isoDay } from "./views/format";

export const statusJsonQuery = z.strictObject({
  /** Include each check's per-day history. Default false. */
  days: z.enum(["true", "false", "1", "0"]).optional(),
  /** The private page's token (or use a Bearer header). */
  token: z.string().optional(),
});

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const pct = (p: number | null) => (p === null ? null : Math.round(p * 10_000) / 10_000);

const uptimeJson = z.object({
  "24h": z.number().nullable(),
  "7d": z.number().nullable(),
  "30d": z.number().nullable(),
  "90d": z.number().nullable(),
});
const statusEnum = z.enum(["up", "degraded", "down", "unknown"]);
const incidentJson = z.object({
  id: z.string(),
  service: z.string(),
  serviceName: z.string(),
  title: z.string(),
  status: z.enum(["open", "resolved"]),
  openedAt: z.string(),
  resolvedAt: z.string().nullable(),
  affected: z.array(z.object({ id: z.string(), name: z.string(), status: z.string(), reason: z.string().nullable() })),
  timeline: z.array(z.object({ at: z.string(), type: z.string(), text: z.string() })),
});

/** The response's shape (documentation only: the handler builds it from the model). */
export const statusJsonResponse = z.object({
  page: z.object({ title: z.string(), url: z.string().nullable(), timeZone: z.string(), generatedAt: z.string() }),
  status: z.object({ indicator: z.enum(["none", "maintenance", "degraded", "partial", "major", "unknown"]), description: z.string() }),
  services: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      status: z.union([statusEnum, z.literal("maintenance")]),
      uptime90d: z.number().nullable(),
      components: z.array(
        z.object({
          id: z.string(),
          name: z.string(),
          kind: z.enum(["monitor", "job", "agent", "agent-check"]),
          status: statusEnum,
          since: z.string().nullable(),
          reason: z.string().nullable(),
          stale: z.boolean(),
          uptime: uptimeJson.describe("Share (%) of the measured runs that were not down; unknown and missed runs are not in it."),
          measured: uptimeJson.describe(
            "Share (%) of the planned runs that measured something, per period; null where runs are not planned.",
          ),
          shares: z
            .object({ up: z.number(), degraded: z.number(), down: z.number() })
            .nullable()
            .describe("Shares (%) of the measured runs over the whole history: up, degraded (its own share) and down."),
          runs24h: z
            .object({ planned: z.number(), executed: z.number(), missed: z.number(), unknown: z.number(), retried: z.number() })
            .nullable()
            .describe(
              "Runs of the last 24 hours: planned by the schedule, executed, missed, measured nothing, and retried after a network failure.",
            ),
          latency: z.object({ avgMs: z.number().nullable(), p95Ms: z.number().nullable() }),
          days: z
            .array(
              z.object({
                date: z.string(),
                level: z.enum(["none", "unknown", "up", "degraded", "partial", "down"]),
                uptime: z.number().nullable(),
                count: z.number(),
                failures: z.number(),
                degraded: z.number(),
                planned: z.number().optional(),
                unknown: z.number().optional(),
                measured: z.number().nullable().optional(),
              }),
            )
            .optional(),
        }),
      ),
    }),
  ),
  incidents: z.object({ open: z.array(incidentJson), recent: z.array(incidentJson) }),
  maintenance: z.array(
    z.object({ id: z.string(), title: z.string(), services: z.array(z.string()), start: z.string(), end: z.string(), active: z.boolean() }),
  ),
});

export const statusJsonRoute = declarer(
  "status",
  "status",
)({
  method: "get",
  path: "/status.json",
  summary: "Current status, uptime, incidents and maintenance",
  middleware: [statusAccessJson],
  request: { query: statusJsonQuery },
  responses: {
    200: answer("Status", "application/json", statusJsonResponse),
    ...statusRefusals,
  },
});

function component(c: ComponentView, tz: string, dayStarts: number[], withDays: boolean) {
  return {
    id: c.id,
    name: c.name,
    kind: c.kind,
    status: c.status,
    since: iso(c.since),
    reason: c.reason,
    stale: c.stale,
    uptime: { "24h": pct(c.uptime["24h"]), "7d": pct(c.uptime["7d"]), "30d": pct(c.uptime["30d"]), "90d": pct(c.uptime["90d"]) },
    measured: { "24h": pct(c.measured["24h"]), "7d": pct(c.measured["7d"]), "30d": pct(c.measured["30d"]), "90d": pct(c.measured["90d"]) },
    shares: c.shares && { up: pct(c.shares.up)!, degraded: pct(c.shares.degraded)!, down: pct(c.shares.down)! },
    runs24h: c.runs24h,
    latency: { avgMs: c.latencyAvgMs, p95Ms: c.latencyP95Ms },
    ...(withDays && {
      days: dayStarts.map((_, i) => {
        const d = dayCell(c, dayStarts, i);
        return {
          date: isoDay(d.start, tz),
          level: d.level,
          uptime: d.uptime === null ? null : pct(d.uptime * 100),
          count: d.count,
          failures: d.failures,
          degraded: d.degraded,
          ...(d.planned !== undefined && {
            planned: d.planned,
            unknown: d.unknown!,
            measured: d.measured == null ? null : pct(d.measured * 100),
          }),
        };
      }),
    }),
  };
}

function incident(i: IncidentView) {
  return {
    id: i.id,
    service: i.serviceId,
    serviceName: i.serviceName,
    title: i.title,
    status: i.status,
    openedAt: iso(i.openedAt)!,
    resolvedAt: iso(i.resolvedAt),
    affected: i.affected,
    timeline: i.timeline.map((e) => ({ at: iso(e.at)!, type: e.type, text: e.text })),
  };
}

/** The JSON document for a model. */
export function statusJson(m: StatusModel, publicUrl: string | null, withDays: boolean): z.infer<typeof statusJsonResponse> {
  return {
    page: { title: m.title, url: publicUrl, timeZone: m.timeZone, generatedAt: iso(m.generatedAt)! },
    status: { indicator: m.overall.indicator, description: m.overall.text },
    services: m.services.map((s) => ({
      id: s.id,
      name: s.name,
      status: s.status,
      uptime90d: pct(s.uptime90d),
      components: s.components.map((c) => component(c, m.timeZone, m.dayStarts, withDays)),
    })),
    incidents: { open: m.openIncidents.map(incident), recent: m.pastIncidents.map(incident) },
    maintenance: m.maintenance.map((x) => ({
      id: x.id,
      title: x.title,
      services: x.services,
      start: iso(x.start)!,
      end: iso(x.end)!,
      active: x.active,
    })),
  };
}

export function statusJsonRoutes() {
  const app = routes();
  on(app, statusJsonRoute, async (c) => {
    const { days } = c.req.valid("query");
    const config = c.get("config");
    const model = await loadStatusModel(c.env.DB, config, Date.now(), c.get("audience"));
    const withDays = days === "true" || days === "1";
    // A public page's data may be read by any site's script; a private one's by none.
    return c.json(statusJson(model, config.publicUrl ?? null, withDays), 200, {
      "cache-control": "no-cache",
      ...(!config.statusPage.token && { "access-control-allow-origin": "*" }),
    });
  });
  return app;
}
