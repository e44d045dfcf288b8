/**
 * `GET /feed.atom`: an Atom feed (RFC 4287) of incidents, newest first — one entry per
 * incident, updated whenever its public timeline moves (opened, checks added or recovered,
 * acknowledged, resolved). Feed readers re-show an entry when its `updated` changes.
 */
import { z } from "zod";
import type { IncidentRow } from "../../store/incidents";
import { loadFeedIncidents, type IncidentEventRow } from "../../store/status-read";
import { answer, declarer, on, routes } from "../openapi";
import { statusAccessJson, statusRefusals } from "./access";
import { UNLISTED_CHECK, publicIncidentTitle, showsDetails } from "./audience";
import { listComponents, publicEvent } from "./model";
import { formatDateTime } from "./views/format";

export const feedQuery = z.strictObject({
  /** Entries, newest first. Default 50, at most 200. */
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** The private page's token. */
  token: z.string().optional(),
});

export const feedRoute = declarer(
  "status",
  "status",
)({
  method: "get",
  path: "/feed.atom",
  summary: "Atom feed of incidents",
  middleware: [statusAccessJson],
  request: { query: feedQuery },
  responses: {
    200: answer("Atom 1.0 feed", "application/atom+xml"),
    ...statusRefusals,
  },
});

const xml = (s: string) => s.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[ch]!);
const iso = (ms: number) => new Date(ms).toISOString();

export interface FeedInput {
  title: string;
  /** Base URL of the status page, ending without a slash. */
  base: string;
  timeZone: string;
  generatedAt: number;
  incidents: IncidentRow[];
  events: Map<string, IncidentEventRow[]>;
  serviceName: (id: string) => string;
  /** A check's name as the reader sees it (`serviceId`: the incident's service). */
  checkName: (id: string, serviceId: string) => string;
  /** May the reader see this service's details (reasons, full titles)? `./status-audience.ts`. */
  details: (serviceId: string) => boolean;
}

/** The check an event is about, from its detail. */
function checkOf(e: IncidentEventRow): string | null {
  try {
    const check = (JSON.parse(e.detail) as { check?: unknown }).check;
    return typeof check === "string" ? check : null;
  } catch {
    return null;
  }
}

/** The feed's XML. Pure: same input, same bytes. */
export function renderFeed(f: FeedInput): string {
  const entries = f.incidents.map((i) => {
    const details = f.details(i.service_id);
    const events = f.events.get(i.id) ?? [];
    const checkName = (id: string) => f.checkName(id, i.service_id);
    const timeline = events.map((e) => publicEvent(e, checkName, details)).filter((e) => e !== null);
    const openers = [...new Set(events.map((e) => checkOf(e)).filter((c): c is string => c !== null))];
    const title = details
      ? i.title
      : publicIncidentTitle(
          i.title,
          f.serviceName(i.service_id),
          openers.map((id) => ({ id, name: checkName(id) })),
        );
    const updated = Math.max(i.opened_at, i.resolved_at ?? 0, ...timeline.map((e) => e.at));
    const state = i.status === "open" ? "Ongoing" : "Resolved";
    const html =
      `<p><strong>${xml(state)}</strong> — ${xml(f.serviceName(i.service_id))}</p><ul>` +
      [...timeline]
        .reverse()
        .map((e) => `<li>${xml(formatDateTime(e.at, f.timeZone))}: ${xml(e.text)}</li>`)
        .join("") +
      `</ul>`;
    return (
      `<entry><id>${xml(`${f.base}/#incident-${i.id}`)}</id>` +
      `<title>${xml(`[${state}] ${title}`)}</title>` +
      `<link rel="alternate" type="text/html" href="${xml(`${f.base}/#incident-${i.id}`)}"/>` +
      `<published>${iso(i.opened_at)}</published><updated>${iso(updated)}</updated>` +
      `<category term="${xml(i.service_id)}" label="${xml(f.serviceName(i.service_id))}"/>` +
      `<content type="html">${xml(html)}</content></entry>`
    );
  });
  const updated = f.incidents.length
    ? Math.max(...f.incidents.map((i) => Math.max(i.opened_at, i.resolved_at ?? 0, ...(f.events.get(i.id) ?? []).map((e) => e.at))))
    : f.generatedAt;
  return (
    `<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">` +
    `<id>${xml(`${f.base}/feed.atom`)}</id><title>${xml(`${f.title} — incidents`)}</title>` +
    `<updated>${iso(updated)}</updated><author><name>${xml(f.title)}</name></author><generator>Vigil</generator>` +
    `<link rel="self" type="application/atom+xml" href="${xml(`${f.base}/feed.atom`)}"/>` +
    `<link rel="alternate" type="text/html" href="${xml(`${f.base}/`)}"/>` +
    entries.join("") +
    `</feed>\n`
  );
}

export function feedRoutes() {
  const app = routes();
  on(app, feedRoute, async (c) => {
    const { limit } = c.req.valid("query");
    const config = c.get("config");
    const shown = new Set(config.statusPage.services ?? config.services.map((s) => s.id));
    const { incidents, events } = await loadFeedIncidents(c.env.DB, limit);
    const services = new Map(config.services.map((s) => [s.id, s]));
    const audience = c.get("audience");
    const details = (serviceId: string) => showsDetails(audience, services.get(serviceId));
    const agentChecks = [
      ...new Set(
        [...events.values()]
          .flat()
          .map(checkOf)
          .filter((id): id is string => id?.startsWith("agent:") ?? false),
      ),
    ];
    const refs = new Map(listComponents(config, agentChecks).map((r) => [r.id, r]));
    const body = renderFeed({
      title: config.statusPage.title,
      base: (config.publicUrl ?? new URL(c.req.url).origin).replace(/\/+$/, ""),
      timeZone: config.timezone,
      generatedAt: Date.now(),
      incidents: incidents.filter((i) => shown.has(i.service_id)),
      events,
      serviceName: (id) => services.get(id)?.name ?? id,
      checkName: (id, serviceId) => {
        const r = refs.get(id);
        if (r) return details(serviceId) ? r.name : r.publicName;
        return details(serviceId) ? id : UNLISTED_CHECK;
      },
      details,
    });
    return c.body(body, 200, { "content-type": "application/atom+xml; charset=utf-8", "cache-control": "no-cache" });
  });
  return app;
}
