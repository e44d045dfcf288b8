import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../../src/index";
import { tokensEqual } from "../../../src/routes/auth";

const TOKEN = "test-admin-token-0123456789abcdef";
const get = (path: string, token?: string) =>
  worker.fetch(
    new Request(`http://vigil.test${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} }),
    env,
    createExecutionContext(),
  );

describe("GET /health", () => {
  it("answers 200 with version and counts, and no secrets", async () => {
    const res = await get("/health");
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(JSON.parse(body)).toMatchObject({
      status: "ok",
      version: "0.1.0",
      monitors: expect.any(Number),
      services: expect.any(Number),
      agents: expect.any(Number),
    });
    expect(body).not.toContain(TOKEN);
    expect(body).not.toContain(env.TEST_WEBHOOK_SECRET);
  });
});

describe("admin API authentication", () => {
  it("refuses a missing token with a JSON 401", async () => {
    const res = await get("/v1/monitors");
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { code: "unauthorized", message: "missing Authorization: Bearer <token> header" } });
  });

  it("refuses a wrong token, including one that only differs in length", async () => {
    for (const wrong of ["nope", `${TOKEN}x`, TOKEN.slice(0, -1)]) {
      const res = await get("/v1/monitors", wrong);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: "unauthorized", message: "invalid token" } });
    }
  });

  it("refuses another scheme as missing, and a Bearer value no token can be as invalid, both JSON 401", async () => {
    const ask = (authorization: string) =>
      worker.fetch(new Request("http://vigil.test/v1/monitors", { headers: { authorization } }), env, createExecutionContext());
    const basic = await ask(`Basic ${btoa(`admin:${TOKEN}`)}`);
    expect(basic.status).toBe(401);
    expect(await basic.json()).toEqual({ error: { code: "unauthorized", message: "missing Authorization: Bearer <token> header" } });
    const odd = await ask(`Bearer ${TOKEN} extra`);
    expect(odd.status).toBe(401);
    expect(await odd.json()).toEqual({ error: { code: "unauthorized", message: "invalid token" } });
    expect((await ask(`bearer ${TOKEN}`)).status).toBe(200);
  });

  it("names a configured token that no Bearer header can carry", async () => {
    const spaced = { ...env, VIGIL_ADMIN_TOKEN: "a passphrase of several words, not a token" };
    const res = await worker.fetch(
      new Request("http://vigil.test/v1/monitors", { headers: { authorization: "Bearer two" } }),
      spaced,
      createExecutionContext(),
    );
    expect(res.status).toBe(401);
    expect((await res.json<{ error: { message: string } }>()).error.message).toMatch(
      /^VIGIL_ADMIN_TOKEN holds characters a Bearer token cannot carry/,
    );
  });

  it("compares tokens through fixed-length digests", async () => {
    expect(await tokensEqual("abc", "abc")).toBe(true);
    expect(await tokensEqual("abc", "abcd")).toBe(false);
    expect(await tokensEqual("", "abc")).toBe(false);
  });
});

describe("GET /v1/monitors", () => {
  it("lists config and current state", async () => {
    const res = await get("/v1/monitors", TOKEN);
    expect(res.status).toBe(200);
    const { monitors } = await res.json<{ monitors: Record<string, unknown>[] }>();
    expect(monitors.find((m) => m.id === "e2e-health")).toMatchObject({
      id: "e2e-health",
      type: "http",
      service: "e2e",
      interval: 60_000,
      state: { status: expect.any(String) },
    });
  });
});

describe("GET /v1/incidents", () => {
  it("filters by status", async () => {
    await env.DB.prepare(
      "INSERT INTO incidents (id, service_id, status, title, level, opened_at, resolved_at) VALUES ('inc_api_1', 'e2e', 'resolved', 'old', 1, 1000, 2000), ('inc_api_2', 'e2e', 'open', 'now', 1, 3000, NULL)",
    ).run();
    const open = await (await get("/v1/incidents?status=open", TOKEN)).json<{ incidents: { id: string }[] }>();
    expect(open.incidents.map((i) => i.id)).toContain("inc_api_2");
    expect(open.incidents.map((i) => i.id)).not.toContain("inc_api_1");
    const resolved = await (await get("/v1/incidents?status=resolved", TOKEN)).json<{ incidents: { id: string; resolvedAt: string }[] }>();
    expect(resolved.incidents.find((i) => i.id === "inc_api_1")).toMatchObject({ resolvedAt: new Date(2000).toISOString() });
    const one = await (await get("/v1/incidents/inc_api_2", TOKEN)).json<{
      incident: { id: string; members: unknown[]; timeline: unknown[] };
    }>();
    expect(one.incident).toMatchObject({ id: "inc_api_2", members: [], timeline: [] });
  });

  it("names the bad query parameter", async () => {
    const res = await get("/v1/incidents?status=closed", TOKEN);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { code: "invalid_query", message: 'status: expected "open" or "resolved", got "closed"' } });
    expect((await get("/v1/incidents?limit=0", TOKEN)).status).toBe(400);
    expect((await get("/v1/incidents/inc_nope", TOKEN)).status).toBe(404);
  });

  it("names every bad query parameter at once, and ignores ones it does not know", async () => {
    const res = await get("/v1/incidents?status=closed&limit=abc&page=2", TOKEN);
    expect(await res.json()).toEqual({
      error: {
        code: "invalid_query",
        message: "invalid query parameters (2 problems)",
        issues: ['status: expected "open" or "resolved", got "closed"', 'limit: expected a whole number from 1 to 500, got "abc"'],
      },
    });
    expect((await get("/v1/incidents?limit=500&page=2", TOKEN)).status).toBe(200);
  });
});

describe("incident actions", () => {
  const post = (path: string, body: BodyInit) =>
    worker.fetch(
      new Request(`http://vigil.test${path}`, { method: "POST", body, headers: { authorization: `Bearer ${TOKEN}` } }),
      env,
      createExecutionContext(),
    );

  it("refuse a body over 64 KiB before parsing it, streamed or not", async () => {
    const big = JSON.stringify({ text: "x".repeat(70 * 1024) });
    const res = await post("/v1/incidents/inc_nope/notes", big);
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: { code: "too_large", message: "a request body is at most 65536 bytes" } });
    const stream = new Blob([big]).stream();
    expect((await post("/v1/silences", stream)).status).toBe(413);
  });

  it("validate the body with the declared schema: every problem by path", async () => {
    const res = await post("/v1/incidents/inc_nope/notes", JSON.stringify({ text: "", extra: 1 }));
    expect(res.status).toBe(400);
    const { error } = await res.json<{ error: { code: string; issues: string[] } }>();
    expect(error.code).toBe("invalid_body");
    expect(error.issues.map((i) => i.split(":")[0]).sort()).toEqual(["(root)", "text"]);
  });
});

