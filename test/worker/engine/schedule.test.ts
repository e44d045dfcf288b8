import { describe, expect, it } from "vitest";
import { offsetOf, plan } from "../../../src/engine/schedule";

const MIN = 60_000;

describe("plan", () => {
  it("gives each monitor a stable offset inside its interval", () => {
    const m = { id: "safework-health", interval: 5 * MIN };
    expect(offsetOf(m)).toBe(offsetOf({ ...m }));
    expect(offsetOf(m)).toBeGreaterThanOrEqual(0);
    expect(offsetOf(m)).toBeLessThan(5 * MIN);
  });

  it("plans a one-minute monitor exactly once per minute, at its offset", () => {
    const m = { id: "a", interval: MIN };
    for (let minute = 0; minute < 5; minute++) {
      const jobs = plan([m], minute * MIN);
      expect(jobs).toEqual([{ monitorId: "a", at: minute * MIN + offsetOf(m) }]);
    }
  });

  it("plans a five-minute monitor in exactly one minute out of five", () => {
    const m = { id: "b", interval: 5 * MIN };
    const counts = Array.from({ length: 10 }, (_, i) => plan([m], i * MIN).length);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(2);
    expect(counts.filter((c) => c > 1)).toEqual([]);
  });

  it("plans sub-minute monitors several times per minute, evenly", () => {
    const jobs = plan([{ id: "c", interval: 15_000 }], 10 * MIN);
    expect(jobs).toHaveLength(4);
    expect(jobs.map((j) => j.at - jobs[0]!.at)).toEqual([0, 15_000, 30_000, 45_000]);
  });

  it("spreads many monitors across the minute instead of firing together", () => {
    const monitors = Array.from({ length: 600 }, (_, i) => ({ id: `m-${i}`, interval: MIN }));
    const perTenSeconds = new Array(6).fill(0);
    for (const j of plan(monitors, 0)) perTenSeconds[Math.floor(j.at / 10_000)]++;
    for (const n of perTenSeconds) expect(n).toBeGreaterThan(60);
  });
});
