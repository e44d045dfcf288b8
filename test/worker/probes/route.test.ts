/** `POST /v1/probe`: test a monitor spec before saving it. Admin only; every problem by path. */
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../../src/index";
import { controlSpawned, spawn } from "../fixtures";
import { isPrivateHost } from "../../../src/routes/probe";
import { probes } from "../../../src/probes/kinds";

const TOKEN = "test-admin-token-0123456789abcdef";
const post = (body: unknown, token: string | null = TOKEN) =>
  worker.fetch(
    new Request("http://vigil.test/v1/probe", {
      method: "POST",
      headers: { "content-type": "application/json", ...(token && { authorization: `Bearer ${token}` }) },
      body: typeof body === "string" ? body : JSON.stringify(body),
    }),
    env,
    createExecutionContext(),
  );

let lab = "";
let tlsPort = 0;
beforeAll(async () => {
  lab = `http://127.0.0.1:${(await spawn("http-lab")).port}`;
  tlsPort = (await spawn("tls", { days: 3 })).port;
});

describe("POST /v1/probe", () => {
  it("refuses a caller without the admin token", async () => {
    const res = await post({ id: "x", service: "s", type: "tcp", host: "127.0.0.1", port: 1 }, null);
    expect(res.status).toBe(401);
  });

  it("runs an http spec now and answers the probe result", async () => {
    const res = await post({
      id: "api-health",
      service: "app",
      type: "http",
      url: `${lab}/health/db-down`,
      json: [{ path: "$.db.status", op: "==", value: "up" }],
    });
    expect(res.status).toBe(200);
    const result = await res.json<Record<string, unknown>>();
    expect(result).toMatchObject({ status: "down", statusCode: 200, reason: "$.db.status == 'up' failed: got 'down'" });
    expect(Object.keys(result).sort()).toEqual(["checkedAt", "firstByteMs", "latencyMs", "reason", "status", "statusCode", "trace"]);
  });

  it("answers a TLS result with the fields outside tools rely on", async () => {
    const res = await post({
      id: "cert",
      service: "app",
      type: "tls",
      host: "127.0.0.1",
      port: tlsPort,
      servername: "good.test",
      warnDays: 30,
      criticalDays: 2,
    });
    const result = await res.json<{ status: string; reason: string; tls: Record<string, unknown> }>();
    expect(result.status).toBe("degraded");
    expect(result.reason).toMatch(/^certificate expires in 3 days \(\d{4}-\d\d-\d\d\), under the 30 days warning threshold$/);
    expect(Object.keys(result.tls).sort()).toEqual([
      "chainComplete",
      "chainLength",
      "cipherSuite",
      "daysLeft",
      "hostnameMatches",
      "issuer",
      "key",
      "legacyProtocol",
      "notAfter",
      "protocol",
      "sans",
      "selfSigned",
      "signatureAlgorithm",
      "subject",
      "weaknesses",
    ]);
  });

  it("answers 400 with every zod issue path for an invalid spec", async () => {
    const res = await post({
      id: "Bad Id",
      service: "app",
      type: "http",
      url: "ftp://example.com",
      timeout: "soon",
      json: [
        { path: "db.status", op: "==", value: "up" },
        { path: "$.count", op: "<", value: "ten" },
        { path: "$.name", op: "matches", value: "([unclosed" },
        { path: "$.x", op: "~=", value: 1 },
      ],
      responseHeaders: [{ name: "bad header", op: "exists" }],
      degradedMs: 5000,
      downMs: 1000,
    });
    expect(res.status).toBe(400);
    const body = await res.json<{ error: { code: string; message: string; issues: string[] } }>();
    expect(body.error.code).toBe("invalid_monitor");
    const paths = body.error.issues.map((i) => i.split(":")[0]);
    expect(paths).toEqual(
      expect.arrayContaining([
        "id",
        "url",
        "timeout",
        "json[0].path",
        "json[1].value",
        "json[2].value",
        "json[3].op",
        "responseHeaders[0].name",
      ]),
    );
    expect(body.error.issues).toContain('json[0].path: path must start with "$" (like "$.status"), got "db.status"');
    expect(body.error.issues).toContain("json[1].value: operator \"<\" needs a number, got 'ten'");
    expect(body.error.message).toBe(`invalid monitor spec (${body.error.issues.length} problems)`);
  });

  it("checks cross-field rules once the fields themselves are valid", async () => {
    const res = await post({
      id: "t",
      service: "app",
      type: "tls",
      host: "example.com",
      warnDays: 7,
      criticalDays: 14,
      degradedMs: 5000,
      downMs: 1000,
    });
    const body = await res.json<{ error: { issues: string[] } }>();
    expect(body.error.issues).toEqual([
      "degradedMs: must be below downMs (1000), got 5000",
      "criticalDays: must be below warnDays (7), got 14",
    ]);
  });

  it("names an unknown type and a missing secret", async () => {
    const unknown = await (await post({ id: "x", service: "s", type: "ftp" })).json<{ error: { issues: string[] } }>();
    const types = probes.kinds.map((k) => `'${k.type}'`).join(" | ");
    expect(unknown.error.issues).toEqual([`type: Invalid discriminator value. Expected ${types}`]);
    expect(types).toMatch(/^'http' \| 'tls' \| 'tcp' \| 'websocket' \| 'dns'/);
    const secret = await post({
      id: "x",
      service: "s",
      type: "http",
      url: `${lab}/health`,
      headers: { authorization: { env: "NOT_SET_ANYWHERE" } },
    });
    expect(secret.status).toBe(400);
    expect((await secret.json<{ error: { issues: string[] } }>()).error.issues).toEqual([
      'headers.authorization: the config\'s monitor "x" sends no secret NOT_SET_ANYWHERE; a spec tested here may send only the secrets its configured monitor already sends',
    ]);
  });

  it("sends no worker secret the config does not already send for that monitor", async () => {
    // A secret the worker holds (here the agents' signing key) must not go to an arbitrary host.
    const res = await post({
      id: "e2e-health",
      service: "e2e",
      type: "http",
      url: `${lab}/echo`,
      headers: { "x-steal": { env: "TEST_AGENT_SECRET" } },
    });
    expect(res.status).toBe(400);
    expect((await res.json<{ error: { issues: string[] } }>()).error.issues).toEqual([
      'headers.x-steal: the config\'s monitor "e2e-health" sends no secret TEST_AGENT_SECRET; a spec tested here may send only the secrets its configured monitor already sends',
    ]);
  });

  // Loopback targets only: refusing them is what is tested, and a test never sends traffic to
  // any other address. The private ranges are covered by the pure table below.
  it.each([
    ["http", { url: "http://[::1]:9/" }, "url", "[::1]"],
    ["http", { url: "http://localhost:9/" }, "url", "localhost"],
    ["http", { url: "http://2130706434:9/" }, "url", "127.0.0.2"],
    ["websocket", { url: "ws://127.0.0.3:9/" }, "url", "127.0.0.3"],
    ["tcp", { host: "127.0.0.2", port: 9 }, "host", "127.0.0.2"],
    ["tls", { host: "::1", port: 9 }, "host", "[::1]"],
    ["dns", { name: "example.com", resolver: "http://127.0.0.4:9/dns-query" }, "resolver", "127.0.0.4"],
    ["domain", { domain: "example.com", rdap: "http://127.0.0.5:9/rdap/" }, "rdap", "127.0.0.5"],
  ] as const)("refuses a %s probe to a loopback address no configured monitor targets (%j)", async (type, fields, path, host) => {
    const res = await post({ id: "x", service: "s", type, ...fields });
    expect(res.status).toBe(400);
    const issues = (await res.json<{ error: { issues: string[] } }>()).error.issues;
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(new RegExp(`^${path}: ${host.replace(/[.[\]]/g, "\\$&")} is a private, loopback or link-local address`));
  });

  it.each([
    ["169.254.169.254", true],
    ["10.1.2.3", true],
    ["172.16.0.1", true],
    ["172.31.255.255", true],
    ["172.32.0.1", false],
    ["192.168.1.1", true],
    ["100.64.0.1", true],
    ["0.0.0.0", true],
    ["127.0.0.1", true],
    ["localhost", true],
    ["db.localhost", true],
    ["[::1]", true],
    ["[::]", true],
    ["[fe80::1]", true],
    ["[fd00::1]", true],
    ["[::ffff:7f00:1]", true],
    ["[::ffff:a01:203]", true],
    ["example.com", false],
    ["1.1.1.1", false],
    ["[2606:4700::1111]", false],
    ["8.8.8.8", false],
  ] as const)("%s is private: %s", (host, expected) => {
    expect(isPrivateHost(host)).toBe(expected);
  });

  it("caps the worst case, samples × timeout, at 60 s while the caller waits", async () => {
    // Valid in a config (the interval is long enough), but too long to run in one request.
    const res = await post({ id: "slow", service: "app", type: "http", url: `${lab}/health`, interval: "1h", samples: 7, timeout: "10s" });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: {
        code: "invalid_monitor",
        message: "invalid monitor spec (1 problem)",
        issues: ["timeout: samples × timeout (7 × 10 s = 70 s) must be at most 60 s when testing a spec here; lower samples or timeout"],
      },
    });
    const worst = await post({
      id: "slow",
      service: "app",
      type: "tcp",
      host: "127.0.0.1",
      port: 1,
      interval: "24h",
      samples: 10,
      timeout: "60s",
    });
    expect((await worst.json<{ error: { issues: string[] } }>()).error.issues).toEqual([
      "timeout: samples × timeout (10 × 60 s = 600 s) must be at most 60 s when testing a spec here; lower samples or timeout",
    ]);
    // Exactly at the cap runs.
    const atCap = await post({ id: "ok", service: "app", type: "http", url: `${lab}/health`, interval: "1h", samples: 6, timeout: "10s" });
    expect(atCap.status).toBe(200);
    expect(await atCap.json()).toMatchObject({ status: "up", statusCode: 200 });
  });

  it("runs retries as the runner does: after a refused connection, never after a 500, saying how many attempts", async () => {
    const { port } = await spawn("flaky-http", { mode: "refuse" });
    const spec = {
      id: "rt",
      service: "app",
      type: "http",
      url: `http://127.0.0.1:${port}/health`,
      interval: "1m",
      timeout: "2s",
      retries: { count: 2, delay: "0s" },
    };
    const refused = await post(spec);
    expect(refused.status).toBe(200);
    expect(await refused.json()).toMatchObject({ status: "down", reason: `connection refused by 127.0.0.1:${port}`, attempts: 3 });
    await controlSpawned(port, { mode: 500 });
    expect(await (await post(spec)).json()).toMatchObject({ status: "down", statusCode: 500, attempts: 1 });
    const slow = await post({ ...spec, interval: "10m", timeout: "30s", retries: { count: 1, delay: "1s" } });
    expect(slow.status).toBe(400);
    expect((await slow.json<{ error: { issues: string[] } }>()).error.issues).toEqual([
      "retries: with 1 retry a run can take 61 s, which must be at most 60 s when testing a spec here; lower them",
    ]);
  });

  it("refuses a body that is not JSON", async () => {
    const res = await post("{not json");
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { code: "invalid_json", message: "the body is not valid JSON (expected a monitor spec)" } });
  });
});
