/**
 * "Monitoring broken" and degraded pages (policy `monitoringBroken`, `degraded`) through the real
 * objects, D1, the notification queue and a loopback receiver (issue #21, points 1, 3 and 5):
 * - held by a silence and by a maintenance window the way incident pages are, and sent when the
 *   quiet ends if the check is still in the state;
 * - a page sent before the quiet gets its resolve during it, on the same channel;
 * - a check unknown since Vigil first saw it pages like one that became unknown later;
 * - a held page survives a restart (a fresh instance over the same storage sends it, another
 *   one sends its resolve).
 * Policy `res-states` (test/worker/vigil.config.ts): unknown 10 min or degraded 15 min pages
 * res-l2. Time: the test clock (silences end by it) or inputs dated into the window.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { MonitorState } from "../../../src/engine/evaluate";
import { recordObservation, type Observation } from "../../../src/incidents/record";
import { ServiceObject } from "../../../src/objects/service";
import { configureSink, waitFor } from "../fixtures";
import { ADMIN_TOKEN, adminPost, advanceClock, alarmOf, fetchWorker, runAlarm, useTestClock } from "../ingest/helpers";
import { config, MIN, received as pagesOf } from "./state-pages-kit";

/** What reached res-l1 / res-l2 for `service`: `event@sink` and the title, in arrival order. */
const received = async (service: string) => (await pagesOf(service)).map(({ at, title }) => ({ at, title }));

/** State pages written to the outbox for `service`. */
const queued = async (service: string) =>
  (await env.DB.prepare("SELECT key FROM outbox WHERE key LIKE ?").bind(`state-page:${service}:%`).all<{ key: string }>()).results.map(
    (r) => r.key,
  );

const sink = { DB: env.DB, SERVICE: env.SERVICE, NOTIFY: env.NOTIFY };
function checkOf(service: string) {
  const states = new Map<string, MonitorState>();
  const check = { id: `${service}-api`, service, kind: "http", failureThreshold: 1, recoveryThreshold: 1 };
  return { check, observe: (o: Observation, at = Date.now()) => recordObservation(sink, config, states, check, o, at) };
}
const stub = (service: string) => env.SERVICE.getByName(service);
const tick = (service: string, at = Date.now()) => stub(service).apply(service, { type: "tick", at });
const crashed: Observation = { status: "unknown", reason: "internal error in the http probe" };

