/** Building, signing and sending agent reports inside workerd, and reading what they changed. */
import { createExecutionContext, runDurableObjectAlarm, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { vi } from "vitest";
import worker from "../../../src/index";
import { signReport } from "../../../src/contract/signature";
import type { AgentReportInput } from "../../../src/contract/report";

export const SECRET = env.TEST_AGENT_SECRET as string;
export const ADMIN_TOKEN = "test-admin-token-0123456789abcdef";

export function makeReport(agentId: string, seq: number, overrides: Partial<AgentReportInput> = {}): AgentReportInput {
  const now = new Date().toISOString();
  return {
    agent: { id: agentId, version: "1.2.0", hostname: "app-01" },
    seq,
    sentAt: now,
    intervalSeconds: 30,
    checks: [{ id: "docker:db", kind: "docker", status: "ok", summary: "running", observedAt: now, durationMs: 3 }],
    remediations: [],
    ...overrides,
  };
}

export interface SendOptions {
  secret?: string;
  /** Signature timestamp, unix seconds. Default now. */
  t?: number;
  /** Replaces the whole signature header (null: no header). */
  signature?: string | null;
  /** Signs this text instead of the body sent (tampering). */
  signedBody?: string;
  headers?: Record<string, string>;
}

export async function fetchWorker(request: Request): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(request, env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

export async function sendReport(agentId: string, body: AgentReportInput | string, opts: SendOptions = {}): Promise<Response> {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  const t = opts.t ?? Math.floor(Date.now() / 1000);
  const signature = opts.signature !== undefined ? opts.signature : await signReport(opts.secret ?? SECRET, opts.signedBody ?? text, t);
  const headers: Record<string, string> = { "content-type": "application/json", ...opts.headers };
  if (signature !== null) headers["vigil-signature"] = signature;
  return fetchWorker(new Request(`http://vigil.test/v1/agents/${agentId}/reports`, { method: "POST", headers, body: text }));
}

export const admin = (path: string) =>
  fetchWorker(new Request(`http://vigil.test/v1${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }));

/** POSTs JSON to the admin API (`path` from the root: `/v1/...`). */
export const adminPost = (path: string, body: unknown) =>
  fetchWorker(
    new Request(`http://vigil.test${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
  );

export async function agentView(agentId: string): Promise<any> {
  const res = await admin(`/agents/${agentId}`);
  if (res.status !== 200) throw new Error(`GET /v1/agents/${agentId}: ${res.status} ${await res.text()}`);
  return (await res.json<{ agent: unknown }>()).agent;
}

export interface StateRow {
  check_id: string;
  status: string;
  consecutive_failures: number;
  consecutive_successes: number;
  reason: string | null;
  since: number;
  stale_since: number | null;
}

export async function statesOf(agentId: string): Promise<Map<string, StateRow>> {
  const { results } = await env.DB.prepare("SELECT * FROM check_state WHERE check_id LIKE ? ORDER BY check_id")
    .bind(`agent:${agentId}:%`)
    .all<StateRow>();
  return new Map(results.map((r) => [r.check_id.slice(`agent:${agentId}:`.length), r]));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `probe` until it returns a value, or fails after `timeoutMs` (of real time: it counts
 * with `performance.now()`, which the test clock leaves alone).
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined>, timeoutMs = 10_000, everyMs = 20): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== null && v !== undefined) return v;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/**
 * The test clock. `Date` is faked (vitest) for the test and the Durable Objects alike — they run
 * in the test's isolate — and stands still until `advanceClock` or `runAlarm` moves it. It starts
 * a minute ahead of real time, so an alarm an object arms does not fire by itself during the
 * test: the test runs it (`runAlarm`). Undo with `vi.useRealTimers()`.
 */
export function useTestClock(): void {
  vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 60_000 });
}

export function advanceClock(ms: number): void {
  vi.setSystemTime(Date.now() + ms);
}

/** When the object's alarm is set for, or null. */
export const alarmOf = (stub: DurableObjectStub) => runInDurableObject(stub, (_object, state) => state.storage.getAlarm());

/**
 * Moves the test clock to the object's alarm (when that is later than now) and runs it, as
 * workerd would at that time. Returns when it was set for, or null when no alarm was set.
 */
export async function runAlarm(stub: DurableObjectStub): Promise<number | null> {
  const at = await alarmOf(stub);
  if (at === null) return null;
  if (at > Date.now()) vi.setSystemTime(at);
  await runDurableObjectAlarm(stub);
  return at;
}
