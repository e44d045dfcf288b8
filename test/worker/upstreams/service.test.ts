/**
 * An upstream status page as an inhibition source, end to end inside workerd: a loopback
 * server serves Statuspage documents whose incident is switched on and off, the cron's poller
 * reads it (time injected), and the real ServiceObjects of the services that depend on it hold
 * or cap their pages, saying "upstream incident: <title>", until it clears.
 * Services (test/worker/vigil.config.ts): `ups-app` (policy `ups`, upstreamLevel 0) and
 * `ups-app1` (policy `ups-l1`, upstreamLevel 1), both with levels L1 → L2 after 1 s.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { parseConfig, type VigilConfig } from "../../../src/config";
import { loadConfig } from "../../../src/config/load";
import type { EscalationInput } from "../../../src/engine/escalation";
import type { Env } from "../../../src/env";
import { pollUpstreams } from "../../../src/upstreams/poll";
import { configureSink, sinkRecords, spawn } from "../fixtures";
import { admin, runAlarm, useTestClock } from "../ingest/helpers";

const MIN = 60_000;
let upstreamUrl = "";
const control = (path: string, body: unknown) => fetch(`${upstreamUrl}/_control${path}`, { method: "POST", body: JSON.stringify(body) });
const incidentOn = (name: string) => control("/incidents", { incidents: [{ name, impact: "major" }] });
const incidentOff = () => control("/incidents", { incidents: [] });

/** The test config with the upstream `cloud` pointing at the loopback status page. */
function config(): VigilConfig {
  const base = loadConfig(env as unknown as Env) as VigilConfig;
  const cloud = parseConfig({ upstreams: [{ id: "cloud", name: "Upstream Cloud", url: upstreamUrl }] }).upstreams[0]!;
  return { ...base, upstreams: [cloud] };
}
/** A cron tick's upstream step at the test clock's now. */
const poll = () => pollUpstreams(env as unknown as Env, config(), Date.now(), { force: true });

const stub = (service: string) => env.SERVICE.getByName(service);
const apply = (service: string, input: EscalationInput) => stub(service).apply(service, input);
const down = (service: string) =>
  apply(service, {
    type: "check",
    checkId: `${service}-health`,
    kind: "http",
    status: "down",
    reason: "expected status 2xx, got 502",
    at: Date.now(),
  });

async function timeline(service: string): Promise<{ type: string; detail: Record<string, unknown> }[]> {
  const { results } = await env.DB.prepare(
    "SELECT e.type, e.detail FROM incident_events e JOIN incidents i ON i.id = e.incident_id WHERE i.service_id = ? ORDER BY e.id",
  )
    .bind(service)
    .all<{ type: string; detail: string }>();
  return results.map((r) => ({ type: r.type, detail: JSON.parse(r.detail) }));
}
/** What the service queued for delivery, as `event@channel`. */
const queued = async (service: string) =>
  (await timeline(service)).filter((e) => e.type === "notification.queued").map((e) => `${e.detail.event}@${e.detail.channel}`);

