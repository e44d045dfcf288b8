/**
 * Upstream status pages: the Statuspage document parser, and the poller against a loopback
 * server serving Statuspage documents whose incidents switch on and off (time injected).
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { parseConfig, type VigilConfig } from "../../../src/config";
import { loadConfig } from "../../../src/config/load";
import type { Env } from "../../../src/env";
import { loadUpstreamStatuses } from "../../../src/store/upstreams";
import { DocumentError, incidentTitle, parseIncidents, parseStatus } from "../../../src/upstreams/document";
import { pollUpstreams, readUpstream, UPSTREAM_BODY_LIMIT } from "../../../src/upstreams/poll";
import { runTick } from "../../../src/scheduler/tick";
import { spawn } from "../fixtures";

const MIN = 60_000;
const T0 = Date.UTC(2026, 11, 6, 10, 0, 0);

describe("Statuspage documents", () => {
  const status = (indicator: unknown, description = "Partial System Outage") =>
    JSON.stringify({ page: { name: "GitHub" }, status: { indicator, description } });

  it("reads the indicator, the description and the page name", () => {
    expect(parseStatus(status("major"))).toEqual({ pageName: "GitHub", indicator: "major", description: "Partial System Outage" });
    expect(parseStatus(JSON.stringify({ status: { indicator: "none" } }))).toEqual({ pageName: null, indicator: "none", description: "" });
  });

  it.each([
    {
      name: "not JSON",
      text: "<html>Service Unavailable</html>",
      error: 'status.json: not JSON (starts with "<html>Service Unavailable</html>")',
    },
    { name: "no status", text: JSON.stringify({ page: {} }), error: "status.json: status: expected an object" },
    {
      name: "indicator missing",
      text: JSON.stringify({ status: {} }),
      error: "status.json: status.indicator: expected a string, got undefined",
    },
    {
      name: "unknown indicator",
      text: status("purple"),
      error: 'status.json: status.indicator: expected one of none, minor, major, critical, maintenance, got "purple"',
    },
    { name: "an array", text: "[]", error: "status.json: expected an object" },
  ])("a bad status.json is an error naming the field: $name", ({ text, error }) => {
    expect(() => parseStatus(text)).toThrow(new DocumentError(error));
  });

  it("titles the page with the most severe unresolved incident, then the newest", () => {
    const s = parseStatus(status("major"));
    const incidents = parseIncidents(
      JSON.stringify({
        incidents: [
          { name: "Slow Actions", impact: "minor", status: "investigating", created_at: "2026-12-06T09:00:00Z" },
          { name: "Git operations failing", impact: "major", status: "identified", created_at: "2026-12-06T08:00:00Z" },
          { name: "Pages degraded", impact: "major", status: "monitoring", created_at: "2026-12-06T09:30:00Z" },
        ],
      }),
    );
    expect(incidentTitle(s, incidents)).toBe("Pages degraded (+2 more)");
    expect(incidentTitle(s, incidents.slice(0, 1))).toBe("Slow Actions");
    expect(incidentTitle(s, [])).toBe("Partial System Outage");
    expect(incidentTitle(s, null)).toBe("Partial System Outage");
  });

  it("keeps titles to one bounded line, and refuses an incident without a name", () => {
    const [one] = parseIncidents(JSON.stringify({ incidents: [{ name: `Outage\n\u0007 ${"x".repeat(300)}` }] }));
    expect(one!.name).toMatch(/^Outage x+…$/);
    expect(one!.name).toHaveLength(200);
    expect(() => parseIncidents(JSON.stringify({ incidents: [{ impact: "major" }] }))).toThrow(
      "incidents[0].name: expected a non-empty string",
    );
    expect(() => parseIncidents(JSON.stringify({ page: {} }))).toThrow("incidents: expected an object with an incidents array");
  });
});

interface Upstream {
  url: string;
  incidents(list: { name: string; impact?: string; status?: string }[], indicator?: string): Promise<void>;
  raw(
    answer: { path?: string; status?: number; body?: string; repeat?: number; contentType?: string; delayMs?: number } | null,
  ): Promise<void>;
  requests(): Promise<{ method: string; path: string }[]>;
}

async function upstream(): Promise<Upstream> {
  const { url } = (await spawn("statuspage-document", { pageName: "Upstream Cloud" })) as unknown as { url: string };
  const control = async (path: string, body?: unknown) => {
    const init = body === undefined ? { method: "GET" } : { method: "POST", body: JSON.stringify(body) };
    const res = await fetch(`${url}/_control${path}`, init);
    return (await res.json()) as { requests: { method: string; path: string }[] };
  };
  return {
    url,
    incidents: async (incidents, indicator) => void (await control("/incidents", { incidents, indicator })),
    raw: async (answer) => void (await control("/raw", answer)),
    requests: async () => (await control("")).requests,
  };
}

/**
 * The test config with one upstream, `polled`, reading `url` (its own id: test/worker/upstreams/service.test.ts
 * may run beside this file on the same D1 with `cloud`).
 */
