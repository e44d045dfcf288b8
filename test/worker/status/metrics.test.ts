/**
 * `/metrics` latency histogram end to end: raw results (one row per batch) → the cron's hourly
 * rollup (fixed buckets, exact sum) → `vigil_probe_latency_seconds_*`, with known latencies.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { parseConfig, type VigilConfig } from "../../../src/config";
import type { Env } from "../../../src/env";
import { housekeeping } from "../../../src/scheduler/housekeeping";
import { METRICS_TOKEN, statusSecrets } from "./seed";
import { statusApp } from "./app";

const HOUR = 3_600_000;
const bindings = { ...env, ...statusSecrets } as unknown as Env;
const config = parseConfig(
  {
    services: [{ id: "lat", name: "Latency", policy: "ops" }],
    monitors: [
      { id: "lat-a", type: "http", service: "lat", url: "http://127.0.0.1:9/a" },
      { id: "lat-idle", type: "http", service: "lat", url: "http://127.0.0.1:9/b" },
    ],
    channels: [{ id: "ops-hook", type: "webhook", url: "http://127.0.0.1:9/hook", secret: { env: "HOOK_SECRET" } }],
    policies: [{ id: "ops", levels: [{ channels: ["ops-hook"] }] }],
  },
  statusSecrets,
) as VigilConfig;
const app = statusApp(config);

async function scrape(): Promise<string[]> {
  const res = await app.request("/metrics", { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }, bindings, createExecutionContext());
  expect(res.status).toBe(200);
  return (await res.text()).split("\n");
}
const sample = (lines: string[], prefix: string) =>
  lines.filter((l) => l.startsWith(prefix)).map((l) => Number(l.slice(l.lastIndexOf(" ") + 1)));

describe("vigil_probe_latency_seconds", () => {
  it("counts every raw result of the window into fixed cumulative buckets, consistent with _count and _sum", async () => {
    const hour = Math.floor(Date.now() / HOUR) * HOUR - 7 * HOUR;
    // Two batches in one minute and one later in the hour; a result outside the hour; an older
    // hour rolled up before the histogram columns existed (no buckets: left out, not estimated).
    const a = [10, 50, 51, 100, 249, 250, 900, 4000, 12000];
    await env.DB.batch([
      env.DB.prepare("INSERT INTO raw_results (minute, batch, data) VALUES (?, 0, ?)").bind(
        hour,
        JSON.stringify(a.slice(0, 4).map((l, i) => ["lat-a", i, 0, l])),
      ),
      env.DB.prepare("INSERT INTO raw_results (minute, batch, data) VALUES (?, 1, ?)").bind(
        hour,
        JSON.stringify([
          ["lat-a", 5, 2, a[4]],
          ["lat-a", 6, 1, a[5]],
        ]),
      ),
      env.DB.prepare("INSERT INTO raw_results (minute, batch, data) VALUES (?, 0, ?)").bind(
        hour + 40 * 60_000,
        JSON.stringify(a.slice(6).map((l, i) => ["lat-a", i, 0, l])),
      ),
      env.DB.prepare("INSERT INTO raw_results (minute, batch, data) VALUES (?, 0, ?)").bind(
        hour + HOUR,
        JSON.stringify([["lat-a", 0, 0, 7]]),
      ),
      env.DB.prepare(
        "INSERT OR REPLACE INTO rollups_hourly (check_id, hour, count, failures, degraded, latency_min, latency_avg, latency_p95, latency_max) VALUES ('lat-a', ?, 60, 0, 0, 20, 30, 40, 50)",
      ).bind(hour - HOUR),
    ]);
    expect(await housekeeping(env.DB, hour + HOUR + 6 * 60_000)).toMatchObject({ rolledUp: 1 });
    expect(
      await env.DB.prepare(
        "SELECT count, latency_sum, latency_le_50, latency_le_250, latency_le_10000 FROM rollups_hourly WHERE check_id = 'lat-a' AND hour = ?",
      )
        .bind(hour)
        .first(),
    ).toEqual({ count: 9, latency_sum: a.reduce((x, y) => x + y, 0), latency_le_50: 2, latency_le_250: 6, latency_le_10000: 8 });

    const lines = await scrape();
    const buckets = lines.filter((l) => l.startsWith('vigil_probe_latency_seconds_bucket{check="lat-a"'));
    expect(buckets).toEqual([
      'vigil_probe_latency_seconds_bucket{check="lat-a",service="lat",le="0.05"} 2',
      'vigil_probe_latency_seconds_bucket{check="lat-a",service="lat",le="0.1"} 4',
      'vigil_probe_latency_seconds_bucket{check="lat-a",service="lat",le="0.25"} 6',
      'vigil_probe_latency_seconds_bucket{check="lat-a",service="lat",le="0.5"} 6',
      'vigil_probe_latency_seconds_bucket{check="lat-a",service="lat",le="1"} 7',
      'vigil_probe_latency_seconds_bucket{check="lat-a",service="lat",le="2.5"} 7',
      'vigil_probe_latency_seconds_bucket{check="lat-a",service="lat",le="5"} 8',
      'vigil_probe_latency_seconds_bucket{check="lat-a",service="lat",le="10"} 8',
      'vigil_probe_latency_seconds_bucket{check="lat-a",service="lat",le="+Inf"} 9',
    ]);
    expect(lines).toContain('vigil_probe_latency_seconds_count{check="lat-a",service="lat"} 9');
    expect(lines).toContain(`vigil_probe_latency_seconds_sum{check="lat-a",service="lat"} ${a.reduce((x, y) => x + y, 0) / 1000}`);
    // A monitor without results has an empty histogram, still complete and consistent.
    expect(sample(lines, 'vigil_probe_latency_seconds_bucket{check="lat-idle"')).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(sample(lines, 'vigil_probe_latency_seconds_count{check="lat-idle"')).toEqual([0]);
    expect(sample(lines, 'vigil_probe_latency_seconds_sum{check="lat-idle"')).toEqual([0]);
    expect(lines).toContain("# TYPE vigil_probe_latency_seconds histogram");
  });
});