describe("unknown routes", () => {
  it("answer 404 JSON", async () => {
    const res = await get("/nope");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: "not_found", message: "no route GET /nope" } });
  });
});

describe("an invalid deployed config", () => {
  it("is refused with every problem and its path, on requests and on the cron", async () => {
    // The test config builds its URLs from FIXTURES_URL and names TEST_WEBHOOK_SECRET.
    const broken = { ...env, FIXTURES_URL: "not a url", TEST_WEBHOOK_SECRET: "" };
    const res = await worker.fetch(new Request("http://vigil.test/health"), broken, {} as ExecutionContext);
    expect(res.status).toBe(500);
    const { error } = await res.json<{ error: { code: string; message: string; issues: string[] } }>();
    expect(error).toMatchObject({ code: "invalid_config", message: "the deployed Vigil config is invalid" });
    // Every URL built from FIXTURES_URL is named, each with its path.
    expect(error.issues).toEqual(
      expect.arrayContaining([
        "monitors[0].url: Invalid url: expected an http:// or https:// URL",
        "channels[0].url: Invalid url: expected an http:// or https:// URL",
      ]),
    );
    for (const issue of error.issues) expect(issue).toMatch(/^(monitors|channels)\[\d+\]\.url: Invalid url/);
    const missingSecret = { ...env, TEST_WEBHOOK_SECRET: "" };
    const res2 = await worker.fetch(new Request("http://vigil.test/health"), missingSecret, {} as ExecutionContext);
    expect((await res2.json<{ error: { issues: string[] } }>()).error.issues).toContain(
      "channels[0].secret: environment variable TEST_WEBHOOK_SECRET is not set (add it to .dev.vars locally, or `wrangler secret put TEST_WEBHOOK_SECRET`)",
    );
    await expect(
      worker.scheduled({ scheduledTime: Date.now(), cron: "* * * * *", noRetry() {} }, broken, {} as ExecutionContext),
    ).rejects.toThrow(/invalid Vigil config \(\d+ problems\):\n {2}monitors\[0\]\.url: Invalid url/);
  });
});
