import { env } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import type { Hono } from "hono";
import { beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config";
import type { Env } from "../../../src/env";
import worker from "../../../src/index";
import { statusCookie } from "../../../src/routes/status/access";
import { METRICS_TOKEN, STATUS_TOKEN, statusConfig, statusSecrets, statusSeedSql } from "./seed";
import { statusApp } from "./app";

const now = Date.now();
const bindings = { ...env, ...statusSecrets } as unknown as Env;

const appFor = statusApp;
const publicApp = appFor(parseConfig(statusConfig(now), statusSecrets));
const privateApp = appFor(parseConfig(statusConfig(now, { private: true }), statusSecrets));
const get = (app: Hono<any>, path: string, headers: Record<string, string> = {}) =>
  app.request(path, { headers }, bindings, createExecutionContext());
/** The admin token: an operator, who sees the probe reasons the public does not (audience.test.ts). */
const operator = { authorization: `Bearer ${bindings.VIGIL_ADMIN_TOKEN}` };

beforeAll(async () => {
  for (const sql of statusSeedSql(now)) await env.DB.prepare(sql).run();
});

describe("GET / (status page)", () => {
  it("renders the banner, services, the outage, incidents with public timelines and maintenance", async () => {
    const res = await get(publicApp, "/", operator);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await res.text();
    expect(html.startsWith('<!DOCTYPE html><html lang="en">')).toBe(true);
    expect(html).toContain("Partial outage");
    for (const text of [
      "Public API",
      "Website",
      "Database",
      "api-health",
      "Outage",
      "HTTP 503 Service Unavailable",
      "Public API is down",
      "Public API answered slowly",
    ]) {
      expect(html).toContain(text);
    }
    expect(html).toContain("Identified — Database connection pool exhausted");
    expect(html).toContain("In progress: Website migration to the new CDN");
    expect(html).toContain("Scheduled: PostgreSQL 17 upgrade");
    expect(html).toContain("docker:postgres on app-01");
    // Internal events and channel names never reach the public page.
    expect(html).not.toContain("notification");
    expect(html).not.toContain("ops-hook");
    // Landmarks, labelled bars, and a link from each check to its own page.
    for (const tag of [
      "<header",
      '<main id="main"',
      "<footer",
      'class="skip" href="#main"',
      'role="img"><title>api-health: ',
      '<a href="check/api-health">api-health</a>',
    ]) {
      expect(html).toContain(tag);
    }
    expect(html).toContain('<a href="check/agent%3Aapp-01%3Adocker%3Apostgres">docker:postgres on app-01</a>');
    // The main page draws no per-check charts: those are on each check's page.
    expect(html).not.toContain("<polyline");
  });

  it("loads nothing from elsewhere and allows only its own script", async () => {
    const res = await get(publicApp, "/status");
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toMatch(/^default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-[A-Za-z0-9+/=]+'; img-src data:;/);
    const html = await res.text();
    expect(html).not.toMatch(/\s(src|href)="(https?:)?\/\//);
    expect(html.match(/<script/g)).toHaveLength(1);
  });

  it("marks the bad day and today's failures in the uptime bar", async () => {
    const html = await (await get(publicApp, "/")).text();
    const title = /<svg class="bar"[^>]*><title>api-health: ([^<]+)<\/title>/.exec(html)![1]!;
    expect(title).toMatch(/^\d+\.\d+% uptime over 90 days\. Failures: \d+ \w+, \d+ \w+\.( Degraded: .*\.)?$/);
    // The outage five days ago (90 of 1440 failed: over 5 %) is red; today's is red or orange
    // depending on how much of the day has passed. Web-home never failed.
    const apiRow = html.slice(html.indexOf('id="check-api-health"'), html.indexOf('id="check-web-home"'));
    const segments = (row: string, level: string) =>
      (new RegExp(`<path class="${level}" d="([^"]+)"/>`).exec(row)?.[1] ?? "").split(/[Mm]/).filter(Boolean).length;
    expect(segments(apiRow, "d")).toBeGreaterThanOrEqual(1);
    expect(segments(apiRow, "d") + segments(apiRow, "p")).toBeGreaterThanOrEqual(2);
    // Every segment starts on a day boundary and covers whole days (4 units each).
    const d = /<path class="u" d="([^"]+)"\/>/.exec(apiRow)![1]!;
    for (const [, x, w] of d.matchAll(/[Mm](-?\d+) [\d.]+h(\d+)/g)) {
      expect(Number(x) % 4).toBe(0);
      expect(Number(w) % 4).toBe(0);
    }
    const webRow = html.slice(html.indexOf('id="check-web-home"'));
    expect(webRow.slice(0, webRow.indexOf("</li>"))).not.toMatch(/class="[dp]"/);
    expect(webRow.slice(0, webRow.indexOf("</li>"))).toMatch(
      /<title>web-home: 100% uptime over 90 days(, no problems|\. Degraded: [^<]+)\.<\/title>/,
    );
  });
});

describe("GET /check/:id", () => {
  it("shows one check: status, uptime periods, the bar with a hover text per problem day, the chart and its incidents", async () => {
    const res = await get(publicApp, "/check/api-health", operator);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("content-security-policy")).toMatch(/^default-src 'none';/);
    const html = await res.text();
    expect(html).toContain('<h1 id="check-h">api-health</h1>');
    expect(html).toContain("HTTP 503 Service Unavailable (expected 2xx)");
    for (const period of ["Uptime, 24 hours", "Uptime, 7 days", "Uptime, 30 days", "Uptime, 90 days"]) expect(html).toContain(period);
    expect(html).toMatch(
      /<path class="d" d="M\d+ 1h4"><title>\d+ \w+ \d{4}: \d+(\.\d+)?% uptime, 90 of \d+ checks failed<\/title><\/path>/,
    );
    expect(html).toMatch(/<summary>\d+ days? with problems<\/summary>/);
    expect(html).toContain('aria-label="Response time of api-health over the last 24 hours: average ');
    expect(html).toMatch(/<polyline class="lat-avg" points="[\d, ]+"\/>/);
    expect(html).toContain("Public API is down");
    expect(html).toContain("Public API answered slowly");
    // Links lead back to the root from /check/…
    expect(html).toContain('<a href="../">Example Status</a>');
    expect(html).toContain('href="../status.json"');
    expect(html.match(/<script/g)).toHaveLength(1);
  });

  it("shows checks without latency (agent checks) and answers 404 for unknown ones", async () => {
    const agent = await get(publicApp, `/check/${encodeURIComponent("agent:app-01:docker:postgres")}`, operator);
    expect(agent.status).toBe(200);
    const html = await agent.text();
    expect(html).toContain("docker:postgres on app-01");
    expect(html).toContain("container restarted 3 times in 10 min");
    expect(html).not.toContain("<polyline");
    const web = await (await get(publicApp, "/check/web-home")).text();
    expect(web).toContain("In progress: Website migration to the new CDN");
    const missing = await get(publicApp, "/check/nope");
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain("No such check");
  });

  it("shows the phases measured for an http check: first byte and the whole response, on a warm connection", async () => {
    // Hours rolled up with first-byte times (http probes since migration 0010); the seed has none.
    await env.DB.prepare("UPDATE rollups_hourly SET first_byte_avg = 40 WHERE check_id = 'api-health' AND hour >= ?")
      .bind(now - 30 * 3_600_000)
      .run();
    const html = await (await get(publicApp, "/check/api-health")).text();
    expect(html).toContain("<dt>First byte, 24 hours</dt><dd>avg 40 ms</dd>");
    expect(html).toContain("first byte, avg 40 ms");
    expect(html).toMatch(/reuses a warm connection when there is one/);
    const web = await (await get(publicApp, "/check/web-home")).text();
    expect(web).not.toContain("First byte");
  });
});