beforeAll(async () => {
  for (const sink of ["res-l1", "res-l2"]) await configureSink(sink, { status: 200, secret: env.TEST_WEBHOOK_SECRET });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("state pages held by a silence", () => {
  it("a page due during the silence goes out when it ends, the check still unknown; its resolve goes out during the next silence", async () => {
    useTestClock();
    const { check, observe } = checkOf("sp-silence");
    const t0 = Date.now();
    await observe({ status: "up" }, t0 - MIN);
    await observe(crashed, t0);
    const silence = { service: "sp-silence", duration: "30m", comment: "moving the probe", by: "kim" };
    expect((await adminPost("/v1/silences", silence)).status).toBe(201);
    // Due at 10 min, held: nothing queued, and the object wakes when the silence ends.
    advanceClock(10 * MIN);
    await tick("sp-silence");
    expect(await queued("sp-silence")).toEqual([]);
    expect(await alarmOf(stub("sp-silence"))).toBe(t0 + 30 * MIN);
    advanceClock(10 * MIN);
    await tick("sp-silence");
    expect(await queued("sp-silence")).toEqual([]);
    // The silence is over and the check is still unknown: the page, then (what an on-call expects).
    expect(await runAlarm(stub("sp-silence"))).toBe(t0 + 30 * MIN);
    const [page] = await waitFor(
      "the page",
      () => received("sp-silence"),
      (r) => r.length === 1,
    );
    expect(page).toEqual({
      at: "incident.opened@res-l2",
      title: `[L1] monitoring broken: ${check.id} unknown for 30m (internal error in the http probe)`,
    });
    // Silenced again, the check measures: the page that went out gets its resolve anyway.
    expect((await adminPost("/v1/silences", { ...silence, duration: "1h" })).status).toBe(201);
    advanceClock(MIN);
    await observe({ status: "up" });
    const pages = await waitFor(
      "the resolve",
      () => received("sp-silence"),
      (r) => r.length === 2,
    );
    expect(pages[1]).toEqual({ at: "incident.resolved@res-l2", title: `[RESOLVED] ${page!.title.slice(5)} — ${check.id} is up` });
  });

  it("a silence of the check only (glob) holds it too; ending the silence early sends the page at once", async () => {
    useTestClock();
    const { check, observe } = checkOf("sp-silence2");
    const t0 = Date.now();
    await observe({ status: "up" }, t0 - MIN);
    await observe({ status: "degraded", reason: "1300 ms, over degradedMs 1000" }, t0);
    const silence = { service: "sp-silence2", check: `${check.id}*`, duration: "2h", comment: "slow on purpose", by: "kim" };
    const res = await adminPost("/v1/silences", silence);
    expect(res.status).toBe(201);
    const { silence: created } = await res.json<{ silence: { id: string } }>();
    advanceClock(20 * MIN);
    await tick("sp-silence2");
    expect(await queued("sp-silence2")).toEqual([]);
    expect(await alarmOf(stub("sp-silence2"))).toBe(t0 + 120 * MIN);
    // Ended by hand: the DELETE ticks the service, and the page goes out now, 20 min in.
    const end = await fetchWorker(
      new Request(`http://vigil.test/v1/silences/${created.id}`, { method: "DELETE", headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }),
    );
    expect(end.status).toBe(204);
    const [page] = await waitFor(
      "the page",
      () => received("sp-silence2"),
      (r) => r.length === 1,
    );
    expect(page).toEqual({ at: "incident.opened@res-l2", title: `[L1] ${check.id} degraded for 20m (1300 ms, over degradedMs 1000)` });
  });

  it("a silence of another check holds nothing", async () => {
    useTestClock();
    const { check, observe } = checkOf("sp-silence2");
    const other = { ...check, id: "sp-silence2-db" };
    const states = new Map<string, MonitorState>();
    const t0 = Date.now();
    await recordObservation(sink, config, states, other, { status: "up" }, t0 - MIN);
    await recordObservation(sink, config, states, other, crashed, t0);
    expect((await adminPost("/v1/silences", { check: "sp-silence2-api*", duration: "1h", comment: "api only", by: "kim" })).status).toBe(
      201,
    );
    advanceClock(10 * MIN);
    await tick("sp-silence2");
    await waitFor(
      "the page",
      async () => (await received("sp-silence2")).filter((p) => p.title.includes(other.id)),
      (r) => r.length === 1,
    );
    await observe({ status: "up" });
  });
});

describe("state pages held by a maintenance window", () => {
  it("degraded through the window: paged when it ends; one that recovered inside it pages nobody", async () => {
    const start = Date.parse("2099-02-01T00:00:00Z");
    const end = start + 60 * MIN;
    const a = checkOf("sp-maint");
    const states = new Map<string, MonitorState>();
    const b = { ...a.check, id: "sp-maint-db" };
    await a.observe({ status: "up" }, start - MIN);
    await a.observe({ status: "degraded", reason: "1300 ms, over degradedMs 1000" }, start + MIN);
    await recordObservation(sink, config, states, b, { status: "up" }, start);
    await recordObservation(sink, config, states, b, crashed, start + 2 * MIN);
    await tick("sp-maint", start + 30 * MIN);
    await recordObservation(sink, config, states, b, { status: "up" }, start + 40 * MIN);
    await tick("sp-maint", start + 59 * MIN);
    expect(await queued("sp-maint")).toEqual([]);
    expect(await alarmOf(stub("sp-maint"))).toBe(end);
    await tick("sp-maint", end);
    const [page] = await waitFor(
      "the page",
      () => received("sp-maint"),
      (r) => r.length === 1,
    );
    expect(page).toEqual({ at: "incident.opened@res-l2", title: `[L1] ${a.check.id} degraded for 59m (1300 ms, over degradedMs 1000)` });
    await a.observe({ status: "up" }, end + MIN);
    expect(
      (
        await waitFor(
          "the resolve",
          () => received("sp-maint"),
          (r) => r.length === 2,
        )
      ).map((p) => p.at),
    ).toEqual(["incident.opened@res-l2", "incident.resolved@res-l2"]);
  });

  it("a page sent before the window gets its resolve inside it, on the same channel", async () => {
    const start = Date.parse("2099-02-01T00:00:00Z");
    const web = { ...checkOf("sp-maint").check, id: "sp-maint-web" };
    const states = new Map<string, MonitorState>();
    const mine = async () => (await received("sp-maint")).filter((p) => p.title.includes(web.id));
    await recordObservation(sink, config, states, web, { status: "up" }, start - 31 * MIN);
    await recordObservation(sink, config, states, web, { status: "degraded", reason: "2100 ms, over degradedMs 1000" }, start - 30 * MIN);
    await tick("sp-maint", start - 15 * MIN);
    await waitFor("the page", mine, (r) => r.length === 1);
    // Inside the window (maintenance holds new pages): the latency is back, and the resolve goes out.
    await recordObservation(sink, config, states, web, { status: "up" }, start + 5 * MIN);
    const pages = await waitFor("the resolve", mine, (r) => r.length === 2);
    expect(pages).toEqual([
      { at: "incident.opened@res-l2", title: `[L1] ${web.id} degraded for 15m (2100 ms, over degradedMs 1000)` },
      { at: "incident.resolved@res-l2", title: `[RESOLVED] ${web.id} degraded for 15m (2100 ms, over degradedMs 1000) — ${web.id} is up` },
    ]);
  });
});

describe("a check unknown since Vigil first saw it", () => {
  it("pages 'monitoring broken' after the policy's `after`, like one that became unknown later, and resolves when measured", async () => {
    useTestClock();
    const { check, observe } = checkOf("sp-first");
    const t0 = Date.now();
    // Its very first observation could not measure: there is no change event, only a first state.
    await observe(crashed, t0);
    expect(await alarmOf(stub("sp-first"))).toBe(t0 + 10 * MIN);
    advanceClock(9 * MIN);
    await tick("sp-first");
    expect(await queued("sp-first")).toEqual([]);
    expect(await runAlarm(stub("sp-first"))).toBe(t0 + 10 * MIN);
    const [page] = await waitFor(
      "the page",
      () => received("sp-first"),
      (r) => r.length === 1,
    );
    expect(page).toEqual({
      at: "incident.opened@res-l2",
      title: `[L1] monitoring broken: ${check.id} unknown for 10m (internal error in the http probe)`,
    });
    advanceClock(MIN);
    await observe({ status: "up" });
    expect(
      (
        await waitFor(
          "the resolve",
          () => received("sp-first"),
          (r) => r.length === 2,
        )
      ).map((p) => p.at),
    ).toEqual(["incident.opened@res-l2", "incident.resolved@res-l2"]);
  });
});

/** Runs `task` on a new ServiceObject over the same storage: what a restart leaves. */
function freshInstance<T>(service: string, task: (fresh: ServiceObject) => Promise<T>): Promise<T> {
  return runInDurableObject(stub(service), (_old, state) =>
    task(new ServiceObject(state as unknown as ConstructorParameters<typeof ServiceObject>[0], env as never)),
  );
}

describe("across restarts", () => {
  it("a page held by a silence is sent by a fresh instance when the silence ends, and resolved by another", async () => {
    useTestClock();
    const { check, observe } = checkOf("sp-restart");
    const t0 = Date.now();
    await observe({ status: "up" }, t0 - MIN);
    await observe(crashed, t0);
    expect((await adminPost("/v1/silences", { service: "sp-restart", duration: "20m", comment: "probe move", by: "kim" })).status).toBe(
      201,
    );
    advanceClock(10 * MIN);
    await tick("sp-restart");
    expect(await queued("sp-restart")).toEqual([]);
    // Restarted while held: the new instance's alarm, at the silence's end, pages.
    vi.setSystemTime(t0 + 20 * MIN);
    await freshInstance("sp-restart", (fresh) => fresh.alarm());
    const [page] = await waitFor(
      "the page",
      () => received("sp-restart"),
      (r) => r.length === 1,
    );
    expect(page!.title).toBe(`[L1] monitoring broken: ${check.id} unknown for 20m (internal error in the http probe)`);
    // Restarted again: the check measures, and the resolve goes to the channel paged.
    advanceClock(MIN);
    await freshInstance("sp-restart", (fresh) =>
      fresh.observe("sp-restart", { type: "check", checkId: check.id, kind: "http", status: "up", reason: null, at: Date.now() }),
    );
    expect(
      (
        await waitFor(
          "the resolve",
          () => received("sp-restart"),
          (r) => r.length === 2,
        )
      ).map((p) => p.at),
    ).toEqual(["incident.opened@res-l2", "incident.resolved@res-l2"]);
  });
});
