/**
 * Rotating secrets without downtime: while `NAME_NEXT` is set, the admin token, the metrics
 * token and an agent's signing key accept both the current and the next value (docs/deploy.md).
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { signReport } from "../../../src/contract/signature";
import worker from "../../../src/index";
import { signStandardWebhook } from "../../../lib/standard-webhooks";
import { buildWebhookRequest } from "../../../src/notify/webhook";
import { makeReport } from "../ingest/helpers";

const ADMIN = "test-admin-token-0123456789abcdef";
const NEXT_ADMIN = "next-admin-token-fedcba9876543210fedcba9876543210";
const METRICS = "metrics-token-0123456789abcdef0123456789abcdef";
const NEXT_METRICS = "next-metrics-token-0123456789abcdef0123456789";
const NEXT_AGENT = "next-agent-secret-0123456789abcdef0123456789abcdef";

async function call(path: string, bindings: Record<string, unknown>, init: RequestInit = {}) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`http://vigil.test${path}`, init), { ...env, ...bindings } as typeof env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe("rotating the admin token", () => {
  it("accepts the current and the next token while VIGIL_ADMIN_TOKEN_NEXT is set, and nothing else", async () => {
    const during = { VIGIL_ADMIN_TOKEN_NEXT: NEXT_ADMIN };
    expect((await call("/v1/monitors", during, bearer(ADMIN))).status).toBe(200);
    expect((await call("/v1/monitors", during, bearer(NEXT_ADMIN))).status).toBe(200);
    expect((await call("/v1/monitors", during, bearer(`${NEXT_ADMIN}x`))).status).toBe(401);
  });

  it("accepts only the new token once it is VIGIL_ADMIN_TOKEN and the _NEXT is deleted", async () => {
    const after = { VIGIL_ADMIN_TOKEN: NEXT_ADMIN };
    expect((await call("/v1/monitors", after, bearer(NEXT_ADMIN))).status).toBe(200);
    expect((await call("/v1/monitors", after, bearer(ADMIN))).status).toBe(401);
  });
});

describe("rotating the metrics token", () => {
  it("accepts VIGIL_METRICS_TOKEN and VIGIL_METRICS_TOKEN_NEXT", async () => {
    const during = { VIGIL_METRICS_TOKEN: METRICS, VIGIL_METRICS_TOKEN_NEXT: NEXT_METRICS };
    expect((await call("/metrics", during, bearer(METRICS))).status).toBe(200);
    expect((await call("/metrics", during, bearer(NEXT_METRICS))).status).toBe(200);
    expect((await call("/metrics", during, bearer(ADMIN))).status).toBe(401);
  });
});

describe("rotating an agent's signing key", () => {
  const send = async (seq: number, secret: string, bindings: Record<string, unknown>) => {
    const body = JSON.stringify(makeReport("t-rotate", seq));
    const signature = await signReport(secret, body, Math.floor(Date.now() / 1000));
    return call("/v1/agents/t-rotate/reports", bindings, {
      method: "POST",
      headers: { "content-type": "application/json", "vigil-signature": signature },
      body,
    });
  };

  it("accepts reports signed with the current or the next key while <NAME>_NEXT is set", async () => {
    const during = { TEST_AGENT_SECRET_NEXT: NEXT_AGENT };
    expect((await send(1, env.TEST_AGENT_SECRET as string, during)).status).toBe(202);
    expect((await send(2, NEXT_AGENT, during)).status).toBe(202);
    const wrong = await send(3, "some-other-key-0123456789abcdef", during);
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: { code: "invalid_signature" } });
  });

  it("refuses the next key before it is set on the worker", async () => {
    expect((await send(4, NEXT_AGENT, {})).status).toBe(401);
  });
});

describe("rotating a webhook signing secret", () => {
  const channel = {
    id: "hook",
    type: "webhook" as const,
    url: "https://hooks.vigil.test/in",
    secret: { env: "HOOK_SECRET" },
    timeout: 10_000,
  };
  const event = { type: "incident.opened", timestamp: "2026-12-06T08:00:00.000Z", data: { id: "inc_1" } };
  const OLD = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const NEW = "whsec_QWxsIHRoZSBuZXcga2V5IGJ5dGVzIGhlcmUh";

  it("signs with the current and the next secret while HOOK_SECRET_NEXT is set, so a receiver knowing either verifies", async () => {
    const req = await buildWebhookRequest(channel as any, { HOOK_SECRET: OLD, HOOK_SECRET_NEXT: NEW }, "msg_1", event, 1_765_000_000);
    const body = JSON.stringify(event);
    expect(req.headers["webhook-signature"]).toBe(
      `${await signStandardWebhook(OLD, "msg_1", 1_765_000_000, body)} ${await signStandardWebhook(NEW, "msg_1", 1_765_000_000, body)}`,
    );
  });

  it("is verified by the standardwebhooks package in workerd, with either secret, and by no other", async () => {
    const now = Math.floor(Date.now() / 1000);
    const req = await buildWebhookRequest(channel as any, { HOOK_SECRET: OLD, HOOK_SECRET_NEXT: NEW }, "msg_2", event, now);
    expect(new Webhook(OLD).verify(req.body, req.headers)).toEqual(event);
    expect(new Webhook(NEW).verify(req.body, req.headers)).toEqual(event);
    expect(() => new Webhook("whsec_QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB").verify(req.body, req.headers)).toThrow(WebhookVerificationError);
  });

  it("signs once with the only secret otherwise", async () => {
    const req = await buildWebhookRequest(channel as any, { HOOK_SECRET: NEW }, "msg_1", event, 1_765_000_000);
    expect(req.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
  });
});
