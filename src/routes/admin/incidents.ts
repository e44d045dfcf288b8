/**
 * Human controls: acknowledge, resolve, note and flag an incident; silences. Each action goes
 * to the service's ServiceObject, which serialises it with everything else that happens to
 * the incident. Also the signed, expiring links sent in notifications (`/a/:id/:action`).
 */
import { Hono, type Context } from "hono";
import { z } from "zod";
import { duration } from "../../config/duration";
import { checkGlob, incidentFlag, type VigilConfig } from "../../config";
import type { EscalationInput } from "../../engine/escalation";
import type { Env } from "../../env";
import { linkSecret, verifyLink, type LinkAction } from "../../incidents/links";
import { incidentJson, type IncidentRow } from "../../store/incidents";
import { activeSilences, expireSilence, insertSilence } from "../../store/silences";
import { jsonError, readJson } from "../errors";

type App = { Bindings: Env; Variables: { config: VigilConfig } };

const actor = z.string().min(1).max(80).default("admin");

/** Request bodies, exported for the OpenAPI document. */
export const ackBody = z.strictObject({
  by: actor,
  /** Re-page the current level if still unresolved this long after the acknowledgement. */
  reescalateAfter: duration({ min: "1s", max: "7d" }).optional(),
});
export const resolveBody = z.strictObject({ by: actor });
export const noteBody = z.strictObject({ by: actor, text: z.string().min(1).max(4000) });
export const flagBody = z.strictObject({ by: actor, flag: incidentFlag });
export const silenceBody = z
  .strictObject({
    service: z.string().min(1).optional(),
    /** Glob over check ids, `*` for any run of characters. */
    check: checkGlob.optional(),
    duration: duration({ min: "1s", max: "30d" }),
    comment: z.string().min(1).max(500),
    by: actor,
  })
  .refine((s) => s.service !== undefined || s.check !== undefined, { message: "give a service, a check glob, or both", path: ["service"] });

/** Action bodies are optional JSON: an empty body means "all defaults". */
const body = <T extends z.ZodType>(c: Context<App>, schema: T) => readJson(c, schema, { code: "invalid_body", what: "request body", emptyIs: {} });

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

/** Admin routes, mounted under `/v1` behind the admin token. */
export function incidentControls() {
  const app = new Hono<App>();

  app.post("/incidents/:id/ack", async (c) => {
    const b = await body(c, ackBody);
    if (b instanceof Response) return b;
    return act(c, c.req.param("id"), (at) => ({ type: "ack", by: b.by, at, reescalateAfter: b.reescalateAfter ?? null }));
  });
  app.post("/incidents/:id/resolve", async (c) => {
    const b = await body(c, resolveBody);
    if (b instanceof Response) return b;
    return act(c, c.req.param("id"), (at) => ({ type: "resolve", by: b.by, at }));
  });
  app.post("/incidents/:id/notes", async (c) => {
    const b = await body(c, noteBody);
    if (b instanceof Response) return b;
    return act(c, c.req.param("id"), (at) => ({ type: "note", by: b.by, text: b.text, at }));
  });
  app.post("/incidents/:id/flags", async (c) => {
    const b = await body(c, flagBody);
    if (b instanceof Response) return b;
    return act(c, c.req.param("id"), (at) => ({ type: "flag", flag: b.flag, by: b.by, at }));
  });

  app.get("/silences", async (c) => c.json({ silences: (await activeSilences(c.env.DB, Date.now())).map(silenceJson) }));
  app.post("/silences", async (c) => {
    const b = await body(c, silenceBody);
    if (b instanceof Response) return b;
    const config = c.get("config");
    if (b.service !== undefined && !config.services.some((s) => s.id === b.service)) {
      return jsonError(c, 400, "invalid_body", `service: unknown service "${b.service}"`, [`service: unknown service "${b.service}"`]);
    }
    const now = Date.now();
    const silence = { id: `sil_${crypto.randomUUID().slice(0, 8)}`, serviceId: b.service ?? null, checkGlob: b.check ?? null, comment: b.comment, createdBy: b.by, createdAt: now, endsAt: now + b.duration };
    await insertSilence(c.env.DB, silence).run();
    // The services it covers look again now (and re-read their silences).
    const covered = silence.serviceId ? [silence.serviceId] : config.services.map((s) => s.id);
    await Promise.all(covered.map((id) => c.env.SERVICE.getByName(id).apply(id, { type: "tick", at: now })));
    return c.json({ silence: silenceJson(silence) }, 201);
  });
  app.delete("/silences/:id", async (c) => {
    const now = Date.now();
    if (!(await expireSilence(c.env.DB, c.req.param("id"), now))) return jsonError(c, 404, "not_found", `no active silence "${c.req.param("id")}"`);
    // Services whose pages it held look again now rather than at its old end.
    await Promise.all(c.get("config").services.map((s) => c.env.SERVICE.getByName(s.id).apply(s.id, { type: "tick", at: now })));
    return c.body(null, 204);
  });
  return app;
}

