/**
 * Cadence you can check (issue #21, point 2) in D1: the hourly rollup keeps planned runs next
 * to executed ones, a monitor that did not run at all gets a row, hours the cron missed are
 * caught up as missed, and unknown and retried runs are counted apart; the status history reads
 * them per day.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { plannedRuns } from "../../../src/engine/cadence";
import { housekeeping } from "../../../src/scheduler/housekeeping";
import { loadHistory } from "../../../src/store/status-history";
import { loadRunTotals } from "../../../src/store/status-read";

const HOUR = 3_600_000;
const MIN = 60_000;

const row = (checkId: string, hour: number) =>
  env.DB.prepare("SELECT count, failures, degraded, planned, unknown, retried FROM rollups_hourly WHERE check_id = ? AND hour = ?")
    .bind(checkId, hour)
    .first();
const seen = (id: string, at: number) =>
  env.DB.prepare("INSERT OR REPLACE INTO monitors_seen (check_id, first_seen) VALUES (?, ?)").bind(id, at);

describe("hourly rollup with planned runs", () => {
  it("keeps planned next to executed; unknown and retried runs apart; a monitor without results gets a row", async () => {
    const hour = Math.floor(Date.now() / HOUR) * HOUR - 30 * HOUR;
    const a = { id: "cad-a", interval: 5 * MIN };
    const b = { id: "cad-b", interval: 10 * MIN };
    // cad-a: 9 of its 12 runs executed: one could not measure (3), one took two attempts, one down.
    const results = [
      ["cad-a", 0, 0, 100],
      ["cad-a", 1, 0, 100, null, 2],
      ["cad-a", 2, 3, 0],
      ["cad-a", 3, 2, 300],
      ["cad-a", 4, 1, 200, 50],
    ];
    await env.DB.batch([
      seen("cad-a", hour - 10 * HOUR),
      seen("cad-b", hour - 10 * HOUR),
      env.DB.prepare("INSERT INTO raw_results (minute, batch, data) VALUES (?, 0, ?)").bind(hour, JSON.stringify(results)),
      env.DB.prepare("INSERT INTO raw_results (minute, batch, data) VALUES (?, 0, ?)").bind(
        hour + 30 * MIN,
        JSON.stringify(results.slice(0, 4).map((r) => [...r.slice(0, 4)])),
      ),
    ]);
    expect(await housekeeping(env.DB, hour + HOUR + 6 * MIN, [a, b])).toMatchObject({ rolledUp: 2, pruned: true });
    expect(await row("cad-a", hour)).toEqual({ count: 7, failures: 2, degraded: 1, planned: 12, unknown: 2, retried: 1 });
    expect(await row("cad-b", hour)).toEqual({ count: 0, failures: 0, degraded: 0, planned: 6, unknown: 0, retried: 0 });
    expect(plannedRuns(a, hour, hour + HOUR)).toBe(12);
  });

  it("a monitor seen for the first time now plans nothing in the past hour", async () => {
    const hour = Math.floor(Date.now() / HOUR) * HOUR - 20 * HOUR;
    expect(await housekeeping(env.DB, hour + HOUR + 6 * MIN, [{ id: "cad-new", interval: MIN }])).toMatchObject({ rolledUp: 0 });
    expect(await row("cad-new", hour)).toBeNull();
    const first = await env.DB.prepare("SELECT first_seen FROM monitors_seen WHERE check_id = 'cad-new'").first<{ first_seen: number }>();
    expect(first?.first_seen).toBe(hour + HOUR + 6 * MIN);
  });

  it("hours the cron never rolled up are caught up: the runs planned while Vigil was away count as missed", async () => {
    const base = Math.floor(Date.now() / HOUR) * HOUR - 12 * HOUR;
    const m = { id: "cad-gap", interval: 15 * MIN };
    await env.DB.batch([
      seen("cad-gap", base - 10 * HOUR),
      env.DB.prepare("INSERT OR REPLACE INTO rollup_runs (hour, at, checks) VALUES (?, ?, 0)").bind(base, base + HOUR + 5 * MIN),
      // The cron came back during base + 3 h: one run then.
      env.DB.prepare("INSERT INTO raw_results (minute, batch, data) VALUES (?, 0, ?)").bind(
        base + 3 * HOUR + 50 * MIN,
        JSON.stringify([["cad-gap", 0, 0, 80]]),
      ),
    ]);
    // The first tick after the gap: it rolls up base + 3 h and catches up base + 1 h and base + 2 h.
    await housekeeping(env.DB, base + 4 * HOUR + 6 * MIN, [m]);
    expect(await row("cad-gap", base + HOUR)).toMatchObject({ count: 0, planned: 4 });
    expect(await row("cad-gap", base + 2 * HOUR)).toMatchObject({ count: 0, planned: 4 });
    expect(await row("cad-gap", base + 3 * HOUR)).toMatchObject({ count: 1, planned: 4 });
    const runs = await env.DB.prepare("SELECT hour FROM rollup_runs WHERE hour > ? AND hour <= ? ORDER BY hour")
      .bind(base, base + 3 * HOUR)
      .all<{ hour: number }>();
    expect(runs.results.map((r) => r.hour)).toEqual([base + HOUR, base + 2 * HOUR, base + 3 * HOUR]);
  });

  it("without monitors (as before): rows carry no planned count", async () => {
    const hour = Math.floor(Date.now() / HOUR) * HOUR - 40 * HOUR;
    await env.DB.prepare("INSERT INTO raw_results (minute, batch, data) VALUES (?, 0, ?)")
      .bind(hour, JSON.stringify([["cad-old", 0, 0, 10]]))
      .run();
    await housekeeping(env.DB, hour + HOUR + 6 * MIN);
    expect(await row("cad-old", hour)).toMatchObject({ count: 1, planned: null });
  });
});

describe("status history reads planned, unknown and retried per day", () => {
  it("live days from the hours, settled days from rollups_daily; hours without planned count as measured", async () => {
    const now = Date.now();
    const today = Math.floor(now / HOUR) * HOUR - 2 * HOUR;
    const old = today - 5 * 24 * HOUR;
    const ins = (id: string, hour: number, count: number, planned: number | null, unknown: number, retried: number) =>
      env.DB.prepare(
        "INSERT OR REPLACE INTO rollups_hourly (check_id, hour, count, failures, degraded, planned, unknown, retried) VALUES (?, ?, ?, 0, 0, ?, ?, ?)",
      ).bind(id, hour, count, planned, unknown, retried);
    await env.DB.batch([ins("cad-h", today, 48, 60, 2, 3), ins("cad-h", old, 60, null, 0, 0), ins("cad-h", old + HOUR, 10, 60, 0, 1)]);
    const h = await loadHistory(env.DB, now, { timeZone: "UTC", days: 10, recentTtlMs: 0, historyTtlMs: 0 });
    const cad = h.cadence!.get("cad-h")!;
    const dayOf = (t: number) => h.dayStarts.findLastIndex((d) => d <= t);
    const i = dayOf(today);
    expect([cad[i * 3], cad[i * 3 + 1], cad[i * 3 + 2]]).toEqual([60, 2, 3]);
    const j = dayOf(old);
    expect([cad[j * 3], cad[j * 3 + 1], cad[j * 3 + 2]]).toEqual([120, 0, 1]);
    expect(h.hours.get("cad-h")!.find((p) => p.hour === today)).toMatchObject({ count: 48, planned: 60, unknown: 2, retried: 3 });
  });
});

describe("loadRunTotals", () => {
  it("sums planned, executed, missed (per hour, never negative), unknown and retried over a window", async () => {
    const base = Math.floor(Date.now() / HOUR) * HOUR - 60 * HOUR;
    const ins = (hour: number, count: number, planned: number | null, unknown = 0, retried = 0) =>
      env.DB.prepare(
        "INSERT OR REPLACE INTO rollups_hourly (check_id, hour, count, failures, degraded, planned, unknown, retried) VALUES ('tot-a', ?, ?, 0, 0, ?, ?, ?)",
      ).bind(hour, count, planned, unknown, retried);
    await env.DB.batch([
      ins(base, 60, 60),
      ins(base + HOUR, 38, 60, 2, 1),
      ins(base + 2 * HOUR, 61, 60),
      ins(base + 3 * HOUR, 12, null),
      ins(base + 4 * HOUR, 0, 60),
    ]);
    expect(await loadRunTotals(env.DB, base, base + 4 * HOUR)).toEqual([
      { check_id: "tot-a", planned: 192, executed: 173, missed: 20, unknown: 2, retried: 1 },
    ]);
    expect(await loadRunTotals(env.DB, base, base + 5 * HOUR, "tot-a")).toMatchObject([{ planned: 252, missed: 80 }]);
    expect(await loadRunTotals(env.DB, base, base + 5 * HOUR, "nope")).toEqual([]);
  });
});
