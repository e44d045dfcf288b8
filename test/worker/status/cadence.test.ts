/**
 * Cadence you can check and unknown as its own state, where people read them (issue #21):
 * `/status.json` (measured shares, runs of the last 24 hours, unknown days, degraded share),
 * `/metrics` (`vigil_probe_runs_planned_total`, `vigil_probe_runs_missed_total`, …) and the
 * check page ("measured X %", planned vs executed runs), from hourly rollups with planned runs.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { parseConfig, type VigilConfig } from "../../../src/config";
import type { Env } from "../../../src/env";
import { METRICS_TOKEN, statusSecrets } from "./seed";
import { statusApp } from "./app";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const bindings = { ...env, ...statusSecrets } as unknown as Env;
const config = parseConfig(
  {
    timezone: "UTC",
    services: [{ id: "cad", name: "Cadence", policy: "ops" }],
    monitors: [
      { id: "cad-web", type: "http", service: "cad", url: "http://127.0.0.1:9/a", interval: "5m" },
      { id: "cad-idle", type: "http", service: "cad", url: "http://127.0.0.1:9/b", interval: "5m" },
    ],
    channels: [{ id: "ops-hook", type: "webhook", url: "http://127.0.0.1:9/hook", secret: { env: "HOOK_SECRET" } }],
    policies: [{ id: "ops", levels: [{ channels: ["ops-hook"] }] }],
    statusPage: { title: "Cadence Status" },
  },
  statusSecrets,
) as VigilConfig;
const app = statusApp(config);
const get = (path: string, headers: Record<string, string> = {}) => app.request(path, { headers }, bindings, createExecutionContext());

const now = Date.now();
const hour = Math.floor(now / HOUR) * HOUR;
const today = Math.floor(now / DAY) * DAY;

beforeAll(async () => {
  const ins = (h: number, count: number, failures: number, degraded: number, planned: number | null, unknown: number, retried: number) =>
    env.DB.prepare(
      "INSERT OR REPLACE INTO rollups_hourly (check_id, hour, count, failures, degraded, planned, unknown, retried, latency_avg, latency_p95) VALUES ('cad-web', ?, ?, ?, ?, ?, ?, ?, 100, 200)",
    ).bind(h, count, failures, degraded, planned, unknown, retried);
  await env.DB.batch([
    // The last 24 hours: 2 hours of 12 planned runs each; one hour lost half its runs (Vigil
    // was away), two could not measure, one needed a retry, one was down and one degraded.
    ins(hour - 3 * HOUR, 12, 0, 1, 12, 0, 1),
    ins(hour - 2 * HOUR, 4, 1, 0, 12, 2, 0),
    // Three days ago: the whole day planned, nothing ran (the cron was down): unknown, not up.
    ...Array.from({ length: 24 }, (_, i) => ins(today - 3 * DAY + i * HOUR, 0, 0, 0, 12, 0, 0)),
  ]);
});

describe("/status.json", () => {
  it("says how much was measured, the runs of the last 24 hours, the degraded share and the unknown days", async () => {
    const res = await get("/status.json?days=true");
    expect(res.status).toBe(200);
    const body = await res.json<any>();
    const web = body.services[0].components.find((c: any) => c.id === "cad-web");
    expect(web.runs24h).toEqual({ planned: 24, executed: 18, missed: 6, unknown: 2, retried: 1 });
    expect(web.measured["24h"]).toBeCloseTo((100 * 16) / 24, 3);
    // Uptime is over the 16 measured runs only: one down.
    expect(web.uptime["24h"]).toBeCloseTo((100 * 15) / 16, 3);
    expect(web.shares).toEqual({ up: 87.5, degraded: 6.25, down: 6.25 });
    const lost = web.days.find((d: any) => d.date === new Date(today - 3 * DAY).toISOString().slice(0, 10));
    expect(lost).toMatchObject({ level: "unknown", count: 0, planned: 288, measured: 0 });
    expect(web.measured["90d"]).toBeLessThan(10);
    // A monitor without any rollup yet plans nothing that is known: no claim either way.
    const idle = body.services[0].components.find((c: any) => c.id === "cad-idle");
    expect(idle).toMatchObject({ runs24h: { planned: 0, executed: 0, missed: 0 }, measured: { "90d": null }, shares: null });
  });
});

describe("/metrics", () => {
  it("publishes planned, executed, missed, unknown and retried runs per monitor", async () => {
    const res = await get("/metrics", { authorization: `Bearer ${METRICS_TOKEN}` });
    expect(res.status).toBe(200);
    const lines = (await res.text()).split("\n");
    const value = (name: string, check: string) =>
      lines
        .find((l) => l.startsWith(`${name}{check="${check}",service="cad"}`))
        ?.split(" ")
        .at(-1);
    expect(lines).toContain("# TYPE vigil_probe_runs_planned_total counter");
    expect(value("vigil_probe_runs_planned_total", "cad-web")).toBe("24");
    expect(value("vigil_probe_runs_executed_total", "cad-web")).toBe("18");
    expect(value("vigil_probe_runs_missed_total", "cad-web")).toBe("6");
    expect(value("vigil_probe_runs_unknown_total", "cad-web")).toBe("2");
    expect(value("vigil_probe_runs_retried_total", "cad-web")).toBe("1");
    expect(value("vigil_probe_runs_missed_total", "cad-idle")).toBe("0");
  });
});

describe("the check page", () => {
  it("says measured X % of the period and planned vs executed runs, and colours the unmeasured day unknown", async () => {
    const res = await get("/check/cad-web", { authorization: `Bearer ${bindings.VIGIL_ADMIN_TOKEN}` });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toMatch(
      /Measured \d+(\.\d+)?% of the last 90 days \(66\.66% of the last 24 hours\); uptime is over the measured runs only\./,
    );
    expect(html).toContain("Last 24 hours: 18 of 24 planned runs executed (6 missed, 2 could not measure, 1 needed a retry).");
    expect(html).toContain("Of the measured runs: 87.5% up, 6.25% degraded, 6.25% down.");
    expect(html).toContain('<path class="k"');
    expect(html).toMatch(/not measured \(288 runs planned, none measured\)/);
  });
});
