/**
 * Reachability of the real services the agent tests talk to. Under CI=true a test file whose
 * service is unreachable fails; elsewhere it skips with a one-line reason.
 */
import { connect } from "node:net";
import { describe } from "vitest";

export const PG_URL = process.env.VIGIL_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
export const REDIS_URL = process.env.VIGIL_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

export function tcpReachable(host: string, port: number, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: timeoutMs });
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("timeout", () => (s.destroy(), resolve(false)));
    s.once("error", () => resolve(false));
  });
}

/** `describe` that skips (or fails under CI) when `reason` is non-empty. */
export function describeWith(service: string, reason: string): typeof describe | typeof describe.skip {
  if (!reason) return describe;
  if (process.env.CI === "true") throw new Error(`${service} is required under CI=true but unreachable: ${reason}`);
  console.log(`skipping ${service} tests: ${reason}`);
  return describe.skip;
}