describe("GET /status.json", () => {
  it("answers the same facts as data", async () => {
    const anonymous = await get(publicApp, "/status.json");
    expect(anonymous.headers.get("access-control-allow-origin")).toBe("*");
    expect(anonymous.headers.get("cache-control")).toBe("no-cache");
    const res = await get(publicApp, "/status.json", operator);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    const body = await res.json<any>();
    expect(body.status).toEqual({ indicator: "partial", description: "Partial outage" });
    expect(body.page).toMatchObject({ title: "Example Status", timeZone: "Asia/Seoul" });
    expect(body.services.map((s: any) => [s.id, s.status])).toEqual([
      ["api", "down"],
      ["web", "maintenance"],
      ["db", "degraded"],
    ]);
    const api = body.services[0].components[0];
    expect(api).toMatchObject({
      id: "api-health",
      kind: "monitor",
      status: "down",
      reason: "HTTP 503 Service Unavailable (expected 2xx)",
      stale: false,
    });
    expect(api.uptime["90d"]).toBeGreaterThan(98);
    expect(api.uptime["90d"]).toBeLessThan(100);
    expect(api.latency.avgMs).toBeGreaterThan(0);
    expect(api.days).toBeUndefined();
    expect(body.incidents.open.map((i: any) => i.id)).toEqual(["inc_open"]);
    expect(body.incidents.open[0].timeline.map((e: any) => e.type)).toEqual(["incident.acknowledged", "incident.opened"]);
    expect(body.incidents.recent.map((i: any) => i.id)).toEqual(["inc_old"]);
    expect(body.maintenance.map((m: any) => [m.id, m.active])).toEqual([
      ["web-deploy", true],
      ["db-upgrade", false],
    ]);
  });

  it("adds per-day history on request and refuses unknown parameters", async () => {
    const body = await (await get(publicApp, "/status.json?days=true")).json<any>();
    const days = body.services[0].components[0].days;
    expect(days).toHaveLength(90);
    expect(days[89].date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const bad = await get(publicApp, "/status.json?days=maybe&x=1");
    expect(bad.status).toBe(400);
    const err = await bad.json<any>();
    expect(err.error.code).toBe("invalid_query");
    expect(err.error.issues).toHaveLength(2);
    expect(err.error.issues.join("\n")).toContain("days:");
  });
});

describe("GET /badge/:id", () => {
  it("draws status, uptime and latency badges", async () => {
    const status = await get(publicApp, "/badge/api-health");
    expect(status.status).toBe(200);
    expect(status.headers.get("content-type")).toBe("image/svg+xml; charset=utf-8");
    const svg = await status.text();
    expect(svg).toContain('aria-label="api-health: down"');
    expect(svg).toContain('fill="#e05d44"');
    expect(await (await get(publicApp, "/badge/web-home.svg")).text()).toContain('aria-label="web-home: up"');
    expect(await (await get(publicApp, "/badge/web")).text()).toContain('aria-label="Website: maintenance"');
    expect(await (await get(publicApp, "/badge/api-health?type=uptime&period=7d")).text()).toMatch(/aria-label="uptime 7d: \d+(\.\d+)?%"/);
    expect(await (await get(publicApp, "/badge/api-health?type=latency&label=API&style=flat-square")).text()).toMatch(
      /aria-label="API: \d+ ms"/,
    );
  });

  it("answers bad requests with a badge that says why", async () => {
    const missing = await get(publicApp, "/badge/nope");
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain("not found");
    const bad = await get(publicApp, "/badge/api-health?type=colour");
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('aria-label="badge: invalid type"');
  });
});

describe("GET /feed.atom", () => {
  it("lists incidents as Atom entries with their public timeline", async () => {
    const res = await get(publicApp, "/feed.atom", operator);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/atom+xml; charset=utf-8");
    const xml = await res.text();
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="utf-8"\?>\n<feed xmlns="http:\/\/www.w3.org\/2005\/Atom">/);
    expect(xml.match(/<entry>/g)).toHaveLength(2);
    expect(xml).toContain("<title>[Ongoing] Public API is down</title>");
    expect(xml).toContain("<title>[Resolved] Public API answered slowly</title>");
    expect(xml).toContain("Investigating — api-health is failing: HTTP 503");
    expect(xml).not.toContain("ops-hook");
    expect((await get(publicApp, "/feed.atom?limit=0")).status).toBe(400);
  });
});