function silenceJson(s: { id: string; serviceId: string | null; checkGlob: string | null; comment: string; createdBy: string; createdAt: number; endsAt: number }) {
  return { id: s.id, service: s.serviceId, check: s.checkGlob, comment: s.comment, by: s.createdBy, createdAt: new Date(s.createdAt).toISOString(), endsAt: new Date(s.endsAt).toISOString() };
}

const ACTIONS: Record<LinkAction, string> = { ack: "Acknowledge", resolve: "Resolve" };

function page(title: string, body: string, status: 200 | 400 | 403 | 404 = 200) {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${title}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#111;background:#fff}@media (prefers-color-scheme:dark){body{color:#eee;background:#111}}button{font:inherit;padding:.5rem 1rem}</style></head>
<body><main>${body}</main></body></html>`;
  return new Response(html, { status, headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" } });
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/**
 * Signed links from notifications: GET shows what will happen, POST does it. A link preview or
 * mail scanner that fetches the URL changes nothing.
 */
export function actionLinks() {
  const app = new Hono<App>();
  const check = async (c: Context<App>) => {
    const id = c.req.param("id")!;
    const action = c.req.param("action") as LinkAction;
    if (!(action in ACTIONS)) return { error: page("Unknown action", `<h1>Unknown action</h1>`, 404) };
    const secret = linkSecret(c.env);
    if (!secret) return { error: page("Links disabled", "<h1>Links are not configured</h1>", 403) };
    const row = id.length <= 200 ? await incidentRow(c.env.DB, id) : null;
    // An unknown incident answers like a bad signature: a link cannot probe for incident ids.
    const v = await verifyLink(secret, id, action, { exp: c.req.query("exp"), sig: c.req.query("sig"), ep: c.req.query("ep") }, row?.opened_at ?? -1, Date.now());
    if (!v.ok) return { error: page("Link not valid", `<h1>This link cannot be used</h1><p>${escapeHtml(v.reason)}.</p>`, 403) };
    if (!row) return { error: page("No such incident", "<h1>No such incident</h1>", 404) };
    return { id, action, row };
  };
  app.get("/:id/:action", async (c) => {
    const r = await check(c);
    if ("error" in r) return r.error;
    return page(
      `${ACTIONS[r.action]} incident`,
      `<h1>${ACTIONS[r.action]}?</h1><p>${escapeHtml(r.row.title)}</p><p>Status: ${r.row.status}${r.row.acknowledged_at ? ", acknowledged" : ""}</p>
<form method="post"><label>Your name <input name="by" required maxlength="80" autocomplete="name"></label> <button type="submit">${ACTIONS[r.action]}</button></form>`,
    );
  });
  app.post("/:id/:action", async (c) => {
    const r = await check(c);
    if ("error" in r) return r.error;
    const form = await c.req.parseBody();
    const by = typeof form.by === "string" && form.by.trim() !== "" ? form.by.trim().slice(0, 80) : "link";
    const at = Date.now();
    const input: EscalationInput = r.action === "ack" ? { type: "ack", by, at, reescalateAfter: null } : { type: "resolve", by, at };
    await c.env.SERVICE.getByName(r.row.service_id).apply(r.row.service_id, input);
    return page("Done", `<h1>${r.action === "ack" ? "Acknowledged" : "Resolved"}</h1><p>${escapeHtml(r.row.title)}</p>`);
  });
  return app;
}
