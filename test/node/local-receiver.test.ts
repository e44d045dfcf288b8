/**
 * The local receiver `npm start` runs for the default webhook channel (scripts/local-receiver.mjs):
 * notifications signed by Vigil's own signer are printed as one line each; a bad signature, a
 * stale timestamp or a missing header is refused with 401 and said so.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signStandardWebhook } from "../../lib/standard-webhooks";
// @ts-expect-error: a plain .mjs script
import { startReceiver } from "../../scripts/local-receiver.mjs";

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const printed: string[] = [];
let receiver: { url: string; received: () => number; close: () => Promise<void> };

const event = {
  type: "incident.opened",
  timestamp: "2026-12-06T12:04:31.000Z",
  data: {
    incident: {
      id: "inc_demo_1",
      status: "open",
      title: "Demo target: demo down — connection refused",
      level: 1,
      url: "http://127.0.0.1:8787/incidents/inc_demo_1",
    },
  },
};

async function post(fields: { secret?: string; timestamp?: number; headers?: Record<string, string> } = {}) {
  // The headers of src/notify/webhook.ts buildWebhookRequest (which the worker tests check to
  // the byte), signed by the same signer; that module itself pulls in workerd-only probes.
  const id = "inc_demo_1:1:local-webhook:incident.opened";
  const timestamp = fields.timestamp ?? Math.floor(Date.now() / 1000);
  const body = JSON.stringify(event);
  const headers = {
    "content-type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": await signStandardWebhook(fields.secret ?? secret, id, timestamp, body),
  };
  const res = await fetch(`${receiver.url}/vigil`, { method: "POST", headers: { ...headers, ...fields.headers }, body });
  return { status: res.status, text: await res.text() };
}

beforeAll(async () => {
  receiver = await startReceiver({ port: 0, secret: () => secret, print: (l: string) => printed.push(l) });
});
afterAll(() => receiver.close());

describe("the local receiver", () => {
  it("verifies a notification Vigil signed and prints it as one line: level, event, title, link", async () => {
    printed.length = 0;
    expect((await post()).status).toBe(204);
    expect(printed).toEqual([
      "[L1] incident.opened · Demo target: demo down — connection refused · http://127.0.0.1:8787/incidents/inc_demo_1",
    ]);
  });

  it("refuses a notification signed with another secret", async () => {
    printed.length = 0;
    const r = await post({ secret: "whsec_QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB" });
    expect(r.status).toBe(401);
    expect(printed).toEqual(["receiver refused a notification: the signature does not match the channel's secret"]);
  });

  it("refuses a timestamp more than 5 minutes away, and missing headers", async () => {
    expect((await post({ timestamp: Math.floor(Date.now() / 1000) - 600 })).text).toMatch(/more than 5 minutes away/);
    expect((await post({ headers: { "webhook-signature": "" } })).status).toBe(401);
    expect(receiver.received()).toBe(1);
  });
});
