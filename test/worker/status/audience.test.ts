/**
 * Public pages publish states, not internals. Without a token the status page, a check's page,
 * `/status.json`, badges and the feed show names, states, times and uptime; the probe reasons
 * (hosts, ports, body text, header values), agent check targets and the engine's incident
 * titles need the admin token or the private page's token, or a service's `publicDetails`.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import type { Hono } from "hono";
import { beforeAll, describe, expect, it } from "vitest";
import { parseConfig, type VigilConfig, type VigilConfigInput } from "../../../src/config";
import type { Env } from "../../../src/env";
import { publicAgentCheck, publicIncidentTitle, showsDetails } from "../../../src/routes/status/audience";
import { STATUS_TOKEN, statusConfig, statusSecrets, statusSeedSql } from "./seed";
import { statusApp } from "./app";

const now = Date.now();
const bindings = { ...env, ...statusSecrets } as unknown as Env;
const ADMIN = bindings.VIGIL_ADMIN_TOKEN!;

/** The seeded world, plus a database agent whose check is named after its target, down with the engine's own title. */
const DB_CHECK = "agent:app-01:postgres:10.0.0.5:5432";
const REASONS = {
  api: "expected status 2xx, got 503: body <html>upstream db-primary.internal:6432 timed out",
  db: "connection refused by 10.0.0.5:5432",
  header: "header x-served-by == 'edge' failed: got 'origin-7f3a.internal'",
};
const SECRETS_OF_THE_HOUSE = [
  "10.0.0.5",
  "5432",
  "db-primary.internal",
  "origin-7f3a",
  "upstream",
  "connection refused",
  "expected status",
];

function config(options: { private?: boolean; publicDetails?: string[] } = {}): VigilConfig {
  const c = statusConfig(now, options) as VigilConfigInput & { services: { id: string; publicDetails?: boolean }[] };
  for (const s of c.services) if (options.publicDetails?.includes(s.id)) s.publicDetails = true;
  return parseConfig(c, statusSecrets);
}

const appFor = statusApp;
const publicApp = appFor(config());
const openDbApp = appFor(config({ publicDetails: ["db"] }));
const privateApp = appFor(config({ private: true }));
const get = (app: Hono<any>, path: string, headers: Record<string, string> = {}) =>
  app.request(path, { headers }, bindings, createExecutionContext());
const text = async (app: Hono<any>, path: string, headers: Record<string, string> = {}) => {
  const res = await get(app, path, headers);
  expect(res.status, path).toBe(200);
  return res.text();
};
const operator = { authorization: `Bearer ${ADMIN}` };

beforeAll(async () => {
  const openAt = now - 20 * 60_000;
  const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
  for (const sql of [
    ...statusSeedSql(now),
    `UPDATE check_state SET reason = ${q(REASONS.api)} WHERE check_id = 'api-health'`,
    `UPDATE check_state SET status = 'degraded', reason = ${q(REASONS.header)} WHERE check_id = 'web-home'`,
    `UPDATE incident_members SET reason = ${q(REASONS.api)} WHERE check_id = 'api-health' AND reason IS NOT NULL`,
    `UPDATE incident_events SET detail = json_set(detail, '$.reason', ${q(REASONS.api)}) WHERE type = 'incident.opened'`,
    `INSERT OR REPLACE INTO check_state (check_id, status, since, consecutive_failures, consecutive_successes, reason, updated_at, stale_since) VALUES
      (${q(DB_CHECK)}, 'down', ${openAt}, 3, 0, ${q(REASONS.db)}, ${now - 10_000}, NULL)`,
    `INSERT OR REPLACE INTO incidents (id, service_id, status, title, level, opened_at, resolved_at) VALUES
      ('inc_db', 'db', 'open', ${q(`Database: ${DB_CHECK} down — ${REASONS.db}`)}, 1, ${openAt}, NULL)`,
    `INSERT OR REPLACE INTO incident_members (incident_id, check_id, status, reason, since) VALUES ('inc_db', ${q(DB_CHECK)}, 'down', ${q(REASONS.db)}, ${openAt})`,
    `DELETE FROM incident_events WHERE incident_id = 'inc_db'`,
    `INSERT INTO incident_events (incident_id, at, type, detail) VALUES ('inc_db', ${openAt}, 'incident.opened', ${q(JSON.stringify({ check: DB_CHECK, reason: REASONS.db }))})`,
  ]) {
    await env.DB.prepare(sql).run();
  }
});

