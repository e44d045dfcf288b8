/**
 * The scheduler inside workerd against loopback targets: runs start at their planned times
 * (rounded to the launch grid),
 * a monitor never runs twice at once, regional monitors go through RegionObjects, the probe
 * queue consumer runs batches, a duplicate tick runs nothing, and hourly rollups.
 */
import { listDurableObjectIds } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parseConfig, type VigilConfig } from "../../../src/config";
import { loadConfig } from "../../../src/config/load";
import source from "vigil-config";
import { housekeeping } from "../../../src/scheduler/housekeeping";
import { LIMITS } from "../../../src/limits";
import { launchTime, runBatch } from "../../../src/scheduler/run";
import { runTick } from "../../../src/scheduler/tick";
import { setTarget, targetInfo } from "../fixtures";

/** The test deployment's config with extra monitors of service `sched`. */
function withMonitors(monitors: unknown[]): VigilConfig {
  const raw = typeof source === "function" ? source(env as never) : source;
  return parseConfig({ ...raw, monitors: [...(raw.monitors ?? []), ...monitors] } as never, env as never);
}
const target = (name: string) => `${env.FIXTURES_URL}/target/${name}`;

describe("runBatch", () => {
  /** The first point of the launch grid at least `ms` from now. */
  const gridPointAfter = (ms: number) => Math.ceil((Date.now() + ms) / LIMITS.launchGridMs) * LIMITS.launchGridMs;

  it("starts each run at the launch-grid point nearest its plan: runs due close together start together", async () => {
    const ids = ["sched-time-a", "sched-time-b"];
    for (const id of ids) await setTarget(id, { status: 200, body: "ok" });
    const config = withMonitors(ids.map((id) => ({ id, type: "http", service: "sched", url: target(id), interval: "10s", timeout: "2s" })));
    const g = gridPointAfter(400);
    const step = LIMITS.launchGridMs;
    // a's first run (planned before g) and b's (after g) start together at g; a's second at the next point.
    const planned = [
      { monitorId: "sched-time-a", at: g - step * 0.4, launch: g },
      { monitorId: "sched-time-b", at: g + step * 0.2, launch: g },
      { monitorId: "sched-time-a", at: g + step * 0.8, launch: g + step },
    ];
    expect(planned.map((p) => launchTime(p.at))).toEqual(planned.map((p) => p.launch));
    const summary = await runBatch(env, config, { minute: Math.floor(g / 60_000) * 60_000, batch: 900, monitors: ids }, planned);
    expect(summary).toMatchObject({ planned: 3, executed: 3, skippedBusy: 0 });
    for (const id of ids) {
      const { times } = await targetInfo(id);
      const launches = planned.filter((p) => p.monitorId === id).map((p) => p.launch);
      expect(times).toHaveLength(launches.length);
      times.forEach((t, i) => {
        // Arrival at the target (another process' clock on the same machine) against the
        // launch, which is never more than half a grid step from the plan.
        expect(t - launches[i]!).toBeGreaterThanOrEqual(-5);
        expect(t - launches[i]!).toBeLessThan(150);
      });
    }
  });

  it("never runs the same monitor twice at once", async () => {
    await setTarget("sched-busy", { status: 200, body: "ok", delayMs: 600 });
    const config = withMonitors([
      { id: "sched-busy", type: "http", service: "sched", url: target("sched-busy"), interval: "10s", timeout: "2s" },
    ]);
    const g = gridPointAfter(300);
    // The second and third runs start with the first, which is still running; the fourth after it ended.
    const planned = [g, g + 100, g + 200, g + 3 * LIMITS.launchGridMs];
    const summary = await runBatch(
      env,
      config,
      { minute: Math.floor(g / 60_000) * 60_000, batch: 901, monitors: ["sched-busy"] },
      planned.map((at) => ({ monitorId: "sched-busy", at })),
    );
    expect(summary).toMatchObject({ executed: 2, skippedBusy: 2 });
    expect((await targetInfo("sched-busy")).hits).toBe(2);
  });

  it("probes a regional monitor from each region's object and judges by quorum", async () => {
    await setTarget("sched-region", { status: 503, body: "maintenance" });
    const regions = ["weur", "enam", "apac"];
    const config = withMonitors([
      {
        id: "sched-region",
        type: "http",
        service: "sched",
        url: target("sched-region"),
        interval: "1m",
        timeout: "2s",
        regions,
        quorum: 2,
        failureThreshold: 1,
      },
    ]);
    await runBatch(env, config, { minute: 0, batch: 902, monitors: ["sched-region"] }, [{ monitorId: "sched-region", at: Date.now() }]);
    expect((await targetInfo("sched-region")).hits).toBe(3);
    expect((await listDurableObjectIds(env.REGION)).length).toBeGreaterThanOrEqual(3);
    const state = await env.DB.prepare("SELECT status, reason FROM check_state WHERE check_id = 'sched-region'").first();
    expect(state).toEqual({ status: "down", reason: "down from 3 of 3 regions (weur, enam, apac: expected status 2xx, got 503)" });
  });
});