function configWith(url: string, over: { timeout?: string; interval?: string } = {}): VigilConfig {
  const base = loadConfig(env as unknown as Env) as VigilConfig;
  const spec = parseConfig({ upstreams: [{ id: "polled", url, ...over }] }).upstreams[0]!;
  return { ...base, services: base.services.filter((s) => s.upstreams.length === 0), upstreams: [spec] };
}

const row = async () => (await loadUpstreamStatuses(env.DB, ["polled"])).get("polled");

describe("polling an upstream status page", () => {
  let up: Upstream;
  beforeEach(async () => {
    up = await upstream();
    await env.DB.prepare("DELETE FROM upstream_status WHERE upstream_id = 'polled'").run();
  });

  it("follows incidents on and off, reading the incident list only during one", async () => {
    const config = configWith(up.url);
    expect(await pollUpstreams(env as unknown as Env, config, T0)).toMatchObject({ read: ["polled"], changed: ["polled"] });
    expect(await row()).toEqual({
      upstreamId: "polled",
      state: "operational",
      indicator: "none",
      title: null,
      detail: null,
      pageName: "Upstream Cloud",
      since: T0,
      checkedAt: T0,
    });
    expect((await up.requests()).map((r) => r.path)).toEqual(["/api/v2/status.json"]);

    await up.incidents([{ name: "Elevated API error rates", impact: "major" }]);
    expect((await pollUpstreams(env as unknown as Env, config, T0 + 2 * MIN)).changed).toEqual(["polled"]);
    expect(await row()).toMatchObject({ state: "incident", indicator: "major", title: "Elevated API error rates", since: T0 + 2 * MIN });
    expect((await up.requests()).map((r) => r.path).slice(1)).toEqual(["/api/v2/status.json", "/api/v2/incidents/unresolved.json"]);

    // Same incident: nothing changed, `since` stays.
    expect((await pollUpstreams(env as unknown as Env, config, T0 + 4 * MIN)).changed).toEqual([]);
    expect(await row()).toMatchObject({ state: "incident", since: T0 + 2 * MIN, checkedAt: T0 + 4 * MIN });
    // A second incident changes the title.
    await up.incidents([
      { name: "Elevated API error rates", impact: "major" },
      { name: "Delayed webhooks", impact: "minor" },
    ]);
    expect((await pollUpstreams(env as unknown as Env, config, T0 + 6 * MIN)).changed).toEqual(["polled"]);
    expect(await row()).toMatchObject({ state: "incident", title: "Elevated API error rates (+1 more)", since: T0 + 2 * MIN });

    await up.incidents([]);
    expect((await pollUpstreams(env as unknown as Env, config, T0 + 8 * MIN)).changed).toEqual(["polled"]);
    expect(await row()).toMatchObject({ state: "operational", title: null, since: T0 + 8 * MIN });
  });

  it("reads on its own interval: due at the first tick at or after it", async () => {
    const config = configWith(up.url, { interval: "5m" });
    expect((await pollUpstreams(env as unknown as Env, config, T0)).read).toEqual(["polled"]);
    for (const minute of [1, 2, 3, 4])
      expect((await pollUpstreams(env as unknown as Env, config, T0 + minute * MIN)).read, `minute ${minute}`).toEqual([]);
    // Ticks arrive a little before or after the minute: 4 min 40 s counts as due.
    expect((await pollUpstreams(env as unknown as Env, config, T0 + 4 * MIN + 40_000)).read).toEqual(["polled"]);
    expect(await up.requests()).toHaveLength(2);
  });

  it("titles an incident with the page's description when the incident list cannot be read", async () => {
    await up.incidents([], "critical");
    expect(await readUpstream(configWith(up.url).upstreams[0]!)).toMatchObject({
      state: "incident",
      indicator: "critical",
      title: "Major System Outage",
    });
    await up.incidents([{ name: "Storage outage", impact: "critical" }]);
    await up.raw({ path: "/api/v2/incidents/unresolved.json", status: 500, body: "oops" });
    expect(await readUpstream(configWith(up.url).upstreams[0]!)).toMatchObject({
      state: "incident",
      indicator: "critical",
      title: "Major System Outage",
    });
  });

  it.each([
    {
      name: "an HTML error page",
      raw: { status: 200, body: "<!doctype html><title>Down</title>", contentType: "text/html" },
      detail: 'upstream unknown: status.json: not JSON (starts with "<!doctype html><title>Down</title>")',
    },
    { name: "an HTTP error", raw: { status: 503, body: "busy" }, detail: "upstream unknown: status.json: HTTP 503" },
    {
      name: "an unknown indicator",
      raw: { body: JSON.stringify({ status: { indicator: "on-fire" } }) },
      detail: 'upstream unknown: status.json: status.indicator: expected one of none, minor, major, critical, maintenance, got "on-fire"',
    },
    {
      name: "a document over the size cap",
      raw: { body: " ", repeat: UPSTREAM_BODY_LIMIT + 1 },
      detail: "upstream unknown: status.json: larger than 512 KiB",
    },
  ])("$name is 'upstream unknown', stored with the reason", async ({ raw, detail }) => {
    await up.incidents([{ name: "Real incident", impact: "major" }]);
    await pollUpstreams(env as unknown as Env, configWith(up.url), T0);
    await up.raw(raw);
    expect((await pollUpstreams(env as unknown as Env, configWith(up.url), T0 + 2 * MIN)).changed).toEqual(["polled"]);
    expect(await row()).toMatchObject({ state: "unknown", indicator: null, title: null, detail, since: T0 + 2 * MIN });
  });

  it("gives up on a page that does not answer within the timeout", async () => {
    await up.raw({ delayMs: 5_000, body: "{}" });
    const started = Date.now();
    const reading = await readUpstream(configWith(up.url, { timeout: "500ms" }).upstreams[0]!);
    expect(reading).toMatchObject({ state: "unknown", detail: "upstream unknown: status.json: no answer within 500 ms" });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("a refused connection is 'upstream unknown' too", async () => {
    const { port } = await spawn("closed-port");
    const reading = await readUpstream(configWith(`http://127.0.0.1:${port}`).upstreams[0]!);
    expect(reading.state).toBe("unknown");
    expect(reading.detail).toMatch(/^upstream unknown: status\.json: request failed \(.+\)$/);
  });

  it("the cron tick reads the pages that are due", async () => {
    await up.incidents([{ name: "Scheduled tick sees this", impact: "minor" }]);
    const minute = Math.floor(Date.now() / 60_000) * 60_000 - 180 * 60_000;
    const summary = await runTick(env as unknown as Env, { ...configWith(up.url), monitors: [] }, minute);
    expect(summary.duplicate).toBe(false);
    expect(await row()).toMatchObject({ state: "incident", title: "Scheduled tick sees this", checkedAt: minute });
  });

  it("takes a URL that names status.json as the page", async () => {
    await up.incidents([{ name: "Degraded", impact: "minor" }]);
    expect(await readUpstream(configWith(`${up.url}/api/v2/status.json`).upstreams[0]!)).toMatchObject({
      state: "incident",
      title: "Degraded",
    });
  });
});