async function delivered(sink: string, service: string, count: number): Promise<any[]> {
  const deadline = performance.now() + 10_000;
  for (;;) {
    const bodies = (await sinkRecords(sink)).map((r) => JSON.parse(r.body)).filter((b) => b.data?.incident?.service?.id === service);
    if (bodies.length >= count) return bodies;
    if (performance.now() > deadline) throw new Error(`${sink}: ${bodies.length} of ${count} deliveries for ${service}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("an upstream status page holding pages (test clock)", () => {
  beforeAll(async () => {
    upstreamUrl = ((await spawn("statuspage-document", { pageName: "Upstream Cloud" })) as unknown as { url: string }).url;
    for (const sink of ["ups-l1", "ups-l2"]) await configureSink(sink, { status: 200, secret: env.TEST_WEBHOOK_SECRET });
  });
  beforeEach(() => useTestClock());
  afterEach(() => void vi.useRealTimers());

  it("default (upstreamLevel 0): no page while the provider reports an incident, a timeline entry; pages once it clears", async () => {
    await incidentOn("Elevated API error rates");
    expect((await poll()).changed).toEqual(["cloud"]);
    await down("ups-app");
    const text = "upstream incident: Elevated API error rates (Upstream Cloud)";
    expect((await timeline("ups-app")).map((e) => e.type)).toEqual(["incident.opened", "upstream.incident", "pages.held"]);
    expect((await timeline("ups-app"))[2]!.detail).toEqual({ reason: "upstream incident", detail: text });
    expect(await queued("ups-app")).toEqual([]);
    const listed = (await (await admin("/upstreams")).json<{ upstreams: any[] }>()).upstreams;
    expect(listed).toEqual([
      expect.objectContaining({
        id: "cloud",
        name: "Upstream Cloud",
        state: "incident",
        indicator: "major",
        title: "Elevated API error rates",
        services: ["ups-app", "ups-app1", "ups-unk"],
      }),
    ]);
    // The service keeps looking while held; its alarm changes nothing while the incident lasts.
    await runAlarm(stub("ups-app"));
    expect(await queued("ups-app")).toEqual([]);

    await incidentOff();
    vi.setSystemTime(Date.now() + 2 * MIN);
    const summary = await poll();
    expect(summary).toMatchObject({ changed: ["cloud"], ticked: ["ups-app", "ups-app1", "ups-unk"] });
    // (then notification.sent, once delivered)
    expect((await timeline("ups-app")).map((e) => e.type).slice(3, 7)).toEqual([
      "upstream.cleared",
      "pages.released",
      "incident.paged",
      "notification.queued",
    ]);
    expect(await queued("ups-app")).toEqual(["incident.opened@ups-l1"]);
    const [page] = await delivered("ups-l1", "ups-app", 1);
    expect(page.data.incident.facts?.upstream).toBeUndefined();
  });

  it("upstreamLevel 1: level 1 is paged and told why; level 2 waits until the provider clears", async () => {
    await incidentOn("Database maintenance overran");
    await poll();
    await down("ups-app1");
    const text = "upstream incident: Database maintenance overran (Upstream Cloud)";
    expect(await queued("ups-app1")).toEqual(["incident.opened@ups-l1"]);
    const [page] = await delivered("ups-l1", "ups-app1", 1);
    expect(page.data.incident.facts).toMatchObject({ upstream: text });
    // Level 2 is due after 1 s; its alarm comes and goes without paging it.
    vi.setSystemTime(Date.now() + 5_000);
    await runAlarm(stub("ups-app1"));
    expect(await queued("ups-app1")).toEqual(["incident.opened@ups-l1"]);

    await incidentOff();
    vi.setSystemTime(Date.now() + 2 * MIN);
    await poll();
    expect(await queued("ups-app1")).toEqual(["incident.opened@ups-l1", "incident.escalated@ups-l2"]);
    const [l2] = await delivered("ups-l2", "ups-app1", 1);
    expect(l2.data.incident.facts?.upstream).toBeUndefined();
  });

  it("an unreadable status page is 'upstream unknown' and holds nothing", async () => {
    await incidentOn("Real incident");
    await poll();
    await control("/raw", { status: 200, body: "<html>Oops</html>", contentType: "text/html" });
    vi.setSystemTime(Date.now() + 2 * MIN);
    await poll();
    const row = await env.DB.prepare("SELECT state, detail FROM upstream_status WHERE upstream_id = 'cloud'").first();
    expect(row).toEqual({ state: "unknown", detail: 'upstream unknown: status.json: not JSON (starts with "<html>Oops</html>")' });
    await down("ups-unk");
    expect((await timeline("ups-unk")).map((e) => e.type).slice(0, 3)).toEqual([
      "incident.opened",
      "incident.paged",
      "notification.queued",
    ]);
    await control("/raw", null);
  });
});
