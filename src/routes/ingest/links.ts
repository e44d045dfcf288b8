/**
 * Signed, expiring links sent in notifications (`/a/:id/:action`): GET shows what will happen,
 * POST does it. The link's signature is its credential (src/incidents/links.ts).
 */
import type { Context } from "hono";
import { z } from "zod";
import { readAtMost } from "../../body";
import type { EscalationInput } from "../../engine/escalation";
import { linkSecret, verifyLink, type LinkAction } from "../../incidents/links";
import type { IncidentRow } from "../../store/incidents";
import { answer, declarer, on, routes, type App, type RouteSpec } from "../openapi";

const route = declarer("link", "links");

/** The confirmation form is one short field; anything longer is cut. */
const MAX_FORM_BYTES = 4 * 1024;

const linkRequest = {
  params: z.object({ id: z.string().min(1).describe("Incident id"), action: z.enum(["ack", "resolve"]) }),
  query: z.object({
    exp: z.string().optional().describe("Expiry, Unix seconds"),
    sig: z.string().optional().describe("HMAC over id, action and exp"),
    ep: z.string().optional().describe("The escalation episode the link was sent for"),
  }),
};
const linkResponses = {
  200: answer("HTML page", "text/html"),
  403: answer("Link expired, forged or links not configured", "text/html"),
  404: answer("Unknown action or incident", "text/html"),
} satisfies RouteSpec["responses"];

export const confirmLink = route({
  method: "get",
  path: "/{id}/{action}",
  summary: "Signed notification link: confirmation page",
  request: linkRequest,
  responses: linkResponses,
});

export const followLink = route({
  method: "post",
  path: "/{id}/{action}",
  summary: "Signed notification link: act",
  request: {
    ...linkRequest,
    body: {
      content: {
        "application/x-www-form-urlencoded": { schema: z.object({ by: z.string().optional().describe("Who acts (first 80 characters)") }) },
      },
    },
  },
  responses: linkResponses,
});

async function incidentRow(db: D1Database, id: string) {
  return db.prepare("SELECT * FROM incidents WHERE id = ?").bind(id).first<IncidentRow>();
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
export function linkRoutes() {
  const app = routes();
  // An action other than ack or resolve.
  const unknownAction = (r: { success: boolean }) => (r.success ? undefined : page("Unknown action", `<h1>Unknown action</h1>`, 404));
  const check = async (c: Context<App>): Promise<{ error: Response } | { id: string; action: LinkAction; row: IncidentRow }> => {
    const id = c.req.param("id")!;
    const action = c.req.param("action") as LinkAction;
    const secret = linkSecret(c.env);
    if (!secret) return { error: page("Links disabled", "<h1>Links are not configured</h1>", 403) };
    const row = id.length <= 200 ? await incidentRow(c.env.DB, id) : null;
    // An unknown incident answers like a bad signature: a link cannot probe for incident ids.
    const v = await verifyLink(
      secret,
      id,
      action,
      { exp: c.req.query("exp"), sig: c.req.query("sig"), ep: c.req.query("ep") },
      row?.opened_at ?? -1,
      Date.now(),
    );
    if (!v.ok) return { error: page("Link not valid", `<h1>This link cannot be used</h1><p>${escapeHtml(v.reason)}.</p>`, 403) };
    if (!row) return { error: page("No such incident", "<h1>No such incident</h1>", 404) };
    return { id, action, row };
  };
  on(
    app,
    confirmLink,
    async (c) => {
      const r = await check(c);
      if ("error" in r) return r.error;
      return page(
        `${ACTIONS[r.action]} incident`,
        `<h1>${ACTIONS[r.action]}?</h1><p>${escapeHtml(r.row.title)}</p><p>Status: ${r.row.status}${r.row.acknowledged_at ? ", acknowledged" : ""}</p>
<form method="post"><label>Your name <input name="by" required maxlength="80" autocomplete="name"></label> <button type="submit">${ACTIONS[r.action]}</button></form>`,
      );
    },
    unknownAction,
  );
  on(
    app,
    followLink,
    async (c) => {
      const r = await check(c);
      if ("error" in r) return r.error;
      const form = new URLSearchParams(new TextDecoder().decode((await readAtMost(c.req.raw, MAX_FORM_BYTES, undefined, "drain")).bytes));
      const by = form.get("by")?.trim().slice(0, 80) || "link";
      const at = Date.now();
      const input: EscalationInput = r.action === "ack" ? { type: "ack", by, at, reescalateAfter: null } : { type: "resolve", by, at };
      await c.env.SERVICE.getByName(r.row.service_id).apply(r.row.service_id, input);
      return page("Done", `<h1>${r.action === "ack" ? "Acknowledged" : "Resolved"}</h1><p>${escapeHtml(r.row.title)}</p>`);
    },
    unknownAction,
  );
  return app;
}