describe("who sees what (pure)", () => {
  it("operators see every service's details; the public only an opted-in service's", () => {
    expect(showsDetails("operator", { publicDetails: false })).toBe(true);
    expect(showsDetails("public", { publicDetails: false })).toBe(false);
    expect(showsDetails("public", { publicDetails: true })).toBe(true);
    expect(showsDetails("public", undefined)).toBe(false);
  });

  it.each([
    ["docker:postgres", ["docker:postgres"], "agent:a1:docker:postgres", "docker:postgres on a1"],
    ["host:local", ["host:local"], "agent:a1:host:local", "host:local on a1"],
    ["postgres:10.0.0.5:5432", ["postgres:10.0.0.5:5432"], "agent:a1:postgres", "PostgreSQL on a1"],
    ["redis:cache.internal:6379", ["redis:cache.internal:6379", "redis:sessions.internal:6379"], "agent:a1:redis-1", "Redis 1 on a1"],
    ["redis:sessions.internal:6379", ["redis:cache.internal:6379", "redis:sessions.internal:6379"], "agent:a1:redis-2", "Redis 2 on a1"],
    ["logs:/var/log/app/error.log", ["logs:/var/log/app/error.log"], "agent:a1:logs", "Log errors on a1"],
    ["http:127.0.0.1:8080/health", ["http:127.0.0.1:8080/health"], "agent:a1:http", "HTTP endpoint on a1"],
    ["docker:label=com.example.role=db", ["docker:label=com.example.role=db"], "agent:a1:docker", "Container on a1"],
  ])("agent check %s shows as %s / %s", (check, siblings, id, name) => {
    expect(publicAgentCheck("a1", check, siblings)).toEqual({ id, name });
  });

  it("an incident title loses the check id and the reason", () => {
    const checks = [{ id: DB_CHECK, name: "PostgreSQL on app-01" }];
    expect(publicIncidentTitle(`Database: ${DB_CHECK} down — ${REASONS.db}`, "Database", checks)).toBe(
      "Database: PostgreSQL on app-01 down",
    );
    expect(publicIncidentTitle("Public API is down", "Public API", checks)).toBe("Public API is down");
    expect(publicIncidentTitle("Something — with 10.0.0.5", "X", checks)).toBe("Something");
  });
});

describe("the public sees names, states, times and uptime", () => {
  it("on the status page", async () => {
    const html = await text(publicApp, "/");
    for (const secret of SECRETS_OF_THE_HOUSE) expect(html, secret).not.toContain(secret);
    for (const shown of [
      "Public API",
      "Database",
      "api-health",
      "PostgreSQL on app-01",
      "docker:postgres on app-01",
      "Database: PostgreSQL on app-01 down",
      "Major outage",
      "% uptime",
    ]) {
      expect(html, shown).toContain(shown);
    }
    expect(html).toContain('<a href="check/agent%3Aapp-01%3Apostgres">PostgreSQL on app-01</a>');
  });

  it("on a check's page, by its public id; the internal id is not found", async () => {
    const html = await text(publicApp, `/check/${encodeURIComponent("agent:app-01:postgres")}`);
    for (const secret of SECRETS_OF_THE_HOUSE) expect(html, secret).not.toContain(secret);
    expect(html).toContain("PostgreSQL on app-01");
    expect((await get(publicApp, `/check/${encodeURIComponent(DB_CHECK)}`)).status).toBe(404);
    const api = await text(publicApp, "/check/api-health");
    for (const secret of SECRETS_OF_THE_HOUSE) expect(api, secret).not.toContain(secret);
    expect(api).toContain("Uptime, 90 days");
  });

  it("in status.json", async () => {
    const body = await text(publicApp, "/status.json");
    for (const secret of SECRETS_OF_THE_HOUSE) expect(body, secret).not.toContain(secret);
    const json = JSON.parse(body);
    const db = json.services.find((s: { id: string }) => s.id === "db");
    expect(
      db.components.map((c: { id: string; name: string; status: string; reason: null }) => [c.id, c.name, c.status, c.reason]),
    ).toContainEqual(["agent:app-01:postgres", "PostgreSQL on app-01", "down", null]);
    const incident = json.incidents.open.find((i: { id: string }) => i.id === "inc_db");
    expect(incident).toMatchObject({
      title: "Database: PostgreSQL on app-01 down",
      affected: [{ id: "agent:app-01:postgres", name: "PostgreSQL on app-01", status: "down", reason: null }],
    });
    expect(incident.timeline.map((e: { text: string }) => e.text)).toEqual(["Investigating — PostgreSQL on app-01 is failing"]);
    expect(json.services[0].components[0]).toMatchObject({ id: "api-health", status: "down", reason: null });
    expect(json.services[0].components[0].uptime["90d"]).toBeGreaterThan(90);
  });

  it("in the feed", async () => {
    const xml = await text(publicApp, "/feed.atom");
    for (const secret of SECRETS_OF_THE_HOUSE) expect(xml, secret).not.toContain(secret);
    expect(xml).toContain("<title>[Ongoing] Database: PostgreSQL on app-01 down</title>");
    expect(xml).toContain("Investigating — api-health is failing&lt;/li&gt;");
  });

  it("in badges, by public id", async () => {
    const svg = await text(publicApp, `/badge/${encodeURIComponent("agent:app-01:postgres")}`);
    expect(svg).toContain('aria-label="PostgreSQL on app-01: down"');
    for (const secret of SECRETS_OF_THE_HOUSE) expect(svg, secret).not.toContain(secret);
    expect((await get(publicApp, `/badge/${encodeURIComponent(DB_CHECK)}`)).status).toBe(404);
  });
});

