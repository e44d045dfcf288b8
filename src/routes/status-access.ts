/**
 * Access to the status page, `/status.json`, badges and the feed, and who is reading them
 * (`Audience`, `./status-audience.ts`).
 *
 * - The private page option (`statusPage.token`): when set, these routes need the token.
 * - The admin token (`VIGIL_ADMIN_TOKEN`) is accepted wherever the page token is, and on a
 *   public page it makes the reader an operator, who sees the details the public does not.
 *
 * A token is given as `?token=` (links, feed readers, badge URLs; the page then sets a cookie
 * and drops it from the URL), `Authorization: Bearer <token>` (scripts) or that cookie. The
 * cookie holds a digest of the token, never the token; comparisons are constant time. On a
 * public page a token that matches nothing is ignored: the reader is the public.
 */
import type { Context, MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { reveal, type VigilConfig } from "../config";
import type { Env } from "../env";
import { tokensEqual } from "./auth";
import type { Audience } from "./status-audience";

type App = { Bindings: Env; Variables: { config: VigilConfig; audience: Audience } };

export const STATUS_COOKIE = "vigil_status";

async function cookieValue(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`vigil-status-cookie:${token}`));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * `private`: the answer must not be cached or indexed (a private page, or an operator's view).
 * `audience`: who reads it.
 */
export type AccessResult = { ok: true; private: boolean; audience: Audience; setCookie?: string } | { ok: false; reason: string };

/** The first of `tokens` that `given` equals, compared in constant time (all of them, always). */
async function matching(given: string, tokens: readonly string[]): Promise<string | undefined> {
  const equal = await Promise.all(tokens.map((t) => tokensEqual(given, t)));
  return tokens[equal.indexOf(true)];
}

/** Checks a request against the page token and the admin token. Public pages always pass. */
export async function checkStatusAccess(c: Context<App>): Promise<AccessResult> {
  const ref = c.get("config").statusPage.token;
  const pageToken = ref ? reveal(ref, c.env) : undefined;
  const adminToken = c.env.VIGIL_ADMIN_TOKEN || undefined;
  const tokens = [pageToken, adminToken].filter((t): t is string => t !== undefined && t !== "");
  const isPrivate = pageToken !== undefined;
  const reader: AccessResult = { ok: true, private: true, audience: "operator" };
  const anonymous: AccessResult = { ok: true, private: false, audience: "public" };
  const query = c.req.query("token");
  if (query !== undefined) {
    const token = await matching(query, tokens);
    if (token !== undefined) return { ...reader, setCookie: await cookieValue(token) };
    return isPrivate ? { ok: false, reason: "invalid token" } : anonymous;
  }
  const bearer = /^Bearer\s+(.+)$/i.exec(c.req.header("authorization") ?? "")?.[1]?.trim();
  if (bearer !== undefined) {
    if ((await matching(bearer, tokens)) !== undefined) return reader;
    return isPrivate ? { ok: false, reason: "invalid token" } : anonymous;
  }
  const cookie = getCookie(c, STATUS_COOKIE);
  if (cookie !== undefined) {
    if ((await matching(cookie, await Promise.all(tokens.map(cookieValue)))) !== undefined) return reader;
    return isPrivate ? { ok: false, reason: "the access cookie is no longer valid (the token changed); sign in again" } : anonymous;
  }
  return isPrivate ? { ok: false, reason: "this status page is private: give the token as ?token=, an Authorization: Bearer header, or sign in on the page" } : anonymous;
}

/** Sets the access cookie (HttpOnly, SameSite=Lax, Secure on https) for `days`. */
export function rememberAccess(c: Context<App>, value: string, days = 30) {
  setCookie(c, STATUS_COOKIE, value, {
    httpOnly: true,
    sameSite: "Lax",
    secure: new URL(c.req.url).protocol === "https:",
    path: "/",
    maxAge: days * 86_400,
  });
}

/**
 * Middleware for the machine-readable routes: refuses with `refuse(c, reason)`, sets the
 * `audience` variable, and marks private answers `Cache-Control: private, no-store`.
 */
export function statusAccess(refuse: (c: Context<App>, reason: string) => Response | Promise<Response>): MiddlewareHandler<App> {
  return async function statusAccessMiddleware(c, next) {
    const access = await checkStatusAccess(c);
    if (!access.ok) return refuse(c, access.reason);
    c.set("audience", access.audience);
    await next();
    if (access.private) {
      c.res.headers.set("cache-control", "private, no-store");
      c.res.headers.set("x-robots-tag", "noindex");
    }
  };
}
