import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { startOfDay } from "../../../lib/time-zone";
import { dayStartsUntil, loadHistory, SETTLE_MS } from "../../../src/store/status-history";
import { HOUR, DAY, rollupSql } from "./seed";

describe("day boundaries", () => {
  it("are local midnights, 23 h and 25 h long across DST", () => {
    // 2026-03-08 is the spring-forward day in New York, 2026-11-01 the fall-back day.
    const spring = startOfDay(Date.parse("2026-03-08T12:00:00-04:00"), "America/New_York");
    expect(new Date(spring).toISOString()).toBe("2026-03-08T05:00:00.000Z");
    const days = dayStartsUntil(Date.parse("2026-03-09T12:00:00-04:00"), "America/New_York", 3);
    expect(days.map((d) => new Date(d).toISOString())).toEqual([
      "2026-03-07T05:00:00.000Z",
      "2026-03-08T05:00:00.000Z",
      "2026-03-09T04:00:00.000Z",
    ]);
    const fall = dayStartsUntil(Date.parse("2026-11-02T12:00:00-05:00"), "America/New_York", 2);
    expect(fall[1]! - fall[0]!).toBe(25 * HOUR);
    expect(new Date(startOfDay(Date.parse("2026-11-24T01:00:00+09:00"), "Asia/Seoul")).toISOString()).toBe("2026-11-23T15:00:00.000Z");
  });
});

describe("loadHistory", () => {
  it("materialises settled days once and sums live days from the hours", async () => {
    const now = Date.parse("2026-06-15T12:30:00Z");
    for (const sql of rollupSql(["hist-a"], now, 10, (_c, h) => (h === Date.parse("2026-06-10T05:00:00Z") ? 6 : 0)))
      await env.DB.prepare(sql).run();
    const h = await loadHistory(env.DB, now, { timeZone: "UTC", days: 10 });
    expect(h.dayStarts).toHaveLength(10);
    const a = h.days.get("hist-a")!;
    // Every full day has 24 hours × 60 observations; 2026-06-10 is day index 4 (days 06-06 … 06-15) with 6 failures.
    expect(a[4 * 3]).toBe(1440);
    expect(a[4 * 3 + 1]).toBe(6);
    expect(a[5 * 3 + 1]).toBe(0);
    // Today (13 hours so far: 00:00 … 12:00) comes from the hourly rows.
    expect(a[9 * 3]).toBe(13 * 60);
    expect(h.hours.get("hist-a")).toHaveLength(24);
    const { results } = await env.DB.prepare("SELECT day_start FROM rollups_daily_done ORDER BY day_start").all<{ day_start: number }>();
    expect(results.map((r) => r.day_start)).toEqual(h.dayStarts.slice(0, 9));
    expect(now - h.dayStarts[9]!).toBeGreaterThan(SETTLE_MS);
  });

  it("keeps yesterday live until it has settled", async () => {
    const now = Date.parse("2026-07-02T01:00:00Z"); // one hour after midnight: yesterday is not settled
    for (const sql of rollupSql(["hist-b"], now, 3)) await env.DB.prepare(sql).run();
    const h = await loadHistory(env.DB, now, { timeZone: "UTC", days: 3 });
    const { results } = await env.DB.prepare("SELECT day_start FROM rollups_daily_done WHERE day_start >= ?")
      .bind(now - 3 * DAY)
      .all<{ day_start: number }>();
    expect(results.map((r) => r.day_start)).toEqual([h.dayStarts[0]]);
    expect(h.days.get("hist-b")![1 * 3]).toBe(1440); // yesterday, summed from the hours
    expect(h.days.get("hist-b")![2 * 3]).toBe(120); // today: 00:00 and 01:00
  });
});
