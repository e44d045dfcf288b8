/**
 * lib/duration.ts and lib/time-zone.ts, the formatters the worker and the agent share: each
 * style as its callers print it (the worker's and the agent's own tests check them in context).
 */
import { describe, expect, it } from "vitest";
import { formatDuration, formatDurationApprox, formatMs, formatSpan, parseDuration } from "../../lib/duration";
import { formatLocalTime, localDate, localMidnight, startOfDay, zoneOffset } from "../../lib/time-zone";

describe("durations", () => {
  it("parses config strings, and nothing else", () => {
    expect(["500ms", "10s", "1h30m", "1.5s", " 2d "].map(parseDuration)).toEqual([500, 10_000, 5_400_000, 1500, 172_800_000]);
    expect(["", "5", "5 m", "m5", "5mm", "-1s"].map(parseDuration)).toEqual([null, null, null, null, null, null]);
  });

  it("formats in each style", () => {
    expect([500, 10_000, 90_000, 93_600_000].map(formatDuration)).toEqual(["500 ms", "10s", "1m 30s", "1d 2h"]);
    expect([250, 1500, 72_000, 7_200_000, 129_600_000].map(formatDurationApprox)).toEqual(["250ms", "1.5s", "1.2m", "2h", "1.5d"]);
    expect([87, 2500, 1150, 10_000].map((ms) => formatMs(ms))).toEqual(["87 ms", "2.5 s", "1.2 s", "10 s"]);
    expect(formatMs(1234, 2)).toBe("1.23 s");
    expect([59_000, 12 * 60_000, 125 * 60_000, 25 * 3_600_000 + 60_000].map((ms) => formatSpan(ms))).toEqual([
      "<1 min",
      "12 min",
      "2 h 5 min",
      "1 d 1 h",
    ]);
    expect(formatSpan(25 * 3_600_000 + 60_000, { units: 3, minutes: "round", underAMinute: "under a minute" })).toBe("1 d 1 h 1 min");
    expect(formatSpan(29_000, { minutes: "round", underAMinute: "under a minute" })).toBe("under a minute");
  });
});

describe("time zones", () => {
  it("offsets, local dates and times", () => {
    const t = Date.parse("2026-11-22T14:00:00Z");
    expect(zoneOffset(t, "Asia/Kolkata")).toBe(330 * 60_000);
    expect(localDate(t, "Asia/Seoul")).toBe("2026-11-22");
    expect(localDate(Date.parse("2026-11-22T15:00:00Z"), "Asia/Seoul")).toBe("2026-11-23");
    expect(formatLocalTime(t, "Asia/Kolkata")).toBe("2026-11-22 19:30 UTC+5:30");
    expect(formatLocalTime(Date.parse("2026-07-01T04:00:00Z"), "America/New_York")).toBe("2026-07-01 00:00 UTC-4");
  });

  it("finds local midnight across DST changes", () => {
    // New York: 2026-03-08 is 23 hours long, 2026-11-01 is 25.
    expect(new Date(localMidnight("2026-03-08", "America/New_York")).toISOString()).toBe("2026-03-08T05:00:00.000Z");
    expect(new Date(localMidnight("2026-03-09", "America/New_York")).toISOString()).toBe("2026-03-09T04:00:00.000Z");
    expect(localMidnight("2026-11-02", "America/New_York") - localMidnight("2026-11-01", "America/New_York")).toBe(25 * 3_600_000);
    expect(startOfDay(Date.parse("2026-03-08T12:00:00-04:00"), "America/New_York")).toBe(localMidnight("2026-03-08", "America/New_York"));
  });
});
