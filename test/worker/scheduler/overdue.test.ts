/**
 * A monitor whose planned runs stop executing turns unknown in its current state (issue #21,
 * point 1), end to end in workerd: a real batch probes a loopback server and writes the run's
 * time; the test clock then moves past `OVERDUE` (3 intervals + 2 min) with no run, and
 * - `/status.json`, the check page, `/v1/monitors` and `/metrics` read unknown at once, with
 *   "no run since <time> (N planned runs missed)";
 * - the cron's pass (`recordOverdue`, run by every tick) records an unknown observation once,
 *   so `check_state` says so and the policy's `monitoringBroken` pages res-l2 after its
 *   `after`; the next real run is up again and resolves the page on the same channel;
 * - a monitor that never ran is unknown and paged the same way, counted from when Vigil first
 *   saw it.
 * Service `sp-overdue` / `sp-never`, policy `res-states` (test/worker/vigil.config.ts).
 */
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parseConfig, type VigilConfig } from "../../../src/config";
import type { Env } from "../../../src/env";
import { monitorRoutes } from "../../../src/routes/admin/monitors";
import { offsetOf } from "../../../src/engine/schedule";
import { launchTime, runBatch } from "../../../src/scheduler/run";
import { recordOverdue } from "../../../src/scheduler/overdue";
import { runTick } from "../../../src/scheduler/tick";
import { recordObservation } from "../../../src/incidents/record";
import source from "vigil-config";
import { configureSink, sinkRecords, spawn, waitFor } from "../fixtures";
import { ADMIN_TOKEN, advanceClock, alarmOf, runAlarm, useTestClock } from "../ingest/helpers";
import { statusApp } from "../status/app";
import { METRICS_TOKEN, statusSecrets } from "../status/seed";

const MIN = 60_000;
const bindings = { ...env, ...statusSecrets } as unknown as Env;
/** sp-overdue-api only; `never` holds sp-never-api only, so the two passes never see each other's. */
let config: VigilConfig;
let never: VigilConfig;
let url: string;

/** The test config's services and policies, with these monitors only. */
function withMonitors(monitors: unknown[]): VigilConfig {
  const raw = typeof source === "function" ? source(env as never) : source;
  return parseConfig({ ...raw, monitors } as never, env as never);
}
const monitor = (id: string, service: string) => ({
  id,
  type: "http",
  service,
  url,
  interval: "1m",
  timeout: "2s",
  failureThreshold: 1,
  recoveryThreshold: 1,
});

/**
 * One run of `id` at its next planned time (the clock moves there), as a batch runs it: probe,
 * record, and the raw results with the run's time in one write.
 */
async function runOnce(id: string, cfg = config) {
  const spec = cfg.monitors.find((m) => m.id === id)!;
  const at = Math.ceil((Date.now() - offsetOf(spec)) / spec.interval) * spec.interval + offsetOf(spec);
  vi.setSystemTime(launchTime(at));
  return runBatch(env, cfg, { minute: Math.floor(at / MIN) * MIN, batch: 0, monitors: [id] }, [{ monitorId: id, at }]);
}
const state = (id: string) =>
  env.DB.prepare("SELECT status, reason, since, last_run FROM check_state WHERE check_id = ?")
    .bind(id)
    .first<{ status: string; reason: string | null; since: number; last_run: number | null }>();

function readers() {
  const status = statusApp(config);
  const admin = new Hono<{ Bindings: Env; Variables: { config: VigilConfig } }>();
  admin.use("*", async (c, next) => {
    c.set("config", config);
    await next();
  });
  admin.route("/", monitorRoutes());
  const get = (app: { request: typeof status.request }, path: string, token: string) =>
    app.request(path, { headers: { authorization: `Bearer ${token}` } }, bindings, createExecutionContext());
  return {
    /** status.json as the operator sees it (the admin token: details, never the shared cache). */
    json: async (id: string) => {
      const body = await (await get(status, "/status.json", ADMIN_TOKEN)).json<any>();
      return body.services.flatMap((s: any) => s.components).find((c: any) => c.id === id);
    },
    page: async (id: string) => (await get(status, `/check/${id}`, ADMIN_TOKEN)).text(),
    monitors: async (id: string) =>
      (await (await get(admin, "/monitors", ADMIN_TOKEN)).json<any>()).monitors.find((m: any) => m.id === id).state,
    metric: async (id: string) => {
      const text = await (await get(status, "/metrics", METRICS_TOKEN)).text();
      return text.split("\n").find((l) => l.startsWith("vigil_check_status{") && l.includes(`check="${id}"`) && l.endsWith(" 1"));
    },
  };
}