describe("an operator sees the details", () => {
  it("with the admin token as a Bearer header, never cached", async () => {
    const res = await get(publicApp, "/status.json", operator);
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    const json = await res.json<any>();
    const db = json.services.find((s: { id: string }) => s.id === "db");
    expect(db.components).toContainEqual(
      expect.objectContaining({ id: DB_CHECK, name: "postgres:10.0.0.5:5432 on app-01", reason: REASONS.db }),
    );
    expect(json.incidents.open.find((i: { id: string }) => i.id === "inc_db").title).toBe(`Database: ${DB_CHECK} down — ${REASONS.db}`);
    const page = await get(publicApp, "/", operator);
    expect(page.headers.get("cache-control")).toBe("private, no-store");
    const html = await page.text();
    for (const reason of Object.values(REASONS))
      expect(html).toContain(reason.replace(/'/g, "&#39;").replace(/</g, "&lt;").replace(/>/g, "&gt;"));
    expect(await text(publicApp, "/feed.atom", operator)).toContain("Investigating — api-health is failing: expected status 2xx, got 503");
  });

  it("signed in on a public page with ?token=<admin token>: a cookie, then details in the browser", async () => {
    const signIn = await get(publicApp, `/?token=${ADMIN}`);
    expect(signIn.status).toBe(303);
    expect(signIn.headers.get("location")).toBe("/");
    const cookie = signIn.headers.get("set-cookie")!.split(";")[0]!;
    expect(cookie).not.toContain(ADMIN);
    const html = await text(publicApp, "/", { cookie });
    expect(html).toContain(REASONS.db);
    expect(await text(publicApp, `/check/${encodeURIComponent(DB_CHECK)}`, { cookie })).toContain(REASONS.db);
  });

  it("a wrong token on a public page is the public, not an error", async () => {
    const html = await text(publicApp, "/?token=nope");
    expect(html).not.toContain(REASONS.db);
    expect(await text(publicApp, "/status.json", { authorization: "Bearer nope" })).not.toContain("10.0.0.5");
    expect(await text(publicApp, "/", { cookie: "vigil_status=00" })).not.toContain("10.0.0.5");
  });

  it("on a private page, whoever has its token (or the admin token)", async () => {
    expect(await text(privateApp, "/status.json", { authorization: `Bearer ${STATUS_TOKEN}` })).toContain(REASONS.db);
    expect(await text(privateApp, "/status.json", operator)).toContain(REASONS.db);
    expect((await get(privateApp, "/status.json", { authorization: "Bearer nope" })).status).toBe(401);
  });
});

describe("a service that opts in publishes its details", () => {
  it("publicDetails: true shows that service's reasons and targets to everyone, and no other's", async () => {
    const json = await (await get(openDbApp, "/status.json")).json<any>();
    const db = json.services.find((s: { id: string }) => s.id === "db");
    expect(db.components).toContainEqual(expect.objectContaining({ id: DB_CHECK, reason: REASONS.db }));
    expect(json.services[0].components[0].reason).toBeNull();
    const html = await text(openDbApp, "/");
    expect(html).toContain(REASONS.db);
    expect(html).not.toContain("db-primary.internal");
  });
});

describe("the banner", () => {
  it("never says 'All systems operational' while a shown check has no data", async () => {
    const cfg = parseConfig(
      {
        services: [
          { id: "site", name: "Site", policy: "p" },
          { id: "fresh", name: "Fresh service", policy: "p" },
        ],
        monitors: [
          { id: "web-home", type: "http", service: "site", url: "http://127.0.0.1:9/" },
          { id: "brand-new-check", type: "http", service: "fresh", url: "http://127.0.0.1:9/" },
        ],
        channels: [{ id: "c", type: "webhook", url: "http://127.0.0.1:9/hook", secret: { env: "HOOK_SECRET" } }],
        policies: [{ id: "p", levels: [{ channels: ["c"] }] }],
      },
      statusSecrets,
    );
    await env.DB.prepare("UPDATE check_state SET status = 'up', reason = NULL WHERE check_id = 'web-home'").run();
    const json = await (await get(appFor(cfg), "/status.json")).json<any>();
    expect(json.services.map((s: { id: string; status: string }) => [s.id, s.status])).toEqual([
      ["site", "up"],
      ["fresh", "unknown"],
    ]);
    expect(json.status).toEqual({ indicator: "unknown", description: "Waiting for data from some checks" });
    expect(await text(appFor(cfg), "/")).not.toContain("All systems operational");
  });
});
