/**
 * Incidents: the list, one incident, and the human controls — acknowledge, resolve, note and
 * flag. Each action goes to the service's ServiceObject, which serialises it with everything
 * else that happens to the incident.
 */
import type { Context } from "hono";
import { z } from "zod";
import { duration } from "../../config/duration";
import { incidentFlag } from "../../config";
import type { EscalationInput } from "../../engine/escalation";
import { listDeliveries } from "../../store/deliveries";
import { getIncident, incidentJson, listIncidents, type IncidentRow } from "../../store/incidents";
import { jsonError, readJson } from "../errors";
import { answer, bodySchema, declarer, on, refusal, routes, wholeNumber, type App } from "../openapi";

const route = declarer("admin", "admin");

/** Who did it, as the timeline shows it. */
export const actor = z.string().min(1).max(80).default("admin");
const idParam = z.object({ id: z.string().min(1).describe("Incident id") });

export const listIncidentsRoute = route({
  method: "get",
  path: "/incidents",
  summary: "Incidents, newest first",
  request: {
    query: z.object({
      status: z.enum(["open", "resolved"], { error: (iss) => `expected "open" or "resolved", got "${String(iss.input)}"` }).optional(),
      limit: wholeNumber({ min: 1, max: 500 }).default(50),
    }),
  },
  responses: { 200: answer("Incidents", "application/json"), 400: refusal("Invalid query") },
});

export const showIncident = route({
  method: "get",
  path: "/incidents/{id}",
  summary: "One incident with members, timeline and deliveries",
  request: { params: idParam },
  responses: { 200: answer("Incident", "application/json"), 404: refusal("No such incident") },
});

/** An action on one incident; its body is optional JSON (empty: all defaults). */
function action<const S extends z.ZodType>(path: string, summary: string, schema: S) {
  return route({
    method: "post",
    path: `/incidents/{id}/${path}`,
    summary,
    request: { params: idParam, body: { content: { "application/json": { schema } } } },
    responses: {
      200: answer("The incident after the action", "application/json"),
      400: refusal("Invalid JSON or body (every issue with its path)"),
      404: refusal("No such incident"),
      413: refusal("Body over 64 KiB"),
    },
  });
}

export const ackIncident = action(
  "ack",
  "Acknowledge an incident",
  z.strictObject({
    by: actor,
    /** Re-page the current level if still unresolved this long after the acknowledgement. */
    reescalateAfter: duration({ min: "1s", max: "7d" }).optional(),
  }),
);
export const resolveIncident = action("resolve", "Resolve an incident by hand", z.strictObject({ by: actor }));
export const noteIncident = action(
  "notes",
  "Add a note to an incident's timeline",
  z.strictObject({ by: actor, text: z.string().min(1).max(4000) }),
);
export const flagIncident = action(
  "flags",
  "Flag an incident (data-loss risk, security)",
  z.strictObject({ by: actor, flag: incidentFlag }),
);

/** A route's JSON body, read bounded; an empty body means "all defaults". */
export const actionBody = <S extends z.ZodType>(c: Context, schema: S) =>
  readJson(c, schema, { code: "invalid_body", what: "request body", emptyIs: {} });

async function incidentRow(db: D1Database, id: string) {
  return db.prepare("SELECT * FROM incidents WHERE id = ?").bind(id).first<IncidentRow>();
}

/** Sends one input to the incident's service object; answers the incident afterwards. */
async function act(c: Context<App>, id: string, input: (now: number) => EscalationInput) {
  const row = await incidentRow(c.env.DB, id);
  if (!row) return jsonError(c, 404, "not_found", `no incident "${id}"`);
  await c.env.SERVICE.getByName(row.service_id).apply(row.service_id, input(Date.now()));
  return c.json({ incident: incidentJson((await incidentRow(c.env.DB, id))!) });
}

export function incidentRoutes() {
  const app = routes();
  on(app, listIncidentsRoute, async (c) => {
    const { status, limit } = c.req.valid("query");
    return c.json({ incidents: await listIncidents(c.env.DB, status, limit) });
  });
  on(app, showIncident, async (c) => {
    const { id } = c.req.valid("param");
    const incident = await getIncident(c.env.DB, id);
    if (!incident) return jsonError(c, 404, "not_found", `no incident "${id}"`);
    return c.json({ incident: { ...incident, deliveries: await listDeliveries(c.env.DB, incident.id) } });
  });
  on(app, ackIncident, async (c) => {
    const b = await actionBody(c, bodySchema(ackIncident));
    if (b instanceof Response) return b;
    return act(c, c.req.valid("param").id, (at) => ({ type: "ack", by: b.by, at, reescalateAfter: b.reescalateAfter ?? null }));
  });
  on(app, resolveIncident, async (c) => {
    const b = await actionBody(c, bodySchema(resolveIncident));
    if (b instanceof Response) return b;
    return act(c, c.req.valid("param").id, (at) => ({ type: "resolve", by: b.by, at }));
  });
  on(app, noteIncident, async (c) => {
    const b = await actionBody(c, bodySchema(noteIncident));
    if (b instanceof Response) return b;
    return act(c, c.req.valid("param").id, (at) => ({ type: "note", by: b.by, text: b.text, at }));
  });
  on(app, flagIncident, async (c) => {
    const b = await actionBody(c, bodySchema(flagIncident));
    if (b instanceof Response) return b;
    return act(c, c.req.valid("param").id, (at) => ({ type: "flag", flag: b.flag, by: b.by, at }));
  });
  return app;
}
