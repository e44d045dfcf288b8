/**
 * The status page: `GET /` and `GET /status` (HTML), and each check's own page
 * `GET /check/:id` (response-time chart, day-by-day history, its incidents). Server-rendered
 * with Hono JSX; the only script is allowed by its hash in the Content-Security-Policy, which
 * also forbids loading anything from anywhere (`default-src 'none'`): each page is one
 * self-contained document.
 */
import type { Context } from "hono";
import { z } from "zod";
import { answer, declarer, on, routes, type App } from "../openapi";
import { checkStatusAccess, rememberAccess } from "./access";
import { tooManyAttempts } from "../throttle";
import type { Audience } from "./audience";
import { loadFirstByteAvg } from "../../store/status-read";
import { loadStatusModel } from "./data";
import { toBase64 } from "../../../lib/encoding";
import { sha256 } from "../../../lib/hmac";
import { CheckPage, findCheck, NotFoundPage, StatusPage, TokenPage, UPDATED_SCRIPT } from "./views/status-page";

let scriptHash: Promise<string> | null = null;
function csp(): Promise<string> {
  scriptHash ??= sha256(UPDATED_SCRIPT).then(toBase64);
  return scriptHash.then(
    (hash) =>
      `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${hash}'; img-src data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`,
  );
}

const pageQuery = z.object({
  /** The private page's token (once: the page then sets a cookie and redirects to the clean URL). */
  token: z.string().optional(),
});

export const checkPageParams = z.object({
  /** A check id as `/status.json` lists it (`api-health`, `ping:nightly-backup`, `agent:app-01:docker:postgres`). */
  id: z.string().min(1),
});

const route = declarer("status", "status");
const signedIn = answer("Signed in with ?token=: redirect to the same URL without it (cookie set)");
const signIn = answer("Private page: sign-in form", "text/html");

const statusPage = <const P extends string>(path: P) =>
  route({
    method: "get",
    path,
    summary: "Status page (HTML)",
    request: { query: pageQuery },
    responses: { 200: answer("The status page", "text/html"), 303: signedIn, 401: signIn },
  });
export const rootPage = statusPage("/");
export const statusPagePath = statusPage("/status");

export const checkPage = route({
  method: "get",
  path: "/check/{id}",
  summary: "A check's own status page (HTML): response-time chart, day-by-day history, incidents",
  request: { params: checkPageParams, query: pageQuery },
  responses: {
    200: answer("The check's page", "text/html"),
    303: signedIn,
    401: signIn,
    404: answer("The status page shows no such check", "text/html"),
  },
});

async function html(c: Context<App>, element: unknown, status: 200 | 401 | 404, extra: Record<string, string> = {}) {
  const body = `<!DOCTYPE html>${String(await element)}`;
  return c.body(body, status, {
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": await csp(),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    ...extra,
  });
}

/** Access to a page: the sign-in form (401) or the sign-in redirect (303) to answer, or go on (public or signed in). */
async function guard(c: Context<App>): Promise<{ response: Response } | { private: boolean; audience: Audience }> {
  const config = c.get("config");
  const access = await checkStatusAccess(c);
  if (!access.ok && access.retryAfterMs) return { response: tooManyAttempts(c, access.retryAfterMs) };
  if (!access.ok) {
    const tried = c.req.query("token") !== undefined || c.req.header("authorization") !== undefined;
    return {
      response: await html(c, <TokenPage title={config.statusPage.title} error={tried ? "That token is not valid." : undefined} />, 401, {
        "cache-control": "no-store",
        "x-robots-tag": "noindex",
      }),
    };
  }
  if (access.setCookie) {
    rememberAccess(c, access.setCookie);
    const url = new URL(c.req.url);
    url.searchParams.delete("token");
    return { response: c.redirect(`${url.pathname}${url.search}`, 303) };
  }
  return { private: access.private, audience: access.audience };
}

const pageHeaders = (isPrivate: boolean): Record<string, string> => ({
  "cache-control": isPrivate ? "private, no-store" : "no-cache",
  ...(isPrivate && { "x-robots-tag": "noindex" }),
});

export function statusPageRoutes() {
  const app = routes();
  const page = async (c: Context<App>) => {
    const access = await guard(c);
    if ("response" in access) return access.response;
    const model = await loadStatusModel(c.env.DB, c.get("config"), Date.now(), access.audience);
    return html(c, <StatusPage model={model} private={access.private} />, 200, pageHeaders(access.private));
  };
  on(app, rootPage, page);
  on(app, statusPagePath, page);
  on(app, checkPage, async (c) => {
    const access = await guard(c);
    if ("response" in access) return access.response;
    const config = c.get("config");
    const { id } = c.req.valid("param");
    const model = await loadStatusModel(c.env.DB, config, Date.now(), access.audience);
    const found = findCheck(model, id);
    if (!found)
      return html(c, <NotFoundPage title={config.statusPage.title} id={id} />, 404, {
        "cache-control": "no-cache",
        "x-robots-tag": "noindex",
      });
    // The same 24 hours as the response-time chart.
    const firstByteAvgMs = found.check.latency.length > 0 ? await loadFirstByteAvg(c.env.DB, id, found.check.latency[0]!.hour) : null;
    return html(
      c,
      <CheckPage model={model} check={found.check} service={found.service} private={access.private} firstByteAvgMs={firstByteAvgMs} />,
      200,
      pageHeaders(access.private),
    );
  });
  return app;
}
