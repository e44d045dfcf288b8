/**
 * Access to the status page, `/status.json`, badges and the feed, and who is reading them
 * (`Audience`, `./audience.ts`).
 *
 * - The private page option (`statusPage.token`): when set, these routes need the token.
 * - The admin token (`VIGIL_ADMIN_TOKEN`) is accepted wherever the page token is, and on a
 *   public page it makes the reader an operator, who sees the details the public does not.
 *
 * A token is given as `?token=` (links, feed readers, badge URLs; the page then sets a cookie
 * and drops it from the URL), `Authorization: Bearer <token>` (scripts) or that cookie. The
 * cookie holds an expiry and its HMAC keyed by the token, never the token; the server checks
 * both. Comparisons are constant time. On a public page a token that matches nothing is
 * ignored: the reader is the public.
 */
import type { Context, MiddlewareHandler } from "hono";
import { refusal, type App } from "../openapi";
import { jsonError } from "../errors";
import { getCookie, setCookie } from "hono/cookie";
import { reveal } from "../../config";
import { tokensEqual } from "../auth";
import { authGate, tooManyAttempts } from "../throttle";
import type { Audience } from "./audience";
import { toHex } from "../../../lib/encoding";
import { hmacSha256 } from "../../../lib/hmac";

export const STATUS_COOKIE = "vigil_status";

/** How long a sign-in lasts: the cookie's Max-Age, and the expiry signed inside it. */
export const STATUS_COOKIE_DAYS = 30;

async function cookieMac(token: string, expSeconds: number): Promise<string> {
  return toHex(await hmacSha256(`vigil-status-cookie:${token}`, `status:${expSeconds}`));
}

/**
 * The access cookie's value: `<expiry, unix seconds>.<hex HMAC(token, expiry)>`. The server
 * checks the expiry (a browser may keep a cookie past its Max-Age, a copied one has none),
 * and a changed token or a moved expiry no longer matches.
 */
export async function statusCookie(token: string, expiresAt: number): Promise<string> {
  const exp = Math.floor(expiresAt / 1000);
  return `${exp}.${await cookieMac(token, exp)}`;
}

/** Why the cookie opens nothing, or null when it was made from one of `tokens` and has not expired. */
async function cookieProblem(value: string, tokens: readonly string[], now: number): Promise<string | null> {
  const m = /^(\d{1,12})\.([0-9a-f]{64})$/.exec(value);
  if (!m) return "the access cookie is not valid; sign in again";
  const exp = Number(m[1]);
  const macs = await Promise.all(tokens.map((t) => cookieMac(t, exp)));
  if ((await matching(m[2]!, macs)) === undefined) return "the access cookie is no longer valid (the token changed); sign in again";
  if (exp * 1000 <= now) return "the access cookie has expired; sign in again";
  return null;
}

/**
 * `private`: the answer must not be cached or indexed (a private page, or an operator's view).
 * `audience`: who reads it.
 */
export type AccessResult =
  | { ok: true; private: boolean; audience: Audience; setCookie?: string }
  /** `retryAfterMs`: the client failed too often; answer 429 ({@link tooManyAttempts}). */
  | { ok: false; reason: string; retryAfterMs?: number };

/** The first of `tokens` that `given` equals, compared in constant time (all of them, always). */
async function matching(given: string, tokens: readonly string[]): Promise<string | undefined> {
  const equal = await Promise.all(tokens.map((t) => tokensEqual(given, t)));
  return tokens[equal.indexOf(true)];
}

/**
 * Checks a request against the page token and the admin token. Public pages always pass. A
 * token or cookie that matches nothing counts against the client ({@link authGate}), on a
 * public page too (the admin token opens the operator's view there); past the limit every
 * attempt of that client is refused for a while, a right one too.
 */
export async function checkStatusAccess(c: Context<App>): Promise<AccessResult> {
  const query = c.req.query("token");
  const bearer = /^Bearer\s+(.+)$/i.exec(c.req.header("authorization") ?? "")?.[1]?.trim();
  const cookie = getCookie(c, STATUS_COOKIE);
  if (query === undefined && bearer === undefined && cookie === undefined) return credentials(c, {});
  const gate = await authGate(c, "status");
  if (gate.blockedMs > 0) return { ok: false, reason: "too many failed attempts", retryAfterMs: gate.blockedMs };
  const result = await credentials(c, { query, bearer, cookie });
  if (!result.ok || result.audience === "public") await gate.fail();
  return result;
}

async function credentials(c: Context<App>, given: { query?: string; bearer?: string; cookie?: string }): Promise<AccessResult> {
  const ref = c.get("config").statusPage.token;
  const pageToken = ref ? reveal(ref, c.env) : undefined;
  const adminToken = c.env.VIGIL_ADMIN_TOKEN || undefined;
  const tokens = [pageToken, adminToken].filter((t): t is string => t !== undefined && t !== "");
  const isPrivate = pageToken !== undefined;
  const reader: AccessResult = { ok: true, private: true, audience: "operator" };
  const anonymous: AccessResult = { ok: true, private: false, audience: "public" };
  const { query, bearer, cookie } = given;
  if (query !== undefined) {
    const token = await matching(query, tokens);
    if (token !== undefined) return { ...reader, setCookie: await statusCookie(token, Date.now() + STATUS_COOKIE_DAYS * 86_400_000) };
    return isPrivate ? { ok: false, reason: "invalid token" } : anonymous;
  }
  if (bearer !== undefined) {
    if ((await matching(bearer, tokens)) !== undefined) return reader;
    return isPrivate ? { ok: false, reason: "invalid token" } : anonymous;
  }
  if (cookie !== undefined) {
    const problem = await cookieProblem(cookie, tokens, Date.now());
    if (problem === null) return reader;
    return isPrivate ? { ok: false, reason: problem } : anonymous;
  }
  return isPrivate
    ? {
        ok: false,
        reason: "this status page is private: give the token as ?token=, an Authorization: Bearer header, or sign in on the page",
      }
    : anonymous;
}

/** Sets the access cookie (HttpOnly, SameSite=Lax, Secure on https) for `days`. */
export function rememberAccess(c: Context<App>, value: string, days = STATUS_COOKIE_DAYS) {
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
    if (!access.ok) return access.retryAfterMs ? tooManyAttempts(c, access.retryAfterMs) : refuse(c, access.reason);
    c.set("audience", access.audience);
    await next();
    if (access.private) {
      c.res.headers.set("cache-control", "private, no-store");
      c.res.headers.set("x-robots-tag", "noindex");
    }
  };
}

/** `statusAccess` for the JSON-answering routes (`/status.json`, the feed): refuses with a 401 JSON error. */
export const statusAccessJson = statusAccess((c, reason) => jsonError(c, 401, "unauthorized", reason));

/** The refusals of a token-guarded route with a query, for its OpenAPI `responses`. */
export const statusRefusals = { 400: refusal("Invalid query"), 401: refusal("Private page without a valid token") } as const;
