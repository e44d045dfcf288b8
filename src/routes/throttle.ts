/**
 * Failed-auth throttling for the admin API, the private status page and ping URLs: a thin
 * shell over ThrottleObject (src/objects/throttle.ts), one object per client address
 * (`CF-Connecting-IP`; requests without one share a bucket).
 */
import type { Context, MiddlewareHandler } from "hono";
import type { Env } from "../env";
import { jsonError } from "./errors";

export type ThrottleScope = "admin" | "status" | "ping";

const client = (c: Context) => c.req.header("cf-connecting-ip") ?? "unknown";

/** 429 with `Retry-After` (whole seconds, at least 1). */
export function tooManyAttempts(c: Context, waitMs: number): Response {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  c.header("retry-after", String(seconds));
  return jsonError(c, 429, "too_many_attempts", `too many failed attempts from this client; try again in ${seconds} s`);
}

export interface Gate {
  /** Set when the client is refused for now: answer 429 with it. */
  blockedMs: number;
  /** Records a failed attempt; answers how long the client is now refused (0: not yet). */
  fail(): Promise<number>;
}

/** Looks the client up before its credentials are checked. */
export async function authGate<E extends { Bindings: Env }>(c: Context<E>, scope: ThrottleScope): Promise<Gate> {
  const stub = c.env.THROTTLE.getByName(client(c));
  const blockedMs = await stub.blockedFor(scope, Date.now());
  return { blockedMs, fail: () => stub.fail(scope, Date.now()) };
}

/** Middleware around an auth middleware: refuses a throttled client, counts each 401 it answers. */
export function throttleFailures(scope: ThrottleScope): MiddlewareHandler<{ Bindings: Env }> {
  return async function throttleFailuresMiddleware(c, next) {
    const gate = await authGate(c, scope);
    if (gate.blockedMs > 0) return tooManyAttempts(c, gate.blockedMs);
    await next();
    if (c.res.status === 401) await gate.fail();
  };
}
