/**
 * Bearer-token middleware for the admin API. The comparison is constant time: both sides are
 * hashed to 32 bytes and compared with `crypto.subtle.timingSafeEqual`, so neither the
 * content nor the length of the token leaks through timing.
 */
import type { MiddlewareHandler } from "hono";
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
  /** Reads the expected token from the bindings; an unset token refuses everyone. */
  token: (env: Record<string, unknown>) => string | undefined;
  /** Names the token in error messages. */
  name: string;
}

export function bearerAuth(options: BearerAuthOptions): MiddlewareHandler {
  return async function bearerAuthMiddleware(c, next) {
    const expected = options.token(c.env as Record<string, unknown>);
    if (!expected) return jsonError(c, 401, "unauthorized", `${options.name} is not configured on the server`);
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match) return jsonError(c, 401, "unauthorized", "missing Authorization: Bearer <token> header");
    if (!(await tokensEqual(match[1]!.trim(), expected))) return jsonError(c, 401, "unauthorized", "invalid token");
    await next();
  };
}
