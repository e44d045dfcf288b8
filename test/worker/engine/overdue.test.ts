/**
 * Overdue monitors (issue #21, point 1: "a planned run that did not execute … unknown"): once the
 * last executed run is older than `OVERDUE` (3 intervals + 2 min), the monitor's current state
 * is unknown, with the gap as its reason. Injected time.
 */
import { describe, expect, it } from "vitest";
import { plannedRuns } from "../../../src/engine/cadence";
import { OVERDUE, overdue, overdueAfterMs, shownState } from "../../../src/engine/overdue";
import { offsetOf } from "../../../src/engine/schedule";

const MIN = 60_000;
const monitor = { id: "api", interval: MIN };
/** A run time of `monitor` (its offset inside the minute), near `t`. */
const runAt = (t: number) => Math.floor(t / MIN) * MIN + offsetOf(monitor);
const T0 = runAt(Date.parse("2026-12-06T12:00:30Z"));

describe("the rule", () => {
  it("is 3 intervals plus 2 minutes, in one constant", () => {
    expect(OVERDUE).toEqual({ intervals: 3, graceMs: 2 * MIN });
    expect(overdueAfterMs(MIN)).toBe(5 * MIN);
    expect(overdueAfterMs(10_000)).toBe(150_000);
    expect(overdueAfterMs(24 * 60 * MIN)).toBe(72 * 60 * MIN + 2 * MIN);
  });

  it("a monitor keeping its schedule is never overdue: runs a minute apart, recorded up to a minute late", () => {
    // The worst a working 1-minute monitor gets: its last run recorded at the end of the next batch.
    expect(overdue(monitor, { lastRun: T0 }, T0 + 2 * MIN + 30_000)).toBeNull();
    expect(overdue(monitor, { lastRun: T0 }, T0 + 5 * MIN)).toBeNull();
  });

  it("past the rule: overdue since last run + 5 min, counting the planned runs missed since", () => {
    const late = overdue(monitor, { lastRun: T0 }, T0 + 5 * MIN + 1);
    expect(late).toEqual({
      since: T0 + 5 * MIN,
      missed: 5,
      reason: `no run since ${new Date(T0).toISOString()} (5 planned runs missed)`,
    });
    expect(overdue(monitor, { lastRun: T0 }, T0 + 60 * MIN + 1)?.missed).toBe(60);
    // The run that executed is not among the missed, even started 250 ms off its plan.
    expect(overdue(monitor, { lastRun: T0 + 250 }, T0 + 10 * MIN + 1)?.missed).toBe(plannedRuns(monitor, T0 + 1, T0 + 10 * MIN + 1));
  });

  it("a monitor that never ran counts from when Vigil first saw it", () => {
    const seen = T0 - 30_000;
    expect(overdue(monitor, { firstSeen: seen }, seen + 5 * MIN)).toBeNull();
    expect(overdue(monitor, { firstSeen: seen }, seen + 6 * MIN)?.reason).toBe(
      `never ran since first seen at ${new Date(seen).toISOString()} (6 planned runs missed)`,
    );
  });
});

describe("what the reads show", () => {
  const up = { status: "up" as const, since: T0 - 60 * MIN, reason: null };
  it("an overdue up monitor reads unknown since it became overdue, with the gap as its reason", () => {
    expect(shownState(monitor, up, T0, T0 + 4 * MIN)).toBe(up);
    expect(shownState(monitor, up, T0, T0 + 7 * MIN + 1)).toEqual({
      status: "unknown",
      since: T0 + 5 * MIN,
      reason: `no run since ${new Date(T0).toISOString()} (7 planned runs missed)`,
    });
  });
  it("a down one reads unknown and says what it last measured", () => {
    const down = { status: "down" as const, since: T0 - 10 * MIN, reason: "expected status 2xx, got 500" };
    expect(shownState(monitor, down, T0, T0 + 6 * MIN + 1)).toMatchObject({
      status: "unknown",
      reason: `no run since ${new Date(T0).toISOString()} (6 planned runs missed); last measured down: expected status 2xx, got 500`,
    });
  });
  it("recorded unknown already (the cron's pass): keeps when that was", () => {
    const recorded = { status: "unknown" as const, since: T0 + 5 * MIN + 20_000, reason: "no run since …" };
    expect(shownState(monitor, recorded, T0, T0 + 20 * MIN).since).toBe(T0 + 5 * MIN);
    const crashedBefore = { status: "unknown" as const, since: T0 - 2 * MIN, reason: "internal error" };
    expect(shownState(monitor, crashedBefore, T0, T0 + 20 * MIN).since).toBe(T0 - 2 * MIN);
  });
  it("no last run known (a row from before it was kept, a check that is not a probe monitor): as stored", () => {
    expect(shownState(monitor, up, null, T0 + 60 * MIN)).toBe(up);
    expect(shownState(undefined, up, T0, T0 + 60 * MIN)).toBe(up);
  });
});
