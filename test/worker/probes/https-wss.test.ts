/**
 * Successful https:// and wss:// probes inside workerd, against loopback servers whose
 * certificates are signed by the test CA that vitest.config.ts makes workerd trust; and the
 * same servers with a self-signed or an expired certificate, which must fail in words.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, type TestContext } from "vitest";
import { runProbe } from "../../../src/probes";
import { spawn } from "../fixtures";
import { monitor } from "./spec";

/** These tests need workerd to trust the test CA; without it they skip with the reason. */
const caMissing = env.TEST_CA_STATUS === "trusted" ? null : env.TEST_CA_STATUS || "no trusted test CA (TEST_CA_STATUS unset)";
const needsTrustedCa = (ctx: TestContext) => {
  if (caMissing) ctx.skip(caMissing);
};
beforeAll(() => {
  if (caMissing) console.warn(`https-wss.test.ts: successful https:// and wss:// probes skipped: ${caMissing}`);
});
const date = (iso: string) => iso.slice(0, 10);

describe("https:// probe against a server the runtime trusts", () => {
  let port = 0;
  beforeAll(async () => {
    if (!caMissing) ({ port } = await spawn("http-lab", { tls: { trust: "test-ca", days: 60 } }));
  });

  it("is up with the status code, latency and body assertions, by name and by IP address", async (ctx) => {
    needsTrustedCa(ctx);
    for (const host of ["localhost", "127.0.0.1"]) {
      const r = await runProbe(
        monitor("http", {
          url: `https://${host}:${port}/health`,
          contains: '"status":"UP"',
          json: [{ path: "$.db.status", op: "==", value: "up" }],
        }),
        {},
      );
      expect(r).toMatchObject({ status: "up", statusCode: 200 });
      expect(r.reason).toBeUndefined();
      expect(r.latencyMs).toBeGreaterThanOrEqual(0);
      expect(r.latencyMs).toBeLessThan(3_000);
    }
  });

  it("still judges the answer: a failed body assertion over https is down in words", async (ctx) => {
    needsTrustedCa(ctx);
    const r = await runProbe(
      monitor("http", { url: `https://localhost:${port}/health/db-down`, json: [{ path: "$.db.status", op: "==", value: "up" }] }),
      {},
    );
    expect(r).toMatchObject({ status: "down", statusCode: 200, reason: "$.db.status == 'up' failed: got 'down'" });
  });

  it("reports p50 and max over samples", async (ctx) => {
    needsTrustedCa(ctx);
    const r = await runProbe(monitor("http", { url: `https://localhost:${port}/health`, samples: 3 }), {});
    expect(r).toMatchObject({ status: "up", statusCode: 200, latency: { samples: 3 } });
  });
});

describe("https:// probe against a certificate the runtime refuses", () => {
  it("says a self-signed certificate is self-signed", async () => {
    const { port } = await spawn("http-lab", { tls: { trust: "self-signed", days: 60 } });
    const r = await runProbe(monitor("http", { url: `https://localhost:${port}/health` }), {});
    expect(r.status).toBe("down");
    expect(r.reason).toMatch(
      new RegExp(`^TLS handshake with localhost:${port} failed: certificate is self-signed \\(CN=localhost, O=Vigil Test, C=KR\\)$`),
    );
  });

  it("says an expired certificate expired, even when the CA is trusted", async (ctx) => {
    needsTrustedCa(ctx);
    const s = (await spawn("http-lab", { tls: { trust: "test-ca", days: -2 } })) as { port: number; notAfter: string };
    const r = await runProbe(monitor("http", { url: `https://localhost:${s.port}/health` }), {});
    expect(r).toMatchObject({
      status: "down",
      reason: `TLS handshake with localhost:${s.port} failed: certificate expired 2 days ago (${date(s.notAfter)})`,
    });
  });

  it("says a trusted certificate for another name does not cover the host", async (ctx) => {
    needsTrustedCa(ctx);
    const { port } = await spawn("http-lab", { tls: { trust: "test-ca", names: ["other.test"] } });
    const r = await runProbe(monitor("http", { url: `https://localhost:${port}/health` }), {});
    expect(r).toMatchObject({
      status: "down",
      reason: `TLS handshake with localhost:${port} failed: certificate does not cover 'localhost' (it covers other.test)`,
    });
  });
});

describe("wss:// probe against a server the runtime trusts", () => {
  let base = "";
  let stats = "";
  beforeAll(async () => {
    if (caMissing) return;
    const { port } = await spawn("websocket", { tls: { trust: "test-ca" } });
    base = `wss://localhost:${port}`;
    stats = `https://localhost:${port}/stats`;
  });

  it("opens, sends the heartbeat and checks the reply", async (ctx) => {
    needsTrustedCa(ctx);
    expect(await runProbe(monitor("websocket", { url: `${base}/echo` }), {})).toMatchObject({ status: "up", statusCode: 101 });
    const r = await runProbe(
      monitor("websocket", { url: `${base}/heartbeat`, send: "ping", expectReplyMatches: '^\\{"type":"pong","seq":1\\}$' }),
      {},
    );
    expect(r).toMatchObject({ status: "up", statusCode: 101 });
    expect(r.reason).toBeUndefined();
    const seen = (await (await fetch(stats)).json()) as { received: { path: string; message: string }[] };
    expect(seen.received).toContainEqual(expect.objectContaining({ path: "/heartbeat", message: "ping" }));
  });

  it("says a wrong reply is wrong over wss too", async (ctx) => {
    needsTrustedCa(ctx);
    expect(await runProbe(monitor("websocket", { url: `${base}/echo`, send: "hello", expectReply: "bye" }), {})).toMatchObject({
      status: "down",
      reason: "reply lacks 'bye': got 'hello'",
    });
  });

  it("says a self-signed wss:// certificate is self-signed", async () => {
    const { port } = await spawn("websocket", { tls: { trust: "self-signed" } });
    const r = await runProbe(monitor("websocket", { url: `wss://localhost:${port}/echo` }), {});
    expect(r.status).toBe("down");
    expect(r.reason).toMatch(new RegExp(`^TLS handshake with localhost:${port} failed: certificate is self-signed `));
  });
});
