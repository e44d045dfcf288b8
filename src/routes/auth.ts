/**
 * Bearer-token middleware for the admin API. The comparison is constant time: both sides are
 * hashed to 32 bytes and compared with `crypto.subtle.timingSafeEqual`, so neither the
 * content nor the length of the token leaks through timing.
 */
import type { MiddlewareHandler } from "hono";
import { secretValues } from "../config";
import { jsonError } from "./errors";

const encoder = new TextEncoder();

export async function tokensEqual(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(given)),
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}

export interface BearerAuthOptions {
  /**
   * The environment variable holding the expected token. `<name>_NEXT` is accepted as well, so
   * a token can be rotated without downtime (src/config `secretValues`); none set refuses everyone.
   */
  name: string;
}

export function bearerAuth(options: BearerAuthOptions): MiddlewareHandler {
  return async function bearerAuthMiddleware(c, next) {
    const expected = secretValues(c.env as Record<string, unknown>, options.name);
    if (expected.length === 0) return jsonError(c, 401, "unauthorized", `${options.name} is not configured on the server`);
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match) return jsonError(c, 401, "unauthorized", "missing Authorization: Bearer <token> header");
    // Every candidate is compared, so the time taken does not say which one matched.
    const given = match[1]!.trim();
    const matches = await Promise.all(expected.map((token) => tokensEqual(given, token)));
    if (!matches.includes(true)) return jsonError(c, 401, "unauthorized", "invalid token");
    await next();
  };
}
