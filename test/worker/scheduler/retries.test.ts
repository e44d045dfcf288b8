/**
 * Retries on network failures only (issue #21, point 4), against a loopback server whose
 * behaviour the test scripts per request: a run re-probes after a connection that closed or was
 * refused, never after an HTTP status, and records how many attempts it took.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parseConfig, type MonitorSpec, type VigilConfig } from "../../../src/config";
import source from "vigil-config";
import { probeWithRetries, runBatch } from "../../../src/scheduler/run";
import { controlSpawned, spawn } from "../fixtures";

function withMonitors(monitors: unknown[]): VigilConfig {
  const raw = typeof source === "function" ? source(env as never) : source;
  return parseConfig({ ...raw, monitors: [...(raw.monitors ?? []), ...monitors] } as never, env as never);
}
async function flaky(mode: "refuse" | "close" | number = 200) {
  const { port } = await spawn("flaky-http", { mode });
  return { port, url: `http://127.0.0.1:${port}/health`, set: (body: unknown) => controlSpawned(port, body) };
}
function monitor(id: string, url: string, retries?: { count: number; delay: string }): { config: VigilConfig; spec: MonitorSpec } {
  const config = withMonitors([{ id, type: "http", service: "sched", url, interval: "1m", timeout: "2s", ...(retries && { retries }) }]);
  return { config, spec: config.monitors.find((m) => m.id === id)! };
}

describe("retries", () => {
  it("a connection closed before answering, then a 200: up, in 2 attempts", async () => {
    const server = await flaky(200);
    await server.set({ script: ["close"] });
    const { spec } = monitor("rt-close", server.url, { count: 2, delay: "100ms" });
    const result = await probeWithRetries(env, spec);
    expect(result).toMatchObject({ status: "up", statusCode: 200, attempts: 2 });
    expect(await server.set({})).toMatchObject({ hits: 2 });
  });

  it("an HTTP 500 is never retried: down, 1 attempt", async () => {
    const server = await flaky(500);
    const { spec } = monitor("rt-500", server.url, { count: 3, delay: "0s" });
    expect(await probeWithRetries(env, spec)).toMatchObject({
      status: "down",
      statusCode: 500,
      reason: "expected status 2xx, got 500",
      attempts: 1,
    });
    expect(await server.set({})).toMatchObject({ hits: 1 });
  });

  it("refused every time: down after 1 + count attempts, the reason says refused", async () => {
    const server = await flaky("refuse");
    const { spec } = monitor("rt-refused", server.url, { count: 2, delay: "50ms" });
    const started = Date.now();
    const result = await probeWithRetries(env, spec);
    expect(result).toMatchObject({ status: "down", reason: `connection refused by 127.0.0.1:${server.port}`, attempts: 3 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
  });

  it("refused, then a 500: stops at the 500 (an answer), in 2 attempts", async () => {
    const server = await flaky("refuse");
    const { spec } = monitor("rt-mixed", server.url, { count: 3, delay: "400ms" });
    const run = probeWithRetries(env, spec);
    await new Promise((r) => setTimeout(r, 150));
    await server.set({ mode: 500 });
    expect(await run).toMatchObject({ status: "down", statusCode: 500, attempts: 2 });
  });

  it("without retries: one attempt, no attempts field", async () => {
    const server = await flaky(200);
    await server.set({ script: ["close"] });
    const { spec } = monitor("rt-none", server.url);
    const result = await probeWithRetries(env, spec);
    expect(result.status).toBe("down");
    expect(result.attempts).toBeUndefined();
  });

  it("the runner stores the attempts with the raw result, for the hourly rollup's retried count", async () => {
    const server = await flaky(200);
    await server.set({ script: ["close"] });
    const { config } = monitor("rt-raw", server.url, { count: 1, delay: "0s" });
    const minute = Math.floor(Date.now() / 60_000) * 60_000 - 3 * 60 * 60_000;
    await runBatch(env, config, { minute, batch: 7, monitors: ["rt-raw"] }, [{ monitorId: "rt-raw", at: Date.now() }]);
    const row = await env.DB.prepare("SELECT data FROM raw_results WHERE minute = ? AND batch = 7").bind(minute).first<{ data: string }>();
    expect(JSON.parse(row!.data)).toEqual([["rt-raw", expect.any(Number), 0, expect.any(Number), expect.any(Number), 2]]);
  });
});

describe("retries config", () => {
  it("refuses retries whose worst case would not end before the next run, naming the field", () => {
    expect(() =>
      withMonitors([
        {
          id: "rt-bad",
          type: "http",
          service: "sched",
          url: "http://127.0.0.1:9/",
          interval: "30s",
          timeout: "10s",
          retries: { count: 2, delay: "1s" },
        },
      ]),
    ).toThrow(/monitors\[\d+\]\.retries: with 2 retries a run can take 32000 ms .* shorter than the interval \(30000 ms\)/);
    expect(() =>
      withMonitors([{ id: "rt-bad2", type: "http", service: "sched", url: "http://127.0.0.1:9/", retries: { count: 9 } }]),
    ).toThrow(/monitors\[\d+\]\.retries\.count/);
  });
  it("the default timeout leaves room for the retries", () => {
    const config = withMonitors([
      { id: "rt-ok", type: "http", service: "sched", url: "http://127.0.0.1:9/", interval: "10s", retries: { count: 1 } },
    ]);
    expect(config.monitors.find((m) => m.id === "rt-ok")).toMatchObject({ timeout: 2_500, retries: { count: 1, delay: 1_000 } });
  });
});
