/**
 * End to end (issue #21, point 7): a target that alternates refused connections and HTTP 500s,
 * probed run after run by the real runner (retries on), evaluated, escalated and delivered to a
 * loopback receiver: one page and one resolve, however often the error text changes. And a
 * target whose network drops one connection per run: retries absorb it, nobody is paged, and
 * every run says it took two attempts.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { parseConfig, type VigilConfig } from "../../../src/config";
import source from "vigil-config";
import { runBatch } from "../../../src/scheduler/run";
import { configureSink, controlSpawned, sinkRecords, spawn, waitFor } from "../fixtures";

function withMonitors(monitors: unknown[]): VigilConfig {
  const raw = typeof source === "function" ? source(env as never) : source;
  return parseConfig({ ...raw, monitors: [...(raw.monitors ?? []), ...monitors] } as never, env as never);
}
async function received(service: string) {
  const records = await sinkRecords("res-l1");
  return records.map((r) => JSON.parse(r.body)).filter((b) => b.data?.incident?.service?.id === service);
}

describe("a flaky target against a loopback receiver", () => {
  beforeAll(async () => {
    await configureSink("res-l1", { status: 200, secret: env.TEST_WEBHOOK_SECRET });
  });

  it("refused and 500 alternating for ten runs: one page, one resolve, the error text changes on the timeline only", async () => {
    const { port } = await spawn("flaky-http", { mode: "refuse" });
    const id = "flaky-alt";
    const config = withMonitors([
      {
        id,
        type: "http",
        service: "res-flaky",
        url: `http://127.0.0.1:${port}/health`,
        interval: "1m",
        timeout: "2s",
        retries: { count: 1, delay: "0s" },
      },
    ]);
    // Ten runs a minute apart (the runner's clock is real; the minutes are the runs): refused,
    // 500, refused, … then two good runs.
    const modes: ("refuse" | number)[] = ["refuse", 500, "refuse", 500, "refuse", 500, "refuse", 500, 200, 200];
    const minute = Math.floor(Date.now() / 60_000) * 60_000 - 6 * 3_600_000;
    for (const [i, mode] of modes.entries()) {
      await controlSpawned(port, { mode });
      await runBatch(env, config, { minute: minute + i * 60_000, batch: 0, monitors: [id] }, [{ monitorId: id, at: Date.now() }]);
    }
    const events = await waitFor(
      "the resolve",
      () => received("res-flaky"),
      (e) => e.some((x) => x.type === "incident.resolved"),
    );
    expect(events.map((e) => e.type)).toEqual(["incident.opened", "incident.resolved"]);
    expect(events[0].data.title).toBe("[L1] res-flaky: flaky-alt down");
    expect(events[1].data.title).toMatch(/^\[RESOLVED\] res-flaky: flaky-alt recovered after/);
    // Refused runs took two attempts (retried), 500s one (never retried).
    const raws = await env.DB.prepare("SELECT data FROM raw_results WHERE minute >= ? AND minute < ? ORDER BY minute")
      .bind(minute, minute + 10 * 60_000)
      .all<{ data: string }>();
    const attempts = raws.results.map((r) => (JSON.parse(r.data) as unknown[][])[0]![5] ?? 1);
    expect(attempts).toEqual([2, 1, 2, 1, 2, 1, 2, 1, 1, 1]);
    await new Promise((r) => setTimeout(r, 300));
    expect((await received("res-flaky")).length).toBe(2);
    // Each change of error text is on the incident's timeline, not a page.
    const changes = await env.DB.prepare(
      "SELECT e.detail FROM incident_events e JOIN incidents i ON i.id = e.incident_id WHERE i.service_id = 'res-flaky' AND e.type = 'member.reason_changed' ORDER BY e.id",
    ).all<{ detail: string }>();
    expect(changes.results.length).toBeGreaterThanOrEqual(5);
    expect(JSON.parse(changes.results[0]!.detail)).toMatchObject({ check: id });
  });

  it("one dropped connection per run: retries absorb it, nobody is paged, every run took two attempts", async () => {
    const { port } = await spawn("flaky-http", { mode: 200 });
    const id = "flaky-blips";
    const config = withMonitors([
      {
        id,
        type: "http",
        service: "res-blips",
        url: `http://127.0.0.1:${port}/health`,
        interval: "1m",
        timeout: "2s",
        failureThreshold: 1,
        retries: { count: 1, delay: "0s" },
      },
    ]);
    const minute = Math.floor(Date.now() / 60_000) * 60_000 - 7 * 3_600_000;
    for (let i = 0; i < 5; i++) {
      await controlSpawned(port, { script: ["close"] });
      await runBatch(env, config, { minute: minute + i * 60_000, batch: 0, monitors: [id] }, [{ monitorId: id, at: Date.now() }]);
    }
    const raws = await env.DB.prepare("SELECT data FROM raw_results WHERE minute >= ? AND minute < ? ORDER BY minute")
      .bind(minute, minute + 5 * 60_000)
      .all<{ data: string }>();
    expect(raws.results.map((r) => JSON.parse(r.data)[0].slice(2, 3).concat(JSON.parse(r.data)[0][5]))).toEqual(
      Array.from({ length: 5 }, () => [0, 2]),
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(await received("res-blips")).toEqual([]);
    const state = await env.DB.prepare("SELECT status FROM check_state WHERE check_id = ?").bind(id).first<{ status: string }>();
    expect(state?.status).toBe("up");
  });
});
