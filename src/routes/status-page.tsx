/**
 * The status page: `GET /` and `GET /status` (HTML). Server-rendered with Hono JSX; the only
 * script is allowed by its hash in the Content-Security-Policy, which also forbids loading
 * anything from anywhere (`default-src 'none'`): the page is one self-contained document.
 */
import { Hono, type Context } from "hono";
import { z } from "zod";
import type { VigilConfig } from "../config";
import type { Env } from "../env";
import { documentRoute } from "./openapi";
import { checkStatusAccess, rememberAccess } from "./status-access";
import { loadStatusModel } from "./status-data";
import { StatusPage, TokenPage, UPDATED_SCRIPT } from "./views/status-page";

type App = { Bindings: Env; Variables: { config: VigilConfig } };

let scriptHash: Promise<string> | null = null;
function csp(): Promise<string> {
  scriptHash ??= crypto.subtle.digest("SHA-256", new TextEncoder().encode(UPDATED_SCRIPT)).then((d) => btoa(String.fromCharCode(...new Uint8Array(d))));
  return scriptHash.then(
    (hash) =>
      `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${hash}'; img-src data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`,
  );
}

const pageQuery = z.object({
  /** The private page's token (once: the page then sets a cookie and redirects to the clean URL). */
  token: z.string().optional(),
});

for (const path of ["/", "/status"]) {
  documentRoute({
    method: "get",
    path,
    summary: "Status page (HTML)",
    tags: ["status"],
    auth: "status",
    query: pageQuery,
    responses: {
      200: { description: "The status page", contentType: "text/html" },
      303: { description: "Signed in with ?token=: redirect to the same URL without it (cookie set)" },
      401: { description: "Private page: sign-in form", contentType: "text/html" },
    },
  });
}

async function html(c: Context<App>, element: unknown, status: 200 | 401, extra: Record<string, string> = {}) {
  const body = `<!DOCTYPE html>${String(await element)}`;
  return c.body(body, status, {
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": await csp(),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    ...extra,
  });
}

export function statusPageRoutes() {
  const app = new Hono<App>();
  const page = async (c: Context<App>) => {
    const config = c.get("config");
    const access = await checkStatusAccess(c);
    if (!access.ok) {
      const tried = c.req.query("token") !== undefined || c.req.header("authorization") !== undefined;
      return html(c, <TokenPage title={config.statusPage.title} error={tried ? "That token is not valid." : undefined} />, 401, {
        "cache-control": "no-store",
        "x-robots-tag": "noindex",
      });
    }
    if (access.setCookie) {
      rememberAccess(c, access.setCookie);
      const url = new URL(c.req.url);
      url.searchParams.delete("token");
      return c.redirect(`${url.pathname}${url.search}`, 303);
    }
    const model = await loadStatusModel(c.env.DB, config, Date.now());
    return html(c, <StatusPage model={model} private={access.private} />, 200, {
      "cache-control": access.private ? "private, no-store" : "no-cache",
      ...(access.private && { "x-robots-tag": "noindex" }),
    });
  };
  app.get("/", page);
  app.get("/status", page);
  return app;
}
