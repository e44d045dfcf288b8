/**
 * The private status page option (`statusPage.token`). When set, the page, `/status.json`,
 * badges and the feed need the token, given as `?token=` (links, feed readers, badge URLs),
 * `Authorization: Bearer <token>` (scripts) or the cookie the page sets after a `?token=` visit.
 * The cookie holds a digest of the token, never the token; comparisons are constant time.
 */
import type { Context, MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { reveal, type VigilConfig } from "../config";
import type { Env } from "../env";
import { tokensEqual } from "./auth";

type App = { Bindings: Env; Variables: { config: VigilConfig } };

export const STATUS_COOKIE = "vigil_status";

async function cookieValue(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`vigil-status-cookie:${token}`));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export type AccessResult = { ok: true; private: boolean; setCookie?: string } | { ok: false; reason: string };

/** Checks a request against the page token. Public pages always pass. */
export async function checkStatusAccess(c: Context<App>): Promise<AccessResult> {
  const ref = c.get("config").statusPage.token;
  if (!ref) return { ok: true, private: false };
  const expected = reveal(ref, c.env);
  const query = c.req.query("token");
  if (query !== undefined) {
    return (await tokensEqual(query, expected)) ? { ok: true, private: true, setCookie: await cookieValue(expected) } : { ok: false, reason: "invalid token" };
  }
  const bearer = /^Bearer\s+(.+)$/i.exec(c.req.header("authorization") ?? "")?.[1]?.trim();
  if (bearer !== undefined) return (await tokensEqual(bearer, expected)) ? { ok: true, private: true } : { ok: false, reason: "invalid token" };
  const cookie = getCookie(c, STATUS_COOKIE);
  if (cookie !== undefined) {
    return (await tokensEqual(cookie, await cookieValue(expected))) ? { ok: true, private: true } : { ok: false, reason: "the access cookie is no longer valid (the token changed); sign in again" };
  }
  return { ok: false, reason: "this status page is private: give the token as ?token=, an Authorization: Bearer header, or sign in on the page" };
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
 * Middleware for the machine-readable routes: refuses with `refuse(c, reason)` and marks
 * private answers `Cache-Control: private, no-store`.
 */
export function statusAccess(refuse: (c: Context<App>, reason: string) => Response | Promise<Response>): MiddlewareHandler<App> {
  return async function statusAccessMiddleware(c, next) {
    const access = await checkStatusAccess(c);
    if (!access.ok) return refuse(c, access.reason);
    await next();
    if (access.private) {
      c.res.headers.set("cache-control", "private, no-store");
      c.res.headers.set("x-robots-tag", "noindex");
    }
  };
}
