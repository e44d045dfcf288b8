/**
 * Bearer-token middleware for the admin API and `/metrics`: `hono/bearer-auth` reads the
 * `Authorization` header, Vigil supplies the tokens and the refusals. The comparison is constant
 * time: both sides are hashed to 32 bytes and compared with `crypto.subtle.timingSafeEqual`, so
 * neither the content nor the length of the token leaks through timing.
 */
import type { Context, MiddlewareHandler } from "hono";
import { bearerAuth as honoBearerAuth } from "hono/bearer-auth";
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

/** What a Bearer token may hold (RFC 6750 §2.1, `b64token`); `hono/bearer-auth` refuses anything else. */
const TOKEN = /^[A-Za-z0-9._~+/-]+=*$/;

export interface BearerAuthOptions {
  /**
   * The environment variable holding the expected token. `<name>_NEXT` is accepted as well, so
   * a token can be rotated without downtime (src/config `secretValues`); none set refuses everyone.
   */
  name: string;
}

export function bearerAuth(options: BearerAuthOptions): MiddlewareHandler {
  const { name } = options;
  const expected = (c: Context) => secretValues(c.env as Record<string, unknown>, name);
  /** A 401 in the API's error shape; a server without a usable token says so first. */
  const refuse = (message: (c: Context) => string) => (c: Context) => {
    const tokens = expected(c);
    if (tokens.length === 0) return jsonError(c, 401, "unauthorized", `${name} is not configured on the server`);
    if (!tokens.every((t) => TOKEN.test(t))) {
      return jsonError(
        c,
        401,
        "unauthorized",
        `${name} holds characters a Bearer token cannot carry (RFC 6750: A-Z a-z 0-9 - . _ ~ + / and a trailing =)`,
      );
    }
    return jsonError(c, 401, "unauthorized", message(c));
  };
  const missing = () => "missing Authorization: Bearer <token> header";
  const invalid = () => "invalid token";
  return honoBearerAuth({
    // Every candidate is compared, so the time taken does not say which one matched.
    verifyToken: async (given, c) => {
      const matches = await Promise.all(expected(c).map((token) => tokensEqual(given, token)));
      return matches.includes(true);
    },
    noAuthenticationHeader: { message: refuse(missing) },
    // `Bearer` followed by something that is no token, or another scheme.
    invalidAuthenticationHeader: {
      message: refuse((c) => (/^Bearer\s+\S/i.test(c.req.header("authorization") ?? "") ? invalid() : missing())),
    },
    invalidToken: { message: refuse(invalid) },
  });
}
