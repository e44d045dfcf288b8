/**
 * `GET /badge/:id` — shields.io-style SVG badges for a check or a service:
 *   /badge/api-health                   status   ("api-health | up")
 *   /badge/api-health?type=uptime       uptime % over `period` (default 30d)
 *   /badge/api-health?type=latency      average response time over 24 h
 * `label=` overrides the left text, `style=flat-square` drops the rounding. A bad request is
 * still an image (so a broken README badge says why), with status 400 or 404.
 */
import type { Context } from "hono";
import { z } from "zod";
import { formatIssues } from "../../config";
import { answer, declarer, on, routes, type InputHook } from "../openapi";
import { statusAccess } from "./access";
import { loadStatusModel } from "./data";
import type { ComponentView, ServiceView } from "./model";
import { formatMs, formatPercent } from "./views/format";

export const badgeParams = z.object({
  /** A check id (`api-health`, `ping:nightly-backup`, `agent:app-01:heartbeat`) or a service id; `.svg` may follow. */
  id: z.string().min(1),
});

export const badgeQuery = z.strictObject({
  /** What the badge shows. Default `status`. */
  type: z.enum(["status", "uptime", "latency"]).default("status"),
  /** Window for `type=uptime`. Default `30d`. */
  period: z.enum(["24h", "7d", "30d", "90d"]).default("30d"),
  /** Left-hand text. Default: the check's name. */
  label: z.string().min(1).max(60).optional(),
  /** Default `flat`. */
  style: z.enum(["flat", "flat-square"]).default("flat"),
  /** The private page's token. */
  token: z.string().optional(),
});

export const badgeRoute = declarer(
  "status",
  "status",
)({
  method: "get",
  path: "/badge/{id}",
  summary: "SVG badge: status, uptime or latency of a check or service",
  middleware: [
    statusAccess((c, reason) =>
      svg(
        c,
        renderBadge("status page", reason.startsWith("invalid") ? "invalid token" : "private", BADGE_COLORS.lightgrey),
        401,
        "no-store",
      ),
    ),
  ],
  request: { params: badgeParams, query: badgeQuery },
  responses: {
    200: answer("Badge", "image/svg+xml"),
    400: answer("Invalid query (the badge says which parameter)", "image/svg+xml"),
    401: answer("Private page without a valid token", "image/svg+xml"),
    404: answer("No such check or service", "image/svg+xml"),
  },
});

export const BADGE_COLORS = {
  brightgreen: "#4c1",
  green: "#97ca00",
  yellowgreen: "#a4a61d",
  yellow: "#dfb317",
  orange: "#fe7d37",
  red: "#e05d44",
  blue: "#007ec6",
  lightgrey: "#9f9f9f",
} as const;

// Advance widths of Verdana at 11 px (what shields.io measures with), for the common characters.
const WIDTHS: Record<string, number> = {
  " ": 3.87,
  "!": 4.33,
  "%": 12.1,
  "(": 4.54,
  ")": 4.54,
  "-": 4.99,
  ".": 3.87,
  "/": 4.88,
  ":": 4.54,
  _: 7.0,
  "|": 4.99,
  "0": 7.0,
  "1": 7.0,
  "2": 7.0,
  "3": 7.0,
  "4": 7.0,
  "5": 7.0,
  "6": 7.0,
  "7": 7.0,
  "8": 7.0,
  "9": 7.0,
  a: 6.66,
  b: 6.82,
  c: 5.73,
  d: 6.82,
  e: 6.56,
  f: 3.86,
  g: 6.82,
  h: 6.97,
  i: 3.02,
  j: 3.79,
  k: 6.51,
  l: 3.02,
  m: 10.7,
  n: 6.97,
  o: 6.67,
  p: 6.82,
  q: 6.82,
  r: 4.69,
  s: 5.73,
  t: 4.33,
  u: 6.97,
  v: 6.51,
  w: 8.99,
  x: 6.51,
  y: 6.51,
  z: 5.77,
};

/** Approximate rendered width of `text` in Verdana 11 px. */
export function textWidth(text: string): number {
  let w = 0;
  for (const ch of text) {
    const known = WIDTHS[ch];
    if (known !== undefined) w += known;
    else if (ch >= "A" && ch <= "Z") w += 7.6;
    else w += ch.charCodeAt(0) > 0x2e80 ? 11 : 7;
  }
  return Math.ceil(w);
}

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** The badge SVG (shields.io "flat" / "flat-square" layout). Pure: tested byte for byte. */
export function renderBadge(label: string, message: string, color: string, style: "flat" | "flat-square" = "flat"): string {
  const lw = textWidth(label) + 10;
  const mw = textWidth(message) + 10;
  const w = lw + mw;
  const title = `${esc(label)}: ${esc(message)}`;
  const text = (s: string, x: number) =>
    `<text aria-hidden="true" x="${x * 10}" y="150" fill="#010101" fill-opacity=".3" transform="scale(.1)" textLength="${textWidth(s) * 10}">${esc(s)}</text>` +
    `<text x="${x * 10}" y="140" transform="scale(.1)" fill="#fff" textLength="${textWidth(s) * 10}">${esc(s)}</text>`;
  const flat = style === "flat";
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="20" role="img" aria-label="${title}"><title>${title}</title>` +
    (flat
      ? `<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>`
      : "") +
    (flat
      ? `<clipPath id="r"><rect width="${w}" height="20" rx="3" fill="#fff"/></clipPath><g clip-path="url(#r)">`
      : '<g shape-rendering="crispEdges">') +
    `<rect width="${lw}" height="20" fill="#555"/><rect x="${lw}" width="${mw}" height="20" fill="${color}"/>` +
    (flat ? `<rect width="${w}" height="20" fill="url(#s)"/>` : "") +
    `</g><g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" text-rendering="geometricPrecision" font-size="110">` +
    text(label, lw / 2) +
    text(message, lw + mw / 2) +
    `</g></svg>`
  );
}