async function received(service: string) {
  const records = (await sinkRecords("res-l2")).map((r) => ({ r, body: JSON.parse(r.body) }));
  return records
    .filter(({ body }) => body.data?.incident?.service?.id === service)
    .sort((a, b) => a.r.receivedAt - b.r.receivedAt)
    .map(({ body }) => ({ type: body.type as string, title: body.data.title as string }));
}

beforeAll(async () => {
  const { port } = await spawn("flaky-http", { mode: 200 });
  url = `http://127.0.0.1:${port}/health`;
  config = withMonitors([monitor("sp-overdue-api", "sp-overdue")]);
  never = withMonitors([monitor("sp-never-api", "sp-never")]);
  await configureSink("res-l2", { status: 200, secret: env.TEST_WEBHOOK_SECRET });
  useTestClock();
});
afterAll(() => {
  vi.useRealTimers();
});

describe("a monitor whose planned runs stop", () => {
  it("reads unknown past 3 intervals + 2 min, is recorded unknown once, pages monitoring broken, and resolves when it runs again", async () => {
    const id = "sp-overdue-api";
    const read = readers();
    // A real run: up, and the batch wrote when it ran.
    expect(await runOnce(id)).toMatchObject({ executed: 1 });
    const ran = Date.now();
    expect(await state(id)).toMatchObject({ status: "up", last_run: ran });
    expect(await read.monitors(id)).toMatchObject({ status: "up", lastRun: new Date(ran).toISOString() });

    // No run for 5 minutes (the rule's edge): still up everywhere, and the pass records nothing.
    advanceClock(5 * MIN);
    expect(await read.metric(id)).toContain('status="up"');
    expect(await recordOverdue(env, config, Date.now())).toEqual([]);

    // Past it: unknown at once in every read, before any write.
    advanceClock(30_000);
    const reason = `no run since ${new Date(ran).toISOString()} (5 planned runs missed)`;
    expect(await read.json(id)).toMatchObject({ status: "unknown", reason, since: new Date(ran + 5 * MIN).toISOString() });
    expect(await read.monitors(id)).toMatchObject({ status: "unknown", reason });
    expect(await read.metric(id)).toContain('status="unknown"');
    expect(await read.page(id)).toContain(reason);

    // The cron's pass records it: check_state unknown, once.
    const passAt = Date.now();
    expect(await recordOverdue(env, config, passAt)).toEqual([id]);
    expect(await state(id)).toMatchObject({ status: "unknown", reason, since: passAt });
    advanceClock(MIN);
    expect(await recordOverdue(env, config, Date.now())).toEqual([]);
    expect(await state(id)).toMatchObject({ reason, since: passAt });
    // The reads keep counting the missed runs.
    expect((await read.json(id)).reason).toBe(`no run since ${new Date(ran).toISOString()} (6 planned runs missed)`);

    // monitoringBroken (10 min in res-states) pages res-l2 from the alarm.
    const service = env.SERVICE.getByName("sp-overdue");
    expect(await alarmOf(service)).toBe(passAt + 10 * MIN);
    expect(await runAlarm(service)).toBe(passAt + 10 * MIN);
    const [page] = await waitFor(
      "the page",
      () => received("sp-overdue"),
      (r) => r.length === 1,
    );
    expect(page).toEqual({ type: "incident.opened", title: `[L1] monitoring broken: ${id} unknown for 10m (${reason})` });

    // It runs again: up in every read, and the page's resolve on the same channel.
    await runOnce(id);
    expect(await state(id)).toMatchObject({ status: "up", last_run: Date.now() });
    expect(await read.json(id)).toMatchObject({ status: "up" });
    const pages = await waitFor(
      "the resolve",
      () => received("sp-overdue"),
      (r) => r.length === 2,
    );
    expect(pages[1]).toMatchObject({ type: "incident.resolved" });
  });

  it("a down monitor whose runs stop reads unknown ('last measured down') but stays down for its incident", async () => {
    const id = "sp-overdue-api";
    const read = readers();
    const { port } = await spawn("flaky-http", { mode: 500 });
    const down = { ...config, monitors: config.monitors.map((m) => (m.id === id ? { ...m, url: `http://127.0.0.1:${port}/health` } : m)) };
    await runOnce(id, down);
    expect(await state(id)).toMatchObject({ status: "down" });
    const ran = Date.now();
    advanceClock(6 * MIN + 1_000);
    expect((await read.json(id)).reason).toBe(
      `no run since ${new Date(ran).toISOString()} (6 planned runs missed); last measured down: expected status 2xx, got 500`,
    );
    // Vigil's own failure never resolves an incident: the pass leaves a down monitor down.
    expect(await recordOverdue(env, config, Date.now())).toEqual([]);
    expect(await state(id)).toMatchObject({ status: "down" });
  });
});