describe("the probe queue", () => {
  it("a batch sent to the PROBE queue is run by the consumer and its raw results stored", async () => {
    await setTarget("sched-q", { status: 200, body: "ok" });
    const before = (await targetInfo("sched-q")).hits;
    // A minute already past: the runner plans the monitor's runs again and runs the latest once.
    const minute = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
    await env.PROBE.send({ minute, batch: 77, monitors: ["sched-q"] });
    const deadline = Date.now() + 10_000;
    while ((await targetInfo("sched-q")).hits === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect((await targetInfo("sched-q")).hits).toBe(before + 1);
    let row: { data: string } | null = null;
    while (!row && Date.now() < deadline) {
      row = await env.DB.prepare("SELECT data FROM raw_results WHERE minute = ? AND batch = 77").bind(minute).first<{ data: string }>();
      if (!row) await new Promise((r) => setTimeout(r, 100));
    }
    // [id, offset in the minute, status, latency, first byte] (an http probe that got an answer).
    expect(JSON.parse(row!.data)).toEqual([["sched-q", expect.any(Number), 0, expect.any(Number), expect.any(Number)]]);
  });
});

describe("runTick", () => {
  it("a cron delivered twice for the same minute runs once", async () => {
    const config = loadConfig(env) as VigilConfig;
    const minute = Math.floor(Date.now() / 60_000) * 60_000 - 120 * 60_000;
    const first = await runTick(env, config, minute);
    const second = await runTick(env, config, minute + 1_000);
    expect(first.duplicate).toBe(false);
    expect(first.planned).toBeGreaterThan(0);
    expect(second).toMatchObject({ duplicate: true, planned: 0 });
  });
});

describe("housekeeping", () => {
  it("rolls the previous hour up once, and prunes past retention", async () => {
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 5 * 3_600_000;
    await env.DB.batch([
      env.DB.prepare("INSERT INTO raw_results (minute, batch, data) VALUES (?, 0, ?)").bind(
        hour,
        JSON.stringify([
          ["hk-a", 0, 0, 100],
          ["hk-a", 10, 2, 300],
        ]),
      ),
      env.DB.prepare("INSERT INTO raw_results (minute, batch, data) VALUES (?, 0, ?)").bind(
        hour + 30 * 60_000,
        JSON.stringify([["hk-a", 0, 1, 200]]),
      ),
      env.DB.prepare("INSERT INTO raw_results (minute, batch, data) VALUES (?, 0, '[]')").bind(hour - 49 * 3_600_000),
      env.DB.prepare("INSERT INTO rollups_hourly (check_id, hour, count, failures, degraded) VALUES ('hk-old', ?, 1, 0, 0)").bind(
        hour - 401 * 86_400_000,
      ),
    ]);
    const tick = hour + 3_600_000 + 6 * 60_000;
    expect(await housekeeping(env.DB, tick)).toMatchObject({ pruned: true });
    expect(
      await env.DB.prepare(
        "SELECT count, failures, degraded, latency_min, latency_avg, latency_p95, latency_max FROM rollups_hourly WHERE check_id = 'hk-a' AND hour = ?",
      )
        .bind(hour)
        .first(),
    ).toEqual({
      count: 3,
      failures: 1,
      degraded: 1,
      latency_min: 100,
      latency_avg: 200,
      latency_p95: 300,
      latency_max: 300,
    });
    expect(await housekeeping(env.DB, tick + 60_000)).toEqual({ rolledUp: null, pruned: false });
    expect(
      await env.DB.prepare("SELECT count(*) AS n FROM raw_results WHERE minute = ?")
        .bind(hour - 49 * 3_600_000)
        .first(),
    ).toEqual({ n: 0 });
    expect(await env.DB.prepare("SELECT count(*) AS n FROM rollups_hourly WHERE check_id = 'hk-old'").first()).toEqual({ n: 0 });
  });
});