export function uptimeColor(p: number | null): string {
  if (p === null) return BADGE_COLORS.lightgrey;
  if (p >= 99.9) return BADGE_COLORS.brightgreen;
  if (p >= 99) return BADGE_COLORS.green;
  if (p >= 97) return BADGE_COLORS.yellowgreen;
  if (p >= 95) return BADGE_COLORS.yellow;
  if (p >= 90) return BADGE_COLORS.orange;
  return BADGE_COLORS.red;
}

export function latencyColor(ms: number | null): string {
  if (ms === null) return BADGE_COLORS.lightgrey;
  if (ms <= 200) return BADGE_COLORS.brightgreen;
  if (ms <= 500) return BADGE_COLORS.green;
  if (ms <= 1000) return BADGE_COLORS.yellow;
  if (ms <= 2000) return BADGE_COLORS.orange;
  return BADGE_COLORS.red;
}

const STATUS_BADGE: Record<string, [string, string]> = {
  up: ["up", BADGE_COLORS.brightgreen],
  degraded: ["degraded", BADGE_COLORS.yellow],
  down: ["down", BADGE_COLORS.red],
  unknown: ["unknown", BADGE_COLORS.lightgrey],
  maintenance: ["maintenance", BADGE_COLORS.blue],
};

function svg(c: Context, body: string, status: 200 | 400 | 401 | 404, cache: string) {
  return c.body(body, status, {
    "content-type": "image/svg+xml; charset=utf-8",
    "cache-control": cache,
    "x-content-type-options": "nosniff",
  });
}

function serviceLatency(s: ServiceView): number | null {
  const values = s.components.map((c) => c.latencyAvgMs).filter((v): v is number => v !== null);
  return values.length === 0 ? null : Math.round(values.reduce((a, b) => a + b, 0) / values.length);
}

function serviceUptime(s: ServiceView, period: "24h" | "7d" | "30d" | "90d"): number | null {
  // Checks weigh equally: a check probed every 10 s must not drown one probed hourly.
  const values = s.components.map((c) => c.uptime[period]).filter((v): v is number => v !== null);
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

/** A bad query is still an image, naming the parameter. */
const invalidBadge: InputHook = (result, c) => {
  if (result.success || !result.error) return undefined;
  const first = formatIssues(result.error.issues)[0] ?? "invalid query";
  return svg(c, renderBadge("badge", `invalid ${first.split(":")[0]}`, BADGE_COLORS.red), 400, "no-store");
};

export function badgeRoutes() {
  const app = routes();
  on(
    app,
    badgeRoute,
    async (c) => {
      const q = { data: c.req.valid("query") };
      const { type, period, style } = q.data;
      const id = c.req.valid("param").id.replace(/\.svg$/, "");
      const config = c.get("config");
      const model = await loadStatusModel(c.env.DB, config, Date.now(), c.get("audience"));
      let target: { name: string; status: string; uptime: number | null; latency: number | null } | null = null;
      for (const s of model.services) {
        if (s.id === id) target = { name: s.name, status: s.status, uptime: serviceUptime(s, period), latency: serviceLatency(s) };
        const comp: ComponentView | undefined = s.components.find((x) => x.id === id);
        if (comp) target = { name: comp.name, status: comp.status, uptime: comp.uptime[period], latency: comp.latencyAvgMs };
        if (target) break;
      }
      if (!target) return svg(c, renderBadge(q.data.label ?? "badge", "not found", BADGE_COLORS.lightgrey, style), 404, "no-store");
      const cache = config.statusPage.token ? "private, no-store" : "public, max-age=60";
      if (type === "uptime") {
        return svg(
          c,
          renderBadge(q.data.label ?? `uptime ${period}`, formatPercent(target.uptime), uptimeColor(target.uptime), style),
          200,
          cache,
        );
      }
      if (type === "latency") {
        return svg(
          c,
          renderBadge(q.data.label ?? "response time", formatMs(target.latency), latencyColor(target.latency), style),
          200,
          cache,
        );
      }
      const [message, color] = STATUS_BADGE[target.status] ?? STATUS_BADGE.unknown!;
      return svg(c, renderBadge(q.data.label ?? target.name, message, color, style), 200, cache);
    },
    invalidBadge,
  );
  return app;
}