describe("a monitor that never ran", () => {
  it("is recorded unknown 3 intervals + 2 min after Vigil first saw it, and pages monitoring broken after `after`", async () => {
    const id = "sp-never-api";
    const seenAt = Date.now();
    // The first pass sees it for the first time (sp-overdue-api has a state already).
    expect(await recordOverdue(env, never, seenAt)).toEqual([]);
    expect(
      await env.DB.prepare("SELECT first_seen FROM monitors_seen WHERE check_id = ?").bind(id).first<{ first_seen: number }>(),
    ).toEqual({ first_seen: seenAt });
    advanceClock(5 * MIN);
    expect(await recordOverdue(env, never, Date.now())).toEqual([]);
    advanceClock(MIN);
    const passAt = Date.now();
    expect(await recordOverdue(env, never, passAt)).toEqual([id]);
    const recorded = await state(id);
    expect(recorded).toMatchObject({ status: "unknown", last_run: null });
    expect(recorded!.reason).toMatch(/^never ran since first seen at .+ \(6 planned runs missed\)$/);
    const service = env.SERVICE.getByName("sp-never");
    expect(await runAlarm(service)).toBe(passAt + 10 * MIN);
    const [page] = await waitFor(
      "the page",
      () => received("sp-never"),
      (r) => r.length === 1,
    );
    expect(page!.title).toBe(`[L1] monitoring broken: ${id} unknown for 10m (${recorded!.reason})`);
  });
});

describe("the cron's tick", () => {
  it("runs the overdue pass: a daily monitor whose last 3 runs did not execute is recorded unknown by runTick", async () => {
    const id = "sp-overdue-daily";
    const daily = withMonitors([{ ...monitor(id, "sp-overdue"), interval: "24h" }]);
    const spec = daily.monitors[0]!;
    // Its next planned run P; the tick comes 10 min later (no run of its own in that minute),
    // and the last run that executed was P − 3 days: P − 2 d, P − 1 d and P were missed.
    const planned = Math.ceil((Date.now() - offsetOf(spec)) / spec.interval) * spec.interval + offsetOf(spec);
    const minute = Math.floor((planned + 10 * MIN) / MIN) * MIN;
    vi.setSystemTime(minute);
    const lastRun = planned - 3 * spec.interval;
    await recordObservation(env, daily, new Map(), { ...spec, kind: "http" }, { status: "up" }, lastRun);
    await env.DB.prepare("UPDATE check_state SET last_run = ? WHERE check_id = ?").bind(lastRun, id).run();
    const summary = await runTick(env, daily, minute);
    expect(summary).toMatchObject({ duplicate: false, planned: 0 });
    expect(await state(id)).toMatchObject({
      status: "unknown",
      reason: `no run since ${new Date(lastRun).toISOString()} (3 planned runs missed)`,
    });
  });
});