describe("GET /metrics", () => {
  it("needs its own token", async () => {
    expect((await get(publicApp, "/metrics")).status).toBe(401);
    expect((await get(publicApp, "/metrics", { authorization: `Bearer ${STATUS_TOKEN}` })).status).toBe(401);
    const res = await get(publicApp, "/metrics", { authorization: "Bearer x" });
    expect(await res.text()).not.toContain(METRICS_TOKEN);
  });

  it("exposes probe up, latency histograms, open incidents, agent last seen and notification failures", async () => {
    const res = await get(publicApp, "/metrics", { authorization: `Bearer ${METRICS_TOKEN}` });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = await res.text();
    const lines = text.split("\n");
    expect(lines).toContain('vigil_check_up{check="api-health",service="api",kind="monitor"} 0');
    expect(lines).toContain('vigil_check_up{check="web-home",service="web",kind="monitor"} 1');
    expect(lines).toContain('vigil_check_status{check="agent:app-01:docker:postgres",service="db",kind="agent-check",status="degraded"} 1');
    expect(lines).toContain('vigil_incidents_open{service="api"} 1');
    expect(lines).toContain('vigil_incidents_open{service="web"} 0');
    expect(lines).toContain(`vigil_agent_last_seen_timestamp_seconds{agent="app-01",service="db"} ${(now - 20_000) / 1000}`);
    expect(lines).toContain('vigil_notification_failures_total{channel="ops-hook"} 2');
    expect(lines).toContain('vigil_notification_attempts_total{channel="ops-hook",outcome="delivered"} 1');
    // Histogram in seconds: real cumulative bucket counts from the rollups, +Inf equals the count.
    const buckets = lines.filter((l) => l.startsWith('vigil_probe_latency_seconds_bucket{check="api-health"'));
    expect(buckets.map((l) => /le="([^"]+)"/.exec(l)![1])).toEqual(["0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"]);
    const counts = buckets.map((l) => Number(l.split(" ")[1]));
    for (let i = 1; i < counts.length; i++) expect(counts[i]).toBeGreaterThanOrEqual(counts[i - 1]!);
    const count = Number(lines.find((l) => l.startsWith('vigil_probe_latency_seconds_count{check="api-health"'))!.split(" ")[1]);
    expect(counts.at(-1)).toBe(count);
    // The seed's last 24 hours: 24 hourly rollups of 60 observations each.
    expect(count).toBe(24 * 60);
    expect(counts[0]).toBeLessThan(count);
    expect(lines.some((l) => l.startsWith("vigil_probe_latency_ms"))).toBe(false);
    // Every family has HELP and TYPE; every sample line parses.
    for (const l of lines.filter((l) => l && !l.startsWith("#"))) expect(l).toMatch(/^[a-z_0-9]+(\{([a-z_]+="[^"]*",?)*\})? -?[\d.e+-]+$/);
  });
});

describe("private status page", () => {
  it("/health says nothing but ok (no monitor or agent counts)", async () => {
    const res = await get(privateApp, "/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
    const open = await (await get(publicApp, "/health")).json<Record<string, unknown>>();
    expect(open).toMatchObject({ status: "ok", monitors: expect.any(Number), agents: expect.any(Number) });
  });

  it("10 wrong tokens from one client, then 429 with Retry-After for that client, the right token too", async () => {
    const ip = { "cf-connecting-ip": "203.0.113.5" };
    for (let i = 0; i < 10; i++)
      expect((await get(privateApp, "/status.json", { ...ip, authorization: `Bearer wrong-${i}` })).status).toBe(401);
    const blocked = await get(privateApp, "/status.json", { ...ip, authorization: `Bearer ${STATUS_TOKEN}` });
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get("retry-after")).toMatch(/^\d+$/);
    expect((await get(privateApp, `/?token=${STATUS_TOKEN}`, ip)).status).toBe(429);
    expect(
      (await get(privateApp, "/status.json", { "cf-connecting-ip": "203.0.113.6", authorization: `Bearer ${STATUS_TOKEN}` })).status,
    ).toBe(200);
    // A visitor who gives no credentials at all is not counted: the sign-in form.
    expect((await get(privateApp, "/", { "cf-connecting-ip": "203.0.113.7" })).status).toBe(401);
  });

  it("an access cookie expires on the server: its expiry is signed inside it", async () => {
    const signIn = await get(privateApp, `/?token=${STATUS_TOKEN}`);
    const value = /^vigil_status=([^;]+)/.exec(signIn.headers.get("set-cookie")!)![1]!;
    const exp = Number(value.split(".")[0]);
    expect(exp * 1000).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    expect(exp * 1000).toBeLessThan(Date.now() + 31 * 86_400_000);
    // Past its expiry, a correctly signed cookie no longer opens the page.
    const expired = await statusCookie(STATUS_TOKEN, Date.now() - 1000);
    const res = await get(privateApp, "/status.json", { cookie: `vigil_status=${expired}` });
    expect(res.status).toBe(401);
    // A cookie whose expiry was moved forward by hand does not match its signature.
    const moved = `${exp + 86_400 * 365}.${value.split(".")[1]}`;
    expect((await get(privateApp, "/status.json", { cookie: `vigil_status=${moved}` })).status).toBe(401);
    // The old, never-expiring form (a bare digest) is refused.
    expect((await get(privateApp, "/status.json", { cookie: `vigil_status=${"0".repeat(64)}` })).status).toBe(401);
    expect((await get(privateApp, "/status.json", { cookie: `vigil_status=${value}` })).status).toBe(200);
  });

  it("shows a sign-in form, then sets a cookie and redirects to the clean URL", async () => {
    const anon = await get(privateApp, "/");
    expect(anon.status).toBe(401);
    expect(await anon.text()).toContain("This status page is private");
    const wrong = await get(privateApp, "/?token=nope");
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain("That token is not valid.");

    const signIn = await get(privateApp, `/?token=${STATUS_TOKEN}`);
    expect(signIn.status).toBe(303);
    expect(signIn.headers.get("location")).toBe("/");
    const cookie = signIn.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^vigil_status=\d+\.[0-9a-f]{64}; Max-Age=2592000; Path=\/; HttpOnly; SameSite=Lax$/);
    expect(cookie).not.toContain(STATUS_TOKEN);

    const page = await get(privateApp, "/", { cookie: cookie.split(";")[0]! });
    expect(page.status).toBe(200);
    expect(page.headers.get("cache-control")).toBe("private, no-store");
    expect(await page.text()).toContain('<meta name="robots" content="noindex, nofollow"/>');
    expect((await get(privateApp, "/check/api-health")).status).toBe(401);
    const check = await get(privateApp, "/check/api-health", { cookie: cookie.split(";")[0]! });
    expect(check.status).toBe(200);
    expect(check.headers.get("cache-control")).toBe("private, no-store");
  });

  it("guards status.json, badges and the feed too", async () => {
    expect((await get(privateApp, "/status.json")).status).toBe(401);
    const ok = await get(privateApp, "/status.json", { authorization: `Bearer ${STATUS_TOKEN}` });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("cache-control")).toBe("private, no-store");
    expect(ok.headers.get("access-control-allow-origin")).toBeNull();
    const badge = await get(privateApp, "/badge/api-health");
    expect(badge.status).toBe(401);
    expect(badge.headers.get("content-type")).toContain("image/svg+xml");
    expect((await get(privateApp, `/badge/api-health?token=${STATUS_TOKEN}`)).status).toBe(200);
    expect((await get(privateApp, "/feed.atom")).status).toBe(401);
    expect((await get(privateApp, `/feed.atom?token=${STATUS_TOKEN}`)).status).toBe(200);
  });
});

describe("mounted in the worker", () => {
  it("serves the page and the OpenAPI document from the deployed app", async () => {
    const page = await worker.fetch(new Request("http://vigil.test/"), env, createExecutionContext());
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<main");
    const api = await worker.fetch(new Request("http://vigil.test/openapi.json"), env, createExecutionContext());
    expect(api.status).toBe(200);
    expect((await api.json<any>()).openapi).toBe("3.1.0");
  });
});
